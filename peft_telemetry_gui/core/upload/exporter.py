"""The upload worker: sends queued records to the collector, politely and never after opt-out.

A background thread takes a batch (100 records, or whatever is queued once the oldest has waited
5 s), re-reads upload consent from the store right before every request, and POSTs it. Only 429,
502, 503, 504 and network failures are retried, with exponential backoff and full jitter, and
`Retry-After` is honoured; any other answer is final for that batch (it leaves the queue and the
history says why). After 5 failures in a row a circuit breaker stops all traffic for 60 s, then
lets exactly one probe through. Every request is recorded in the upload history.

All timing collaborators (monotonic clock, wall clock, RNG, waiting) are injectable, and `step()`
does one unit of work without waiting, so tests drive the state machine deterministically.
"""

from __future__ import annotations

import atexit
import contextlib
import email.utils
import logging
import os
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

import httpx
from filelock import FileLock, Timeout
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ... import __version__
from ..clock import Clock
from ..models import ConsentState, UploadSettings
from ..secrets import SecretStore
from ..store import Store, StoreError
from .encode import (
    DEFAULT_SERVICE_NAME,
    MAX_REQUEST_BYTES,
    Encoding,
    ResourceInfo,
    build_deletion_request,
    decode_response,
    encode_body,
    split_batches,
    to_json,
)
from .history import HistoryEntry, UploadState, read_state, update_state
from .queue import (
    DeletionRequest,
    QueuedRecord,
    bump_deletion_attempts,
    clear_deletion_request,
    clear_queue_locked,
    deletion_token,
    forget_deletion_token,
    queue_stats,
    read_deletion_requests,
    read_queue,
    remove_records,
)
from .settings import EndpointError, UploadError, get_token, otlp_headers, resolve_logs_url

__all__ = [
    "RETRYABLE_STATUSES",
    "SENDER_BUSY_MESSAGE",
    "DeletionDelivery",
    "Preview",
    "SenderBusyError",
    "StepResult",
    "UploadStatus",
    "UploadWorker",
    "deliver_deletion_requests",
    "ensure_worker",
    "get_worker",
    "preview_next_batch",
    "send_now",
    "stop_workers",
    "try_sender_lock",
    "upload_status",
]

log = logging.getLogger(__name__)

RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})
SENDER_LOCK = ".upload-sender.lock"
DELETION_FINAL_ATTEMPTS = 10  # a deletion request the server keeps *refusing* (401, 400, ...)

State = Literal["off", "idle", "waiting", "sending", "backing_off", "circuit_open"]

SENDER_BUSY_MESSAGE = (
    "another program is sending right now, so nothing was sent from here "
    "(it delivers what is queued itself)"
)


class SenderBusyError(UploadError):
    """Another sender holds this data folder's sender lock: sending too would send twice."""

    def __init__(self, message: str = SENDER_BUSY_MESSAGE) -> None:
        super().__init__(message)


def try_sender_lock(data_dir: Path) -> FileLock | None:
    """The one-sender-per-data-folder lock, tried without waiting; None when it is held.

    Every sender takes it before its first request and keeps it while it sends: the host's
    background worker (for its lifetime), `upload send-now` and the app's Send now (for the
    call). Two senders reading the same queue would otherwise both POST the same records. It is
    an OS advisory lock (flock/LockFileEx), so a crashed holder releases it with its process.
    Not thread-local: a worker may be stopped from another thread than the one that locked.
    """
    lock = FileLock(str(Path(data_dir) / SENDER_LOCK), timeout=0, mode=0o600, thread_local=False)
    try:
        Path(data_dir).mkdir(parents=True, exist_ok=True, mode=0o700)
        lock.acquire()
    except (Timeout, OSError):
        return None
    return lock


# ------------------------------------------------------------------------ consent view
class _UploadView(BaseModel):
    """The part of `telemetry.json` the worker needs (events are skipped by validation)."""

    model_config = ConfigDict(extra="ignore")

    schema_version: int = 0
    anonymous_id: str = ""
    consent: ConsentState = Field(default_factory=ConsentState)
    upload: UploadSettings = Field(default_factory=UploadSettings)

    @property
    def allowed(self) -> bool:
        return self.consent.enabled and self.consent.upload_enabled


def _read_view(store: Store) -> _UploadView | None:
    """None when there is no readable store: then nothing is allowed."""
    try:
        view = _UploadView.model_validate_json(store.path.read_bytes())
    except (OSError, ValueError, ValidationError):
        return None
    return view if view.schema_version >= 1 else None


# ----------------------------------------------------------------------------- results
@dataclass
class _Answer:
    status: int | None
    retryable: bool
    message: str
    retry_after: float | None = None
    rejected: int = 0
    partial_message: str = ""


@dataclass(frozen=True)
class StepResult:
    """What one `step()` did: `delay` is how long the thread should wait before the next."""

    delay: float
    sent: int = 0  # records delivered (or finally refused) by this step
    requests: int = 0
    failed: bool = False


def _host(url: str) -> str:
    return httpx.URL(url).host or url


def _plain_status(status: int, url: str, detail: str) -> str:
    host = _host(url)
    extra = f": {detail}" if detail else ""
    if status == 429:
        return f"{host} asked us to slow down (HTTP 429); will retry later"
    if status in (502, 503, 504):
        return f"{host} is temporarily unavailable (HTTP {status}); will retry later"
    if status in (401, 403):
        return f"{host} refused the upload token (HTTP {status}); check the token"
    if status == 404:
        return f"nothing at {url} accepts logs (HTTP 404); check the endpoint"
    if status == 413:
        return f"{host} found the batch too large (HTTP 413); it was not sent"
    if 300 <= status < 400:
        return f"{host} redirected the upload (HTTP {status}); set the final address instead"
    return f"{host} refused the batch (HTTP {status}){extra}; it will not be retried"


def _parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds, from either form RFC 9110 allows: delay-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


# ------------------------------------------------------------------------------ status
@dataclass(frozen=True)
class UploadStatus:
    """Everything the Upload page and `upload status` show."""

    upload_enabled: bool
    state: State
    until: datetime | None
    queued: int
    queued_bytes: int
    drops: dict[str, int]
    last_success: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    endpoint: str | None
    endpoint_source: str | None
    endpoint_problem: str | None
    deletion_pending: int
    rejected_total: int
    history: list[HistoryEntry] = field(default_factory=list)

    @property
    def drops_total(self) -> int:
        return sum(self.drops.values())

    def describe(self) -> str:
        """The state in plain words."""
        at = self.until.astimezone().strftime("%H:%M:%S") if self.until else ""
        if self.state == "off":
            text = "Upload is off."
            if self.deletion_pending:
                text += " A deletion request for your earlier data is still waiting to be sent."
            return text
        if self.endpoint_problem:
            return f"Upload is on but nothing can be sent: {self.endpoint_problem}"
        if self.state == "idle" and self.queued:
            return (
                f"Upload is on; {self.queued:,} records waiting (sent while an app using "
                "telemetry or this app is open, or with Send now)."
            )
        return {
            "idle": "Upload is on; nothing waiting.",
            "waiting": "Upload is on; collecting a batch.",
            "sending": "Sending…",
            "backing_off": f"The last attempt failed; retrying at {at}.",
            "circuit_open": f"The collector kept failing; paused until {at}, then one retry.",
        }.get(self.state, self.state)


def upload_status(
    store: Store,
    worker: UploadWorker | None = None,
    environ: Mapping[str, str] | None = None,
) -> UploadStatus:
    view = _read_view(store)
    state: UploadState = read_state(store)
    queued, queued_bytes = queue_stats(store)
    url = source = problem = None
    try:
        resolved = resolve_logs_url(view.upload.endpoint if view else None, environ)
        if resolved is not None:
            url, source = resolved.url, resolved.source
        elif view is not None and view.allowed:
            problem = "no endpoint is set"
    except EndpointError as exc:
        problem = str(exc)
    enabled = bool(view and view.allowed)
    live_state: State = "idle" if enabled else "off"
    until = None
    if worker is not None and enabled:
        live_state, until = worker.live_state()
    return UploadStatus(
        upload_enabled=enabled,
        state=live_state,
        until=until,
        queued=queued,
        queued_bytes=queued_bytes,
        drops=dict(state.drops),
        last_success=state.last_success,
        last_error=state.last_error,
        last_error_at=state.last_error_at,
        endpoint=url,
        endpoint_source=source,
        endpoint_problem=problem,
        deletion_pending=len(read_deletion_requests(store)),
        rejected_total=state.rejected_total,
        history=list(state.history),
    )


# ------------------------------------------------------------------------------ worker
class UploadWorker:
    """One per data folder and process (see `ensure_worker`); across processes an advisory
    sender lock keeps a single sender, so a host app and the desktop app never double-send."""

    def __init__(
        self,
        store: Store,
        *,
        app_name: str | None = None,
        app_version: str | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 10.0,
        batch_size: int = 100,
        flush_interval: float = 5.0,
        poll_interval: float = 5.0,
        encoding: Encoding = "protobuf",
        compress: bool = True,
        max_request_bytes: int = MAX_REQUEST_BYTES,
        secret_store: SecretStore | None = None,
        environ: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Clock | None = None,
        rng: random.Random | None = None,
        backoff_base: float = 1.0,
        backoff_cap: float = 300.0,
        retry_after_cap: float = 3600.0,
        breaker_threshold: int = 5,
        breaker_cooldown: float = 60.0,
    ) -> None:
        self.store = store
        self.app_name = app_name
        self.app_version = app_version
        self.batch_size = max(1, batch_size)
        self.flush_interval = flush_interval
        self.poll_interval = poll_interval
        self.encoding: Encoding = encoding
        self.compress = compress
        self.max_request_bytes = max_request_bytes
        self.secret_store = secret_store
        self.environ = environ
        self.clock = clock
        self.wall_clock: Clock = wall_clock or store.clock
        self.rng = rng or random.Random()
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.retry_after_cap = retry_after_cap
        self.breaker_threshold = breaker_threshold
        self.breaker_cooldown = breaker_cooldown
        self.timeout = timeout
        self._http = httpx.Client(
            transport=transport, timeout=timeout, follow_redirects=False, trust_env=False
        )
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._force = False
        self._thread: threading.Thread | None = None
        self._sender_lock: FileLock | None = None
        # backoff / breaker
        self.failures = 0  # consecutive
        self._next_attempt = 0.0  # monotonic
        self._open_until: float | None = None
        self._state: State = "idle"
        self._until: datetime | None = None
        #: Every request this worker made, newest last (also persisted, bounded, in history).
        self.requests: list[HistoryEntry] = []

    # -------------------------------------------------------------- lifecycle
    def start(self) -> UploadWorker:
        with self._lock:
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(
                    target=self._run, name="peft-telemetry-upload", daemon=True
                )
                self._thread.start()
        return self

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wake(self) -> None:
        """New records were queued (or settings changed): look again now."""
        self._wake.set()

    def request_send_now(self) -> None:
        """The user's "Send now": ignore the batching delay and any backoff, once."""
        with self._lock:
            self._force = True
        self._wake.set()

    def shutdown(self, timeout: float = 5.0) -> None:
        """Idempotent; interrupts any backoff wait at once (an in-flight request is bounded by
        the HTTP timeout)."""
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        if thread is None or not thread.is_alive():
            with contextlib.suppress(Exception):
                self._http.close()
            # Still in a request otherwise: the thread lets go itself when it ends, so nobody
            # else starts sending the same records meanwhile.
            self._release_sender_lock()

    close = shutdown

    def live_state(self) -> tuple[State, datetime | None]:
        with self._lock:
            return self._state, self._until

    def _set_state(self, state: State, delay: float | None = None) -> None:
        with self._lock:
            self._state = state
            self._until = (
                self.wall_clock() + timedelta(seconds=delay) if delay is not None else None
            )

    # -------------------------------------------------------------- thread
    def _run(self) -> None:
        while not self._stop.is_set():
            if not self._acquire_sender_lock():
                self._wake.wait(self.poll_interval)
                self._wake.clear()
                continue
            try:
                result = self.step()
                delay = result.delay
            except Exception:  # keep the thread alive whatever a server or the disk does
                log.warning("upload step failed", exc_info=True)
                delay = self.poll_interval
            if delay > 0 and not self._stop.is_set():
                self._wake.wait(delay)
                self._wake.clear()
        self._release_sender_lock()

    @property
    def is_sender(self) -> bool:
        """True while this worker holds the data folder's sender lock."""
        return self._sender_lock is not None

    def _acquire_sender_lock(self) -> bool:
        if self._sender_lock is not None:
            return True
        self._sender_lock = try_sender_lock(self.store.data_dir)
        return self._sender_lock is not None

    def _release_sender_lock(self) -> None:
        lock, self._sender_lock = self._sender_lock, None
        if lock is not None:
            with contextlib.suppress(Exception):
                lock.release()

    # -------------------------------------------------------------- one unit of work
    def step(self, force: bool = False) -> StepResult:
        """Send at most one batch (or the pending deletion request). Never waits."""
        with self._lock:
            force, self._force = force or self._force, False
        now = self.clock()
        if not force:
            if self._open_until is not None and now < self._open_until:
                return self._idle_result("circuit_open", self._open_until - now)
            if now < self._next_attempt:
                return self._idle_result("backing_off", self._next_attempt - now)
        deletions = read_deletion_requests(self.store)
        if deletions:
            return self._send_deletion(deletions[0])
        view, batch = self._take_batch()
        if view is None or not view.allowed:
            self._set_state("off")
            return StepResult(self.poll_interval)
        if not batch:
            self._set_state("idle")
            return StepResult(self.poll_interval)
        if not force and len(batch) < self.batch_size:
            age = (self.wall_clock() - batch[0].at).total_seconds()
            if 0 <= age < self.flush_interval:  # (a negative age: the clock jumped; send)
                self._set_state("waiting")
                return StepResult(self.flush_interval - age)
        return self._send_events(batch)

    def _idle_result(self, state: State, delay: float) -> StepResult:
        self._set_state(state, delay)
        return StepResult(delay)

    def _take_batch(self) -> tuple[_UploadView | None, list[QueuedRecord]]:
        """Under the store lock: if upload is no longer allowed the queue is emptied here too
        (covers a consent change made by a process without the upload hook)."""
        with self.store.lock():
            view = _read_view(self.store)
            if view is None or not view.allowed:
                clear_queue_locked(self.store)
                return view, []
            records = [r for r in read_queue(self.store) if view.consent.category_on(r.category)]
            return view, records[: self.batch_size]

    def _resource(self) -> ResourceInfo:
        name, version = self.app_name, self.app_version
        if name is None:
            state = read_state(self.store)
            name, version = state.app_name, version or state.app_version
        return ResourceInfo(service_name=name or DEFAULT_SERVICE_NAME, service_version=version)

    def _headers(self, token: str | None) -> dict[str, str]:
        headers = otlp_headers(self.environ)
        headers["User-Agent"] = (
            f"peft-telemetry-gui/{__version__} ({self._resource().service_name})"
        )
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return headers

    # -------------------------------------------------------------- sending events
    def _send_events(self, batch: list[QueuedRecord]) -> StepResult:
        resource = self._resource()
        sent = requests = 0
        for chunk, request in split_batches(batch, resource, self.max_request_bytes):
            if not request.resource_logs:
                remove_records(self.store, {r.id for r in chunk})
                update_state(self.store, lambda s: s.count_drop("too_large", 1))
                continue
            # The one check that matters: consent (master, upload and each record's category),
            # read from disk right before sending.
            view = _read_view(self.store)
            if view is None or not view.allowed:
                with contextlib.suppress(StoreError), self.store.lock():
                    clear_queue_locked(self.store)
                self._set_state("off")
                return StepResult(self.poll_interval, sent, requests)
            if not all(view.consent.category_on(r.category) for r in chunk):
                # A category was switched off since the batch was taken (possibly while an
                # earlier chunk was in flight). Its records must not leave now: end the step,
                # and the next one takes a fresh batch under the new consent (the switch has
                # already taken that category's records out of the queue).
                self._set_state("idle")
                return StepResult(0.0, sent, requests)
            try:
                url = resolve_logs_url(view.upload.endpoint, self.environ)
            except EndpointError as exc:
                url = None
                problem = str(exc)
            else:
                problem = "no endpoint is set"
            if url is None:
                update_state(self.store, lambda s, p=problem: _note_error(s, self.wall_clock(), p))
                self._set_state("idle")
                return StepResult(self.poll_interval, sent, requests, failed=True)
            body, content_headers = encode_body(request, self.encoding, self.compress)
            headers = {**self._headers(get_token(self.store.data_dir, self.secret_store))}
            headers.update(content_headers)
            self._set_state("sending")
            answer = self._post(url.url, body, headers)
            requests += 1
            ok = self._finish_events(chunk, body, answer)
            if ok is None:  # retry later: the chunk (and the rest of the batch) stays queued
                return StepResult(self._after_failure(answer), sent, requests, failed=True)
            sent += len(chunk)
        self._set_state("idle")
        return StepResult(0.0, sent, requests)

    def _finish_events(
        self, chunk: list[QueuedRecord], body: bytes, answer: _Answer
    ) -> bool | None:
        """Records the request; returns True (delivered), False (final refusal), None (retry)."""
        at = self.wall_clock()
        ids = {r.id for r in chunk}
        if answer.status is not None and 200 <= answer.status < 300:
            outcome = "partial" if (answer.rejected or answer.partial_message) else "delivered"
            message = ""
            if outcome == "partial":
                message = (
                    f"the collector accepted {len(chunk) - answer.rejected} of {len(chunk)} "
                    f"records and rejected {answer.rejected}"
                    + (f": {answer.partial_message}" if answer.partial_message else "")
                )
            entry = HistoryEntry(
                at=at,
                records=len(chunk),
                bytes=len(body),
                status=answer.status,
                outcome=outcome,
                rejected=answer.rejected,
                message=message,
            )
            remove_records(self.store, ids)
            anon = {r.anonymous_id for r in chunk}

            def delivered(state: UploadState) -> None:
                state.record(entry)
                for anonymous_id in anon:
                    state.remember_sent_id(anonymous_id)

            update_state(self.store, delivered)
            self.requests.append(entry)
            self._after_success()
            return True
        if answer.retryable:
            entry = HistoryEntry(
                at=at,
                records=len(chunk),
                bytes=len(body),
                status=answer.status,
                outcome="retry",
                message=answer.message,
            )
            update_state(self.store, lambda s: s.record(entry))
            self.requests.append(entry)
            return None
        entry = HistoryEntry(
            at=at,
            records=len(chunk),
            bytes=len(body),
            status=answer.status,
            outcome="rejected",
            rejected=len(chunk),
            message=answer.message,
        )
        remove_records(self.store, ids)

        def refused(state: UploadState) -> None:
            state.record(entry)
            state.count_drop("rejected", len(chunk))

        update_state(self.store, refused)
        self.requests.append(entry)
        # The server answered: it is up, so this does not count toward the breaker.
        self._after_success()
        return False

    # -------------------------------------------------------------- deletion request
    def _send_deletion(self, request: DeletionRequest) -> StepResult:
        resource = self._resource()
        body, content_headers = encode_body(
            build_deletion_request(request, resource), self.encoding, self.compress
        )
        token = deletion_token(self.store.data_dir, request.id, self.secret_store) or get_token(
            self.store.data_dir, self.secret_store
        )
        headers = self._headers(token)
        headers.update(content_headers)
        self._set_state("sending")
        answer = self._post(request.logs_url, body, headers)
        delivered = answer.status is not None and 200 <= answer.status < 300
        gave_up = (
            not delivered
            and not answer.retryable
            and request.attempts + 1 >= DELETION_FINAL_ATTEMPTS
        )
        message = answer.message
        if gave_up:
            message = (
                f"gave up on the deletion request after {request.attempts + 1} refusals: {message}"
            )
        entry = HistoryEntry(
            at=self.wall_clock(),
            kind="deletion_request",
            records=1,
            bytes=len(body),
            status=answer.status,
            outcome="delivered" if delivered else ("failed" if gave_up else "retry"),
            message="" if delivered else message,
        )
        update_state(self.store, lambda s: s.record(entry))
        self.requests.append(entry)
        if delivered or gave_up:
            clear_deletion_request(self.store, request.id)
            forget_deletion_token(self.store.data_dir, request.id, self.secret_store)
            self._after_success()
            return StepResult(0.0, 1, 1, failed=gave_up)
        bump_deletion_attempts(self.store, request.id)
        return StepResult(self._after_failure(answer), 0, 1, failed=True)

    # -------------------------------------------------------------- backoff + breaker
    def _after_success(self) -> None:
        self.failures = 0
        self._next_attempt = 0.0
        self._open_until = None

    def _after_failure(self, answer: _Answer) -> float:
        """Full-jitter exponential backoff, `Retry-After` when given, breaker after N."""
        self.failures += 1
        now = self.clock()
        if answer.retry_after is not None:
            delay = min(answer.retry_after, self.retry_after_cap)
        else:
            ceiling = min(self.backoff_cap, self.backoff_base * 2 ** (self.failures - 1))
            delay = self.rng.uniform(0, ceiling)
        if self.failures >= self.breaker_threshold:
            # Open (or re-open after a failed half-open probe): nothing for the cool-down.
            delay = max(delay, self.breaker_cooldown)
            self._open_until = now + delay
            self._next_attempt = now + delay
            self._set_state("circuit_open", delay)
        else:
            self._next_attempt = now + delay
            self._set_state("backing_off", delay)
        return delay

    @property
    def circuit_open(self) -> bool:
        return self._open_until is not None and self.clock() < self._open_until

    # -------------------------------------------------------------- HTTP
    def _post(self, url: str, body: bytes, headers: dict[str, str]) -> _Answer:
        try:
            response = self._http.post(url, content=body, headers=headers)
        except httpx.TimeoutException:
            return _Answer(
                None, True, f"{_host(url)} did not answer within {self.timeout:g} s; will retry"
            )
        except httpx.TransportError as exc:
            reason = (
                "connection refused" if isinstance(exc, httpx.ConnectError) else "network error"
            )
            return _Answer(None, True, f"could not reach {_host(url)} ({reason}); will retry")
        status = response.status_code
        if 200 <= status < 300:
            decoded = decode_response(response.content, response.headers.get("content-type", ""))
            rejected, partial = 0, ""
            if decoded is not None and decoded.HasField("partial_success"):
                rejected = int(decoded.partial_success.rejected_log_records)
                partial = decoded.partial_success.error_message[:300]
            return _Answer(status, False, "", rejected=rejected, partial_message=partial)
        retry_after = None
        if status in RETRYABLE_STATUSES:
            retry_after = _parse_retry_after(response.headers.get("retry-after"), self.wall_clock())
        detail = ""
        if "text/plain" in response.headers.get("content-type", ""):
            detail = response.text.strip().splitlines()[0][:200] if response.text.strip() else ""
        return _Answer(
            status,
            status in RETRYABLE_STATUSES,
            _plain_status(status, url, detail),
            retry_after=retry_after,
        )


def _note_error(state: UploadState, at: datetime, message: str) -> None:
    state.last_error, state.last_error_at = message, at


# ------------------------------------------------------------------------- registry
_registry_lock = threading.Lock()
_workers: dict[Path, UploadWorker] = {}
_atexit_registered = False


def _key(data_dir: Path) -> Path:
    return Path(os.path.abspath(data_dir))


def ensure_worker(store: Store, **kwargs: object) -> UploadWorker:
    """The running worker for this data folder in this process, started on first use."""
    global _atexit_registered
    with _registry_lock:
        key = _key(store.data_dir)
        worker = _workers.get(key)
        if worker is None or not worker.running:
            worker = UploadWorker(store, **kwargs).start()  # type: ignore[arg-type]
            _workers[key] = worker
        if not _atexit_registered:
            atexit.register(stop_workers, 1.0)
            _atexit_registered = True
        return worker


def get_worker(data_dir: Path) -> UploadWorker | None:
    with _registry_lock:
        return _workers.get(_key(data_dir))


def stop_workers(timeout: float = 5.0) -> None:
    with _registry_lock:
        workers = list(_workers.values())
        _workers.clear()
    for worker in workers:
        worker.shutdown(timeout)


# ------------------------------------------------------------------------- one-shot
def send_now(store: Store, *, max_requests: int = 1000, **kwargs: object) -> list[HistoryEntry]:
    """Send everything queued now, in the caller's thread (CLI `upload send-now`, the app's
    Send now when no worker runs in it).

    Stops at the first failure (the records stay queued for the next try). Uses the running
    worker's rules but not its thread; returns the requests made. Holds the sender lock while it
    sends and raises SenderBusyError, sending nothing, when another sender holds it (another
    process, or this process's own running worker: ask that one with `request_send_now`).
    """
    running = get_worker(store.data_dir)
    worker = UploadWorker(store, **kwargs)  # type: ignore[arg-type]
    try:
        if not worker._acquire_sender_lock():
            raise SenderBusyError()
        for _ in range(max_requests):
            result = worker.step(force=True)
            if result.failed or result.requests == 0:
                break
    finally:
        worker.shutdown()
        if running is not None:
            running.wake()
    return worker.requests


@dataclass(frozen=True)
class DeletionDelivery:
    """What became of the deletion request right after "delete all data", in one line."""

    outcome: Literal["none", "delivered", "pending", "busy", "abandoned"]
    message: str


def deliver_deletion_requests(
    store: Store, *, timeout: float = 3.0, **kwargs: object
) -> DeletionDelivery:
    """Try to deliver the pending deletion requests now, each attempt bounded by `timeout`.

    Called right after "delete all data" (CLI and app) so the user learns at once whether the
    collector was told, instead of the request waiting for some later sender. Never raises for
    network trouble: an undelivered request stays pending and is retried by later senders.
    """
    count = len(read_deletion_requests(store))
    if not count:
        return DeletionDelivery("none", "")
    running = get_worker(store.data_dir)
    if running is not None and running.running and running.is_sender:
        # This process's own worker holds the lock: let it send, and wait for the answer.
        running.request_send_now()
        deadline = time.monotonic() + timeout + 1.0
        while read_deletion_requests(store) and time.monotonic() < deadline:
            time.sleep(0.05)
    else:
        try:
            send_now(store, timeout=timeout, **kwargs)
        except SenderBusyError:
            return DeletionDelivery(
                "busy",
                "The deletion request was not sent from here: another program is sending right "
                "now and will deliver it.",
            )
    attempts = [h for h in read_state(store).history if h.kind == "deletion_request"]
    last = attempts[-1] if attempts else None
    if not read_deletion_requests(store):
        if last is not None and last.outcome == "failed":
            return DeletionDelivery("abandoned", last.message[:1].upper() + last.message[1:])
        if count > 1:  # earlier ids too (an opt-out and back in replaced the id in between)
            return DeletionDelivery(
                "delivered",
                f"The {count} deletion requests for your previous anonymous ids were delivered.",
            )
        return DeletionDelivery(
            "delivered", "The deletion request for your previous anonymous id was delivered."
        )
    reason = ""
    if last is not None and last.message:
        reason = f" ({last.message.removesuffix(' later').removesuffix('; will retry')})"
    return DeletionDelivery(
        "pending",
        f"The deletion request could not be delivered yet{reason}; it is kept and will be "
        "retried (the desktop app does so while open, or run 'peft-telemetry upload send-now').",
    )


@dataclass(frozen=True)
class Preview:
    """Exactly what the next request would carry, decoded, before anything is sent."""

    kind: Literal["events", "deletion_request", "nothing"]
    records: int
    url: str | None
    headers: dict[str, str]
    body_json: str
    note: str = ""


def preview_next_batch(
    store: Store,
    *,
    batch_size: int = 100,
    app_name: str | None = None,
    app_version: str | None = None,
    secret_store: SecretStore | None = None,
    environ: Mapping[str, str] | None = None,
) -> Preview:
    worker = UploadWorker(
        store,
        batch_size=batch_size,
        app_name=app_name,
        app_version=app_version,
        secret_store=secret_store,
        environ=environ,
    )
    try:
        token = get_token(store.data_dir, secret_store)
        headers = worker._headers("(hidden)" if token else None)
        for name in list(headers):
            if name.lower() not in ("user-agent", "authorization"):
                headers[name] = "(hidden)"  # OTEL_EXPORTER_OTLP_HEADERS values may be secrets
        headers["Content-Type"] = "application/x-protobuf"
        headers["Content-Encoding"] = "gzip"
        deletions = read_deletion_requests(store)
        if deletions:
            request = deletions[0]
            message = build_deletion_request(request, worker._resource())
            return Preview(
                "deletion_request",
                1,
                request.logs_url,
                headers,
                to_json(message, indent=2),
                "Asks the collector to erase everything recorded under your previous anonymous id.",
            )
        view = _read_view(store)
        if view is None or not view.allowed:
            return Preview("nothing", 0, None, {}, "", "Upload is off: nothing will be sent.")
        batch = [r for r in read_queue(store) if view.consent.category_on(r.category)]
        batch = batch[:batch_size]
        try:
            url = resolve_logs_url(view.upload.endpoint, environ)
        except EndpointError as exc:
            return Preview("nothing", 0, None, {}, "", str(exc))
        if not batch:
            return Preview("nothing", 0, url.url if url else None, headers, "", "Nothing queued.")
        chunk, request_msg = next(iter(split_batches(batch, worker._resource())))
        return Preview(
            "events", len(chunk), url.url if url else None, headers, to_json(request_msg, indent=2)
        )
    finally:
        worker.shutdown()
