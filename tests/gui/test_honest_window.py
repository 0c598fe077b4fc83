"""Issue 12, "Errors that look like success", "Layout" and "Small": the window says what is true.

A failed write never reads "Saved"; a data folder that cannot be used greys out what cannot
work and says why; a damaged store is described in words, the parser's text kept for Details;
the first window fits the screen; Help says what the app is. Real stores in tmp_path, a real
read-only tmpfs where the kernel allows one.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from peft_telemetry_gui.core.services.consent import set_consent
from peft_telemetry_gui.core.store import Store
from peft_telemetry_gui.gui.buttons import contrast_ratio
from peft_telemetry_gui.gui.main_window import fitted_size


def _messages(window) -> list[str]:
    seen: list[str] = []
    window.statusBar().messageChanged.connect(seen.append)
    return seen


def test_a_failed_write_never_says_saved(qtbot, make_window, store: Store) -> None:
    set_consent(store, enabled=True, actor="cli")
    window = make_window(store)
    privacy = window.pages["privacy"]
    seen = _messages(window)
    errors: list[str] = []
    window.state.error.connect(errors.append)
    # Reads need no lock; every write does, and a folder where the lock file should be makes
    # each write fail (as a full disk or a read-only folder would, after the app started).
    lock = store.data_dir / "telemetry.json.lock"
    lock.unlink()
    lock.mkdir()
    privacy.category_boxes["usage"].click()
    qtbot.waitUntil(lambda: bool(errors), timeout=10_000)
    qtbot.waitUntil(lambda: any(m.startswith("Not saved") for m in seen), timeout=10_000)
    assert "Saved" not in seen
    assert window.error_banner.isVisible()
    # Once the folder is usable again, a write says "Saved".
    lock.rmdir()
    privacy.category_boxes["usage"].click()
    qtbot.waitUntil(lambda: "Saved" in seen, timeout=10_000)


def test_a_data_dir_that_is_a_file_disables_every_control_and_says_why(
    qtbot, make_window, tmp_path: Path
) -> None:
    a_file = tmp_path / "notes.txt"
    a_file.write_text("not a folder")
    window = make_window(Store(a_file))
    privacy = window.pages["privacy"]
    qtbot.waitUntil(lambda: window.access_banner.isVisible(), timeout=5000)
    assert "is a file, not a folder" in window.access_banner.text()
    assert not privacy.master.isEnabled()
    assert not any(box.isEnabled() for box in privacy.category_boxes.values())
    assert not privacy.limits.isEnabled()
    assert not window.export_button.isEnabled() and not window.export_json_action.isEnabled()
    assert not window.delete_button.isEnabled() and not window.delete_action.isEnabled()
    assert a_file.read_text() == "not a folder"  # nothing written over it


@pytest.fixture
def read_only_store(tmpfs: Any) -> Iterator[Store]:
    """A store with consent on, on a real tmpfs then remounted read-only."""
    mount = tmpfs("4m", mode="0755")
    set_consent(Store(mount / "data"), enabled=True, actor="cli")
    tmpfs.read_only(mount)
    yield Store(mount / "data")


def test_a_read_only_folder_can_be_looked_at_and_exported_not_changed(
    qtbot, make_window, read_only_store: Store
) -> None:
    assert not os.access(read_only_store.data_dir, os.W_OK)
    window = make_window(read_only_store)
    privacy = window.pages["privacy"]
    qtbot.waitUntil(lambda: window.access_banner.isVisible(), timeout=5000)
    assert "read-only" in window.access_banner.text()
    assert privacy.master.isChecked()  # the stored consent is shown...
    assert not privacy.master.isEnabled()  # ...but cannot be changed here
    assert not window.delete_button.isEnabled()
    assert window.export_button.isEnabled()  # export writes elsewhere


def test_a_damaged_store_is_described_in_words_with_the_parser_text_as_details(
    qtbot, make_window, store: Store
) -> None:
    store.data_dir.mkdir(parents=True)
    store.path.write_text('{"schema_version": 3, "consent": ')  # cut short
    window = make_window(store)
    banner = window.quarantine_banner
    qtbot.waitUntil(banner.isVisible, timeout=5000)
    text = banner.text()
    assert text.startswith("The telemetry file was damaged and could not be read")
    assert "Expecting" not in text and "line 1 column" not in text and "char" not in text
    assert not banner.details.isVisible()
    banner.details_button.click()
    assert banner.details.isVisible() and "line 1" in banner.details.text()


def test_the_first_window_fits_the_screen(qtbot, make_window, store: Store) -> None:
    window = make_window(store)
    available = window.screen().availableGeometry().size()
    assert window.width() <= available.width() and window.height() <= available.height()
    # A 1400x900 screen at scale factor 2 is 700x450 in the window's units.
    assert fitted_size(QSize(1200, 820), QSize(700, 450)) == QSize(630, 405)
    assert fitted_size(QSize(1200, 820), QSize(2560, 1440)) == QSize(1200, 820)


def test_help_says_what_the_app_is_and_leads_to_what_is_collected(
    qtbot, make_window, store: Store
) -> None:
    window = make_window(store)
    menus = [action.text() for action in window.menuBar().actions()]
    assert "&Help" in menus
    window.show_page("events")
    window.help_actions["collected"].trigger()
    assert window.current_page() == "privacy"
    window.help_actions["about"].trigger()
    box = window.findChild(object, "about_box")
    qtbot.waitUntil(lambda: box is not None and box.isVisible(), timeout=5000)
    assert "PEFT Telemetry" in box.text() and str(store.data_dir) in box.text()
    box.close()


def _dark_palette() -> QPalette:
    pal = QPalette()
    for role, color in (
        (QPalette.ColorRole.Window, "#202124"),
        (QPalette.ColorRole.WindowText, "#e8eaed"),
        (QPalette.ColorRole.Button, "#303134"),
        (QPalette.ColorRole.ButtonText, "#e8eaed"),
        (QPalette.ColorRole.Base, "#171717"),
        (QPalette.ColorRole.Text, "#e8eaed"),
    ):
        pal.setColor(role, QColor(color))
    return pal


def test_delete_all_looks_destructive_and_stays_readable_in_light_and_dark(
    qtbot, make_window, store: Store
) -> None:
    set_consent(store, enabled=False, actor="cli")
    window = make_window(store)
    buttons = [window.delete_button, window.pages["privacy"].delete_button]
    export_text = window.export_button.palette().color(QPalette.ColorRole.ButtonText)
    app = QApplication.instance()
    original = app.palette()
    try:
        for palette in (original, _dark_palette()):
            app.setPalette(palette)
            QApplication.processEvents()
            for button in buttons:
                pal = button.palette()
                text = pal.color(QPalette.ColorRole.ButtonText)
                assert text.red() > 2 * max(text.green(), text.blue()), text.name()  # red
                assert contrast_ratio(text, pal.color(QPalette.ColorRole.Button)) >= 4.5
        assert window.export_button.palette().color(QPalette.ColorRole.ButtonText) != text
        assert export_text != buttons[0].palette().color(QPalette.ColorRole.ButtonText)
    finally:
        app.setPalette(original)


def test_start_up_builds_only_the_page_it_shows_first(qtbot, store: Store) -> None:
    """`--page dashboard` used to build the Privacy page (the first in the list) too, with its
    scrubber tester and limits box, before the first paint: start-up paid for two pages."""
    from peft_telemetry_gui.gui.main_window import MainWindow
    from peft_telemetry_gui.gui.state import AppState

    state = AppState(store, clock=store.clock)
    window = MainWindow(state, remember_geometry=False, ask_first_run=False, first_page="events")
    try:
        assert window.current_page() == "events"
        assert window.stack.widget(0).accessibleName() == "Privacy (loading)"
        assert window.stack.currentWidget() is window.pages["events"]
    finally:
        window.close()
        window.deleteLater()
        state.shutdown()
        state.deleteLater()
