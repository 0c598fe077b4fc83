"""The `Store` class: one `telemetry.json` (and its event segments), shared by every process.

Writes follow the filelock model: a sibling `.lock` file serialises writers, the document is
re-read under the lock, merged, its new event lines appended to a segment and fsynced, and the
head written to a temp file, fsynced and swapped in with `os.replace` (`layout`), so a reader
(or a crash) only ever sees a whole document, the old one or the new one. What is guaranteed
under faults (a full disk, a lock file deleted mid-write, a FIFO or a huge file in place of the
store, a folder we did not create) is in docs/store.md.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import TypeVar

from pydantic import ValidationError

from ..clock import Clock, utc_now
from ..constants import DEFAULT_MAX_EVENTS, DEFAULT_RETENTION_DAYS
from ..fsio import (
    FileTooLargeError,
    NotRegularFileError,
    file_identity,
    is_disk_full,
    read_regular_file,
)
from ..i18n import tr
from ..models import Event, QuarantineNotice, StoreDocument, StoreLimits
from ..paths import STORE_FILE_NAME, ensure_private_dir, open_to_others
from .commit import commit_head, lay_out
from .errors import NewerSchemaError, StoreError, os_message
from .incremental import IncrementalReader
from .layout import Layout, load_events
from .lockfile import HeldLock, LockLostError, hold
from .prune import prune_events
from .quarantine import keep_bad_lines, quarantine, quarantined_files, sweep_stale_temp_files
from .reads import StoreReads
from .reserve import Reserve, collection, collects_less
from .rollups import drop_days_before, roll_up_added
from .segments import Range

__all__ = [
    "DEFAULT_LOCK_RETRIES",
    "DEFAULT_MAX_EVENTS",
    "DEFAULT_MAX_FILE_BYTES",
    "DEFAULT_RESERVE_MAX_BYTES",
    "DEFAULT_RETENTION_DAYS",
    "Store",
]

log = logging.getLogger(__name__.rpartition(".")[0])

#: The head and the live bytes of its segments together (100 000 typical events are ~30 MiB): a
#: bigger store is set aside unread, so it can cost neither minutes nor gigabytes of memory.
DEFAULT_MAX_FILE_BYTES = 256 << 20
#: The reserve follows the document's size up to this (see `reserve`).
DEFAULT_RESERVE_MAX_BYTES = 16 << 20
#: Transactions retried when the lock file turned out to be deleted or replaced under us.
DEFAULT_LOCK_RETRIES = 5

T = TypeVar("T")
_StatKey = tuple[int, int, int]
#: Lock-free reads that found a segment gone (a writer compacted meanwhile) re-read the head.
_READ_RETRIES = 3


class Store(StoreReads):
    """One `telemetry.json` in one data folder."""

    def __init__(
        self,
        data_dir: Path,
        *,
        max_events: int = DEFAULT_MAX_EVENTS,
        retention_days: int = DEFAULT_RETENTION_DAYS,
        clock: Clock = utc_now,
        lock_timeout: float = 30.0,
        max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
        reserve_max_bytes: int = DEFAULT_RESERVE_MAX_BYTES,
        lock_retries: int = DEFAULT_LOCK_RETRIES,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.path = self.data_dir / STORE_FILE_NAME
        self.lock_path = self.data_dir / (STORE_FILE_NAME + ".lock")
        #: Used only while the document sets no limit of its own (docs/store.md, "Limits"):
        #: a process never prunes by its own default what the document says to keep.
        self.default_max_events = max(1, int(max_events))
        self.default_retention_days = max(1, int(retention_days))
        self._limits_seen: StoreLimits | None = None
        self.clock = clock
        self.lock_timeout = lock_timeout
        self.max_file_bytes = max(1 << 16, int(max_file_bytes))
        self.lock_retries = max(0, int(lock_retries))
        self._reserve = Reserve(self.data_dir, reserve_max_bytes)
        self._mutex = threading.RLock()
        self._looked = False
        # The last document this object wrote, keyed by the file's stat: a writer that is the only
        # one writing skips re-parsing its own output on every flush.
        self._cache: tuple[_StatKey, StoreDocument, Layout] | None = None
        # What `read_incremental` last returned, to reuse its events on the next call.
        self._incremental = IncrementalReader()
        #: Files this object moved aside, so a front end can say so right away.
        self.quarantine_log: list[QuarantineNotice] = []

    # ----------------------------------------------------------------- reading
    def read_bytes(self) -> bytes:
        """The raw head (the document minus its events: "Layout" in docs/store.md), refused
        unread when it is not a regular file or is over `max_file_bytes` (`FileNotFoundError`,
        `StoreError`). For readers beside the store that need a part of the head only (the
        upload settings); everything else calls `read`."""
        try:
            return self._read_bytes()
        except FileNotFoundError:
            raise
        except OSError as exc:
            raise StoreError(self._unreadable(exc)) from exc

    def _read_bytes(self) -> bytes:
        return read_regular_file(self.path, self.max_file_bytes)

    def _unreadable(self, exc: OSError, path: object = None) -> str:
        path = path or self.path
        if isinstance(exc, NotRegularFileError):
            return tr(
                "{path} is {kind}: it was left as it is and nothing was read; "
                "remove or rename it (or use another data folder) to start a new store"
            ).format(path=path, kind=os_message(exc))
        return tr("cannot read {path}: {error}").format(path=path, error=os_message(exc))

    def stat_key(self) -> _StatKey | None:
        return file_identity(self.path)

    def _load_locked(self) -> tuple[StoreDocument, Layout]:
        key = self.stat_key()
        if key is None:
            self._cache = None
            return StoreDocument(), Layout()
        if self._cache is not None and self._cache[0] == key:
            return self._cache[1], self._cache[2]
        self._cache = None
        try:
            data = self._read_bytes()
        except FileNotFoundError:
            return StoreDocument(), Layout()
        except FileTooLargeError as exc:
            reason = f"the file is {exc.strerror} for a store; it was set aside unread"
            return self._quarantine(ValueError(reason)), Layout()
        except OSError as exc:
            raise StoreError(self._unreadable(exc)) from exc
        try:
            doc, ranges = self._parse_head(data)
        except NewerSchemaError:
            raise
        except FileTooLargeError as exc:
            reason = f"the store is {exc.strerror} with its segments; it was set aside unread"
            return self._quarantine(ValueError(reason)), Layout()
        except (ValueError, ValidationError) as exc:  # JSONDecodeError is a ValueError
            return self._quarantine(exc), Layout()
        try:
            events, layout, bad = load_events(self.data_dir, ranges, strict=False)
        except OSError as exc:  # a FIFO or folder named like a segment: touch nothing
            raise StoreError(self._unreadable(exc, exc.filename)) from exc
        now = self.clock()
        for lines in bad:  # kept aside and reported, never dropped silently
            notice = keep_bad_lines(self.data_dir, now, lines.file, lines.report())
            self.quarantine_log.append(notice)
            doc.quarantined.append(notice)
        self._complete(doc, ranges, events, layout, hand_out=False)
        return doc, layout

    def _quarantine(self, exc: Exception) -> StoreDocument:
        notice = quarantine(self.path, self.clock(), exc)
        self.quarantine_log.append(notice)
        return StoreDocument(quarantined=[notice])

    def quarantined_files(self) -> list[Path]:
        return quarantined_files(self.data_dir)

    def _first_look(self) -> None:
        """Once per `Store`: sweep what writers killed mid-write left (dead pids only: no lock
        is held here), and say once if the folder lets others in."""
        if self._looked:
            return
        self._looked = True
        sweep_stale_temp_files(self.data_dir, max_age_s=None)
        warning = open_to_others(self.data_dir)
        if warning:
            log.warning("%s", warning)

    # ----------------------------------------------------------------- writing
    def update(
        self,
        mutate: Callable[[StoreDocument], T],
        after_write: Callable[[StoreDocument], None] | None = None,
        *,
        essential: bool = False,
        discard_old_if_full: bool = False,
    ) -> T:
        """Lock, re-read, let `mutate` change the document, prune, write it atomically.

        `after_write(doc)` runs still under the lock, only once the document is safely on disk
        (and pruned): the place for work that must follow a successful write, such as queueing
        the events just stored for upload.

        `mutate` may run more than once, each time on a freshly read document: when the lock
        file turned out to be deleted under us (another writer may have committed meanwhile),
        or after the reserve was freed on a full disk. It must depend only on the document it
        is given (collect results by assignment, not by appending to an outer list).

        A write after which less is collected than before (or nothing), or one marked
        `essential`, may use the space kept in reserve on a full disk; `discard_old_if_full`
        (delete-all: the old document is being thrown away anyway) lets it, as a last resort,
        remove the old document before writing the new one.
        """
        with self._mutex:
            self._first_look()
            for _attempt in range(self.lock_retries + 1):
                try:
                    with self.lock() as held:
                        return self._transaction(
                            held, mutate, after_write, essential, discard_old_if_full
                        )
                except LockLostError:
                    self._cache = None
                    log.warning("the lock file %s was removed while held; retrying", self.lock_path)
                except OSError as exc:
                    self._cache = None
                    raise StoreError(
                        tr("cannot write {path}: {error}").format(
                            path=self.path, error=os_message(exc)
                        )
                    ) from exc
            raise StoreError(
                tr(
                    "cannot write {path}: its lock file {lock} was removed or replaced while "
                    "held, {n} times in a row; is another program deleting files in {folder}?"
                ).format(
                    path=self.path,
                    lock=self.lock_path,
                    n=self.lock_retries + 1,
                    folder=self.data_dir,
                )
            )

    def _transaction(
        self,
        held: HeldLock,
        mutate: Callable[[StoreDocument], T],
        after_write: Callable[[StoreDocument], None] | None,
        essential: bool,
        discard_old_if_full: bool,
    ) -> T:
        freed = False
        while True:
            doc, layout = self._load_locked()
            self._cache = None  # the document is about to change under our hands
            before = collection(doc)
            events, count, rollups = doc.events, len(doc.events), doc.rollups
            stored = events.copy() if layout.exact else None
            try:
                result = mutate(doc)
                # Appended to, nothing else touched (C-speed checks): only the new lines are
                # written. Anything else (a new list, an edit) lays every event out afresh.
                appended = (
                    stored is not None
                    and doc.events is events
                    and len(events) >= count
                    and events[:count] == stored
                )
                roll_up_added(doc, events, count, rollups)
                plan = self._prune(doc, count if appended else None)
                ranges, head = lay_out(self.data_dir, doc, layout, plan, self.max_file_bytes)
                self._commit(doc, head, ranges, held, discard_old=freed and discard_old_if_full)
            except OSError as exc:
                may_free = essential or collects_less(before, doc)
                if freed or not is_disk_full(exc) or not may_free:
                    raise
                # The one place the reserve is spent; the transaction runs again on a fresh read.
                freed = True
                if not self._reserve.release() and not discard_old_if_full:
                    raise
                log.warning("the disk is full: used the space kept in reserve for this change")
                continue
            break
        sweep_stale_temp_files(self.data_dir)
        if not freed:  # right after using it the space is needed elsewhere (the secrets file)
            self._reserve.ensure(len(head) + sum(r.end - r.start for r in ranges))
        if after_write is not None:
            after_write(doc)
        return result

    @contextlib.contextmanager
    def lock(self) -> Iterator[HeldLock]:
        """The inter-process lock (sibling `.lock` file), for work beside the document itself
        (the upload queue). Not re-entrant across processes: never call it inside `update`.
        What it yields can tell whether the lock file is still the one locked (`check()`)."""
        self._first_look()
        try:
            ensure_private_dir(self.data_dir)
        except OSError as exc:
            raise StoreError(
                tr("cannot create {folder}: {error}").format(
                    folder=self.data_dir, error=os_message(exc)
                )
            ) from exc
        with hold(self.lock_path, self.lock_timeout) as held:
            yield held

    # ----------------------------------------------------------------- limits
    def limits_of(self, doc: StoreDocument) -> tuple[int, int]:
        """(max_events, retention_days) in force for `doc`: its own, else this `Store`'s."""
        limits = doc.limits
        return (
            limits.max_events or self.default_max_events,
            limits.retention_days or self.default_retention_days,
        )

    @property
    def max_events(self) -> int:
        """The event cap of the document last read or written (this `Store`'s default before)."""
        seen = self._limits_seen
        return (seen.max_events if seen else None) or self.default_max_events

    @property
    def retention_days(self) -> int:
        seen = self._limits_seen
        return (seen.retention_days if seen else None) or self.default_retention_days

    def prune(self, doc: StoreDocument) -> None:
        """Newest `max_events`, none past retention; rollups only by retention (whole days
        before the cutoff's day). The limits are the document's (`limits_of`)."""
        self._prune(doc, None)

    def _prune(self, doc: StoreDocument, base: int | None) -> tuple[int, int] | None:
        """`prune`, in place; with `base` (the document held `base` stored events and was
        only appended to) the plan `layout.write_events` needs to write only the new lines."""
        max_events, retention_days = self.limits_of(doc)
        cutoff = self.clock() - timedelta(days=retention_days)
        plan = prune_events(doc.events, cutoff, max_events, base)
        if doc.rollups and min(doc.rollups) < cutoff.date().isoformat():
            drop_days_before(doc.rollups, cutoff.date())
        return plan if base is not None else None

    def _write_locked(self, doc: StoreDocument) -> None:
        """The write step alone, for a caller already holding the lock (bench/client.py times
        it); `update` is the way to change the store."""
        ranges, head = lay_out(self.data_dir, doc, Layout(exact=False), None, self.max_file_bytes)
        self._commit(doc, head, ranges, None, discard_old=False)

    def _commit(
        self,
        doc: StoreDocument,
        head: bytes,
        ranges: list[Range],
        held: HeldLock | None,
        *,
        discard_old: bool,
    ) -> None:
        """Swap the head in, but only while our lock is still the lock on disk (checked right
        before the replace: a writer that lost it retries instead of undoing another's
        commit); then remove the segments it no longer names."""
        commit_head(self.path, head, ranges, held, discard_old=discard_old)
        key = self.stat_key()
        if key is not None:
            self._cache = (key, doc, Layout(ranges))
        self._limits_seen = doc.limits


def _timestamp(event: Event) -> datetime:
    return event.timestamp
