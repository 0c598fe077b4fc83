"""The dashboard counts every event recorded in the range, not only the raw events the cap
kept, and says so in one plain sentence (issue 11, part 2)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from peft_telemetry_gui.core import analytics
from peft_telemetry_gui.core.models import Event
from peft_telemetry_gui.core.store import Store
from peft_telemetry_gui.gui.dashboard_model import TimeRange, compute_dashboard, kept_sentence
from peft_telemetry_gui.gui.table_models import format_number

DAY1 = datetime(2026, 11, 21, tzinfo=UTC)


def _steps(store: Store) -> None:
    """5000 step_time values 1..5000, 30 s apart from DAY1, written 100 at a time into a
    store that keeps 1000 raw events."""
    events = [
        Event(
            timestamp=DAY1 + timedelta(seconds=30 * v),
            category="performance",
            event_type="performance",
            session_id="s",
            metric_name="step_time",
            value=float(v),
            unit="ms",
        )
        for v in range(1, 5001)
    ]
    for start in range(0, 5000, 100):
        batch = events[start : start + 100]
        store.update(lambda doc, batch=batch: doc.events.extend(batch))


def test_all_time_covers_the_pruned_events(store: Store, pinned_now: datetime) -> None:
    _steps(store)
    doc = store.read()
    assert len(doc.events) == 1000
    data = compute_dashboard(doc, TimeRange("all"), pinned_now)
    step = data.analytics.performance["step_time"]
    assert (step.count, step.min, step.max, step.avg) == (5000, 1.0, 5000.0, 2500.5)
    assert abs(step.p50 - 2500) <= 25 and abs(step.p95 - 4750) <= 47.5
    assert data.analytics.retained_events == 1000
    assert data.buckets.size == "day" and sum(data.buckets.counts) == 5000
    assert sum(data.histograms["step_time"].counts) == 5000
    assert kept_sentence(data).startswith("Raw events kept: the newest 1,000, since 2026-11-2")
    assert kept_sentence(data).endswith("counts and statistics cover the whole range.")
    # the same figures as `peft-telemetry stats`
    assert data.analytics == analytics.compute_with_rollups(doc.events, doc.rollups).analytics


def test_a_partial_range_equals_the_raw_figures(store: Store, pinned_now: datetime) -> None:
    _steps(store)
    doc = store.read()
    since = doc.events[0].timestamp  # only days with raw events left, from the oldest kept
    custom = TimeRange("custom", since=since, until=since + timedelta(hours=2))
    data = compute_dashboard(doc, custom, pinned_now)
    raw = analytics.summarize(doc.events, custom.since, custom.until)
    assert data.analytics == raw.analytics
    assert data.buckets == raw.buckets and data.histograms == raw.histograms


def test_the_page_shows_the_counts_and_the_sentence(
    qtbot, make_window, store: Store, pinned_now: datetime
) -> None:
    _steps(store)
    window = make_window(store)
    page = window.pages["dashboard"]
    data = compute_dashboard(store.read(), TimeRange("all"), pinned_now)
    page._on_analytics_changed(data)
    assert page.cards["events"].value.text() == format_number(5000)
    assert page.kept.isVisibleTo(page) and page.kept.text() == kept_sentence(data)
    assert [page.perf_model.metric_at(i) for i in range(page.perf_model.rowCount())] == [
        "step_time"
    ]
