"""A chart panel that draws itself again when the palette changes (light to dark and back)."""

from __future__ import annotations

from PySide6.QtCore import QEvent

from .widgets import ChartPanel

__all__ = ["RedrawnPanel"]


class RedrawnPanel(ChartPanel):
    """Labels and titles take their colours from the palette when drawn: draw them again when
    the system switches between light and dark (this panel's palette, which Qt updates after
    its parents', so a parent cannot do it for us)."""

    _last: tuple[object, ...] | None = None

    def remember(self, *args: object) -> None:
        self._last = args

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and self._last is not None:
            self.draw(*self._last)  # each subclass's own draw, with what it drew last
