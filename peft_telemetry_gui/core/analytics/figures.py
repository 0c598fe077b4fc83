"""Counts, sessions and per-metric statistics of a selection, built to merge exactly.

What a run of events contributes (`_Partial`) is kept separate from combining runs (`_merge`)
so that the rollup path can merge the raw edge days with whole stored days; `compute` is the
one-run case.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from itertools import chain, compress, repeat
from operator import attrgetter, is_not
from typing import Any

from pydantic import BaseModel, Field

from ..models import Event
from .selection import _select, _timestamp

__all__ = ["Analytics", "MetricStats", "SessionStats", "compute", "percentile"]


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
    #: Raw events still stored in the range, and the oldest of them: the figures above may
    #: cover more (the rollups keep every event's counts; see `rollups`).
    retained_events: int = 0
    oldest_retained: datetime | None = None


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default), on pre-sorted data."""
    if not sorted_values:
        return math.nan
    pos = (len(sorted_values) - 1) * q
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    frac = pos - lo
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * frac


# The per-event work below is done with `map`/`compress`/`Counter` over attribute getters,
# which loop in C: at 100 000 events a Python `for` loop touching each event costs more than
# everything else in a dashboard refresh.
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


def _retained(result: Analytics, selected: Sequence[Event]) -> Analytics:
    """The raw figures cover exactly the raw events."""
    result.retained_events = len(selected)
    result.oldest_retained = min(map(_timestamp, selected)) if selected else None
    return result


def compute(
    events: Sequence[Event],
    since: datetime | None = None,
    until: datetime | None = None,
) -> Analytics:
    """Counts per type, category and day, sessions, and per-metric statistics in the range,
    of the raw events alone (`compute_with_rollups` covers pruned events too)."""
    selected = _select(events, since, until)
    return _retained(_analytics(selected, since, until)[0], selected)
