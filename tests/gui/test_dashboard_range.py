"""Issue 12: the custom range waits for Apply, the greyed From/To show the range in force, and
the empty state says what is true (off / nothing yet / nothing in this range)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PySide6.QtCore import QDateTime

from peft_telemetry_gui.core import analytics
from peft_telemetry_gui.core.models import Event
from peft_telemetry_gui.core.services.consent import set_consent
from peft_telemetry_gui.core.store import Store
from peft_telemetry_gui.gui.state import TimeRange


def _shown(edit) -> datetime:
    return datetime.fromtimestamp(edit.dateTime().toSecsSinceEpoch(), tz=UTC)


def _minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def _local_day_start(moment: datetime) -> datetime:
    return moment.astimezone().replace(hour=0, minute=0, second=0, microsecond=0)


def _apply(qtbot, state, time_range: TimeRange):
    with qtbot.waitSignal(
        state.analytics_changed,
        timeout=5000,
        check_params_cb=lambda data: data.time_range == time_range,
    ):
        state.set_time_range(time_range)
    return state.dashboard


def test_choosing_custom_waits_for_apply_with_the_data_span(
    qtbot, make_window, demo_store, pinned_now
) -> None:
    window = make_window(demo_store)
    state, page = window.state, window.pages["dashboard"]
    before = state.time_range
    page.preset.setCurrentIndex(page.preset.findData("custom"))
    # Nothing applied yet: the figures are still those of the range chosen before.
    assert state.time_range == before
    assert page.apply_button.isEnabled() and page.since_edit.isEnabled()
    assert _shown(page.since_edit) == _local_day_start(state.dashboard.data_since)
    until = _shown(page.until_edit)
    assert pinned_now <= until <= pinned_now + timedelta(minutes=2)
    with qtbot.waitSignal(
        state.analytics_changed,
        timeout=5000,
        check_params_cb=lambda data: data.time_range.preset == "custom",
    ):
        page.apply_button.click()
    data = state.dashboard
    assert (data.analytics.since, data.analytics.until) == (_shown(page.since_edit), until)
    doc = state.document
    everything = analytics.compute_with_rollups(doc.events, doc.rollups).analytics
    assert data.analytics.total_events == everything.total_events
    assert page.cards["events"].value.text() == f"{everything.total_events:,}"


def test_greyed_boxes_show_the_range_in_force(qtbot, make_window, demo_store) -> None:
    window = make_window(demo_store)
    state, page = window.state, window.pages["dashboard"]
    first = state.document.events[0].timestamp
    data = _apply(qtbot, state, TimeRange("all"))
    assert not page.since_edit.isEnabled() and not page.until_edit.isEnabled()
    # All time: from the oldest thing stored (a rollup's day may be older than the raw events).
    assert data.data_since <= first < data.data_since + timedelta(days=1)
    assert _shown(page.since_edit) == _minute(data.data_since)
    assert abs(_shown(page.until_edit) - data.now) <= timedelta(minutes=1)
    page.preset.setCurrentIndex(page.preset.findData("30d"))
    qtbot.waitUntil(lambda: state.dashboard.time_range.preset == "30d", timeout=5000)
    data = state.dashboard
    assert _shown(page.since_edit) == _minute(data.analytics.since)
    assert abs(_shown(page.since_edit) - (data.now - timedelta(days=30))) <= timedelta(minutes=1)


def test_a_custom_range_typed_backwards_still_applies(qtbot, make_window, demo_store) -> None:
    window = make_window(demo_store)
    page = window.pages["dashboard"]
    page.preset.setCurrentIndex(page.preset.findData("custom"))
    since, until = page.since_edit.dateTime(), page.until_edit.dateTime()
    page.since_edit.setDateTime(until)
    page.until_edit.setDateTime(since)
    with qtbot.waitSignal(window.state.analytics_changed, timeout=5000):
        page.apply_button.click()
    a = window.state.dashboard.analytics
    assert a.since is not None and a.until is not None and a.since < a.until
    assert QDateTime.fromSecsSinceEpoch(int(a.since.timestamp())) == since


def _no_markup(page) -> None:
    for text in (page.empty.title.text(), page.empty.body.text()):
        assert "`" not in text and "No events yet" not in text


def test_empty_state_when_telemetry_is_off(make_window, store) -> None:
    page = make_window(store).pages["dashboard"]
    assert page.stack.currentWidget() is page.empty
    assert page.empty.title.text() == "Telemetry is off"
    assert "Privacy page" in page.empty.body.text()
    assert not page.empty.action.isVisibleTo(page.empty)
    _no_markup(page)


def test_empty_state_when_on_but_nothing_recorded(make_window, store) -> None:
    set_consent(store, enabled=True, actor="cli")
    page = make_window(store).pages["dashboard"]
    assert page.empty.title.text() == "Nothing recorded yet"
    assert "Telemetry is on" in page.empty.body.text()
    assert "peft-telemetry track demo_event" in page.empty.body.text()
    _no_markup(page)


def test_empty_state_when_nothing_in_this_range(
    qtbot, make_window, store: Store, pinned_now
) -> None:
    set_consent(store, enabled=True, actor="cli")
    event = Event(
        timestamp=pinned_now - timedelta(hours=1),
        category="usage",
        event_type="opened",
        session_id="s",
    )
    store.update(lambda doc: doc.events.append(event))
    window = make_window(store)
    state, page = window.state, window.pages["dashboard"]
    old = TimeRange(
        "custom", since=pinned_now - timedelta(days=90), until=pinned_now - timedelta(days=60)
    )
    _apply(qtbot, state, old)
    assert page.stack.currentWidget() is page.empty
    assert page.empty.title.text() == "Nothing recorded in this range"
    assert page.empty.action.isVisibleTo(page.empty)
    assert page.empty.action.text() == "Show all time"
    _no_markup(page)
    with qtbot.waitSignal(
        state.analytics_changed,
        timeout=5000,
        check_params_cb=lambda data: data.time_range.preset == "all",
    ):
        page.empty.action.click()
    assert page.preset.currentData() == "all"
    assert page.stack.currentWidget() is not page.empty
    assert page.cards["events"].value.text() == "1"
