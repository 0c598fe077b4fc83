"""The durable upload queue: events accepted while upload is on wait here until delivered.

`upload-queue.jsonl` beside the store, one JSON record per line: appended and fsynced by the
store writer (inside the store lock, right after the events were merged), rewritten atomically
when records leave (delivered, refused, evicted). The reader skips a torn last line, so a crash
mid-append loses at most the records of that append, never the file.

Bounded in count, bytes and age. When full, the oldest go first and every drop is counted in the
upload history, so the user sees that something was not sent rather than guessing.

The `deletion_request`s left by "delete all data" (one per anonymous id that reached the
collector) live in their own file: they are never evicted and are sent even though upload is off
by then (the one exception, as in Mozilla Glean).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from ..clock import ensure_utc
from ..fsio import write_all
from ..models import Event, StoreDocument
from ..secrets import SecretStore, SecretStoreError
from ..store import Store
from .files import DELETION_FILE, QUEUE_FILE, STATE_FILE, atomic_write, fsync_dir
from .history import UploadState, read_state, update_state_locked

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_RECORDS",
    "DEFAULT_TTL",
    "DELETION_TOKEN_PREFIX",
    "DeletionRequest",
    "QueueLimits",
    "QueuedRecord",
    "append_locked",
    "bump_deletion_attempts",
    "clear_deletion_request",
    "clear_queue_locked",
    "default_upload_sink",
    "deletion_token",
    "forget_deletion_token",
    "prepare_deletion_request",
    "queue_stats",
    "read_deletion_requests",
    "read_queue",
    "remove_records",
    "sync_queue_with_consent_locked",
    "upload_sink_for",
    "write_deletion_requests_locked",
]

log = logging.getLogger(__name__)

DEFAULT_MAX_RECORDS = 10_000
DEFAULT_MAX_BYTES = 10 * 2**20
DEFAULT_TTL = timedelta(days=7)


@dataclass(frozen=True)
class QueueLimits:
    max_records: int = DEFAULT_MAX_RECORDS
    max_bytes: int = DEFAULT_MAX_BYTES
    ttl: timedelta = DEFAULT_TTL


#: Process-wide limits used by the default sink; tests and embedders may replace it.
LIMITS = QueueLimits()


@dataclass(frozen=True)
class QueuedRecord:
    """One stored event (already scrubbed: it is the record in `telemetry.json`) plus the
    anonymous id it was recorded under, when it entered the queue and which app recorded it.

    The app travels with the record because the queue is shared: the desktop app (or any other
    process holding the sender lock) may be the one that sends a host app's records, and the
    collector must still see the host's `service.name`."""

    id: str
    at: datetime
    anonymous_id: str
    event: dict[str, Any]
    line: bytes  # the exact bytes on disk, newline included: its size counts toward the bound
    service_name: str | None = None  # None: queued by a version that did not record it
    service_version: str | None = None

    @property
    def size(self) -> int:
        return len(self.line)

    @property
    def category(self) -> str:
        return str(self.event.get("category", ""))


def _make_line(
    event: dict[str, Any],
    anonymous_id: str,
    at: datetime,
    service: tuple[str, str | None] | None = None,
) -> bytes:
    record: dict[str, Any] = {
        "v": 1,
        "at": at.isoformat(),
        "anonymous_id": anonymous_id,
        "event": event,
    }
    if service is not None:
        record["service"] = {"name": service[0], "version": service[1]}
    # "replace": a lone surrogate must not stop the whole batch from being queued
    text = json.dumps(record, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8", errors="replace") + b"\n"


def _parse_line(line: bytes) -> QueuedRecord | None:
    try:
        raw = json.loads(line)
        event = raw["event"]
        if not isinstance(event, dict) or not isinstance(event.get("id"), str):
            return None
        at = ensure_utc(datetime.fromisoformat(raw["at"]))
        service = raw.get("service")
        name = version = None
        if isinstance(service, dict):
            name = str(service["name"])[:100] if service.get("name") else None
            version = str(service["version"])[:50] if service.get("version") else None
        return QueuedRecord(
            id=event["id"],
            at=at,
            anonymous_id=str(raw.get("anonymous_id", "")),
            event=event,
            line=line if line.endswith(b"\n") else line + b"\n",
            service_name=name,
            service_version=version,
        )
    except (ValueError, KeyError, TypeError):
        return None


# ------------------------------------------------------------------------------------ reading
_cache_lock = threading.Lock()
_cache: dict[Path, tuple[tuple[int, int, int], list[QueuedRecord]]] = {}


def _stat_key(path: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def read_queue(store: Store) -> list[QueuedRecord]:
    """Oldest first. Lines that do not parse (a torn append) are skipped, not fatal."""
    path = store.data_dir / QUEUE_FILE
    key = _stat_key(path)
    if key is None:
        return []
    with _cache_lock:
        hit = _cache.get(path)
        if hit is not None and hit[0] == key:
            return list(hit[1])
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    except OSError as exc:
        log.warning("upload queue unreadable: %s", exc.strerror or exc)
        return []
    records = [r for r in map(_parse_line, data.splitlines(keepends=True)) if r is not None]
    with _cache_lock:
        _cache[path] = (key, records)
    return list(records)


def queue_stats(store: Store) -> tuple[int, int]:
    """(records, bytes) currently queued."""
    records = read_queue(store)
    return len(records), sum(r.size for r in records)


def _remember(path: Path, records: list[QueuedRecord]) -> None:
    key = _stat_key(path)
    with _cache_lock:
        if key is None:
            _cache.pop(path, None)
        else:
            _cache[path] = (key, list(records))


def _rewrite_locked(store: Store, records: list[QueuedRecord]) -> None:
    path = store.data_dir / QUEUE_FILE
    if not records:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        fsync_dir(store.data_dir)
        _remember(path, [])
        return
    atomic_write(path, b"".join(r.line for r in records))
    _remember(path, records)


# ------------------------------------------------------------------------------------ writing
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


def append_locked(
    store: Store,
    events: list[dict[str, Any]],
    anonymous_id: str,
    *,
    now: datetime | None = None,
    limits: QueueLimits | None = None,
    service: tuple[str, str | None] | None = None,
) -> int:
    """Append stored-event dicts; caller holds the store lock. Returns how many were dropped.

    `service` is (service.name, service.version) of the app that recorded them."""
    limits = limits or LIMITS
    now = ensure_utc(now or store.clock())
    path = store.data_dir / QUEUE_FILE
    lines = (_make_line(e, anonymous_id, now, service) for e in events)
    new = [r for r in map(_parse_line, lines) if r]
    if not new:
        return 0
    existing = read_queue(store)
    kept, expired, full, too_large = _evict(existing + new, limits, now)
    dropped = expired + full + too_large
    if dropped == 0:
        # The common case: an O(new) append, fsynced. A torn previous line gets its own line.
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            prefix = b""
            size = os.fstat(fd).st_size
            if size:
                with open(path, "rb") as handle:
                    handle.seek(size - 1)
                    if handle.read(1) != b"\n":
                        prefix = b"\n"
            write_all(fd, prefix + b"".join(r.line for r in new))
            os.fsync(fd)
        finally:
            os.close(fd)
        if size == 0:
            fsync_dir(store.data_dir)
        _remember(path, kept)
        return 0
    _rewrite_locked(store, kept)

    def count(state: UploadState) -> None:
        state.count_drop("expired", expired)
        state.count_drop("full", full)
        state.count_drop("too_large", too_large)

    update_state_locked(store, count)
    return dropped


def remove_records(store: Store, ids: set[str]) -> int:
    """Take delivered (or finally refused) records out; returns how many were still queued."""
    with store.lock():
        records = read_queue(store)
        kept = [r for r in records if r.id not in ids]
        if len(kept) != len(records):
            _rewrite_locked(store, kept)
        return len(records) - len(kept)


def clear_queue_locked(store: Store) -> int:
    """Empty the queue at once (opt-out). Caller holds the store lock."""
    path = store.data_dir / QUEUE_FILE
    n = len(read_queue(store))
    if path.exists():
        _rewrite_locked(store, [])
    return n


def sync_queue_with_consent_locked(store: Store, doc: StoreDocument) -> int:
    """Called wherever consent changes (inside `Store.update`): consent or upload off empties
    the queue; a category switched off takes its queued events out. Returns records removed."""
    consent = doc.consent
    if not (consent.enabled and consent.upload_enabled):
        return clear_queue_locked(store)
    records = read_queue(store)
    kept = [r for r in records if consent.category_on(r.category)]
    if len(kept) != len(records):
        _rewrite_locked(store, kept)
    return len(records) - len(kept)


# ------------------------------------------------------------------------------- the sink
def default_upload_sink(
    store: Store,
    doc: StoreDocument,
    accepted: list[Event],
    *,
    app_name: str | None = None,
    app_version: str | None = None,
    environ: Mapping[str, str] | None = None,
    secret_store: SecretStore | None = None,
) -> None:
    """`TelemetryClient`'s upload sink: queue what the writer just accepted, then nudge the
    process's upload worker (started on first use) so delivery needs no extra wiring.

    `app_name`/`app_version` (the client passes its own, see `upload_sink_for`) become the
    records' `service.name`/`service.version`, whoever ends up sending them. `environ` and
    `secret_store` are the host's injected ones: the worker started here must read the OTLP
    variables and the token from them, not from the real environment and keyring (None: those).
    """
    if not (doc.consent.enabled and doc.consent.upload_enabled) or not accepted:
        return
    events = [e.stored_dict() for e in accepted]
    service = None
    if app_name:
        service = (app_name[:100], app_version[:50] if app_version else None)
    append_locked(store, events, doc.anonymous_id, service=service)
    _remember_host(store, accepted, service)
    if os.environ.get("PEFT_TELEMETRY_UPLOAD_WORKER", "1").strip().lower() in ("0", "false", "no"):
        return
    from .exporter import ensure_worker

    options: dict[str, object] = {}
    if environ is not None:
        options["environ"] = environ
    if secret_store is not None:
        options["secret_store"] = secret_store
    ensure_worker(store, **options).wake()


_hosts_seen: dict[Path, tuple[tuple[int, int, int] | None, tuple[str, str | None]]] = {}


def upload_sink_for(
    app_name: str | None,
    app_version: str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    secret_store: SecretStore | None = None,
) -> partial[None]:
    """The default sink bound to one host app (what `TelemetryClient` uses): its name and
    version, and the `environ`/`secret_store` it injected, so the worker the sink starts obeys
    the same environment and keyring as the host itself."""
    return partial(
        default_upload_sink,
        app_name=app_name,
        app_version=app_version,
        environ=environ,
        secret_store=secret_store,
    )


def _remember_host(
    store: Store, accepted: list[Event], service: tuple[str, str | None] | None = None
) -> None:
    """Remember the host app for requests that carry no queued record (the deletion request)
    and for records queued without one: the name the sink was given, else the host's
    session_started event."""
    if service is not None:
        name, version = service
        path = store.data_dir / STATE_FILE
        key = _stat_key(path)
        if key is not None and _hosts_seen.get(path) == (key, service):
            return  # the common case: nothing to write, and no JSON to parse on every flush
        state = read_state(store)
        if state.app_name != name or state.app_version != version:
            update_state_locked(store, partial(_set_app, name=name, version=version))
        _hosts_seen[path] = (_stat_key(path), service)
        return
    for event in reversed(accepted):
        if event.event_type == "session_started" and event.properties.get("app_name"):
            name = str(event.properties["app_name"])[:100]
            version = event.properties.get("app_version")
            version = str(version)[:50] if version else None
            state = read_state(store)
            if state.app_name != name or state.app_version != version:
                update_state_locked(store, partial(_set_app, name=name, version=version))
            return


def _set_app(state: UploadState, *, name: str, version: str | None) -> None:
    state.app_name, state.app_version = name, version


# ------------------------------------------------------------------- the deletion request
class DeletionRequest(BaseModel):
    """Asks the server to erase everything it holds for `anonymous_id`. No token inside."""

    model_config = ConfigDict(extra="ignore")

    id: str
    anonymous_id: str
    created_at: datetime
    logs_url: str
    attempts: int = 0

    _norm = field_validator("created_at")(ensure_utc)


def read_deletion_requests(store: Store) -> list[DeletionRequest]:
    """Pending requests, oldest first (nearly always none or one)."""
    path = store.data_dir / DELETION_FILE
    try:
        raw = json.loads(path.read_bytes())
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        log.warning("deletion request %s unreadable: %s", path, type(exc).__name__)
        return []
    out = []
    for item in raw if isinstance(raw, list) else [raw]:
        with contextlib.suppress(ValidationError):
            out.append(DeletionRequest.model_validate(item))
    return out


#: Tokens handed over by "delete all data" (which then removes the upload token from the
#: keyring) so the deletion request it leaves can still authenticate in this process. A copy
#: waits in the keyring (never in a file) under `DELETION_TOKEN_PREFIX + request id` for a
#: later process, and is removed once that request is delivered or abandoned.
deletion_tokens: dict[str, str] = {}
DELETION_TOKEN_PREFIX = "deletion-token:"


def _keep_deletion_token(
    data_dir: Path, request_id: str, token: str, secret_store: SecretStore | None
) -> None:
    from .settings import token_store

    secrets = token_store(data_dir, secret_store)
    if secrets is None:  # no keyring: memory only (a plain file is never a home for a token)
        return
    try:
        secrets.set(DELETION_TOKEN_PREFIX + request_id, token)
    except (SecretStoreError, OSError) as exc:
        log.warning("deletion request token kept in memory only: %s", type(exc).__name__)


def deletion_token(
    data_dir: Path, request_id: str, secret_store: SecretStore | None = None
) -> str | None:
    """The token a pending deletion request authenticates with (None: send it without)."""
    from .settings import token_store

    token = deletion_tokens.get(request_id)
    if token:
        return token
    secrets = token_store(data_dir, secret_store)
    if secrets is None:
        return None
    try:
        return secrets.get(DELETION_TOKEN_PREFIX + request_id) or None
    except (SecretStoreError, OSError):
        return None


def forget_deletion_token(
    data_dir: Path, request_id: str, secret_store: SecretStore | None = None
) -> None:
    """The request was delivered (or abandoned, or the user cleared the token): drop its copy."""
    from .settings import token_store

    deletion_tokens.pop(request_id, None)
    secrets = token_store(data_dir, secret_store)
    if secrets is None:
        return
    try:
        secrets.delete(DELETION_TOKEN_PREFIX + request_id)
    except (SecretStoreError, OSError) as exc:
        log.warning("deletion request token not removed from the keyring: %s", exc)


def prepare_deletion_request(
    store: Store, doc: StoreDocument, secret_store: SecretStore | None = None
) -> list[DeletionRequest]:
    """Called by "delete all data" *before* the store is reset (inside its lock).

    Adds one request per anonymous id the collector may hold data for: every id that ever had
    a record delivered (`sent_anonymous_ids`: earlier ids too, replaced by an opt-out and
    opt-in or a reset, which the server still holds though upload may be off now), plus the
    current id when upload is on. Ids that already have a pending request get no second one.
    Requests still pending from an earlier deletion are carried over: the deletion removes the
    upload files, and a request is only ever removed once delivered (or finally refused).
    """
    from .settings import EndpointError, get_token, resolve_logs_url

    pending = read_deletion_requests(store)
    wanted = list(read_state(store).sent_anonymous_ids)
    if doc.consent.upload_enabled and doc.anonymous_id not in wanted:
        wanted.append(doc.anonymous_id)
    covered = {r.anonymous_id for r in pending}
    missing = [a for a in wanted if a and a not in covered]
    if not missing:
        return pending
    try:
        url = resolve_logs_url(doc.upload.endpoint)
    except EndpointError:
        url = None
    if url is None:
        return pending
    token = get_token(store.data_dir, secret_store)
    requests = []
    for anonymous_id in missing:
        request = DeletionRequest(
            id=str(uuid.uuid4()),
            anonymous_id=anonymous_id,
            created_at=store.clock(),
            logs_url=url.url,
        )
        if token:
            deletion_tokens[request.id] = token
            _keep_deletion_token(store.data_dir, request.id, token, secret_store)
        requests.append(request)
    return [*pending, *requests]


def write_deletion_requests_locked(store: Store, requests: list[DeletionRequest]) -> None:
    """Written after the upload files were removed, so it survives the deletion it reports."""
    path = store.data_dir / DELETION_FILE
    if not requests:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        return
    payload = json.dumps([r.model_dump(mode="json") for r in requests]).encode()
    atomic_write(path, payload)


def _edit_deletion_requests(store: Store, request_id: str, *, delivered: bool) -> None:
    with store.lock():
        requests = read_deletion_requests(store)
        for request in requests:
            if request.id == request_id:
                request.attempts += 1
        if delivered:
            requests = [r for r in requests if r.id != request_id]
        write_deletion_requests_locked(store, requests)
        fsync_dir(store.data_dir)


def bump_deletion_attempts(store: Store, request_id: str) -> None:
    _edit_deletion_requests(store, request_id, delivered=False)


def clear_deletion_request(store: Store, request_id: str) -> None:
    """Delivered: remove it (only that one; a newer one may have arrived meanwhile)."""
    _edit_deletion_requests(store, request_id, delivered=True)
