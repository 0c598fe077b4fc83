"""Pruning the event list in place, and saying which stored lines stay where they are.

The cap keeps the newest `max_events`, retention drops what is older than its cutoff, and the
list stays sorted by time. Done on the list itself with binary searches and slice moves (C
speed), so pruning a 100 000-event store by a batch costs the batch, not the store; and the
answer (k, cut) tells `layout.write_events` which of the lines on disk are still in place.
"""

from __future__ import annotations

import bisect
import operator
from datetime import datetime

from ..models import Event

__all__ = ["prune_events"]

_timestamp = operator.attrgetter("timestamp")


def prune_events(
    events: list[Event], cutoff: datetime, max_events: int, base: int | None
) -> tuple[int, int]:
    """Sort, drop what is before `cutoff`, keep the newest `max_events`: all in place.

    `base`: the list is the `base` stored events (sorted) followed by new ones, in any order;
    None: anything (fully sorted, stable). Returns (k, cut): the first k of the merged, sorted
    list were dropped, and its first `cut` events are the first `cut` stored ones, unmoved
    (the rest were re-ordered among the new ones, or are new)."""
    if base is None or base > len(events):
        events.sort(key=_timestamp)  # timsort: linear on the usual already-sorted list
        cut = 0
    else:
        cut = base
        added = events[base:]
        if added:
            added.sort(key=_timestamp)
            if base and added[0].timestamp < events[base - 1].timestamp:
                # A late arrival (another host's batch): merge it in behind the stored events
                # it precedes; only those few move.
                cut = bisect.bisect_right(events, added[0].timestamp, 0, base, key=_timestamp)
                tail = events[cut:base] + added
                tail.sort(key=_timestamp)
                events[cut:] = tail
            else:
                events[base:] = added
    k = bisect.bisect_left(events, cutoff, key=_timestamp)
    k = max(k, len(events) - max_events)
    if k > 0:
        del events[:k]
    return max(k, 0), cut
