"""The main window, rebuilt when the language changes, with the user's place kept.

Every text is made in the language of the moment it is built (`core.i18n.tr`). Rebuilding the
window in the new language, with the same page, size and position, reaches every label, menu,
tooltip and chart at once, where retranslating widget by widget would miss some. The data
(`AppState`) is not rebuilt: nothing is reloaded, a write in flight carries on.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from .language import LanguageChooser
from .main_window import MainWindow

__all__ = ["WindowHost"]


class WindowHost(QObject):
    """Owns the current main window for the composition root."""

    #: The new window, once shown (the old one is closed and deleted).
    window_replaced = Signal(object)

    def __init__(
        self,
        build: Callable[[str | None, bool], MainWindow],
        languages: LanguageChooser,
        first_page: str | None = None,
        parent: QObject | None = None,
    ) -> None:
        """`build(first_page, first_time)` makes a window (the first one may ask the
        first-run question; a rebuilt one never asks again)."""
        super().__init__(parent)
        self._build = build
        self._languages = languages
        self.window = self._made(first_page, first_time=True)
        languages.changed.connect(self._on_language_changed)

    def _made(self, first_page: str | None, *, first_time: bool) -> MainWindow:
        window = self._build(first_page, first_time)
        self._languages.add_menu(window.view_menu, window)
        return window

    def _on_language_changed(self, _language: str) -> None:
        old = self.window
        new = self._made(old.current_page(), first_time=False)
        new.setGeometry(old.geometry())
        if old.isMaximized():
            new.showMaximized()
        elif old.isVisible():
            new.show()
        self.window = new
        old.close()
        old.deleteLater()
        self.window_replaced.emit(new)
