"""The dashboard shows exactly `analytics.compute` (and `time_buckets`) for the chosen range."""

from __future__ import annotations

from datetime import timedelta

import pytest

from peft_telemetry_gui.core import analytics
from peft_telemetry_gui.gui.dashboard_page import format_duration
from peft_telemetry_gui.gui.state import TimeRange
from peft_telemetry_gui.gui.table_models import format_number


def _apply(qtbot, window, time_range: TimeRange):
    state = window.state
    with qtbot.waitSignal(
        state.analytics_changed,
        timeout=5000,
        check_params_cb=lambda data: data.time_range == time_range,
    ):
        state.set_time_range(time_range)
    return state.dashboard


def _check(window, data) -> None:
    doc = window.state.document
    a = data.analytics
    figures = analytics.compute_with_rollups(doc.events, doc.rollups, a.since, a.until)
    expected = figures.analytics
    assert a == expected
    assert data.buckets == figures.buckets(doc.events)
    page = window.pages["dashboard"]
    cards = {k: c.value.text() for k, c in page.cards.items()}
    assert cards == {
        "events": format_number(expected.total_events),
        "sessions": format_number(expected.sessions.count),
        "mean_session": format_duration(expected.sessions.mean_duration_s),
        "event_types": format_number(len(expected.event_counts)),
        "errors": format_number(expected.error_count),
    }
    if expected.total_events:
        rows = page.breakdown.table_model.rows()
        assert [(r[0], int(r[1].replace(",", ""))) for r in rows] == list(
            expected.event_counts.items()
        )
        perf = page.perf_model
        assert [perf.metric_at(i) for i in range(perf.rowCount())] == list(expected.performance)
        assert sum(int(r[1].replace(",", "")) for r in page.timeline.table_model.rows()) == (
            expected.total_events
        )
        for name, stats in expected.performance.items():
            assert sum(data.histograms[name].counts) == stats.count


@pytest.mark.parametrize("preset", ["24h", "7d", "30d", "all"])
def test_presets_equal_compute(qtbot, make_window, demo_store, preset) -> None:
    window = make_window(demo_store)
    data = _apply(qtbot, window, TimeRange(preset=preset))
    if preset != "all":
        assert data.analytics.since is not None
    _check(window, data)


def test_custom_range_equals_compute(qtbot, make_window, demo_store, pinned_now) -> None:
    window = make_window(demo_store)
    now = pinned_now
    custom = TimeRange("custom", since=now - timedelta(days=12), until=now - timedelta(days=5))
    data = _apply(qtbot, window, custom)
    assert (data.analytics.since, data.analytics.until) == (custom.since, custom.until)
    _check(window, data)


def test_custom_range_through_the_widgets(qtbot, make_window, demo_store) -> None:
    window = make_window(demo_store)
    page = window.pages["dashboard"]
    page.preset.setCurrentIndex(page.preset.findData("custom"))
    assert page.since_edit.isEnabled() and page.apply_button.isEnabled()
    with qtbot.waitSignal(
        window.state.analytics_changed,
        timeout=5000,
        check_params_cb=lambda data: data.time_range.preset == "custom",
    ):
        page.apply_button.click()
    _check(window, window.state.dashboard)


def test_empty_store_shows_what_to_do(make_window, store) -> None:
    page = make_window(store).pages["dashboard"]
    assert page.stack.currentWidget() is page.empty
    assert "Privacy page" in page.empty.body.text()
    assert page.cards["events"].value.text() == "0"


def test_charts_have_text_alternatives(qtbot, make_window, demo_store) -> None:
    window = make_window(demo_store)
    page = window.pages["dashboard"]
    a = window.state.dashboard.analytics
    first_type, first_count = next(iter(a.event_counts.items()))
    assert f"{first_type} {first_count:,}" in page.breakdown.plot.accessibleDescription()
    assert page.timeline.plot.accessibleDescription().startswith("Events per ")
    page.breakdown.toggle.click()
    assert page.breakdown.stack.currentWidget() is page.breakdown.table
    assert page.breakdown.table.accessibleName()
