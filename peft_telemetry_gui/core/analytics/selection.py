"""Which stored events a range means, the first step of every figure.

The CLI's `--since`/`--until`, the GUI's presets and the export all go through `_select` (or
`filter_events`), so they cannot disagree about which events are in; the bounds are inclusive
and found by bisection because stored events are sorted by time.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from operator import attrgetter

from ..clock import ensure_utc
from ..i18n import tr
from ..models import Event

__all__ = ["filter_events", "parse_time"]

# Every stage maps or bisects over this getter: it loops in C (see `figures` for why it matters).
_timestamp = attrgetter("timestamp")


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
            tr(
                "{text!r} is not a date or time (use ISO 8601, e.g. 2026-11-23 or "
                "2026-11-23T14:30:00+01:00)"
            ).format(text=text)
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


def _select(
    events: Sequence[Event], since: datetime | None, until: datetime | None
) -> Sequence[Event]:
    """`filter_events` by range only, without copying when the range is everything."""
    lo = 0 if since is None else bisect.bisect_left(events, since, key=_timestamp)
    hi = len(events) if until is None else bisect.bisect_right(events, until, key=_timestamp)
    return events if lo == 0 and hi == len(events) else events[lo:hi]
