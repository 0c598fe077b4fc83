"""The `Store` class: one `telemetry.json`, shared by every process that touches it.

Writes follow the filelock model: a sibling `.lock` file serialises writers, the document is
re-read under the lock, merged, written to a temp file in the same folder, fsynced and swapped in
with `os.replace`, so a reader (or a crash) only ever sees a whole document.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import TypeVar

from filelock import FileLock, Timeout
from pydantic import ValidationError

from ..clock import Clock, utc_now
from ..constants import DEFAULT_MAX_EVENTS, DEFAULT_RETENTION_DAYS
from ..fsio import atomic_write
from ..models import Event, QuarantineNotice, StoreDocument
from ..paths import STORE_FILE_NAME, ensure_private_dir
from .document import dump_document, parse_document
from .errors import NewerSchemaError, StoreError, os_message
from .incremental import IncrementalReader
from .quarantine import quarantine, quarantined_files, sweep_stale_temp_files

__all__ = ["DEFAULT_MAX_EVENTS", "DEFAULT_RETENTION_DAYS", "Store"]


T = TypeVar("T")
_StatKey = tuple[int, int, int]


class Store:
    """One `telemetry.json` in one data folder."""

    def __init__(
        self,
        data_dir: Path,
        *,
        max_events: int = DEFAULT_MAX_EVENTS,
        retention_days: int = DEFAULT_RETENTION_DAYS,
        clock: Clock = utc_now,
        lock_timeout: float = 30.0,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.path = self.data_dir / STORE_FILE_NAME
        self.lock_path = self.data_dir / (STORE_FILE_NAME + ".lock")
        self.max_events = max(1, int(max_events))
        self.retention_days = max(1, int(retention_days))
        self.clock = clock
        self.lock_timeout = lock_timeout
        self._mutex = threading.RLock()
        # The last document this object wrote, keyed by the file's stat: a writer that is the only
        # one writing skips re-parsing its own output on every flush.
        self._cache: tuple[_StatKey, StoreDocument] | None = None
        # What `read_incremental` last returned, to reuse its events on the next call.
        self._incremental = IncrementalReader()
        #: Files this object moved aside, so a front end can say so right away.
        self.quarantine_log: list[QuarantineNotice] = []

    # ----------------------------------------------------------------- reading
    def read(self) -> StoreDocument:
        """A fresh copy of the document; a missing store reads as an empty, undecided one."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return StoreDocument()
        except OSError as exc:
            raise StoreError(f"cannot read {self.path}: {os_message(exc)}") from exc
        try:
            return parse_document(data)
        except NewerSchemaError:
            raise
        except ValueError:
            # Quarantine under the lock, where a concurrent writer cannot race us.
            return self.update(lambda doc: doc.model_copy())

    def read_incremental(self, previous: StoreDocument | None) -> StoreDocument:
        """`read`, minus re-validating the events `previous` already holds.

        For a reader that re-reads the same store again and again (the desktop app on every
        change); how the events are reused is in `incremental`. Only new records are parsed: at
        100 000 events that is ~0.1 s instead of ~1.2 s (validating every event) or ~0.25 s
        (parsing all of the JSON).

        The returned document shares those `Event` objects with `previous`: treat both as
        read-only. Anything unusual (missing file, older schema, a file not laid out the way
        `Store` writes it, a record that does not validate) goes through `read`, which migrates
        or quarantines exactly as always.
        """
        if previous is None or not previous.events:
            self._incremental.forget_records()
            return self.read()
        try:
            data = self.path.read_bytes()
        except OSError:
            return self.read()  # missing: an empty store; unreadable: the usual StoreError
        doc = self._incremental.read(data, previous.events)
        if doc is None:
            return self.read()
        return doc

    def stat_key(self) -> _StatKey | None:
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return (st.st_ino, st.st_size, st.st_mtime_ns)

    def _load_locked(self) -> StoreDocument:
        key = self.stat_key()
        if key is None:
            self._cache = None
            return StoreDocument()
        if self._cache is not None and self._cache[0] == key:
            return self._cache[1]
        self._cache = None
        try:
            data = self.path.read_bytes()
        except OSError as exc:
            raise StoreError(f"cannot read {self.path}: {os_message(exc)}") from exc
        try:
            return parse_document(data)
        except NewerSchemaError:
            raise
        except (ValueError, ValidationError) as exc:  # JSONDecodeError is a ValueError
            return self._quarantine(exc)

    def _quarantine(self, exc: Exception) -> StoreDocument:
        notice = quarantine(self.path, self.clock(), exc)
        self.quarantine_log.append(notice)
        return StoreDocument(quarantined=[notice])

    def quarantined_files(self) -> list[Path]:
        return quarantined_files(self.data_dir)

    # ----------------------------------------------------------------- writing
    def update(
        self,
        mutate: Callable[[StoreDocument], T],
        after_write: Callable[[StoreDocument], None] | None = None,
    ) -> T:
        """Lock, re-read, let `mutate` change the document, prune, write it atomically.

        `after_write(doc)` runs still under the lock, only once the document is safely on disk
        (and pruned): the place for work that must follow a successful write, such as queueing
        the events just stored for upload.
        """
        with self._mutex:
            try:
                with self.lock():
                    doc = self._load_locked()
                    self._cache = None  # the document is about to change under our hands
                    result = mutate(doc)
                    self.prune(doc)
                    self._write_locked(doc)
                    sweep_stale_temp_files(self.data_dir)
                    if after_write is not None:
                        after_write(doc)
                    return result
            except OSError as exc:
                raise StoreError(f"cannot write {self.path}: {os_message(exc)}") from exc

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """The inter-process lock (sibling `.lock` file), for work beside the document itself
        (the upload queue). Not re-entrant across processes: never call it inside `update`."""
        try:
            ensure_private_dir(self.data_dir)
        except OSError as exc:
            raise StoreError(f"cannot create {self.data_dir}: {os_message(exc)}") from exc
        lock = FileLock(str(self.lock_path), timeout=self.lock_timeout, mode=0o600)
        try:
            lock.acquire()
        except Timeout as exc:
            raise StoreError(
                f"the store is locked by another process ({self.lock_path}) for more than "
                f"{self.lock_timeout:g} s"
            ) from exc
        try:
            yield
        finally:
            lock.release()

    def prune(self, doc: StoreDocument) -> None:
        """Newest `max_events`, none past retention."""
        cutoff = self.clock() - timedelta(days=self.retention_days)
        events = doc.events
        if events and (events[0].timestamp < cutoff or len(events) > self.max_events):
            events = [e for e in events if e.timestamp >= cutoff]
        events.sort(key=_timestamp)  # timsort: linear on the usual already-sorted list
        if len(events) > self.max_events:
            events = events[-self.max_events :]
        doc.events = events

    def _write_locked(self, doc: StoreDocument) -> None:
        atomic_write(self.path, dump_document(doc))
        key = self.stat_key()
        if key is not None:
            self._cache = (key, doc)


def _timestamp(event: Event) -> datetime:
    return event.timestamp
