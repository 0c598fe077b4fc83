from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from peft_telemetry_gui.core import analytics
from peft_telemetry_gui.core.models import Event

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
# Demo data is laid out backwards from "now", so it is pinned. An afternoon on purpose: from
# 13:00 UTC the last day holds one value per metric (the padded-histogram case), which the wall
# clock used to hand only to afternoon runs; pinned here, every run checks it.
NOW = datetime(2026, 11, 23, 15, 30, tzinfo=UTC)


def _events() -> list[Event]:
    out = []
    for i, value in enumerate([10.0, 20.0, 30.0, 40.0, 100.0]):
        out.append(
            Event(
                timestamp=T0 + timedelta(hours=i),
                category="performance",
                event_type="performance",
                session_id="a",
                metric_name="save",
                value=value,
                unit="ms",
            )
        )
    out.append(
        Event(
            timestamp=T0 + timedelta(days=1),
            category="usage",
            event_type="session_started",
            session_id="b",
            properties={"system": {"os": "Linux"}},
        )
    )
    out.append(
        Event(
            timestamp=T0 + timedelta(days=1, minutes=5),
            category="usage",
            event_type="session_ended",
            session_id="b",
            properties={"duration_s": 300},
        )
    )
    out.append(
        Event(
            timestamp=T0 + timedelta(days=2),
            category="error",
            event_type="error",
            session_id="c",
            error_type="ValueError",
            error_message="bad",
        )
    )
    return out


def test_totals_and_breakdowns() -> None:
    result = analytics.compute(_events())
    assert result.total_events == 8
    assert result.event_counts == {
        "performance": 5,
        "session_started": 1,
        "session_ended": 1,
        "error": 1,
    }
    assert result.category_counts == {"performance": 5, "usage": 2, "error": 1}
    assert result.daily_counts == {"2026-11-20": 5, "2026-11-21": 2, "2026-11-22": 1}
    assert result.error_count == 1
    assert result.sessions.count == 3 and result.sessions.mean_duration_s == 300
    assert result.system_info == {"os": "Linux"}


def test_performance_percentiles_match_numpy_linear() -> None:
    stats = analytics.compute(_events()).performance["save"]
    assert (stats.count, stats.min, stats.max, stats.unit) == (5, 10.0, 100.0, "ms")
    assert stats.avg == pytest.approx(40.0)
    assert stats.p50 == pytest.approx(30.0)
    assert stats.p95 == pytest.approx(88.0)  # 40 + (100 - 40) * 0.8


def test_since_until_are_inclusive_and_timezone_aware() -> None:
    events = _events()
    since = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
    until = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)
    assert analytics.compute(events, since, until).total_events == 3
    # the same instant written in another zone selects the same events
    plus2 = analytics.parse_time("2026-11-20T16:00:00+02:00")
    assert analytics.compute(events, plus2, until).total_events == 3


def test_parse_time_dates_cover_the_whole_day() -> None:
    assert analytics.parse_time("2026-11-20") == datetime(2026, 11, 20, tzinfo=UTC)
    end = analytics.parse_time("2026-11-20", end_of_day=True)
    assert end.date().isoformat() == "2026-11-20" and end.hour == 23
    with pytest.raises(ValueError, match="not a date"):
        analytics.parse_time("yesterday")


def test_time_buckets_by_hour_for_short_ranges_and_by_day_for_long_ones() -> None:
    events = _events()
    hourly = analytics.time_buckets(events, T0, T0 + timedelta(hours=5))
    assert hourly.size == "hour" and sum(hourly.counts) == 5
    whole = analytics.time_buckets(events)  # two days of data: still fine-grained
    assert whole.size == "hour" and len(whole.counts) == 49 and sum(whole.counts) == 8
    long = analytics.time_buckets(events, T0 - timedelta(days=30), T0 + timedelta(days=3))
    assert long.size == "day" and sum(long.counts) == 8 and len(long.counts) == 34


def test_empty_store_gives_zeroes() -> None:
    result = analytics.compute([])
    assert result.total_events == 0 and result.performance == {}
    assert analytics.time_buckets([]).counts == []


def _reference_buckets(events, since=None, until=None, span=timedelta(days=3)):
    """The one-event-at-a-time bucketing `time_buckets` must keep agreeing with."""
    selected = analytics.filter_events(events, since, until)
    if not selected and (since is None or until is None):
        return [], []
    first = since or selected[0].timestamp
    last = until or selected[-1].timestamp
    step = timedelta(hours=1) if last - first <= span else timedelta(days=1)
    unit = {"minute": 0, "second": 0, "microsecond": 0}
    if step == timedelta(days=1):
        unit["hour"] = 0
    start = first.astimezone(UTC).replace(**unit)
    n = int((last.astimezone(UTC).replace(**unit) - start) / step) + 1
    counts = [0] * n
    for event in selected:
        counts[min(n - 1, int((event.timestamp - start) / step))] += 1
    return [start + i * step for i in range(n)], counts


def _many(n: int, seed: int) -> list[Event]:
    from peft_telemetry_gui.core.demo import demo_events

    events = demo_events(days=20, seed=seed, now=NOW)
    return sorted(events, key=lambda e: e.timestamp)[:n]


@pytest.mark.parametrize("days", [None, 1, 2, 7, 40])
def test_summarize_equals_compute_buckets_and_histograms(days) -> None:
    events = _many(3000, seed=3)
    since = None if days is None else events[-1].timestamp - timedelta(days=days)
    summary = analytics.summarize(events, since)
    assert summary.analytics == analytics.compute(events, since)
    assert list(summary.analytics.event_counts) == list(
        analytics.compute(events, since).event_counts
    )
    starts, counts = _reference_buckets(events, since)
    assert (summary.buckets.starts, summary.buckets.counts) == (starts, counts)
    for name, stats in summary.analytics.performance.items():
        histogram = summary.histograms[name]
        assert sum(histogram.counts) == stats.count
        if stats.min == stats.max:  # one distinct value: one bin around it, by design
            assert histogram.edges == [stats.min - 0.5, stats.min + 0.5]
        else:
            assert histogram.edges[0] == stats.min
            assert histogram.edges[-1] == pytest.approx(stats.max)


def _metric(at: datetime, value: float, name: str = "save") -> Event:
    return Event(
        timestamp=at,
        category="performance",
        event_type="performance",
        session_id="s",
        metric_name=name,
        value=value,
        unit="ms",
    )


def test_a_window_holding_one_value_gets_one_bin_one_wide_around_it() -> None:
    """No width can be derived from a single value (or from equal ones), so the bin is the value
    +-0.5: a visible bar on the chart rather than a zero-width one or a division by zero."""
    events = [_metric(T0 + timedelta(days=i), v) for i, v in enumerate([10.0, 20.0, 42.0])]
    events.append(_metric(T0 + timedelta(days=2, hours=1), 42.0))
    day = analytics.summarize(events, T0 + timedelta(days=1), T0 + timedelta(days=1, hours=23))
    assert day.analytics.performance["save"].count == 1
    one = day.histograms["save"]
    assert (one.edges, one.counts, one.unit) == ([19.5, 20.5], [1], "ms")
    equal = analytics.summarize(events, T0 + timedelta(days=2))  # two events, the same value
    assert equal.histograms["save"].edges == [41.5, 42.5]
    assert equal.histograms["save"].counts == [2]
    # Two distinct values are a real range again: the edges are exactly min and max.
    spread = analytics.summarize(events, T0 + timedelta(days=1)).histograms["save"]
    assert spread.edges == pytest.approx([20.0, 20.0 + 22 / 3, 20.0 + 44 / 3, 42.0])
    assert spread.counts == [1, 0, 2]  # as many bins as values, at most


def test_unsorted_events_are_bucketed_one_by_one() -> None:
    events = _events()
    shuffled = [events[3], events[0], events[7], events[5], events[1]]
    result = analytics.time_buckets(shuffled, T0 - timedelta(hours=1), T0 + timedelta(days=3))
    _starts, counts = _reference_buckets(
        sorted(shuffled, key=lambda e: e.timestamp), T0 - timedelta(hours=1), T0 + timedelta(days=3)
    )
    assert result.counts == counts
