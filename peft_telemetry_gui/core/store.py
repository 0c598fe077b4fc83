"""The per-user JSON store, shared by every process that touches it.

Writes follow the filelock model: a sibling `.lock` file serialises writers, the document is
re-read under the lock, merged, written to a temp file in the same folder, fsynced and swapped in
with `os.replace`, so a reader (or a crash) only ever sees a whole document. A document we cannot
read is moved aside and reported, never silently overwritten.
"""

from __future__ import annotations

import contextlib
import errno
import gc
import json
import logging
import operator
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from itertools import compress, count, repeat
from pathlib import Path
from typing import Any, TypeVar

from filelock import FileLock, Timeout
from pydantic import ValidationError

from .clock import Clock, utc_now
from .fsio import atomic_write
from .models import SCHEMA_VERSION, Event, QuarantineNotice, StoreDocument
from .paths import STORE_FILE_NAME, ensure_private_dir

try:  # optional: about 3x faster than the standard library on a large store
    import orjson as _orjson
except ImportError:  # pragma: no cover - exercised by test_store_reads_without_orjson
    _orjson = None

__all__ = [
    "DEFAULT_MAX_EVENTS",
    "DEFAULT_RETENTION_DAYS",
    "NewerSchemaError",
    "Store",
    "StoreError",
    "migrate",
]

log = logging.getLogger(__name__)

DEFAULT_MAX_EVENTS = 1000
DEFAULT_RETENTION_DAYS = 90

T = TypeVar("T")
_StatKey = tuple[int, int, int]


class StoreError(Exception):
    """A problem with the store, worded for the user (the CLI prints it as is)."""


class NewerSchemaError(StoreError):
    """Written by a newer version: we neither overwrite nor quarantine it (it is not corrupt)."""


_V0_NAMESPACE = uuid.UUID("6f1c2a8e-3b7d-4c55-9a0e-5d2f7b1e9c43")


def _migrate_v0(raw: dict[str, Any]) -> dict[str, Any]:
    """The seed prototype kept a flat `{"enabled": bool, "user_id": ..., "events": [...]}`."""
    enabled = bool(raw.get("enabled", raw.get("consent", False)) is True)
    events = []
    for index, item in enumerate(raw.get("events", []) or []):
        if not isinstance(item, dict):
            continue
        # Derived, not random: the same unmigrated file must show the same ids to every reader.
        stable = uuid.uuid5(
            _V0_NAMESPACE, f"{index}:{item.get('timestamp')}:{item.get('event_type')}"
        )
        events.append(
            {
                "id": item.get("id") or item.get("event_id") or str(stable),
                "timestamp": item.get("timestamp"),
                "category": item.get("category", "usage"),
                "event_type": item.get("event_type") or item.get("name") or "unknown",
                "session_id": item.get("session_id", "unknown"),
                "properties": item.get("properties", {}) or {},
            }
        )
    return {
        "schema_version": 1,
        "consent": {"decided": "enabled" in raw, "enabled": enabled},
        "events": events,
    }


# version -> function that lifts a raw document from that version to the next one
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {0: _migrate_v0}


def migrate(raw: dict[str, Any]) -> dict[str, Any]:
    version = raw.get("schema_version", 0)
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        raise ValueError(f"schema_version {version!r} is not a version number")
    if version > SCHEMA_VERSION:
        raise NewerSchemaError(
            f"the store was written by a newer version (schema {version}, this one reads "
            f"up to {SCHEMA_VERSION}); upgrade peft-telemetry-gui. The file was left untouched."
        )
    while version < SCHEMA_VERSION:
        raw = MIGRATIONS[version](raw)
        version = raw["schema_version"]
    return raw


def loads(data: bytes) -> Any:
    """Parse a store document: orjson when installed, the standard library otherwise.

    orjson is strict where `json` is lenient (NaN/Infinity literals, huge integers, UTF-16 or
    lone surrogates), so anything orjson refuses is retried with `json`: a file this version
    could read before is never quarantined just because a faster parser is installed, and a
    truly broken one reports the standard library's message, as before.
    """
    if _orjson is not None:
        try:
            return _orjson.loads(data)
        except _orjson.JSONDecodeError:
            pass
    return json.loads(data)


#: Below this size the cyclic GC costs little while parsing; above it, it dominates (see below).
_GC_PAUSE_MIN_BYTES = 1 << 20
_gc_lock = threading.Lock()
_gc_depth = 0
_gc_was_enabled = False


@contextlib.contextmanager
def _gc_paused(size: int) -> Iterator[None]:
    """Hold off the cyclic garbage collector while a large document becomes objects.

    Parsing 100 000 events allocates millions of containers; every few thousand of them CPython
    runs a collection that walks the whole young heap, and the big ones walk everything alive
    (the previous document included). Measured on a 27 MB store: orjson 300 ms with the collector
    running, 90 ms without. Nothing built here is cyclic garbage, so pausing only delays work,
    and the pause is counted so concurrent readers never re-enable it under each other (nor
    enable a collector the host application had turned off).
    """
    global _gc_depth, _gc_was_enabled
    if size < _GC_PAUSE_MIN_BYTES:
        yield
        return
    with _gc_lock:
        if _gc_depth == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_depth += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_depth -= 1
            if _gc_depth == 0 and _gc_was_enabled:
                gc.enable()


def _reason(exc: Exception) -> str:
    """One line that says what is wrong with the document, for the user and the banner."""
    if isinstance(exc, ValidationError):
        errors = exc.errors()
        first = errors[0]
        where = ".".join(str(part) for part in first["loc"]) or "document"
        more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
        return f"{where}: {first['msg']}{more}"[:300]
    if isinstance(exc, json.JSONDecodeError) and not exc.doc.strip():
        return "the file is empty"
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:300]


def _os_message(exc: OSError) -> str:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return "the disk is full"
    return exc.strerror or str(exc)


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
        # What `read_incremental` last returned: id -> (record bytes, event), and the list;
        # for files laid out otherwise, an id index over the events.
        self._records: tuple[dict[bytes, tuple[bytes | None, Event]], list[Event]] | None = None
        self._index: tuple[list[Event], dict[str, Event]] | None = None
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
            raise StoreError(f"cannot read {self.path}: {_os_message(exc)}") from exc
        try:
            return self._parse(data)
        except NewerSchemaError:
            raise
        except ValueError:
            # Quarantine under the lock, where a concurrent writer cannot race us.
            return self.update(lambda doc: doc.model_copy())

    def read_incremental(self, previous: StoreDocument | None) -> StoreDocument:
        """`read`, minus re-validating the events `previous` already holds.

        For a reader that re-reads the same store again and again (the desktop app on every
        change). Stored events never change once written: they are only appended, pruned or
        all deleted, and ids are random uuid4s. The events array is cut at record boundaries
        without parsing it; a record whose bytes are exactly those seen last time (or, the first
        time after a plain `read`, whose id and category match) *is* that event, and the same
        `Event` object is reused. Only new records are parsed: at 100 000 events that is ~0.1 s
        instead of ~1.2 s (validating every event) or ~0.25 s (parsing all of the JSON).

        The returned document shares those `Event` objects with `previous`: treat both as
        read-only. Anything unusual (missing file, older schema, a file not laid out the way
        `Store` writes it, a record that does not validate) goes through `read`, which migrates
        or quarantines exactly as always.
        """
        if previous is None or not previous.events:
            self._records = None
            return self.read()
        try:
            data = self.path.read_bytes()
        except OSError:
            return self.read()  # missing: an empty store; unreadable: the usual StoreError
        with _gc_paused(len(data)):
            # Files `Store` wrote: cut at record boundaries. Anything else that is still valid
            # (another tool's formatting): parse it all, but reuse models by id.
            doc = self._reuse_records(data, previous.events)
            if doc is None:
                self._records = None
                doc = self._reuse_events(data, self._index_of(previous.events))
        if doc is None:
            self._index = None
            return self.read()
        return doc

    def _known_records(self, previous: list[Event]) -> dict[bytes, tuple[bytes | None, Event]]:
        """id -> (record bytes, event) of the last incremental read when it returned this very
        list; else built from `previous` alone, with no bytes to compare yet."""
        if self._records is not None and self._records[1] is previous:
            return self._records[0]
        return {event.id.encode(): (None, event) for event in previous}

    def _reuse_records(self, data: bytes, previous: list[Event]) -> StoreDocument | None:
        """The fast path of `read_incremental`; None means "take the slow path"."""
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
        """id -> event for `events`, kept from the last `read_incremental` when it returned
        this very list (saves rebuilding a 100 000-entry dict on every read). It may also hold
        events pruned since: harmless for lookups (ids are never reused); rebuilt before those
        stale entries exceed a tenth of the store, so they never hold much memory."""
        cached = self._index
        if (
            cached is not None
            and cached[0] is events
            and len(cached[1]) <= len(events) * 1.1 + 1000
        ):
            return cached[1]
        return dict(zip(map(_event_id, events), events, strict=True))

    def _reuse_events(self, data: bytes, known: dict[str, Event]) -> StoreDocument | None:
        """The current-schema fast path of `read_incremental`; None means "take the slow path".

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

    def _parse(self, data: bytes) -> StoreDocument:
        with _gc_paused(len(data)):
            try:
                raw = loads(data)
            except RecursionError:
                raise ValueError("the document is nested too deeply") from None
            if not isinstance(raw, dict):
                raise ValueError("the document is not a JSON object")
            if raw.get("schema_version") == SCHEMA_VERSION:
                return StoreDocument.model_validate(raw)
            try:
                migrated = migrate(raw)
            except (TypeError, KeyError, AttributeError, RecursionError) as exc:
                # A malformed old document is as unreadable as a corrupt one: set it aside.
                raise ValueError(
                    f"an older document that cannot be migrated ({type(exc).__name__}: {exc})"
                ) from exc
            return StoreDocument.model_validate(migrated)

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
            raise StoreError(f"cannot read {self.path}: {_os_message(exc)}") from exc
        try:
            return self._parse(data)
        except NewerSchemaError:
            raise
        except (ValueError, ValidationError) as exc:  # JSONDecodeError is a ValueError
            return self._quarantine(exc)

    def _quarantine(self, exc: Exception) -> StoreDocument:
        now = self.clock()
        stamp = now.strftime("%Y%m%dT%H%M%SZ")
        target = self.data_dir / f"telemetry.corrupt-{stamp}.json"
        n = 1
        while target.exists():
            n += 1
            target = self.data_dir / f"telemetry.corrupt-{stamp}-{n}.json"
        reason = _reason(exc)
        try:
            os.replace(self.path, target)
        except OSError as move_exc:
            raise StoreError(
                f"{self.path} is unreadable ({reason}) and could not be moved aside: "
                f"{_os_message(move_exc)}"
            ) from move_exc
        log.warning(
            "telemetry store %s was unreadable (%s); moved to %s", self.path, reason, target
        )
        notice = QuarantineNotice(at=now, moved_to=str(target), reason=reason)
        self.quarantine_log.append(notice)
        return StoreDocument(quarantined=[notice])

    def quarantined_files(self) -> list[Path]:
        try:
            return sorted(self.data_dir.glob("telemetry.corrupt-*.json"))
        except OSError:
            return []

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
                    self._sweep_stale_temp_files()
                    if after_write is not None:
                        after_write(doc)
                    return result
            except OSError as exc:
                raise StoreError(f"cannot write {self.path}: {_os_message(exc)}") from exc

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """The inter-process lock (sibling `.lock` file), for work beside the document itself
        (the upload queue). Not re-entrant across processes: never call it inside `update`."""
        try:
            ensure_private_dir(self.data_dir)
        except OSError as exc:
            raise StoreError(f"cannot create {self.data_dir}: {_os_message(exc)}") from exc
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

    def _sweep_stale_temp_files(self, max_age_s: float = 60.0) -> None:
        """A writer killed between its temp write and `os.replace` leaves a full copy behind.

        Under the lock no live writer of ours is mid-write, but another process might be about
        to take the lock after us, so only files of dead processes or older than a minute go.
        """
        now = time.time()
        with contextlib.suppress(OSError):
            for path in self.data_dir.glob(f".{STORE_FILE_NAME}.tmp-*"):
                try:
                    pid = int(path.name.rsplit("-", 2)[-2])
                except (ValueError, IndexError):
                    pid = -1
                with contextlib.suppress(OSError):
                    if pid != os.getpid() and (
                        not _pid_alive(pid) or now - path.stat().st_mtime > max_age_s
                    ):
                        path.unlink()

    def _write_locked(self, doc: StoreDocument) -> None:
        atomic_write(self.path, doc.model_dump_json(by_alias=True, exclude_none=True).encode())
        key = self.stat_key()
        if key is not None:
            self._cache = (key, doc)


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def _timestamp(event: Event) -> datetime:
    return event.timestamp


_event_id = operator.attrgetter("id")
_event_category = operator.attrgetter("category")
_item_id = operator.itemgetter("id")
_item_category = operator.itemgetter("category")
_EVENTS_KEY = b',"events":['
_RECORD_START = b'{"id":"'
_RECORD_SEP = b'},{"id":"'
_UUID_LEN = 36


def _same_category(piece: bytes, event: Event) -> bool:
    """A record read before only as a model: its id matched; a cheap guard against hand edits
    of the field consent decisions hinge on (`category` follows `id` and `timestamp`)."""
    return f'","category":"{event.category}"'.encode() in piece[: _UUID_LEN + 120]
