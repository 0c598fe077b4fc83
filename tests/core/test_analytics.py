from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from peft_telemetry_gui.core import analytics
from peft_telemetry_gui.core.models import Event

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


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
