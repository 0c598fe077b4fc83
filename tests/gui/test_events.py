"""Events page: a well-behaved model, the stored record verbatim, filters, kept selection."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt

from peft_telemetry_gui.core.demo import demo_events, generate_demo
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


def _settle(qtbot, page) -> None:
    qtbot.waitUntil(lambda: not page.pending, timeout=5000)


def _selected_rows(page) -> list[int]:
    return [index.row() for index in page.table.selectionModel().selectedRows()]


def test_the_pane_shows_only_the_highlighted_event(qtbot, make_window, demo_store) -> None:
    """Issue 12: after the filter changed, the pane showed an event no row highlighted: it
    followed Qt's current index, which focus alone moves and a ctrl-click leaves behind."""
    window = make_window(demo_store)
    window.show_page("events")
    page = window.pages["events"]
    newest = window.state.document.events[-1]
    other = "error" if newest.category != "error" else "usage"  # hides the selected newest
    page.category_combo.setCurrentIndex(page.category_combo.findData(other))
    _settle(qtbot, page)
    assert page.model.rowCount() > 2 and _selected_rows(page) == []
    # Focus reaching the table moves Qt's current index to a row, but selects nothing.
    window.activateWindow()
    page.table.setFocus()
    qtbot.waitUntil(lambda: page.table.currentIndex().isValid(), timeout=3000)
    assert _selected_rows(page) == [] and page.details.toPlainText() == ""
    # A click selects and shows; a ctrl-click on it takes the highlight away, and the pane too.
    viewport = page.table.viewport()
    centre = page.table.visualRect(page.model.index(1, 0)).center()
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=centre)
    chosen = page.model.event_at(1)
    assert _selected_rows(page) == [1]
    assert json.loads(page.details.toPlainText())["id"] == chosen.id
    qtbot.mouseClick(
        viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ControlModifier, centre
    )
    assert _selected_rows(page) == [] and page.selected_event() is None
    assert page.details.toPlainText() == "" and page.detail.readable.toPlainText() == ""
    assert not page.detail.copy_button.isEnabled()
    # Clearing the filter brings back no event the user did not leave selected.
    page.category_combo.setCurrentIndex(0)
    _settle(qtbot, page)
    assert page.model.rowCount() == len(window.state.document.events)
    assert _selected_rows(page) == [] and page.details.toPlainText() == ""


def test_first_events_show_newest_first_selected_at_the_top(
    qtbot, make_window, store, pinned_now
) -> None:
    """Issue 12: a page that had nothing to show (built before data arrived, or after Delete
    all) must, once events arrive, open on the newest, selected and in view."""
    window = make_window(store)
    window.show_page("events")
    page = window.pages["events"]
    assert page.stack.currentWidget() is page.empty

    def check() -> None:
        doc = window.state.document
        assert page.stack.currentWidget() is not page.empty
        assert _selected_rows(page) == [0]
        assert page.selected_event().id == doc.events[-1].id
        assert page.table.verticalScrollBar().value() == 0 and page.table.rowAt(0) == 0
        assert json.loads(page.details.toPlainText())["id"] == doc.events[-1].id

    with qtbot.waitSignal(window.state.document_changed, timeout=5000):
        generate_demo(store, days=30, seed=1, now=pinned_now)
    _settle(qtbot, page)
    check()
    page.table.selectRow(40)
    page.table.verticalScrollBar().setValue(page.table.verticalScrollBar().maximum())

    def clear(doc) -> None:
        doc.events.clear()

    with qtbot.waitSignal(window.state.document_changed, timeout=5000):
        store.update(clear)
    _settle(qtbot, page)
    assert page.stack.currentWidget() is page.empty and page.details.toPlainText() == ""
    new = demo_events(days=2, seed=5, now=pinned_now)

    def append(doc) -> None:
        doc.events.extend(Event.from_record(e.stored_dict()) for e in new)

    with qtbot.waitSignal(window.state.document_changed, timeout=5000):
        store.update(append)
    _settle(qtbot, page)
    assert page.model.rowCount() == len(new) > 20
    check()
