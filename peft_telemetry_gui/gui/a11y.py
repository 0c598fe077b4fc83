"""What a screen reader or a keyboard user gets from a widget tree, and three small fixes.

The walkers answer "which controls would a screen reader announce without a name" and "which
charts and tables have nothing to say beyond their name", through `QAccessible` itself (what an
assistive technology really receives), so a page is checked the way it is used, not the way it
was written. `contrast_of` measures text against what is really behind it (the nearest
ancestor that paints its own background), in the colour group it is drawn in. The fixes for
pages: `chain_tab_order` (Tab follows the reading order, whatever order the widgets were made
in), `enter_clicks_focused` (Enter does what the focus ring shows in a dialog whose answers
must not be default buttons) and `ReadablePlaceholder` (a placeholder that reads in every
palette, which Qt's half-strength one does not).
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import pairwise

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAccessible, QColor, QKeyEvent, QPalette
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QGraphicsView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSlider,
    QTextEdit,
    QWidget,
)

from .buttons import contrast_ratio

__all__ = [
    "INTERACTIVE",
    "MIN_CONTRAST",
    "VIEWS",
    "ReadablePlaceholder",
    "accessible_description",
    "accessible_name",
    "chain_tab_order",
    "contrast_of",
    "controls",
    "describe",
    "enter_clicks_focused",
    "is_part",
    "readable_mix",
    "text_contrast",
    "undescribed_views",
    "unnamed_controls",
]

#: What a user operates (QDateTimeEdit is a QAbstractSpinBox; a PlotWidget a QGraphicsView:
#: Qt's class, so that this module does not load pyqtgraph for pages without charts).
INTERACTIVE: tuple[type[QWidget], ...] = (
    QAbstractButton,
    QLineEdit,
    QComboBox,
    QAbstractSpinBox,
    QAbstractItemView,
    QSlider,
    QPlainTextEdit,
    QTextEdit,
    QGraphicsView,
)
#: WCAG 2.x AA for body text.
MIN_CONTRAST = 4.5
#: What shows data: it needs a description (what it shows) besides its name.
VIEWS: tuple[type[QWidget], ...] = (QAbstractItemView, QGraphicsView)


def is_part(widget: QWidget, root: QWidget) -> bool:
    """A piece of a composite control (a combo's list, a table's headers and corner button,
    a spin box's editor, a line edit's clear button): announced as part of its owner."""
    parent = widget.parentWidget()
    while parent is not None and parent is not root:
        if isinstance(parent, INTERACTIVE):
            return True
        parent = parent.parentWidget()
    return widget.objectName().startswith("qt_")  # Qt's own internals (a popup's list)


def controls(root: QWidget) -> list[QWidget]:
    """Every control under `root`, shown or not: a hidden one can appear (a banner's Undo)."""
    return [
        w for w in root.findChildren(QWidget) if isinstance(w, INTERACTIVE) and not is_part(w, root)
    ]


def _buddy_text(widget: QWidget) -> str:
    for label in widget.window().findChildren(QLabel):
        if label.buddy() is widget and label.text().strip():
            return label.text().replace("&", "").strip()
    return ""


def accessible_name(widget: QWidget) -> str:
    """The name announced. A combo box on Linux announces its current item as its name (the
    label comes as a relation), so for it only an explicit name or a buddy label counts."""
    if isinstance(widget, QComboBox):
        return widget.accessibleName().strip() or _buddy_text(widget)
    iface = QAccessible.queryAccessibleInterface(widget)
    return iface.text(QAccessible.Text.Name).strip() if iface is not None else ""


def accessible_description(widget: QWidget) -> str:
    iface = QAccessible.queryAccessibleInterface(widget)
    return iface.text(QAccessible.Text.Description).strip() if iface is not None else ""


def describe(widget: QWidget) -> str:
    """One line naming a widget for a failure message: its type, name and where it sits."""
    parents = []
    parent = widget.parentWidget()
    while parent is not None and len(parents) < 3:
        parents.append(parent.objectName() or type(parent).__name__)
        parent = parent.parentWidget()
    return f"{type(widget).__name__} {accessible_name(widget)!r} in {'/'.join(parents)}"


def unnamed_controls(root: QWidget) -> list[QWidget]:
    return [w for w in controls(root) if not accessible_name(w)]


def undescribed_views(root: QWidget) -> list[QWidget]:
    return [w for w in controls(root) if isinstance(w, VIEWS) and not accessible_description(w)]


def _background_of(widget: QWidget) -> QColor:
    """The colour behind `widget`'s text: its own background if it paints one, else the
    nearest ancestor's that does (a banner), else the window's."""
    current: QWidget | None = widget
    while current is not None:
        if current.autoFillBackground() or current.isWindow():
            return current.palette().color(current.backgroundRole())
        current = current.parentWidget()
    return widget.palette().color(QPalette.ColorRole.Window)


def _over(text: QColor, background: QColor) -> QColor:
    """A translucent text colour (a placeholder's) as it lands on its background."""
    a = text.alphaF()
    return QColor.fromRgbF(
        text.redF() * a + background.redF() * (1 - a),
        text.greenF() * a + background.greenF() * (1 - a),
        text.blueF() * a + background.blueF() * (1 - a),
    )


def text_contrast(text: QColor, background: QColor) -> float:
    return contrast_ratio(_over(text, background), background)


def contrast_of(widget: QWidget) -> float:
    """Text against background as `widget` draws it now (greyed when disabled): a label's
    text on what is behind it, a line edit's placeholder on its field."""
    group = QPalette.ColorGroup.Active if widget.isEnabled() else QPalette.ColorGroup.Disabled
    pal = widget.palette()
    if isinstance(widget, QLineEdit):
        base = pal.color(group, QPalette.ColorRole.Base)
        return text_contrast(pal.color(group, QPalette.ColorRole.PlaceholderText), base)
    return text_contrast(pal.color(group, widget.foregroundRole()), _background_of(widget))


def chain_tab_order(widgets: Iterable[QWidget]) -> None:
    """Tab visits `widgets` in this order (the reading order of the page)."""
    for first, second in pairwise(widgets):
        QWidget.setTabOrder(first, second)


def enter_clicks_focused(dialog: QWidget, event: QKeyEvent) -> bool:
    """Enter or Return on a focused, enabled push button clicks it, as Space does. For
    dialogs whose equal answers are deliberately not auto-default: without this, Enter on the
    answer the focus ring shows would do nothing. True when the key was used."""
    focused = dialog.focusWidget()
    enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
    if enter and isinstance(focused, QPushButton) and focused.isEnabled():
        focused.click()
        event.accept()
        return True
    return False


class ReadablePlaceholder(QObject):
    """Keeps a line edit's placeholder readable (4.5:1 on its field) in every palette.

    Qt draws placeholders in the text colour at half strength: 4:1 on white, and, when a dark
    palette does not set the placeholder role itself, dark grey on black. The placeholder here
    is the lightest mix of the text and field colours that still reads, re-mixed whenever the
    palette changes; owned by the edit (a child), so it lives and dies with it.
    """

    def __init__(self, edit: QLineEdit) -> None:
        super().__init__(edit)
        self._edit = edit
        edit.installEventFilter(self)
        self._apply()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._edit and event.type() in (
            QEvent.Type.PaletteChange,
            QEvent.Type.ApplicationPaletteChange,
        ):
            self._apply()
        return False

    def _apply(self) -> None:
        app = QApplication.palette(self._edit)
        pal = QPalette(self._edit.palette())
        changed = False
        for group in (
            QPalette.ColorGroup.Active,
            QPalette.ColorGroup.Inactive,
            QPalette.ColorGroup.Disabled,
        ):
            text = app.color(group, QPalette.ColorRole.Text)
            base = app.color(group, QPalette.ColorRole.Base)
            wanted = readable_mix(text, base)
            if pal.color(group, QPalette.ColorRole.PlaceholderText) != wanted:
                pal.setColor(group, QPalette.ColorRole.PlaceholderText, wanted)
                changed = True
        if changed:
            self._edit.setPalette(pal)  # sends PaletteChange: then nothing differs, no loop


def readable_mix(text: QColor, base: QColor) -> QColor:
    """The faintest mix of `text` into `base` (from 55% up) with `MIN_CONTRAST` on `base`."""
    opaque = _over(text, base)
    for percent in range(55, 101, 5):
        mixed = QColor(opaque)
        mixed.setAlphaF(percent / 100)
        mixed = _over(mixed, base)
        if contrast_ratio(mixed, base) >= MIN_CONTRAST:
            return mixed
    return opaque
