"""Per-day aggregates kept beside the raw events, updated in the write that stores them.

The event cap keeps the newest raw events only; these records keep what a range's figures need
for every event ever stored, until retention (or delete-all) removes the day. They are plain
JSON in `StoreDocument.rollups`, one record per UTC day (docs/store.md, "Rollups"):

    {"counts":    {category: {event_type: n}},
     "sessions":  {"ids": [12-hex digest, ...], "full": true},  # "full" only when set
     "durations": {"count": n, "sum": s},          # session_ended's duration_s
     "metrics":   {metric: {unit: {"count", "sum", "min", "max", "sketch"}}},
     "system":    {"at": iso, "info": {...}}}       # the day's latest session_started info

Which events count as what mirrors `analytics.figures` exactly, so a range computed from
rollups equals one computed from the raw events. The work per event is a few dict updates and
one bucket increment (O(1)); a session id is stored as a 48-bit digest, the smallest
`MAX_SESSION_IDS` of a day only (an estimate past that), so no day outgrows its bound.
"""

from __future__ import annotations

import bisect
import hashlib
import math
from collections.abc import Iterable, MutableMapping
from datetime import date, datetime
from typing import Any

from ..models import Event, StoreDocument
from .sketch import add_value

__all__ = [
    "MAX_SESSION_IDS",
    "add_events",
    "drop_days_before",
    "rebuild",
    "roll_up_added",
    "session_digest",
]

#: Session digests kept per day: the smallest ones (then `full`: the count is an estimate).
MAX_SESSION_IDS = 200
_SESSION_TYPES = frozenset({"session_started", "session_ended"})


def session_digest(session_id: str) -> str:
    """48 bits: enough to count sessions apart, too few to be worth keeping as an id."""
    return hashlib.blake2b(session_id.encode("utf-8", "replace"), digest_size=6).hexdigest()


def _new_day() -> dict[str, Any]:
    return {
        "counts": {},
        "sessions": {"ids": []},
        "durations": {"count": 0, "sum": 0.0},
        "metrics": {},
    }


def _usable(record: object) -> bool:
    """The top level of a day as we write it (deeper damage is caught when it is touched)."""
    return (
        isinstance(record, dict)
        and isinstance(record.get("counts"), dict)
        and isinstance(record.get("metrics"), dict)
        and isinstance(record.get("sessions"), dict)
        and isinstance(record["sessions"].get("ids"), list)
        and isinstance(record.get("durations"), dict)
    )


def _add_one(record: dict[str, Any], event: Event) -> None:
    by_type = record["counts"].get(event.category)
    if by_type is None:
        record["counts"][event.category] = by_type = {}
    by_type[event.event_type] = by_type.get(event.event_type, 0) + 1
    if event.metric_name is not None and event.value is not None:
        value = event.value
        if not math.isfinite(value):
            return
        units = record["metrics"].get(event.metric_name)
        if units is None:
            record["metrics"][event.metric_name] = units = {}
        unit = event.unit or ""
        stats = units.get(unit)
        if stats is None:
            units[unit] = {"count": 1, "sum": value, "min": value, "max": value, "sketch": {}}
        else:
            stats["count"] += 1
            stats["sum"] += value
            if value < stats["min"]:
                stats["min"] = value
            if value > stats["max"]:
                stats["max"] = value
        add_value(units[unit]["sketch"], value)
        return
    if event.event_type not in _SESSION_TYPES:
        return
    if event.event_type == "session_ended":
        duration = event.properties.get("duration_s")
        if isinstance(duration, int | float) and not isinstance(duration, bool):
            record["durations"]["count"] += 1
            record["durations"]["sum"] += float(duration)
        return
    system = event.properties.get("system")
    if isinstance(system, dict):
        seen = record.get("system")
        at = event.timestamp.isoformat()
        if isinstance(seen, dict) and not _not_before(at, seen.get("at")):
            return  # the day already holds a later one
        record["system"] = {"at": at, "info": system}


def _not_before(at: str, other: object) -> bool:
    if not isinstance(other, str):
        return True
    try:
        return datetime.fromisoformat(at) >= datetime.fromisoformat(other)
    except ValueError:
        return True


def _add_sessions(record: dict[str, Any], session_ids: set[str]) -> None:
    """Keep the day's `MAX_SESSION_IDS` smallest digests, sorted (a "k minimum values"
    sketch): exact up to that many sessions a day, an estimate past it that still merges
    across days (`analytics` counts the union); `full` says the day dropped some."""
    sessions = record["sessions"]
    ids: list[str] = sessions["ids"]
    known = set(ids)
    for digest in map(session_digest, session_ids):
        if digest in known:
            continue
        bisect.insort(ids, digest)
        known.add(digest)
        if len(ids) > MAX_SESSION_IDS:
            known.discard(ids.pop())
            sessions["full"] = True


def add_events(rollups: MutableMapping[str, Any], events: Iterable[Event]) -> None:
    """Count `events` into their days' records, in place. A day record damaged by hand is
    started afresh (its old figures are unusable anyway); the write never fails over it."""
    days: dict[date, str] = {}
    records: dict[str, dict[str, Any]] = {}
    sessions: dict[str, set[str]] = {}
    for event in events:
        day = event.timestamp.date()  # stored stamps are UTC: this is the UTC day
        key = days.get(day)
        if key is None:
            days[day] = key = day.isoformat()
        record = records.get(key)
        if record is None:
            record = rollups.get(key)
            if not _usable(record):
                rollups[key] = record = _new_day()
            records[key] = record
        try:
            _add_one(record, event)
        except (TypeError, ValueError, KeyError, AttributeError):
            rollups[key] = records[key] = record = _new_day()
            sessions.pop(key, None)
            _add_one(record, event)
        ids = sessions.get(key)
        if ids is None:
            sessions[key] = ids = set()
        ids.add(event.session_id)
    for key, ids in sessions.items():
        try:
            _add_sessions(records[key], ids)
        except (TypeError, AttributeError):
            records[key]["sessions"] = {"ids": []}
            _add_sessions(records[key], ids)


def drop_days_before(rollups: MutableMapping[str, Any], first_kept: date) -> None:
    """Retention: remove the days before `first_kept` (and keys that are not days at all)."""
    limit = first_kept.isoformat()
    stale = [key for key in rollups if not _is_day(key) or key < limit]
    for key in stale:
        del rollups[key]


def _is_day(key: str) -> bool:
    if len(key) != 10:
        return False
    try:
        date.fromisoformat(key)
    except ValueError:
        return False
    return True


def rebuild(events: Iterable[Event]) -> dict[str, Any]:
    """The rollups of `events` alone: for a store written before rollups existed."""
    rollups: dict[str, Any] = {}
    add_events(rollups, events)
    return dict(sorted(rollups.items()))


def roll_up_added(
    doc: StoreDocument, events: list[Event], count: int, rollups: dict[str, Any]
) -> None:
    """Count what `mutate` added into the rollups, in the same write (docs/store.md,
    "Rollups"). Events are only ever appended by a mutation (the writer, `track`, the demo);
    a mutation that put a new list in place is diffed by id instead; one that replaced the
    rollups too (delete-all) rolled up nothing."""
    if doc.rollups is not rollups:
        return
    if doc.events is events and len(events) >= count:
        added = events[count:]
    else:
        known = {event.id for event in events[:count]}
        added = [event for event in doc.events if event.id not in known]
    if added:
        add_events(doc.rollups, added)
