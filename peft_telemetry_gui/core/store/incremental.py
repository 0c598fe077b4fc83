"""Re-reading a store while reading only what changed since the last read.

For a reader that re-reads the same store again and again (the desktop app on every change).
Bytes a head names are never changed (docs/store.md, "Layout"): a range of the new head that is
a range of the last one, or the same range with its start moved on (pruned), its end moved back
(a late arrival rewrote the newest few) or its end moved on (appended), holds the same events
as before, so the same `Event` objects are reused and only the new bytes are read and parsed.
"""

from __future__ import annotations

from pathlib import Path

from ..models import Event, StoreDocument
from .layout import range_events
from .segments import Range

__all__ = ["IncrementalReader"]


#: Event lists remembered: the last `read` and the last `read_incremental` may both be passed
#: back next (a caller compares the two); more would only keep old lists alive.
_KEPT = 2


class IncrementalReader:
    """What one `Store`'s reads remember between calls (one per `Store`, so two readers never
    confuse each other's lists): the ranges of the last documents returned, and their events."""

    def __init__(self) -> None:
        self._known: list[tuple[list[Range], list[Event]]] = []

    def remember(self, ranges: list[Range] | None, events: list[Event]) -> None:
        """`events` are exactly the lines of `ranges` (None: they are not)."""
        if ranges is not None:
            self._known = [*self._known[-(_KEPT - 1) :], (ranges, events)]

    def forget_records(self) -> None:
        self._known = []

    def read(
        self, data_dir: Path, doc: StoreDocument, ranges: list[Range], previous: list[Event]
    ) -> StoreDocument | None:
        """`doc` (a head just read, without events) completed from `previous` and the new
        bytes only; None means "take the slow path" (a full read, which migrates, retries or
        quarantines exactly as always). May raise `SegmentShortError` (the head moved on)."""
        known = [entry for entry in self._known if entry[1] is previous]
        if not known or doc.events:
            return None
        old_ranges, old_events = known[-1]
        starts: list[int] = []
        at = 0
        for r in old_ranges:
            starts.append(at)
            at += r.count
        events: list[Event] = []
        for rng in ranges:
            got = _reuse(data_dir, rng, old_ranges, starts, old_events)
            if got is None:
                bad: list = []
                got = range_events(data_dir, rng, bad)
                if bad or len(got) != rng.count:
                    return None
            events.extend(got)
        doc.events = events
        self.remember(ranges, events)
        return doc


def _reuse(
    data_dir: Path,
    rng: Range,
    old_ranges: list[Range],
    starts: list[int],
    old_events: list[Event],
) -> list[Event] | None:
    """The events of `rng` from a range read last time, plus any bytes appended since."""
    for i, old in enumerate(old_ranges):
        if old.file != rng.file or not (old.start <= rng.start < old.end):
            continue
        mine = old_events[starts[i] : starts[i] + old.count]
        if rng.end <= old.end:
            if rng.start == old.start:
                return mine[: rng.count]  # the end moved back (or nothing changed)
            if rng.end == old.end:
                return mine[old.count - rng.count :] if rng.count <= old.count else None
            return None
        grown = Range(rng.file, old.end, rng.end, 0)
        bad: list = []
        new = range_events(data_dir, grown, bad)
        kept = rng.count - len(new)
        if bad or not 0 <= kept <= old.count:
            return None
        return mine[old.count - kept :] + new
    return None
