"""The Events page as a viewer (issue 12): Copy JSON, raw and readable views with each event's
explanation, search across every field with the match highlighted, a date range, and export of
what is shown. Real window, real store, real client; checked on the data shown, not pixels."""

from __future__ import annotations

import csv
import io
import json
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from peft_telemetry_gui import TelemetryClient
from peft_telemetry_gui.core import event_view
from peft_telemetry_gui.core.consent import collection_text
from peft_telemetry_gui.core.export import CSV_COLUMNS
from peft_telemetry_gui.core.secrets import MemorySecretStore
from peft_telemetry_gui.core.services.consent import set_consent
from peft_telemetry_gui.core.store import Store, raw_document
from peft_telemetry_gui.gui import event_export
from peft_telemetry_gui.gui.event_range import RANGES

CATALOGUE: dict[str, Any] = {
    "version": "2026-12",
    "events": {
        "training_started": {
            "category": "usage",
            "description": "Which fine-tuning method people use",
            "properties": {"algorithm": "LoRA variant", "rank": "adapter rank"},
        },
    },
}


def _settle(qtbot, page) -> None:
    qtbot.waitUntil(lambda: not page.pending, timeout=5000)


def _shown(page) -> list[str]:
    return [page.model.event_at(r).id for r in range(page.model.rowCount())]


def _select(page, event_id: str) -> None:
    assert page.select_event(event_id)


def _record(store: Store, app: str, catalogue: object, calls: list[tuple[str, dict]]) -> None:
    with TelemetryClient(
        app_name=app,
        app_version="2.1.0",
        data_dir=store.data_dir,
        catalogue=catalogue,  # type: ignore[arg-type]
        clock=store.clock,
        environ={},
        secret_store=MemorySecretStore(),
    ) as client:
        for name, props in calls:
            client.track_event(name, props)
        assert client.flush()


def test_copy_json_from_the_button_and_ctrl_c(qtbot, make_window, demo_store) -> None:
    window = make_window(demo_store)
    page = window.pages["events"]
    stored = {e["id"]: e for e in raw_document(demo_store.data_dir)["events"]}
    clipboard = QGuiApplication.clipboard()
    page.table.selectRow(3)
    clipboard.setText("before")
    assert page.detail.copy_button.isEnabled()
    qtbot.mouseClick(page.detail.copy_button, Qt.MouseButton.LeftButton)
    chosen = page.selected_event()
    assert clipboard.text() == json.dumps(chosen.stored_dict(), indent=2, ensure_ascii=False)
    assert json.loads(clipboard.text()) == stored[chosen.id]
    page.table.selectRow(7)
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert json.loads(clipboard.text()) == stored[page.selected_event().id]
    assert page.selected_event().id != chosen.id


def test_readable_view_explains_each_event_from_its_catalogue_or_category(
    qtbot, make_window, store
) -> None:
    set_consent(store, enabled=True, actor="cli")
    _record(store, "PEFT Studio", CATALOGUE, [("training_started", {"algorithm": "lora"})])
    _record(store, "Other app", None, [("export_clicked", {"format": "hf"})])
    window = make_window(store)
    page = window.pages["events"]
    _settle(qtbot, page)
    events = {e.event_type: e for e in window.state.document.events}
    assert {"training_started", "export_clicked", "session_started"} <= set(events)
    _select(page, events["training_started"].id)
    assert page.detail.mode == "raw"  # "exactly as stored" stays the default
    qtbot.mouseClick(page.detail.readable_button, Qt.MouseButton.LeftButton)
    _settle(qtbot, page)  # the explanations are looked up on the worker, once per document
    assert page.detail.mode == "readable"
    assert page.detail.stack.currentWidget() is page.detail.readable
    assert page.detail.title.text() == "Selected event, in words:"
    text = page.detail.readable.toPlainText()
    assert "Type: training_started" in text and "Property algorithm: lora" in text
    assert "What this is: Which fine-tuning method people use" in text
    assert "Source: Declared by PEFT Studio in its catalogue" in text
    assert "  algorithm: LoRA variant" in text
    _select(page, events["export_clicked"].id)
    text = page.detail.readable.toPlainText()
    assert f"What this is: {collection_text().categories['usage']}" in text
    assert "Source: What the Usage category collects (no app declared this event)" in text
    _select(page, events["session_started"].id)
    assert "Source: Recorded by the library itself" in page.detail.readable.toPlainText()
    qtbot.mouseClick(page.detail.raw_button, Qt.MouseButton.LeftButton)
    assert page.detail.title.text() == "Selected event, exactly as stored:"
    assert json.loads(page.details.toPlainText()) == events["session_started"].stored_dict()


def test_search_finds_any_field_counts_and_highlights(qtbot, make_window, demo_store) -> None:
    window = make_window(demo_store)
    page = window.pages["events"]
    doc = window.state.document
    # Only inside a nested property (the system information): no column shows it.
    expected = [e.id for e in reversed(doc.events) if "memory_gb" in e.properties.get("system", {})]
    assert 0 < len(expected) < len(doc.events)
    page.filter_edit.setText("MEMORY_gb")
    _settle(qtbot, page)
    assert _shown(page) == expected
    assert page.count_label.text() == f"{len(expected):,} of {len(doc.events):,} events"
    page.table.selectRow(0)
    page.detail.set_mode("readable")
    for view in (page.detail.readable, page.detail.raw):
        marks = page.detail.highlighted(view)
        assert marks and {m.lower() for m in marks} == {"memory_gb"}
    # A stack frame, shown in neither column, is found too.
    frame = next(e for e in doc.events if e.stack).stack[-1]
    page.filter_edit.setText(frame)
    _settle(qtbot, page)
    assert _shown(page) == [e.id for e in reversed(doc.events) if e.stack and frame in e.stack]
    page.table.selectRow(0)
    assert page.detail.highlighted(page.detail.readable) == [frame]
    # An event's or a session's id (what an export or another event shows) finds it.
    session = doc.events[100].session_id
    page.filter_edit.setText(session[:12].upper())
    _settle(qtbot, page)
    assert _shown(page) == [e.id for e in reversed(doc.events) if e.session_id == session]
    page.filter_edit.setText(doc.events[100].id)
    _settle(qtbot, page)
    assert _shown(page) == [doc.events[100].id]
    page.filter_edit.setText("")
    _settle(qtbot, page)
    assert page.detail.highlighted(page.detail.readable) == []


def test_date_range_presets_and_custom_filter_on_the_worker(
    qtbot, make_window, demo_store, pinned_now
) -> None:
    window = make_window(demo_store)
    page = window.pages["events"]
    doc = window.state.document
    box = page.range_box
    assert not box.from_edit.isVisibleTo(page)  # no greyed dates that do not apply
    week = [label for label, back in RANGES].index("Last 7 days")
    since = pinned_now - timedelta(days=7)
    expected = [e.id for e in reversed(doc.events) if e.timestamp >= since]
    # The app's clock has moved on by seconds since `pinned_now`; no event sits in between.
    assert expected == [
        e.id for e in reversed(doc.events) if e.timestamp >= since + timedelta(minutes=1)
    ]
    box.combo.setCurrentIndex(week)
    _settle(qtbot, page)
    assert 0 < len(expected) < len(doc.events)
    assert _shown(page) == expected
    assert page.count_label.text() == f"{len(expected):,} of {len(doc.events):,} events"
    # Custom starts as the data's whole span, ending now: nothing is hidden yet.
    box.combo.setCurrentIndex(len(RANGES))
    _settle(qtbot, page)
    assert box.from_edit.isVisibleTo(page) and box.to_edit.isVisibleTo(page)
    assert len(_shown(page)) == len(doc.events)
    oldest = min(e.timestamp for e in doc.events)
    assert box.from_edit.dateTime().toSecsSinceEpoch() == int(oldest.timestamp())
    # Two days, with a text filter on top: both apply, in one worker pass.
    start, end = pinned_now - timedelta(days=10), pinned_now - timedelta(days=8)
    box.choose_custom(start, end)
    page.filter_edit.setText("training")
    _settle(qtbot, page)
    expected = [
        e.id
        for e in reversed(doc.events)
        if start <= e.timestamp <= end + timedelta(milliseconds=999)
        and "training" in event_view.search_text(e)
    ]
    assert expected and _shown(page) == expected
    assert page.count_label.text() == f"{len(expected):,} of {len(doc.events):,} events"
    box.combo.setCurrentIndex(0)
    page.filter_edit.setText("")
    _settle(qtbot, page)
    assert page.count_label.text() == f"{len(doc.events):,} stored events"
    assert not box.from_edit.isVisibleTo(page)


class _Spy:
    def __init__(self) -> None:
        self.threads: list[threading.Thread] = []

    def __call__(self, *args: Any) -> bytes:
        self.threads.append(threading.current_thread())
        return event_view.export_bytes(*args)


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_export_writes_what_is_shown_off_the_gui_thread(
    qtbot, make_window, demo_store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    spy = _Spy()
    monkeypatch.setattr(event_export, "export_bytes", spy)
    window = make_window(demo_store)
    page = window.pages["events"]
    page.category_combo.setCurrentIndex(page.category_combo.findData("error"))
    _settle(qtbot, page)
    shown = _shown(page)
    target = tmp_path / f"errors.{fmt}"
    page.export_shown(target, fmt)  # what the button does once the save dialog answered
    _settle(qtbot, page)
    assert spy.threads and spy.threads[0] is not threading.main_thread()
    data = target.read_bytes()
    if fmt == "json":
        assert [e["id"] for e in json.loads(data)] == shown
    else:
        rows = list(csv.DictReader(io.StringIO(data.decode())))
        assert tuple(rows[0]) == CSV_COLUMNS and [r["id"] for r in rows] == shown
    assert page.export_status.text() == (
        f"Exported {len(shown):,} events as {fmt.upper()} to {target}"
    )
    page.export_shown(tmp_path, fmt)  # a folder: refused, in words, never "Exported"
    _settle(qtbot, page)
    assert page.export_status.text().startswith("Export failed: ")
    assert "is a folder" in page.export_status.text()
    assert page.export_button.isEnabled()
    page.filter_edit.setText("no event says this")
    _settle(qtbot, page)
    assert not page.export_button.isEnabled()  # nothing shown: nothing to export


def test_custom_range_follows_the_data_until_the_user_edits_it(
    qtbot, make_window, demo_store, pinned_now
) -> None:
    window = make_window(demo_store)
    page = window.pages["events"]
    box = page.range_box
    box.combo.setCurrentIndex(len(RANGES))  # chosen before the page knew the data's span
    _settle(qtbot, page)
    doc = window.state.document
    oldest = min(e.timestamp for e in doc.events)
    assert box.from_edit.dateTime().toSecsSinceEpoch() == int(oldest.timestamp())
    assert box.to_edit.dateTime().toSecsSinceEpoch() >= int(pinned_now.timestamp())
    assert len(_shown(page)) == len(doc.events)
    # The user's own From stays put when the data changes.
    mine = box.from_edit.dateTime().addDays(20)
    box.from_edit.setDateTime(mine)
    _settle(qtbot, page)
    shown = len(_shown(page))
    assert 0 < shown < len(doc.events)
    box.set_span(oldest, pinned_now)
    _settle(qtbot, page)
    assert box.from_edit.dateTime() == mine and len(_shown(page)) == shown
