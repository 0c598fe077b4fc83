"""Events over time: the timeline chart's bars and the per-day/per-hour table behind it, and
each category's share of every bar (`category_counts`)."""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from itertools import compress, islice
from operator import attrgetter, le
from typing import Any, Literal

from pydantic import BaseModel

from ..constants import CATEGORIES
from ..models import Event
from .selection import _select, _timestamp

__all__ = ["TimeBuckets", "category_counts", "time_buckets"]

_category = attrgetter("category")
_DAY = timedelta(days=1)
_TICK = timedelta(microseconds=1)


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


def category_counts(
    buckets: TimeBuckets,
    raw: Sequence[Event],
    rollups: Mapping[str, Any],
    since: datetime | None,
    until: datetime | None,
) -> dict[str, list[int]]:
    """Each category's count in every bucket of `buckets` (as `compute_with_rollups` built
    them): `raw` are the raw events it counted (`RangeFigures.raw`), and a day bucket whole in
    the range with a rollup record takes that record's counts, as it did.

    Empty when the shares do not add up to the buckets' counts (a rollup record edited by
    hand): one bar of the right height beats a split that misleads. Categories in the order
    of `CATEGORIES`, then any others by name; those with no event in any bucket left out.
    The per-event work is in C (`map`, `Counter` over slices), one pass over the events.
    """
    starts = buckets.starts
    if not starts:
        return {}
    bounds = starts[1:]
    stamps = list(map(_timestamp, raw))
    cats = list(map(_category, raw))
    result: dict[str, list[int]] = {}
    if all(map(le, stamps, islice(stamps, 1, None))):
        # Sorted (as stored): each bucket is a slice, counted by `Counter` in one C pass.
        ends = [bisect.bisect_left(stamps, moment) for moment in bounds]
        ends.append(len(stamps))
        for i, (a, b) in enumerate(zip([0, *ends], ends, strict=False)):
            for name, n in Counter(cats[a:b]).items():
                result.setdefault(name, [0] * len(starts))[i] = n
    else:  # a hand-built list: each category's times sorted on their own
        for name in dict.fromkeys(cats):
            mine = sorted(compress(stamps, map(name.__eq__, cats)))
            ends = [bisect.bisect_left(mine, moment) for moment in bounds]
            ends.append(len(mine))
            result[name] = [b - a for a, b in zip([0, *ends], ends, strict=False)]
    if buckets.size == "day":
        for i, start in enumerate(starts):
            record = rollups.get(start.date().isoformat())
            whole = (since is None or since <= start) and (
                until is None or until >= start + _DAY - _TICK
            )
            if not (whole and isinstance(record, Mapping)):
                continue
            counts = record.get("counts")
            if not isinstance(counts, Mapping):
                continue
            for category, types in counts.items():
                if isinstance(types, Mapping):
                    n = sum(c for c in types.values() if type(c) is int and c > 0)
                    if n:
                        result.setdefault(str(category), [0] * len(starts))[i] += n
    totals = [sum(column) for column in zip(*result.values(), strict=True)]
    if totals != (buckets.counts if result else []):
        return {}
    known = [c for c in CATEGORIES if c in result]
    order = known + sorted(set(result) - set(known))
    return {name: result[name] for name in order if any(result[name])}
