"""Export and delete, through the window's actions, against a real store."""

from __future__ import annotations

import csv
import json

import pytest
from PySide6.QtWidgets import QFileDialog

from peft_telemetry_gui.core.services.delete import describe_deletion
from peft_telemetry_gui.gui.main_window import MainWindow


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_export_writes_a_file_that_parses(
    qtbot, monkeypatch, make_window, demo_store, tmp_path, fmt
) -> None:
    window = make_window(demo_store)
    target = tmp_path / f"out.{fmt}"
    target.write_text("old")  # the file dialog already asked about overwriting
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), ""))
    )
    with qtbot.waitSignal(window.state.export_finished, timeout=5000) as blocker:
        (window.export_json_action if fmt == "json" else window.export_csv_action).trigger()
    result = blocker.args[0]
    n = len(demo_store.read().events)
    assert result.path == target and result.event_count == n
    if fmt == "json":
        data = json.loads(target.read_text())
        assert len(data["events"]) == n and data["analytics"]["total_events"] == n
    else:
        rows = list(csv.DictReader(target.open(newline="")))
        assert len(rows) == n and rows[0]["id"]
    assert window.last_message is not None and str(target) in window.last_message.text()


def test_delete_all_empties_every_page(qtbot, monkeypatch, make_window, demo_store) -> None:
    window = make_window(demo_store)
    asked: list[bool] = []
    monkeypatch.setattr(MainWindow, "confirm_delete", lambda self: asked.append(True) or True)
    with qtbot.waitSignal(window.state.delete_finished, timeout=5000):
        window.delete_button.click()
    assert asked
    qtbot.waitUntil(lambda: not window.state.document.events, timeout=5000)
    doc = demo_store.read()
    assert doc.events == [] and doc.redactions == {} and not doc.consent.enabled
    assert [e.what for e in doc.audit_log] == ["all data deleted"]
    pages = window.pages
    assert pages["dashboard"].stack.currentWidget() is pages["dashboard"].empty
    assert pages["events"].stack.currentWidget() is pages["events"].empty
    assert pages["events"].model.rowCount() == 0
    assert pages["privacy"].redactions.text() == "Removed so far: nothing yet."
    assert not pages["privacy"].master.isChecked()
    # The one remaining row is the deletion itself.
    assert pages["activity"].model.rowCount() == 1


def test_delete_cancelled_keeps_everything(monkeypatch, make_window, demo_store) -> None:
    window = make_window(demo_store)
    before = len(demo_store.read().events)
    monkeypatch.setattr(MainWindow, "confirm_delete", lambda self: False)
    window.delete_action.trigger()
    assert not window.state.is_busy()
    assert len(demo_store.read().events) == before


def test_delete_confirmation_names_what_is_deleted(qtbot, monkeypatch, make_window, store) -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    window = make_window(store)
    seen: list[str] = []

    def answer() -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox)
        seen.append(box.informativeText())
        box.button(QMessageBox.StandardButton.Cancel).click()

    QTimer.singleShot(100, answer)
    assert window.confirm_delete() is False
    for line in describe_deletion():
        assert line in seen[0]


def test_export_never_replaces_a_file_the_dialog_did_not_confirm(
    qtbot, monkeypatch, make_window, demo_store, tmp_path
) -> None:
    """Typing "notes" in the dialog exports to notes.json: the dialog only asked about "notes",
    so an existing notes.json is kept and the user is told."""
    window = make_window(demo_store)
    mine = tmp_path / "notes.json"
    mine.write_text("my own notes")
    monkeypatch.setattr(
        QFileDialog,
        "getSaveFileName",
        staticmethod(lambda *a, **k: (str(tmp_path / "notes"), "JSON (*.json)")),
    )
    with qtbot.waitSignal(window.state.error, timeout=5000) as blocker:
        window.export_json_action.trigger()
    assert "already exists" in blocker.args[0]
    assert mine.read_text() == "my own notes"
