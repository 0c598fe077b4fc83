"""A button for what cannot be undone (Delete all): it must not look like every other one.

Red text, a red that keeps its contrast on the button in the light and the dark palette (WCAG
AA, 4.5:1, picked from a few shades by measuring, not guessed), and re-picked when the theme
changes: a hard-coded red is unreadable on one of the two.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QPushButton, QWidget

__all__ = ["DestructiveButton", "contrast_ratio"]

#: From darkest to lightest: the first that reads on the button's own colour is used.
_REDS = ("#8b0000", "#a50e0e", "#c5221f", "#e53935", "#ff6b6b", "#ff8a80", "#ffb4ab")


def _luminance(color: QColor) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return (
        0.2126 * channel(color.redF())
        + 0.7152 * channel(color.greenF())
        + 0.0722 * channel(color.blueF())
    )


def contrast_ratio(a: QColor, b: QColor) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def destructive_red(background: QColor) -> QColor:
    """The red of `_REDS` nearest the middle (the most red-looking) that reads on
    `background`: searched from the light end on a light button, the dark end on a dark one."""
    reds = [QColor(name) for name in _REDS]
    if background.lightnessF() >= 0.5:
        reds.reverse()
    best = max(reds, key=lambda red: contrast_ratio(red, background))
    return next((red for red in reds if contrast_ratio(red, background) >= 4.5), best)


class DestructiveButton(QPushButton):
    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setObjectName("destructive")
        self._applying = False
        self._apply_palette()

    def _apply_palette(self) -> None:
        pal = QApplication.palette(self)
        red = destructive_red(pal.color(QPalette.ColorRole.Button))
        if self.palette().color(QPalette.ColorRole.ButtonText) == red:
            return
        for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
            pal.setColor(group, QPalette.ColorRole.ButtonText, red)
        self._applying = True
        self.setPalette(pal)  # disabled text keeps the theme's greyed colour
        self._applying = False

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if not self._applying and event.type() in (
            QEvent.Type.PaletteChange,
            QEvent.Type.ApplicationPaletteChange,
        ):
            self._apply_palette()
