"""The durable upload queue: events accepted while upload is on wait here until delivered.

`upload-queue.jsonl` beside the store, one JSON record per line: appended and fsynced by the
store writer (inside the store lock, right after the events were merged), rewritten atomically
when records leave (delivered, refused, evicted). The reader skips a torn last line, so a crash
mid-append loses at most the records of that append, never the file.

Bounded in count, bytes and age. When full, the oldest go first and every drop is counted in the
upload history, so the user sees that something was not sent rather than guessing.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..clock import ensure_utc
from ..fsio import file_identity, read_regular_file, write_all
from ..models import StoreDocument
from ..store import Store
from .files import QUEUE_FILE, atomic_write, fsync_dir
from .history import UploadState, update_state_locked
from .records import ConsentProof, QueuedRecord, make_line, parse_line

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_RECORDS",
    "DEFAULT_TTL",
    "QueueLimits",
    "UploadQueue",
    "append_locked",
    "clear_queue_locked",
    "queue_stats",
    "read_queue",
    "remove_records",
    "sync_queue_with_consent_locked",
]

log = logging.getLogger(__name__)

DEFAULT_MAX_RECORDS = 10_000
DEFAULT_MAX_BYTES = 10 * 2**20
DEFAULT_TTL = timedelta(days=7)

_StatKey = tuple[int, int, int]


@dataclass(frozen=True)
class QueueLimits:
    max_records: int = DEFAULT_MAX_RECORDS
    max_bytes: int = DEFAULT_MAX_BYTES
    ttl: timedelta = DEFAULT_TTL


def _evict(
    records: list[QueuedRecord], limits: QueueLimits, now: datetime
) -> tuple[list[QueuedRecord], int, int, int]:
    """Drop expired, then oldest until both bounds hold. Returns (kept, expired, full, big)."""
    cutoff = now - limits.ttl
    kept = [r for r in records if r.at >= cutoff]
    expired = len(records) - len(kept)
    too_large = 0
    if any(r.size > limits.max_bytes for r in kept):
        before = len(kept)
        kept = [r for r in kept if r.size <= limits.max_bytes]
        too_large = before - len(kept)
    total = sum(r.size for r in kept)
    start = 0
    while start < len(kept) and (
        len(kept) - start > limits.max_records or total > limits.max_bytes
    ):
        total -= kept[start].size
        start += 1
    return kept[start:], expired, start, too_large


class UploadQueue:
    """The queue of one data folder, with a read cache keyed by the file's identity.

    The writer appends on every flush while upload is on, and each append needs the queued
    records to enforce the bounds: a long-lived instance (the client's sink, a worker) parses
    the file only when another process changed it. Methods ending in `_locked` expect the
    caller to hold the store lock (`Store.lock()` or inside `Store.update`).
    """

    def __init__(self, store: Store, limits: QueueLimits | None = None) -> None:
        self.store = store
        self.limits = limits or QueueLimits()
        self.path = store.data_dir / QUEUE_FILE
        self._cached: tuple[_StatKey, list[QueuedRecord]] | None = None

    def read(self) -> list[QueuedRecord]:
        """Oldest first. Lines that do not parse (a torn append) are skipped, not fatal."""
        key = file_identity(self.path)
        if key is None:
            return []
        if self._cached is not None and self._cached[0] == key:
            return list(self._cached[1])
        try:  # never a FIFO (it would hang every reader), never past a sane multiple of the bound
            data = read_regular_file(self.path, max(4 * self.limits.max_bytes, 64 << 20))
        except FileNotFoundError:
            return []
        except OSError as exc:
            log.warning("upload queue unreadable: %s", exc.strerror or exc)
            return []
        records = [r for r in map(parse_line, data.splitlines(keepends=True)) if r is not None]
        self._cached = (key, records)
        return list(records)

    def stats(self) -> tuple[int, int]:
        """(records, bytes) currently queued."""
        records = self.read()
        return len(records), sum(r.size for r in records)

    def _remember(self, records: list[QueuedRecord]) -> None:
        key = file_identity(self.path)
        self._cached = None if key is None else (key, list(records))

    def _rewrite_locked(self, records: list[QueuedRecord]) -> None:
        if not records:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
            fsync_dir(self.store.data_dir)
            self._remember([])
            return
        atomic_write(self.path, b"".join(r.line for r in records))
        self._remember(records)

    def append_locked(
        self,
        events: list[dict[str, Any]],
        anonymous_id: str,
        *,
        now: datetime | None = None,
        service: tuple[str, str | None] | None = None,
        proofs: Sequence[ConsentProof | None] | None = None,
    ) -> int:
        """Append stored-event dicts; returns how many records were dropped to stay bounded.

        `service` is (service.name, service.version) of the app that recorded them; `proofs`,
        one per event, the consent each was recorded under (`consent_proof.py`; None: none)."""
        now = ensure_utc(now or self.store.clock())
        cited = [None] * len(events) if proofs is None else list(proofs)
        if len(cited) != len(events):
            raise ValueError(f"{len(cited)} consent proofs for {len(events)} events")
        lines = (
            make_line(e, anonymous_id, now, service, proof)
            for e, proof in zip(events, cited, strict=True)
        )
        new = [r for r in map(parse_line, lines) if r]
        if not new:
            return 0
        kept, expired, full, too_large = _evict(self.read() + new, self.limits, now)
        dropped = expired + full + too_large
        if dropped == 0:
            self._append_lines(new)
            self._remember(kept)
            return 0
        self._rewrite_locked(kept)

        def count(state: UploadState) -> None:
            state.count_drop("expired", expired)
            state.count_drop("full", full)
            state.count_drop("too_large", too_large)

        update_state_locked(self.store, count)
        return dropped

    def _append_lines(self, new: list[QueuedRecord]) -> None:
        """The common case: an O(new) append, fsynced. A torn previous line gets its own line."""
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            prefix = b""
            size = os.fstat(fd).st_size
            if size:
                with open(self.path, "rb") as handle:
                    handle.seek(size - 1)
                    if handle.read(1) != b"\n":
                        prefix = b"\n"
            write_all(fd, prefix + b"".join(r.line for r in new))
            os.fsync(fd)
        finally:
            os.close(fd)
        if size == 0:
            fsync_dir(self.store.data_dir)

    def remove(self, ids: set[str]) -> int:
        """Take delivered (or finally refused) records out; returns how many were queued."""
        with self.store.lock():
            records = self.read()
            kept = [r for r in records if r.id not in ids]
            if len(kept) != len(records):
                self._rewrite_locked(kept)
            return len(records) - len(kept)

    def clear_locked(self) -> int:
        """Empty the queue at once (opt-out)."""
        n = len(self.read())
        if self.path.exists():
            self._rewrite_locked([])
        return n

    def sync_with_consent_locked(self, doc: StoreDocument) -> int:
        """Called wherever consent changes (inside `Store.update`): consent or upload off
        empties the queue; a category switched off takes its queued events out. Returns how
        many records were removed."""
        consent = doc.consent
        if not (consent.enabled and consent.upload_enabled):
            return self.clear_locked()
        records = self.read()
        kept = [r for r in records if consent.category_on(r.category)]
        if len(kept) != len(records):
            self._rewrite_locked(kept)
        return len(records) - len(kept)


# One-shot forms for callers that look once (status, a CLI command): no cache to keep.
def read_queue(store: Store) -> list[QueuedRecord]:
    return UploadQueue(store).read()


def queue_stats(store: Store) -> tuple[int, int]:
    return UploadQueue(store).stats()


def append_locked(
    store: Store,
    events: list[dict[str, Any]],
    anonymous_id: str,
    *,
    now: datetime | None = None,
    limits: QueueLimits | None = None,
    service: tuple[str, str | None] | None = None,
    proofs: Sequence[ConsentProof | None] | None = None,
) -> int:
    return UploadQueue(store, limits).append_locked(
        events, anonymous_id, now=now, service=service, proofs=proofs
    )


def remove_records(store: Store, ids: set[str]) -> int:
    return UploadQueue(store).remove(ids)


def clear_queue_locked(store: Store) -> int:
    return UploadQueue(store).clear_locked()


def sync_queue_with_consent_locked(store: Store, doc: StoreDocument) -> int:
    return UploadQueue(store).sync_with_consent_locked(doc)
