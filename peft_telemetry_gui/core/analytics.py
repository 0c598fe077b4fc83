"""Figures computed from what is stored, so every process and front end shows the same numbers.

The GUI's cards and charts, `peft-telemetry stats` and the export all come from `compute` and
`time_buckets`; no widget counts anything itself.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field

from .clock import ensure_utc
from .models import Event

__all__ = [
    "Analytics",
    "MetricStats",
    "SessionStats",
    "TimeBuckets",
    "compute",
    "filter_events",
    "parse_time",
    "percentile",
    "time_buckets",
]


class MetricStats(BaseModel):
    count: int
    avg: float
    min: float
    max: float
    p50: float
    p95: float
    unit: str


class SessionStats(BaseModel):
    count: int = 0
    mean_duration_s: float | None = None


class Analytics(BaseModel):
    since: datetime | None = None
    until: datetime | None = None
    total_events: int = 0
    event_counts: dict[str, int] = Field(default_factory=dict)
    category_counts: dict[str, int] = Field(default_factory=dict)
    daily_counts: dict[str, int] = Field(default_factory=dict)
    error_count: int = 0
    sessions: SessionStats = Field(default_factory=SessionStats)
    performance: dict[str, MetricStats] = Field(default_factory=dict)
    system_info: dict[str, Any] | None = None


def parse_time(text: str, *, end_of_day: bool = False) -> datetime:
    """A user's date or ISO time, as aware UTC. A bare date means the whole day (inclusive)."""
    value = text.strip()
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            moment = datetime.combine(day, time.max if end_of_day else time.min, tzinfo=UTC)
            return moment
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"{text!r} is not a date or time (use ISO 8601, e.g. 2026-11-23 or "
            f"2026-11-23T14:30:00+01:00)"
        ) from None
    return ensure_utc(moment)


def filter_events(
    events: Sequence[Event],
    since: datetime | None = None,
    until: datetime | None = None,
    event_type: str | None = None,
    category: str | None = None,
) -> list[Event]:
    """Inclusive on both ends. Stored events are sorted by time, so the range is two bisects."""
    lo = 0 if since is None else bisect.bisect_left(events, since, key=lambda e: e.timestamp)
    hi = (
        len(events)
        if until is None
        else bisect.bisect_right(events, until, key=lambda e: e.timestamp)
    )
    selected = list(events[lo:hi])
    if event_type is not None:
        selected = [e for e in selected if e.event_type == event_type]
    if category is not None:
        selected = [e for e in selected if e.category == category]
    return selected


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default), on pre-sorted data."""
    if not sorted_values:
        return math.nan
    pos = (len(sorted_values) - 1) * q
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    frac = pos - lo
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * frac


def compute(
    events: Sequence[Event],
    since: datetime | None = None,
    until: datetime | None = None,
) -> Analytics:
    selected = filter_events(events, since, until)
    by_type: Counter[str] = Counter()
    by_category: Counter[str] = Counter()
    by_day: Counter[str] = Counter()
    sessions: set[str] = set()
    durations: list[float] = []
    metrics: dict[str, list[float]] = defaultdict(list)
    units: dict[str, str] = {}
    system_info: dict[str, Any] | None = None
    for event in selected:
        by_type[event.event_type] += 1
        by_category[event.category] += 1
        by_day[event.timestamp.date().isoformat()] += 1
        sessions.add(event.session_id)
        if event.metric_name is not None and event.value is not None:
            metrics[event.metric_name].append(event.value)
            units[event.metric_name] = event.unit or ""
        elif event.event_type == "session_ended":
            duration = event.properties.get("duration_s")
            if isinstance(duration, int | float) and not isinstance(duration, bool):
                durations.append(float(duration))
        elif event.event_type == "session_started":
            system = event.properties.get("system")
            if isinstance(system, dict):
                system_info = system
    performance = {}
    for name, values in sorted(metrics.items()):
        values.sort()
        performance[name] = MetricStats(
            count=len(values),
            avg=math.fsum(values) / len(values),
            min=values[0],
            max=values[-1],
            p50=percentile(values, 0.5),
            p95=percentile(values, 0.95),
            unit=units[name],
        )
    return Analytics(
        since=since,
        until=until,
        total_events=len(selected),
        event_counts=dict(by_type.most_common()),
        category_counts=dict(by_category.most_common()),
        daily_counts=dict(sorted(by_day.items())),
        error_count=by_category.get("error", 0),
        sessions=SessionStats(
            count=len(sessions),
            mean_duration_s=(math.fsum(durations) / len(durations)) if durations else None,
        ),
        performance=performance,
        system_info=system_info,
    )


class TimeBuckets(BaseModel):
    """Events over time, bucketed by hour for short ranges and by day for long ones."""

    size: Literal["hour", "day"]
    starts: list[datetime]
    counts: list[int]


def time_buckets(
    events: Sequence[Event],
    since: datetime | None = None,
    until: datetime | None = None,
    *,
    max_hourly_span: timedelta = timedelta(days=3),
) -> TimeBuckets:
    selected = filter_events(events, since, until)
    if not selected and (since is None or until is None):
        return TimeBuckets(size="day", starts=[], counts=[])
    first = since or selected[0].timestamp
    last = until or selected[-1].timestamp
    hourly = last - first <= max_hourly_span
    step = timedelta(hours=1) if hourly else timedelta(days=1)

    def floor(moment: datetime) -> datetime:
        moment = moment.astimezone(UTC)
        if hourly:
            return moment.replace(minute=0, second=0, microsecond=0)
        return moment.replace(hour=0, minute=0, second=0, microsecond=0)

    start = floor(first)
    n = int((floor(last) - start) / step) + 1
    counts = [0] * n
    for event in selected:
        counts[min(n - 1, int((event.timestamp - start) / step))] += 1
    return TimeBuckets(
        size="hour" if hourly else "day",
        starts=[start + i * step for i in range(n)],
        counts=counts,
    )
