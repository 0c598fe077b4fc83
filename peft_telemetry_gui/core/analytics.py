"""Figures computed from what is stored, so every process and front end shows the same numbers.

The GUI's cards and charts, `peft-telemetry stats` and the export all come from `compute`,
`time_buckets` and `summarize` (all three together, in one pass); no widget counts anything
itself.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from itertools import chain, compress, islice, repeat
from operator import attrgetter, is_, is_not, le
from typing import Any, Literal

from pydantic import BaseModel, Field

from .clock import ensure_utc
from .models import Event

__all__ = [
    "Analytics",
    "MetricHistogram",
    "MetricStats",
    "SessionStats",
    "Summarizer",
    "Summary",
    "TimeBuckets",
    "compute",
    "filter_events",
    "parse_time",
    "percentile",
    "summarize",
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


def _select(
    events: Sequence[Event], since: datetime | None, until: datetime | None
) -> Sequence[Event]:
    """`filter_events` by range only, without copying when the range is everything."""
    lo = 0 if since is None else bisect.bisect_left(events, since, key=_timestamp)
    hi = len(events) if until is None else bisect.bisect_right(events, until, key=_timestamp)
    return events if lo == 0 and hi == len(events) else events[lo:hi]


# The per-event work below is done with `map`/`compress`/`Counter` over attribute getters,
# which loop in C: at 100 000 events a Python `for` loop touching each event costs more than
# everything else in a dashboard refresh.
_timestamp = attrgetter("timestamp")
_event_type = attrgetter("event_type")
_category = attrgetter("category")
_session_id = attrgetter("session_id")
_metric_name = attrgetter("metric_name")
_SESSION_TYPES = frozenset({"session_started", "session_ended"})


class _Partial:
    """What one run of consecutive events contributes; runs merge in order into the figures.

    Every field merges exactly: counters add (their key order stays the order of first
    occurrence, which `most_common` keeps for ties), the "last seen" fields take the later run's
    value, and value lists concatenate (sums are `fsum`, exact in any order).
    """

    __slots__ = ("categories", "days", "durations", "metrics", "sessions", "system", "types")

    def __init__(self, run: Sequence[Event]) -> None:
        self.types = Counter(map(_event_type, run))
        self.categories = Counter(map(_category, run))
        self.days = Counter(map(datetime.date, map(_timestamp, run)))
        self.sessions = set(map(_session_id, run))
        # name -> (values sorted, unit of the last event)
        self.metrics: dict[str, tuple[list[float], str]] = {}
        values_of: dict[str, list[float]] = {}
        units: dict[str, str] = {}
        # A metric is an event with a metric name and a value, whatever its type (as always).
        for event in compress(run, map(is_not, map(_metric_name, run), repeat(None))):
            if event.value is not None:
                name = event.metric_name
                values = values_of.get(name)
                if values is None:
                    values_of[name] = values = []
                values.append(event.value)
                units[name] = event.unit or ""
        for name, values in values_of.items():
            values.sort()
            self.metrics[name] = (values, units[name])
        self.durations: list[float] = []
        self.system: dict[str, Any] | None = None
        for event in compress(run, map(_SESSION_TYPES.__contains__, map(_event_type, run))):
            if event.metric_name is not None and event.value is not None:
                continue  # counted as a metric above
            if event.event_type == "session_ended":
                duration = event.properties.get("duration_s")
                if isinstance(duration, int | float) and not isinstance(duration, bool):
                    self.durations.append(float(duration))
            else:
                system = event.properties.get("system")
                if isinstance(system, dict):
                    self.system = system


def _merge(
    parts: Sequence[_Partial], total: int, since: datetime | None, until: datetime | None
) -> tuple[Analytics, dict[str, list[float]]]:
    """The figures of the runs together, plus each metric's sorted values (for histograms)."""
    if len(parts) == 1:
        part = parts[0]
        by_type, by_category, by_day = part.types, part.categories, part.days
        sessions, durations, system_info = part.sessions, part.durations, part.system
        metrics = {name: values for name, (values, _unit) in part.metrics.items()}
        units = {name: unit for name, (_values, unit) in part.metrics.items()}
    else:
        by_type, by_category, by_day = Counter(), Counter(), Counter()
        sessions = set()
        durations = []
        system_info = None
        runs: dict[str, list[list[float]]] = {}
        units = {}
        for part in parts:
            by_type.update(part.types)
            by_category.update(part.categories)
            by_day.update(part.days)
            sessions.update(part.sessions)
            durations.extend(part.durations)
            if part.system is not None:
                system_info = part.system
            for name, (values, unit) in part.metrics.items():
                runs.setdefault(name, []).append(values)
                units[name] = unit
        # Sorting concatenated sorted runs is a merge for timsort: linear, in C.
        metrics = {name: sorted(chain.from_iterable(lists)) for name, lists in runs.items()}
    performance = {}
    for name in sorted(metrics):
        values = metrics[name]
        performance[name] = MetricStats(
            count=len(values),
            avg=math.fsum(values) / len(values),
            min=values[0],
            max=values[-1],
            p50=percentile(values, 0.5),
            p95=percentile(values, 0.95),
            unit=units[name],
        )
    result = Analytics(
        since=since,
        until=until,
        total_events=total,
        event_counts=dict(by_type.most_common()),
        category_counts=dict(by_category.most_common()),
        daily_counts={day.isoformat(): n for day, n in sorted(by_day.items())},
        error_count=by_category.get("error", 0),
        sessions=SessionStats(
            count=len(sessions),
            mean_duration_s=(math.fsum(durations) / len(durations)) if durations else None,
        ),
        performance=performance,
        system_info=system_info,
    )
    return result, metrics


def _analytics(
    selected: Sequence[Event], since: datetime | None, until: datetime | None
) -> tuple[Analytics, dict[str, list[float]]]:
    return _merge([_Partial(selected)], len(selected), since, until)


def compute(
    events: Sequence[Event],
    since: datetime | None = None,
    until: datetime | None = None,
) -> Analytics:
    """Counts per type, category and day, sessions, and per-metric statistics in the range."""
    return _analytics(_select(events, since, until), since, until)[0]


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
    return _buckets(_select(events, since, until), since, until, max_hourly_span)


def _buckets(
    selected: Sequence[Event],
    since: datetime | None,
    until: datetime | None,
    max_hourly_span: timedelta,
) -> TimeBuckets:
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
    starts = [start + i * step for i in range(n)]
    stamps = list(map(_timestamp, selected))
    if stamps and stamps[0] >= start and all(map(le, stamps, islice(stamps, 1, None))):
        # Sorted (as stored): bucket i holds the events before the start of bucket i + 1, and
        # the last one everything after (an event past `until`'s bucket cannot be selected).
        ends = [bisect.bisect_left(stamps, moment) for moment in starts[1:]]
        ends.append(len(stamps))
        counts = [b - a for a, b in zip([0, *ends], ends, strict=False)]
    else:  # someone's hand-built, unsorted list: one event at a time
        counts = [0] * n
        for moment in stamps:
            counts[min(n - 1, int((moment - start) / step))] += 1
    return TimeBuckets(size="hour" if hourly else "day", starts=starts, counts=counts)


class MetricHistogram(BaseModel):
    """Distribution of one performance metric in the range (bin edges and counts)."""

    edges: list[float]
    counts: list[int]
    unit: str


def _histogram(values: list[float], unit: str, bins: int) -> MetricHistogram | None:
    """`bins` equal-width bins over sorted `values`; None when there is nothing finite."""
    if not all(map(math.isfinite, values)):
        values = [v for v in values if math.isfinite(v)]
    if not values:
        return None
    lo, hi = values[0], values[-1]
    n = max(1, min(bins, len(values)))
    if hi <= lo:
        return MetricHistogram(edges=[lo - 0.5, lo + 0.5], counts=[len(values)], unit=unit)
    width = (hi - lo) / n
    edges = [lo + i * width for i in range(n + 1)]
    last = n - 1

    def bin_of(v: float) -> int:
        return min(last, int((v - lo) / width))

    # `bin_of` never decreases along sorted values, so each bin is a run found by bisection.
    firsts = [bisect.bisect_left(values, i, key=bin_of) for i in range(1, n)]
    counts = [b - a for a, b in zip([0, *firsts], [*firsts, len(values)], strict=True)]
    return MetricHistogram(edges=edges, counts=counts, unit=unit)


class Summary(BaseModel):
    """Everything a dashboard shows for one range, computed together so it all agrees."""

    analytics: Analytics
    buckets: TimeBuckets
    histograms: dict[str, MetricHistogram] = Field(default_factory=dict)


def summarize(
    events: Sequence[Event],
    since: datetime | None = None,
    until: datetime | None = None,
    *,
    bins: int = 20,
    max_hourly_span: timedelta = timedelta(days=3),
) -> Summary:
    """`compute`, `time_buckets` and per-metric histograms from one selection of the events.

    Equal to calling them one by one, but the range is selected once (no copy at all for the
    whole store) and the metric values gathered for the statistics are reused for the
    histograms. To recompute the same store again and again as it changes, use `Summarizer`.
    """
    selected = _select(events, since, until)
    return _summary(
        selected,
        _merge([_Partial(selected)], len(selected), since, until),
        since,
        until,
        bins,
        max_hourly_span,
    )


def _summary(
    selected: Sequence[Event],
    merged: tuple[Analytics, dict[str, list[float]]],
    since: datetime | None,
    until: datetime | None,
    bins: int,
    max_hourly_span: timedelta,
) -> Summary:
    result, metric_values = merged
    histograms = {}
    for name, values in metric_values.items():
        histogram = _histogram(values, result.performance[name].unit, bins)
        if histogram is not None:
            histograms[name] = histogram
    return Summary(
        analytics=result,
        buckets=_buckets(selected, since, until, max_hourly_span),
        histograms=histograms,
    )


class Summarizer:
    """`summarize`, for a reader that recomputes the same (growing, pruned) store on every change.

    The selected events are cut into runs of one UTC day each, and what each run contributes is
    kept. A run made of exactly the same event objects as last time (checked by identity, in C)
    is not looked at again; `Store.read_incremental` hands back the same objects for events that
    did not change. So after a write that appends a few events and prunes a few, only the first
    and the last day are recomputed: at 100 000 events about 20 ms instead of 150 ms. The result
    is always exactly `summarize`'s (the runs merge exactly; see `_Partial`).

    Not thread-safe: one per worker.
    """

    def __init__(self, *, bins: int = 20, max_hourly_span: timedelta = timedelta(days=3)) -> None:
        self.bins = bins
        self.max_hourly_span = max_hourly_span
        # id of a run's first event -> (the run, what it contributes)
        self._runs: dict[int, tuple[Sequence[Event], _Partial]] = {}

    def summarize(
        self,
        events: Sequence[Event],
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> Summary:
        selected = _select(events, since, until)
        parts: list[_Partial] = []
        kept: dict[int, tuple[Sequence[Event], _Partial]] = {}
        start, n = 0, len(selected)
        day = timedelta(days=1)
        while start < n:
            first = selected[start].timestamp.astimezone(UTC)
            midnight = first.replace(hour=0, minute=0, second=0, microsecond=0) + day
            # Always > start (selected[start] is before midnight), so the runs partition the
            # selection in order whatever its order; sorted (as stored), one run per day.
            end = bisect.bisect_left(selected, midnight, lo=start, key=_timestamp)
            run = selected[start:end]
            known = self._runs.get(id(run[0]))
            if known is not None and len(known[0]) == len(run) and all(map(is_, known[0], run)):
                part = known[1]
            else:
                part = _Partial(run)
            kept[id(run[0])] = (run, part)
            parts.append(part)
            start = end
        self._runs = kept  # forget runs that are gone: memory stays one store's worth
        merged = _merge(parts, n, since, until) if parts else _analytics(selected, since, until)
        return _summary(selected, merged, since, until, self.bins, self.max_hourly_span)
