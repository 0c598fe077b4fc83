"""Re-reading a store without re-validating the events a reader already holds.

For a reader that re-reads the same store again and again (the desktop app on every change).
Stored events never change once written: they are only appended, pruned or all deleted, and ids
are random uuid4s. The events array is cut at record boundaries without parsing it; a record
whose bytes are exactly those seen last time (or, the first time after a plain `read`, whose id
and category match) *is* that event, and the same `Event` object is reused.
"""

from __future__ import annotations

import operator
from itertools import compress, count, repeat

from ..models import SCHEMA_VERSION, Event, StoreDocument
from .document import gc_paused, loads

__all__ = ["IncrementalReader"]

_event_id = operator.attrgetter("id")
_event_category = operator.attrgetter("category")
_item_id = operator.itemgetter("id")
_item_category = operator.itemgetter("category")
_EVENTS_KEY = b',"events":['
_RECORD_START = b'{"id":"'
_RECORD_SEP = b'},{"id":"'
_UUID_LEN = 36


class IncrementalReader:
    """What one `Store`'s incremental reads remember between calls (one per `Store`, so two
    readers never confuse each other's lists)."""

    def __init__(self) -> None:
        # What `read` last returned: id -> (record bytes, event), and the list;
        # for files laid out otherwise, an id index over the events.
        self._records: tuple[dict[bytes, tuple[bytes | None, Event]], list[Event]] | None = None
        self._index: tuple[list[Event], dict[str, Event]] | None = None

    def forget_records(self) -> None:
        """The caller is about to take a full read: the next incremental one starts afresh."""
        self._records = None

    def read(self, data: bytes, previous: list[Event]) -> StoreDocument | None:
        """`data` as a document reusing the events of `previous`; None means "take the slow
        path" (a full read, which migrates or quarantines exactly as always)."""
        with gc_paused(len(data)):
            # Files `Store` wrote: cut at record boundaries. Anything else that is still valid
            # (another tool's formatting): parse it all, but reuse models by id.
            doc = self._reuse_records(data, previous)
            if doc is None:
                self._records = None
                doc = self._reuse_events(data, self._index_of(previous))
        if doc is None:
            self._index = None
        return doc

    def _known_records(self, previous: list[Event]) -> dict[bytes, tuple[bytes | None, Event]]:
        """id -> (record bytes, event) of the last incremental read when it returned this very
        list; else built from `previous` alone, with no bytes to compare yet."""
        if self._records is not None and self._records[1] is previous:
            return self._records[0]
        return {event.id.encode(): (None, event) for event in previous}

    def _reuse_records(self, data: bytes, previous: list[Event]) -> StoreDocument | None:
        """The fast path of `read`; None means "take the slow path"."""
        # `Store` writes compact JSON with `events` as the last key and `id` as the first key
        # of every record. A bare `"` cannot occur inside a JSON string, so these byte patterns
        # only mark structure; a nested look-alike produces a piece that fails to parse below.
        pos = data.find(_EVENTS_KEY)
        if pos < 0 or not data.endswith(b"]}"):
            return None
        try:
            head = loads(data[:pos] + b"}")
            if not isinstance(head, dict) or head.get("schema_version") != SCHEMA_VERSION:
                return None
            doc = StoreDocument.model_validate(head)
        except ValueError:  # JSONDecodeError, UnicodeDecodeError and ValidationError
            return None
        body = data[pos + len(_EVENTS_KEY) : -2]
        known = self._known_records(previous)
        fresh: dict[bytes, tuple[bytes | None, Event]] = {}
        events: list[Event] = []
        if body:
            if not (body.startswith(_RECORD_START) and body.endswith(b"}")):
                return None
            try:
                for piece in body[len(_RECORD_START) : -1].split(_RECORD_SEP):
                    key = piece[:_UUID_LEN]
                    hit = known.get(key)
                    if hit is not None and (
                        hit[0] == piece if hit[0] is not None else _same_category(piece, hit[1])
                    ):
                        event = hit[1]
                    else:
                        event = Event.model_validate(loads(_RECORD_START + piece + b"}"))
                        if event.id.encode() != key:
                            return None
                    fresh[key] = (piece, event)
                    events.append(event)
            except (ValueError, TypeError):  # ValidationError is a ValueError
                return None
        doc.events = events
        self._records = (fresh, events)
        return doc

    def _index_of(self, events: list[Event]) -> dict[str, Event]:
        """id -> event for `events`, kept from the last `read` when it returned this very list
        (saves rebuilding a 100 000-entry dict on every read). It may also hold events pruned
        since: harmless for lookups (ids are never reused); rebuilt before those stale entries
        exceed a tenth of the store, so they never hold much memory."""
        cached = self._index
        if (
            cached is not None
            and cached[0] is events
            and len(cached[1]) <= len(events) * 1.1 + 1000
        ):
            return cached[1]
        return dict(zip(map(_event_id, events), events, strict=True))

    def _reuse_events(self, data: bytes, known: dict[str, Event]) -> StoreDocument | None:
        """The current-schema fast path of `read`; None means "take the slow path".

        Written as whole-list operations (`map`, `compress`, list equality) that run in C: a
        Python loop over 100 000 records would cost about as much as parsing them.
        """
        try:
            raw = loads(data)
        except ValueError:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            return None
        if not isinstance(raw, dict) or raw.get("schema_version") != SCHEMA_VERSION:
            return None
        items = raw.pop("events", [])
        if not isinstance(items, list):
            return None
        try:
            doc = StoreDocument.model_validate(raw)
            events: list[Event | None] = list(map(known.get, map(_item_id, items)))
            new = [
                (i, Event.model_validate(items[i]))
                for i in compress(count(), map(operator.is_, events, repeat(None)))
            ]
            for i, event in new:
                events[i] = event
            # A reused event must still be in the category the file says: a cheap guard against
            # hand edits (and the field consent decisions hinge on).
            if list(map(_event_category, events)) != list(map(_item_category, items)):
                return None
        except (ValueError, TypeError, KeyError):  # ValidationError is a ValueError
            return None
        for _i, event in new:
            known[event.id] = event
        doc.events = events  # type: ignore[assignment]  # no None is left
        self._index = (doc.events, known)
        return doc


def _same_category(piece: bytes, event: Event) -> bool:
    """A record read before only as a model: its id matched; a cheap guard against hand edits
    of the field consent decisions hinge on (`category` follows `id` and `timestamp`)."""
    return f'","category":"{event.category}"'.encode() in piece[: _UUID_LEN + 120]
