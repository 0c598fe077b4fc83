"""The Events filter at scale (issue 11 part 4): computed on a worker, debounced, never stale.

Real window, real store; the filter function is wrapped only to see where and how often it
runs (it still does the real work). No timing assertions: speed is `bench/gui.py`'s job.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from PySide6.QtCore import Qt

from peft_telemetry_gui.core.demo import demo_events
from peft_telemetry_gui.core.event_view import field_texts
from peft_telemetry_gui.core.models import Event
from peft_telemetry_gui.gui import event_filter, events_page
from peft_telemetry_gui.gui.events_model import EventsTableModel
from peft_telemetry_gui.gui.table_models import event_summary, format_time


class _Spy:
    """`select_rows` as it is, plus the thread each call ran on."""

    def __init__(self) -> None:
        self.threads: list[threading.Thread] = []

    def __call__(self, *args: Any, **kwargs: Any) -> list[int] | None:
        self.threads.append(threading.current_thread())
        return event_filter.select_rows(*args, **kwargs)


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> _Spy:
    spy = _Spy()
    monkeypatch.setattr(events_page, "select_rows", spy)
    return spy


def _columns(event: Event) -> str:
    """What a search looks in: the shown columns and every stored field (issue 12); the ids
    only for a search of at least four of their characters (`_found`)."""
    shown = "\t".join(
        (format_time(event.timestamp), event.category, event.event_type, event_summary(event))
    ).lower()
    fields = "\t".join(field_texts(event, ids=False)).lower()
    return f"{shown}\t{fields}"


def _id_like(needle: str) -> bool:
    return len(needle) >= 4 and set(needle) <= set("0123456789abcdef-")


def _found(event: Event, needle: str) -> bool:
    if needle in _columns(event):
        return True
    return _id_like(needle) and (needle in event.id or needle in event.session_id)


def _shown_ids(page) -> list[str]:
    return [page.model.event_at(r).id for r in range(page.model.rowCount())]


def _settle(qtbot, page) -> None:
    qtbot.waitUntil(lambda: not page.pending, timeout=5000)


def _expected(doc, text: str = "", category: str | None = None) -> list[str]:
    needle = text.strip().lower()
    return [
        e.id
        for e in reversed(doc.events)
        if (category is None or e.category == category) and _found(e, needle)
    ]


@pytest.mark.parametrize(
    ("text", "category"),
    [("outofmemory", None), ("STEP_TIME", None), (None, "error"), ("gpu", "performance")],
)
def test_filter_results_match_a_brute_force_scan(
    qtbot, make_window, demo_store, text, category
) -> None:
    window = make_window(demo_store)
    page = window.pages["events"]
    doc = window.state.document
    if category is not None:
        page.category_combo.setCurrentIndex(page.category_combo.findData(category))
    if text is not None:
        page.filter_edit.setText(text)
    _settle(qtbot, page)
    expected = _expected(doc, text or "", category)
    assert 0 < len(expected) < len(doc.events)
    assert _shown_ids(page) == expected  # newest first, exactly the matching ones
    assert page.count_label.text() == f"{len(expected):,} of {len(doc.events):,} events"


def test_several_keys_make_one_filter_job_on_a_worker(qtbot, make_window, demo_store, spy) -> None:
    window = make_window(demo_store)
    page = window.pages["events"]
    qtbot.keyClicks(page.filter_edit, "OutOfMem")
    _settle(qtbot, page)
    assert len(spy.threads) == 1  # eight keystrokes, one filter
    assert spy.threads[0] is not threading.main_thread()
    assert _shown_ids(page) == _expected(window.state.document, "OutOfMem")


def test_a_stale_result_never_replaces_a_newer_one(qtbot, make_window, demo_store, spy) -> None:
    window = make_window(demo_store)
    page = window.pages["events"]
    shown: list[int] = []
    page.model.modelReset.connect(lambda: shown.append(page.model.rowCount()))
    page.filter_edit.setText("error")
    page.flush_filter()  # job 1 submitted now...
    page.filter_edit.setText("no event says this")
    page.flush_filter()  # ...and job 2 before job 1's result could be delivered
    _settle(qtbot, page)
    assert len(spy.threads) == 2  # both ran; only the newer one was shown
    assert shown == [0]
    assert page.count_label.text() == f"0 of {len(window.state.document.events):,} events"


def test_clearing_the_filter_keeps_the_selection_only_if_still_selected(
    qtbot, make_window, demo_store
) -> None:
    window = make_window(demo_store)
    page = window.pages["events"]
    doc = window.state.document
    newest = doc.events[-1]
    # First load: the newest event is selected and shown.
    assert page.selected_event().id == newest.id
    assert json.loads(page.details.toPlainText())["id"] == newest.id
    # A filter that hides it: nothing is selected, and the pane says so.
    hidden_by = "OutOfMemory" if "outofmemory" not in _columns(newest) else "step_time"
    assert hidden_by.lower() not in _columns(newest)
    page.filter_edit.setText(hidden_by)
    _settle(qtbot, page)
    assert page.selected_event() is None and page.details.toPlainText() == ""
    page.filter_edit.setText("")
    _settle(qtbot, page)
    assert page.model.rowCount() == len(doc.events)
    assert page.selected_event() is None and page.details.toPlainText() == ""
    # A selection the filter keeps survives the filter and its clearing.
    page.filter_edit.setText(hidden_by)
    _settle(qtbot, page)
    assert page.model.rowCount() > 0
    page.table.selectRow(page.model.rowCount() - 1)
    chosen = page.selected_event().id
    page.filter_edit.setText("")
    _settle(qtbot, page)
    assert page.selected_event().id == chosen
    assert json.loads(page.details.toPlainText())["id"] == chosen
    assert page.count_label.text() == f"{len(doc.events):,} stored events"


def test_a_reload_while_filtered_keeps_the_filter(
    qtbot, make_window, demo_store, pinned_now
) -> None:
    window = make_window(demo_store)
    page = window.pages["events"]
    page.category_combo.setCurrentIndex(page.category_combo.findData("error"))
    _settle(qtbot, page)
    new = [e for e in demo_events(days=3, seed=7, now=pinned_now) if e.category == "error"][:2]
    assert new

    def append(doc) -> None:
        doc.events.extend(Event.from_record(e.stored_dict()) for e in new)

    with qtbot.waitSignal(window.state.document_changed, timeout=3000):
        demo_store.update(append)
    _settle(qtbot, page)
    doc = window.state.document
    assert _shown_ids(page) == _expected(doc, category="error")
    assert {e.id for e in new} <= set(_shown_ids(page))


def test_sorting_runs_on_the_worker_and_is_stable(qtbot, make_window, demo_store, spy) -> None:
    window = make_window(demo_store)
    page = window.pages["events"]
    doc = window.state.document
    page.table.sortByColumn(EventsTableModel.CATEGORY_COLUMN, Qt.SortOrder.AscendingOrder)
    _settle(qtbot, page)
    assert spy.threads and spy.threads[-1] is not threading.main_thread()
    newest_first = list(reversed(doc.events))
    expected = [e.id for e in sorted(newest_first, key=lambda e: e.category)]
    assert _shown_ids(page) == expected
    assert page.count_label.text() == f"{len(doc.events):,} stored events"  # sorted, not filtered


def test_filtered_model_passes_qtmodeltester(qtmodeltester, demo_store) -> None:
    doc = demo_store.read()
    model = EventsTableModel()
    index = event_filter.SearchIndex()
    spec = event_filter.FilterSpec(text="gpu", category="performance")
    rows = event_filter.select_rows(doc.events, index, spec)
    assert rows
    model.set_events(doc.events, rows)
    qtmodeltester.check(model, force_py=True)
    assert [model.event_at(r).id for r in range(model.rowCount())] == _expected(
        doc, "gpu", "performance"
    )


def _needles(events: list[Event]) -> list[str]:
    """What people search for: every property key and value (nested ones too), parts of long
    values, error messages, stack frames, metric names, and ids, as the store holds them."""
    found: set[str] = set()

    def walk(value: object) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                found.add(str(key))
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif value is not None:
            text = str(value)
            found.update({text, text[-12:], text[len(text) // 2 :]})

    for event in events:
        walk(event.properties)
        walk(event.stack)
        walk([event.error_message, event.metric_name, event.session_id[:10], event.id[-8:]])
    return sorted(n for n in found if n.strip())


def test_search_text_finds_exactly_what_every_field_holds(demo_store) -> None:
    """The worker's compact search text (columns plus what the summary lacks, ids matched on
    the events) finds exactly what a search of every stored field finds."""
    doc = demo_store.read()
    index = event_filter.SearchIndex()
    needles = _needles(doc.events)
    assert len(needles) > 200
    newest_first = list(reversed(doc.events))
    columns = [_columns(e) for e in newest_first]
    for needle in needles:
        rows = event_filter.select_rows(doc.events, index, event_filter.FilterSpec(text=needle))
        got = [doc.events[i].id for i in rows or []]
        low = needle.strip().lower()
        expected = [
            e.id
            for e, text in zip(newest_first, columns, strict=True)
            if low in text or (_id_like(low) and (low in e.id or low in e.session_id))
        ]
        assert got == expected, needle
