"""View -> Language: the user's choice, remembered, applied to every text without a restart.

The choice is an environment variable of this process (`core.i18n.OVERRIDE_VARIABLE`), so
every later `tr` call, the consent receipt's locale and a CLI started from here agree on it.
Qt's own words (the Cancel of a file dialog, a text field's context menu) come from Qt's
translations, which ship with PySide6; they follow the same choice. Texts already on screen
were made in the old language: the composition root rebuilds the window (`changed`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, MutableMapping

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QObject, QSettings, QTranslator, Signal
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QMenu, QWidget

from ..core.i18n import LANGUAGE_NAMES, OVERRIDE_VARIABLE, active_language, tr

__all__ = ["SETTINGS_KEY", "SYSTEM_LANGUAGE", "LanguageChooser"]

SETTINGS_KEY = "view/language"
#: No choice of the app's own: the locale's language (LANGUAGE, LANG, ...).
SYSTEM_LANGUAGE = ""


class LanguageChooser(QObject):
    """Owned by the composition root for the app's whole run (windows come and go)."""

    #: The language now shown ("de", "fr", "en"), after a choice changed it.
    changed = Signal(str)

    def __init__(
        self,
        settings: QSettings | None,
        environ: MutableMapping[str, str] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._settings = settings
        self._environ = os.environ if environ is None else environ
        self._qt_texts = QTranslator(self)
        self._qt_texts_installed = False
        saved = settings.value(SETTINGS_KEY, SYSTEM_LANGUAGE) if settings is not None else ""
        self._choice = saved if isinstance(saved, str) and saved in LANGUAGE_NAMES else ""
        self._apply()

    @property
    def choice(self) -> str:
        """The user's choice: a language code, or SYSTEM_LANGUAGE."""
        return self._choice

    def choose(self, choice: str) -> None:
        if choice != SYSTEM_LANGUAGE and choice not in LANGUAGE_NAMES:
            raise ValueError(f"unknown language {choice!r}")
        if choice == self._choice:
            return
        before = active_language(self._environ)
        self._choice = choice
        if self._settings is not None:
            self._settings.setValue(SETTINGS_KEY, choice)
        self._apply()
        after = active_language(self._environ)
        if after != before:
            self.changed.emit(after)

    def _apply(self) -> None:
        if self._choice:
            self._environ[OVERRIDE_VARIABLE] = self._choice
        else:
            self._environ.pop(OVERRIDE_VARIABLE, None)
        app = QCoreApplication.instance()
        if app is None:
            return
        if self._qt_texts_installed:
            app.removeTranslator(self._qt_texts)
            self._qt_texts_installed = False
        language = active_language(self._environ)
        folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
        wanted = language in LANGUAGE_NAMES and language != "en"
        if wanted and self._qt_texts.load(f"qtbase_{language}", folder):
            self._qt_texts_installed = app.installTranslator(self._qt_texts)

    def add_menu(self, menu: QMenu, parent: QWidget) -> QMenu:
        """A "Language" submenu of `menu`: the system's language, then each one by its own
        name (a user who cannot read the current language still finds theirs)."""
        submenu = menu.addMenu(tr("&Language"))
        submenu.setObjectName("language_menu")
        group = QActionGroup(parent)
        group.setExclusive(True)
        system = tr("System language ({name})").format(
            name=LANGUAGE_NAMES.get(self._system_language(), "English")
        )
        for code, text in ((SYSTEM_LANGUAGE, system), *LANGUAGE_NAMES.items()):
            action = QAction(text, parent)
            action.setCheckable(True)
            action.setChecked(code == self._choice)
            action.setData(code)
            action.triggered.connect(self._chooser(code))
            group.addAction(action)
            submenu.addAction(action)
        return submenu

    def _chooser(self, code: str) -> Callable[[bool], None]:
        return lambda _checked=False: self.choose(code)

    def _system_language(self) -> str:
        return active_language({k: v for k, v in self._environ.items() if k != OVERRIDE_VARIABLE})
