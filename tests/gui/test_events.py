"""Events page: a well-behaved model, the stored record verbatim, filters, kept selection."""

from __future__ import annotations

import json

from peft_telemetry_gui.core.demo import demo_events
from peft_telemetry_gui.core.models import Event
from peft_telemetry_gui.core.store import raw_document
from peft_telemetry_gui.gui.events_model import EventsTableModel
from peft_telemetry_gui.gui.table_models import AuditTableModel, PerformanceTableModel


def test_models_pass_qtmodeltester(qtmodeltester, demo_store) -> None:
    doc = demo_store.read()
    events = EventsTableModel()
    events.set_events(doc.events)
    qtmodeltester.check(events, force_py=True)
    audit = AuditTableModel()
    audit.set_entries(doc.audit_log)
    qtmodeltester.check(audit, force_py=True)
    from peft_telemetry_gui.core.analytics import compute

    perf = PerformanceTableModel()
    perf.set_metrics(compute(doc.events).performance)
    qtmodeltester.check(perf, force_py=True)
    empty = EventsTableModel()
    qtmodeltester.check(empty, force_py=True)


def test_details_show_event_exactly_as_stored(make_window, demo_store) -> None:
    window = make_window(demo_store)
    page = window.pages["events"]
    page.table.selectRow(3)
    event = page.selected_event()
    assert event is not None
    stored = raw_document(demo_store.data_dir)["events"]  # the head and its segments
    record = next(e for e in stored if e["id"] == event.id)
    assert json.loads(page.details.toPlainText()) == record
    assert page.details.toPlainText() == json.dumps(event.stored_dict(), indent=2)
    assert page.details.isReadOnly()


def test_newest_first_and_filters(qtbot, make_window, demo_store) -> None:
    # Filters now run on the page's worker (issue 11): each step waits for its result.
    window = make_window(demo_store)
    page = window.pages["events"]
    doc = window.state.document
    model = page.model
    assert model.rowCount() == len(doc.events)
    page.table.selectRow(0)
    assert page.selected_event().id == doc.events[-1].id
    page.category_combo.setCurrentIndex(page.category_combo.findData("error"))
    errors = [e for e in doc.events if e.category == "error"]
    qtbot.waitUntil(lambda: not page.pending and model.rowCount() == len(errors) > 0)
    page.filter_edit.setText("OutOfMemory")
    qtbot.waitUntil(lambda: not page.pending and 0 < model.rowCount() < len(errors))
    page.category_combo.setCurrentIndex(0)
    page.filter_edit.setText("")
    qtbot.waitUntil(lambda: not page.pending and model.rowCount() == len(doc.events))


def test_selection_and_scroll_survive_a_reload(qtbot, make_window, demo_store, pinned_now) -> None:
    window = make_window(demo_store)
    page = window.pages["events"]
    page.table.selectRow(40)
    chosen = page.selected_event().id
    bar = page.table.verticalScrollBar()
    bar.setValue(bar.maximum() // 2)
    scroll = bar.value()
    new = demo_events(days=1, seed=99, now=pinned_now)[:3]

    def append(doc):
        doc.events.extend(Event.from_record(e.stored_dict()) for e in new)

    with qtbot.waitSignal(window.state.document_changed, timeout=3000):
        demo_store.update(append)
    assert page.selected_event().id == chosen
    assert bar.value() == scroll
    assert json.loads(page.details.toPlainText())["id"] == chosen


def test_empty_state(make_window, store) -> None:
    page = make_window(store).pages["events"]
    assert page.stack.currentWidget() is page.empty
    assert "Privacy page" in page.empty.body.text()
