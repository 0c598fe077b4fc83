"""Activity page: the ledger's seq and method columns, and "Export receipt…" writing a receipt
that verifies, through the state's write pool, against a real store."""

from __future__ import annotations

import json
import stat

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from peft_telemetry_gui.core.consent import audit
from peft_telemetry_gui.core.receipt import read_receipt, verify_receipt
from peft_telemetry_gui.core.services.consent import record_decision, set_consent


def _decide(store) -> None:
    record_decision(store, accepted=True, actor="gui")
    set_consent(store, enabled=None, actor="cli", categories={"system": False})
    store.update(
        lambda doc: audit(
            doc, store.clock(), "gui", "sampling:usage", 1.0, 0.5, method="privacy_page"
        )
    )
    store.update(
        lambda doc: audit(
            doc,
            store.clock(),
            "api",
            "category:usage",
            True,
            False,
            method="host_api",
            app_name="PEFT Studio",
            app_version="2.1",
        )
    )


def _save_as(monkeypatch, path) -> None:
    """The file dialog answers with `path`, as the user picking it would."""
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(path), "JSON (*.json)"))
    )


def test_activity_table_shows_seq_and_method(make_window, store) -> None:
    _decide(store)
    window = make_window(store)
    model = window.pages["activity"].model
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert headers[:4] == ["Seq", "Time", "Actor", "Method"]
    rows = [
        [model.data(model.index(r, c)) for c in range(model.columnCount())]
        for r in range(model.rowCount())
    ]
    # Newest first: the host's change, the CLI's, then the app's two (decision, consent).
    assert [(row[0], row[2], row[3], row[4]) for row in rows] == [
        ("5", "api", "Host app (PEFT Studio 2.1)", "category:usage"),
        ("4", "gui", "Privacy page", "sampling:usage"),
        ("3", "cli", "Command line", "category:system"),
        ("2", "gui", "", "consent"),
        ("1", "gui", "", "decision"),
    ]


def test_export_receipt_writes_a_receipt_that_verifies(
    qtbot, monkeypatch, make_window, store, tmp_path
) -> None:
    _decide(store)
    window = make_window(store)
    page = window.pages["activity"]
    assert page.receipt_button.isEnabled()
    target = tmp_path / "receipt.json"
    _save_as(monkeypatch, target)
    with qtbot.waitSignal(window.state.receipt_exported, timeout=5000) as blocker:
        page.receipt_button.click()
    result = blocker.args[0]
    assert result.path == target and result.entries == 5
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    receipt = read_receipt(target)
    assert verify_receipt(receipt).intact
    assert receipt["ledger"] == json.loads(store.path.read_text())["audit_log"]
    assert receipt["collectionMethod"] == "the host application's API (PEFT Studio 2.1)"
    assert str(target) in page.receipt_status.text()
    assert "self-attested" in page.receipt_status.text()


def test_export_receipt_never_replaces_a_file_the_dialog_did_not_confirm(
    qtbot, monkeypatch, make_window, store, tmp_path
) -> None:
    """Typing "notes" saves to notes.json; the dialog only asked about "notes", so an existing
    notes.json is kept and the page says why."""
    _decide(store)
    window = make_window(store)
    page = window.pages["activity"]
    mine = tmp_path / "notes.json"
    mine.write_text("my own notes")
    _save_as(monkeypatch, tmp_path / "notes")
    with qtbot.waitSignal(window.state.error, timeout=5000) as blocker:
        page.receipt_button.click()
    assert "already exists" in blocker.args[0]
    assert mine.read_text() == "my own notes"
    assert page.receipt_status.text().startswith("The receipt was not saved: ")


def test_no_receipt_before_any_decision(make_window, store) -> None:
    window = make_window(store)
    page = window.pages["activity"]
    assert not page.receipt_button.isEnabled()
    assert page.stack.currentWidget() is page.empty
