"""Issue 3: remembered geometry, keyboard-only use, accessible names, light/dark palettes."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QSize, Qt
from PySide6.QtGui import QAccessible, QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

from peft_telemetry_gui.core.services.consent import set_consent
from peft_telemetry_gui.gui.first_run import FirstRunDialog
from peft_telemetry_gui.gui.main_window import PAGES, MainWindow
from peft_telemetry_gui.gui.plots import PalettePlot

INTERACTIVE = (
    QAbstractButton,  # push buttons, check boxes, tool buttons, radio buttons
    QLineEdit,
    QComboBox,
    QAbstractItemView,  # tables, lists
    QAbstractSpinBox,  # date/time edits, spin boxes
    QPlainTextEdit,
    QTextEdit,
)


def _build_all(window: MainWindow) -> None:
    for spec in PAGES:
        window.page(spec.name)


def _accessible_name(widget: QWidget) -> str:
    """What a screen reader announces: the explicit name, else Qt's (button text, buddy)."""
    if widget.accessibleName().strip():
        return widget.accessibleName()
    iface = QAccessible.queryAccessibleInterface(widget)
    return iface.text(QAccessible.Text.Name).strip() if iface is not None else ""


def _controls(root: QWidget) -> list[QWidget]:
    """Every interactive control under `root`, not counting the parts of a composite one
    (a combo box's list, a table's headers, a line edit's clear button, a spin box's editor)."""
    found = []
    for widget in root.findChildren(QWidget):
        if not isinstance(widget, INTERACTIVE):
            continue
        parent = widget.parentWidget()
        composite = False
        while parent is not None and parent is not root:
            if isinstance(parent, INTERACTIVE):
                composite = True
                break
            parent = parent.parentWidget()
        if not composite:
            found.append(widget)
    return found


# ----------------------------------------------------------------- geometry
def test_window_geometry_is_remembered_between_runs(qtbot, make_state, store) -> None:
    """Settings go to the temp INI folder of the autouse fixture, never the user's config."""
    windows: list[MainWindow] = []

    def open_window(remember: bool) -> MainWindow:
        # States come from `make_state`, which shuts them down and deletes them on this thread.
        window = MainWindow(make_state(store), remember_geometry=remember, ask_first_run=False)
        windows.append(window)
        window.show()
        qtbot.waitExposed(window)
        return window

    try:
        first = open_window(True)
        first.resize(700, 480)
        first.move(37, 53)
        qtbot.waitUntil(lambda: first.size() == QSize(700, 480))
        expected = first.geometry()
        first.close()

        second = open_window(True)
        assert second.geometry() == expected
        assert second.size() == QSize(700, 480)

        # A window told not to remember (screenshots, benchmarks) ignores it.
        third = open_window(False)
        assert third.size() != QSize(700, 480)
    finally:
        for window in windows:
            window.close()
            window.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


# ----------------------------------------------------------------- keyboard
def test_every_page_has_a_keyboard_shortcut(qtbot, make_window, demo_store) -> None:
    window = make_window(demo_store)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    for i, spec in reversed(list(enumerate(PAGES))):
        qtbot.keyClick(window, Qt.Key(Qt.Key.Key_1 + i), Qt.KeyboardModifier.ControlModifier)
        assert window.current_page() == spec.name


def test_page_list_follows_the_arrow_keys(qtbot, make_window, demo_store) -> None:
    window = make_window(demo_store)
    window.nav.setFocus()
    window.show_page("privacy")
    for spec in PAGES[1:]:
        qtbot.keyClick(window.nav, Qt.Key.Key_Down)
        assert window.current_page() == spec.name


def _tab_ring(qtbot, window: MainWindow, limit: int = 80) -> list[QWidget]:
    """Every widget Tab visits, from the page list until it comes back round."""
    window.nav.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.nav)
    seen: list[QWidget] = []
    for _ in range(limit):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        widget = QApplication.focusWidget()
        if widget is window.nav:
            return seen
        seen.append(widget)
    raise AssertionError(f"Tab never came back to the page list: {seen}")


@pytest.mark.parametrize("page_name", [spec.name for spec in PAGES])
def test_tab_reaches_each_pages_main_controls(qtbot, make_window, store, page_name) -> None:
    set_consent(store, enabled=True, actor="cli")  # the category switches are enabled
    window = make_window(store)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    window.show_page(page_name)
    page = window.pages[page_name]
    ring = _tab_ring(qtbot, window)
    # What a keyboard user must be able to reach: every enabled, visible control of the page.
    wanted = [
        w
        for w in _controls(page)
        if w.isVisibleTo(window) and w.isEnabled() and w.focusPolicy() & Qt.FocusPolicy.TabFocus
    ]
    assert wanted, f"{page_name}: no controls found"
    missing = [f"{type(w).__name__} {_accessible_name(w)!r}" for w in wanted if w not in ring]
    assert not missing, f"{page_name}: Tab never reaches {missing}"
    assert window.export_button in ring and window.delete_button in ring


# ----------------------------------------------------------------- accessible names
def test_every_control_of_every_page_has_an_accessible_name(qtbot, make_window, demo_store):
    window = make_window(demo_store)
    _build_all(window)
    dialog = FirstRunDialog()  # no parent: qtbot owns and deletes it, the window does not
    qtbot.addWidget(dialog)
    controls = _controls(window) + _controls(dialog)
    assert len(controls) > 30  # the walk really saw the pages
    unnamed = [
        f"{type(w).__name__} in {type(w.window()).__name__}/{w.parentWidget().objectName()}"
        for w in controls
        if not _accessible_name(w)
    ]
    assert not unnamed, f"controls without an accessible name: {unnamed}"


# ----------------------------------------------------------------- palette
def _dark_palette() -> QPalette:
    pal = QPalette()
    dark, darker, text = QColor(45, 45, 48), QColor(30, 30, 30), QColor(230, 230, 230)
    for role, colour in (
        (QPalette.ColorRole.Window, dark),
        (QPalette.ColorRole.WindowText, text),
        (QPalette.ColorRole.Base, darker),
        (QPalette.ColorRole.AlternateBase, dark),
        (QPalette.ColorRole.Text, text),
        (QPalette.ColorRole.Button, dark),
        (QPalette.ColorRole.ButtonText, text),
        (QPalette.ColorRole.ToolTipBase, QColor(70, 60, 20)),
        (QPalette.ColorRole.ToolTipText, text),
        (QPalette.ColorRole.Highlight, QColor(42, 130, 218)),
        (QPalette.ColorRole.HighlightedText, QColor(0, 0, 0)),
    ):
        pal.setColor(role, colour)
    return pal


@pytest.fixture
def restore_palette(qapp):
    original = QPalette(QGuiApplication.palette())
    yield
    qapp.setPalette(original)


def test_plots_and_banners_follow_a_switch_to_dark(
    qtbot, qapp, make_window, demo_store, restore_palette
) -> None:
    window = make_window(demo_store)
    page = window.pages["dashboard"]
    window.show_page("dashboard")
    plots = page.findChildren(PalettePlot)
    assert len(plots) == 3
    light_base = plots[0].backgroundBrush().color()
    window.error_banner.show_message("something")

    dark = _dark_palette()
    qapp.setPalette(dark)
    qtbot.waitUntil(
        lambda: all(
            p.backgroundBrush().color() == dark.color(QPalette.ColorRole.Base) for p in plots
        )
    )
    assert light_base != dark.color(QPalette.ColorRole.Base)
    axis = plots[0].getAxis("left")
    assert axis.textPen().color() == dark.color(QPalette.ColorRole.Text)
    banner = window.error_banner.palette()
    assert banner.color(QPalette.ColorRole.Window) == dark.color(QPalette.ColorRole.ToolTipBase)
    assert banner.color(QPalette.ColorRole.WindowText) == dark.color(QPalette.ColorRole.ToolTipText)
    # The histogram's title was drawn again, in the dark palette's text colour.
    title = page.histogram.plot.getPlotItem().titleLabel
    assert QColor(title.opts["color"]) == dark.color(QPalette.ColorRole.Text)
