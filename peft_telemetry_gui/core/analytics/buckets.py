"""Events over time: the timeline chart's bars and the per-day/per-hour table behind it."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from itertools import islice
from operator import le
from typing import Literal

from pydantic import BaseModel

from ..models import Event
from .selection import _select, _timestamp

__all__ = ["TimeBuckets", "time_buckets"]


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
