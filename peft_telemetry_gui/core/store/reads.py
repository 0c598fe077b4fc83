"""The lock-free reads of a `Store`: the head, then the ranges of segments it names.

No lock is taken: a writer may commit meanwhile. Bytes a head names never change, so what was
read is a whole document; a segment gone or short means the head moved on (pruned, compacted),
and the read starts over with the new head. Anything that needs repair (a corrupt head, lines
that do not parse) is handed to `Store.update`, which quarantines under the lock.
"""

from __future__ import annotations

import operator
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..clock import Clock
from ..fsio import FileTooLargeError
from ..models import Event, StoreDocument, StoreLimits
from .document import parse_head
from .errors import NewerSchemaError, StoreError
from .incremental import IncrementalReader
from .layout import Layout, load_events
from .segments import Range, SegmentShortError

__all__ = ["StoreReads", "copy_document"]

#: Lock-free reads that found a segment gone (a writer compacted meanwhile) re-read the head.
_READ_RETRIES = 3
_timestamp = operator.attrgetter("timestamp")


def copy_document(doc: StoreDocument) -> StoreDocument:
    """What `read` hands out when it had to go through the lock: its own event list (the
    cached document's list is extended and pruned in place by later writes)."""
    return doc.model_copy(update={"events": list(doc.events)})


class StoreReads:
    """`Store`'s reading half (split off to keep modules short)."""

    data_dir: Path
    path: Path
    clock: Clock
    max_file_bytes: int
    _mutex: threading.RLock
    _limits_seen: StoreLimits | None
    _incremental: IncrementalReader
    _first_look: Callable[[], None]
    _read_bytes: Callable[[], bytes]
    _unreadable: Callable[..., str]
    update: Callable[..., Any]

    def read(self) -> StoreDocument:
        """A fresh copy of the document; a missing store reads as an empty, undecided one."""
        self._first_look()
        for _attempt in range(_READ_RETRIES):
            got = self._read_head()
            if isinstance(got, StoreDocument):
                return got
            doc, ranges = got
            try:
                events, layout, bad = load_events(self.data_dir, ranges, strict=True)
            except SegmentShortError:
                continue  # compacted or pruned meanwhile: the head has moved on
            except OSError as exc:
                raise StoreError(self._unreadable(exc, exc.filename)) from exc
            if bad:
                break  # set the bad lines aside under the lock
            return self._complete(doc, ranges, events, layout)
        # Quarantine under the lock, where a concurrent writer cannot race us.
        return self.update(copy_document)

    def _read_head(self) -> StoreDocument | tuple[StoreDocument, list[Range]]:
        """The head and its ranges; a document when there is nothing more to read."""
        try:
            data = self._read_bytes()
        except FileNotFoundError:
            return StoreDocument()
        except FileTooLargeError:
            return self.update(copy_document)  # set aside under the lock, unread
        except OSError as exc:
            raise StoreError(self._unreadable(exc)) from exc
        try:
            doc, ranges = self._parse_head(data)
        except NewerSchemaError:
            raise
        except (ValueError, FileTooLargeError):
            return self.update(copy_document)
        return doc, ranges

    def _parse_head(self, data: bytes) -> tuple[StoreDocument, list[Range]]:
        doc, ranges = parse_head(data, self.clock())
        size = len(data) + sum(r.end - r.start for r in ranges)
        if size > self.max_file_bytes:  # the head and its segments together
            raise FileTooLargeError(self.path, size, self.max_file_bytes)
        return doc, ranges

    def _complete(
        self,
        doc: StoreDocument,
        ranges: list[Range],
        events: list[Event],
        layout: Layout,
        *,
        hand_out: bool = True,
    ) -> StoreDocument:
        """`doc` with its events: those of the segments after any held in the head itself (a
        migrated or hand-written store, laid out afresh by the next write). `hand_out`: the
        caller gets this list (remembered for `read_incremental`; the writer's own copy,
        changed in place by later writes, never is)."""
        if doc.events:
            layout.exact = False
            events = doc.events + events
            events.sort(key=_timestamp)
        doc.events = events
        self._limits_seen = doc.limits
        if hand_out:
            self._incremental.remember(ranges if layout.exact else None, events)
        return doc

    def read_incremental(self, previous: StoreDocument | None) -> StoreDocument:
        """`read`, minus re-reading the events `previous` already holds.

        For a reader that re-reads the same store again and again (the desktop app on every
        change); how the events are reused is in `incremental`: only the bytes appended since
        are read and parsed, whatever the store's size.

        The returned document shares those `Event` objects with `previous`: treat both as
        read-only. Anything unusual (missing file, older schema, a head that names what it did
        not name before in a way no writer of ours does, a record that does not validate) goes
        through `read`, which migrates or quarantines exactly as always.
        """
        if previous is None or not previous.events:
            self._incremental.forget_records()
            return self.read()
        try:
            doc, ranges = self._parse_head(self._read_bytes())
            got = self._incremental.read(self.data_dir, doc, ranges, previous.events)
        except (OSError, ValueError):  # a full read says what it is, or retries
            got = None
        if got is None:
            return self.read()
        self._limits_seen = got.limits
        return got
