"""A range's figures from the rollups (whole days) and the raw events (the days at its edges).

Raw events are capped (the newest `max_events`); the per-day rollups (`core/store/rollups.py`)
hold every event stored. A UTC day wholly inside the range is taken from its rollup, a day the
range only partly covers from the raw events inside the range, so every count covers every
event recorded in the range, as far as the raw events of its edge days still exist (pruning
removes the oldest first: a range that starts after `oldest_retained` is exact). A whole day
without a usable rollup record falls back to its raw events.

Counts, sums, min and max are exact; p50/p95 come from the merged sketches (1% relative error,
`core/store/sketch.py`) as soon as any rollup day holds the metric, else from the raw values
exactly as `figures` computes them. Sessions are counted from per-day digests (exact up to 200 a
day, an estimate beyond).
"""

from __future__ import annotations

import bisect
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from ..i18n import trn
from ..models import Event
from ..store.rollups import MAX_SESSION_IDS, session_digest
from ..store.sketch import Sketch, add_value, representative
from .buckets import TimeBuckets, time_buckets
from .figures import Analytics, MetricStats, SessionStats, _Partial, percentile
from .histograms import MetricHistogram, _histogram
from .selection import _select, _timestamp

__all__ = ["RangeFigures", "compute_with_rollups", "kept_sentence"]

_DAY = timedelta(days=1)
_TICK = timedelta(microseconds=1)


class _Metric:
    """One metric over the range: exact running figures, and a sketch once rollups join."""

    __slots__ = ("count", "hi", "lo", "raw", "sketch", "total", "unit", "unit_day")

    def __init__(self) -> None:
        self.count = 0
        self.total = 0.0
        self.lo = math.inf
        self.hi = -math.inf
        self.raw: list[float] = []  # sorted raw values (the edges)
        self.sketch: Sketch | None = None
        self.unit = ""
        self.unit_day = ""

    def add_stored(self, stats: Mapping[str, Any], unit: str, day: str) -> None:
        count, total, lo, hi = (stats.get(k) for k in ("count", "sum", "min", "max"))
        if not (type(count) is int and count > 0 and all(map(_is_number, (total, lo, hi)))):
            return
        self.count += count
        self.total += total
        self.lo, self.hi = min(self.lo, lo), max(self.hi, hi)
        if self.sketch is None:
            self.sketch = Sketch()
        self.sketch.merge_stored(stats.get("sketch"))
        if day >= self.unit_day:
            self.unit, self.unit_day = unit, day

    def stats(self) -> MetricStats:
        values = self.raw
        if self.sketch is None:  # raw values only: exactly what `figures` says
            p50, p95 = percentile(values, 0.5), percentile(values, 0.95)
        else:  # the edge days' raw values join the rollups' sketch (once: it is kept)
            if values:
                stored: dict[str, Any] = {}
                for value in values:
                    add_value(stored, value)
                self.sketch.merge_stored(stored)
                self.raw = values = []
            p50, p95 = self.sketch.quantile(0.5), self.sketch.quantile(0.95)
        return MetricStats(
            count=self.count,
            avg=self.total / self.count,
            min=self.lo,
            max=self.hi,
            p50=min(max(p50, self.lo), self.hi),
            p95=min(max(p95, self.lo), self.hi),
            unit=self.unit,
        )


def _is_number(value: object) -> bool:
    return type(value) in (int, float) and math.isfinite(value)  # type: ignore[arg-type]


class RangeFigures:
    """What `compute_with_rollups` found, for the dashboard: the figures, whether any rollup
    day was used (then the timeline is per day), the raw events used and each metric's merged
    sketch (for its histogram)."""

    def __init__(
        self,
        analytics: Analytics,
        used_rollups: bool,
        raw: Sequence[Event],
        sketches: dict[str, tuple[Sketch | None, list[float]]],
    ) -> None:
        self.analytics = analytics
        self.used_rollups = used_rollups
        self.raw = raw
        self.sketches = sketches

    def buckets(
        self, events: Sequence[Event], *, max_hourly_span: timedelta = timedelta(days=3)
    ) -> TimeBuckets:
        """Per day from the daily counts once a rollup day is in (rollups keep no hours), else
        exactly `time_buckets` of the raw events."""
        a = self.analytics
        if not self.used_rollups:
            return time_buckets(events, a.since, a.until, max_hourly_span=max_hourly_span)
        days = [date.fromisoformat(key) for key in a.daily_counts]
        if not days and (a.since is None or a.until is None):
            return TimeBuckets(size="day", starts=[], counts=[])
        first = a.since.astimezone(UTC).date() if a.since is not None else min(days)
        last = a.until.astimezone(UTC).date() if a.until is not None else max(days)
        starts = [first + timedelta(days=i) for i in range((last - first).days + 1)]
        return TimeBuckets(
            size="day",
            starts=[_start(day) for day in starts],
            counts=[a.daily_counts.get(day.isoformat(), 0) for day in starts],
        )

    def histograms(self, bins: int = 20) -> dict[str, MetricHistogram]:
        """Each metric's distribution: from its raw values when only they hold it (exactly as
        `summarize`), else from its merged sketch, each bucket at its (1%) value."""
        result = {}
        for name, (sketch, values) in self.sketches.items():
            stats = self.analytics.performance[name]
            if sketch is None:
                histogram = _histogram(values, stats.unit, bins)
            else:
                histogram = _sketch_histogram(sketch, values, stats, bins)
            if histogram is not None:
                result[name] = histogram
        return result


def _sketch_histogram(
    sketch: Sketch, values: list[float], stats: MetricStats, bins: int
) -> MetricHistogram:
    merged = Sketch()
    merged.merge(sketch)
    merged.merge(Sketch.of(values))  # empty once `stats` merged them (it always runs first)
    lo, hi = stats.min, stats.max
    weighted = [(-representative(i), n) for i, n in merged.neg.items()]
    weighted += [(representative(i), n) for i, n in merged.pos.items()]
    weighted.append((0.0, merged.zero))
    if hi <= lo:
        return MetricHistogram(edges=[lo - 0.5, lo + 0.5], counts=[stats.count], unit=stats.unit)
    n = max(1, bins)
    width = (hi - lo) / n
    counts = [0] * n
    for value, count in weighted:
        if count:
            counts[min(n - 1, max(0, int((min(max(value, lo), hi) - lo) / width)))] += count
    return MetricHistogram(
        edges=[lo + i * width for i in range(n + 1)], counts=counts, unit=stats.unit
    )


def _start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _whole(day: date, since: datetime | None, until: datetime | None) -> bool:
    start = _start(day)
    return (since is None or since <= start) and (until is None or until >= start + _DAY - _TICK)


def _usable_days(
    rollups: Mapping[str, Any], since: datetime | None, until: datetime | None
) -> dict[str, Mapping[str, Any]]:
    days = {}
    for key, record in rollups.items():
        if not isinstance(record, Mapping) or not isinstance(record.get("counts"), Mapping):
            continue
        try:
            day = date.fromisoformat(key)
        except (TypeError, ValueError):
            continue
        if _whole(day, since, until):
            days[key] = record
    return dict(sorted(days.items()))


def _raw_outside(selected: Sequence[Event], days: Mapping[str, Any]) -> list[Event]:
    """The selected raw events whose day is not taken from a rollup (bisected by day)."""
    if not days:
        return list(selected)
    raw: list[Event] = []
    lo = 0
    for key in days:
        start = _start(date.fromisoformat(key))
        a = bisect.bisect_left(selected, start, lo=lo, key=_timestamp)
        b = bisect.bisect_left(selected, start + _DAY, lo=a, key=_timestamp)
        raw.extend(selected[lo:a])
        lo = b
    raw.extend(selected[lo:])
    return raw


def compute_with_rollups(
    events: Sequence[Event],
    rollups: Mapping[str, Any],
    since: datetime | None = None,
    until: datetime | None = None,
) -> RangeFigures:
    """The figures of [since, until] (inclusive) over every event stored, pruned or not."""
    selected = _select(events, since, until)
    days = _usable_days(rollups, since, until)
    raw = _raw_outside(selected, days)
    part = _Partial(raw)
    by_type, by_category = Counter(part.types), Counter(part.categories)
    by_day = Counter({day.isoformat(): n for day, n in part.days.items()})
    digests = {session_digest(s) for s in part.sessions}
    estimated = False
    durations_n, durations_sum = len(part.durations), math.fsum(part.durations)
    system_at, system = _raw_system(raw)
    metrics: dict[str, _Metric] = {}
    for name, (values, unit) in part.metrics.items():
        m = metrics[name] = _Metric()
        m.count, m.total, m.lo, m.hi = len(values), math.fsum(values), values[0], values[-1]
        m.raw, m.unit = values, unit
        m.unit_day = _last_day(raw, name)
    for key, record in days.items():
        n = 0
        for category, types in record["counts"].items():
            if not isinstance(types, Mapping):
                continue
            for event_type, count in types.items():
                if type(count) is int and count > 0:
                    by_type[event_type] += count
                    by_category[category] += count
                    n += count
        if n:
            by_day[key] += n
        sessions = record.get("sessions")
        if isinstance(sessions, Mapping) and isinstance(sessions.get("ids"), list):
            digests.update(d for d in sessions["ids"] if isinstance(d, str))
            estimated = estimated or sessions.get("full") is True
        ended = _mapping(record.get("durations"))
        if type(ended.get("count")) is int and _is_number(ended.get("sum")):
            durations_n += ended["count"]
            durations_sum += ended["sum"]
        seen = record.get("system")
        if isinstance(seen, Mapping) and isinstance(seen.get("info"), dict):
            at = str(seen.get("at", ""))
            if system_at is None or at >= system_at:
                system_at, system = at, seen["info"]
        for name, units in _mapping(record.get("metrics")).items():
            for unit, stats in _mapping(units).items():
                if isinstance(stats, Mapping):
                    metrics.setdefault(name, _Metric()).add_stored(stats, unit, key)
    performance = {name: metrics[name].stats() for name in sorted(metrics) if metrics[name].count}
    total = sum(by_category.values())
    result = Analytics(
        since=since,
        until=until,
        total_events=total,
        event_counts=dict(by_type.most_common()),
        category_counts=dict(by_category.most_common()),
        daily_counts=dict(sorted(by_day.items())),
        error_count=by_category.get("error", 0),
        sessions=SessionStats(
            count=_session_count(digests, estimated),
            mean_duration_s=durations_sum / durations_n if durations_n else None,
        ),
        performance=performance,
        system_info=system,
        retained_events=len(selected),
        oldest_retained=min(map(_timestamp, selected)) if selected else None,
    )
    sketches = {name: (m.sketch, m.raw) for name, m in metrics.items() if m.count}
    return RangeFigures(result, bool(days), raw, sketches)


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _last_day(raw: Sequence[Event], name: str) -> str:
    for event in reversed(raw):
        if event.metric_name == name and event.value is not None:
            return event.timestamp.date().isoformat()
    return ""


def _raw_system(raw: Sequence[Event]) -> tuple[str | None, dict[str, Any] | None]:
    """The latest session_started system info among the raw events, as `figures` picks it."""
    for event in reversed(raw):
        if event.event_type == "session_started" and not (
            event.metric_name is not None and event.value is not None
        ):
            system = event.properties.get("system")
            if isinstance(system, dict):
                return event.timestamp.isoformat(), system
    return None, None


def _session_count(digests: set[str], estimated: bool) -> int:
    """Distinct digests; past a day's cap the k-minimum-values estimate of the union."""
    if not estimated or len(digests) < MAX_SESSION_IDS:
        return len(digests)
    kth = sorted(digests)[MAX_SESSION_IDS - 1]
    fraction = (int(kth, 16) + 1) / float(1 << 48)
    return max(len(digests), round((MAX_SESSION_IDS - 1) / fraction))


def kept_sentence(stored: int, max_events: int, since: str) -> str:
    """What the raw events are, said next to counts that cover more than them: the one wording
    of the dashboard and `peft-telemetry stats`. `stored` is how many the store holds now (a
    store that is not full holds fewer than `max_events`); `since` is the oldest one's date,
    formatted by the caller (local in the app, UTC in the CLI)."""
    if stored < max_events:
        text = trn(
            "Raw events kept: the newest {stored:,} (at most {max_events:,}), since {since}; "
            "counts and statistics cover the whole range.",
            "Raw events kept: the newest {stored:,} (at most {max_events:,}), since {since}; "
            "counts and statistics cover the whole range.",
            stored,
        )
    else:
        text = trn(
            "Raw events kept: the newest {stored:,}, since {since}; counts and statistics "
            "cover the whole range.",
            "Raw events kept: the newest {stored:,}, since {since}; counts and statistics "
            "cover the whole range.",
            stored,
        )
    return text.format(stored=stored, max_events=max_events, since=since)
