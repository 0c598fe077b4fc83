"""The upload worker: sends queued records to the collector, politely and never after opt-out.

A background thread takes a batch (100 records, or whatever is queued once the oldest has waited
5 s), re-reads upload consent from the store right before every request, and POSTs it. Retries
follow `retry.Backoff`; any answer that is not retryable is final for that batch (it leaves the
queue and the history says why). Every request is recorded in the upload history.

All timing collaborators (monotonic clock, wall clock, RNG, waiting) are injectable, and `step()`
does one unit of work without waiting, so tests drive the state machine deterministically.
"""

from __future__ import annotations

import contextlib
import logging
import random
import threading
import time
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import httpx
from filelock import FileLock

from ..._version import __version__
from ..clock import Clock
from ..env import env_override
from ..i18n import tr
from ..secrets import SecretStore
from ..store import Store, StoreError
from .connection import Connections, ConnectionSetupError, otlp_compression, otlp_timeout
from .credentials import deletion_token, forget_deletion_token, get_token
from .deletion import read_deletion_requests
from .encode import (
    DEFAULT_SERVICE_NAME,
    MAX_REQUEST_BYTES,
    Encoding,
    ResourceInfo,
    build_deletion_request,
    encode_body,
    split_batches,
)
from .endpoint import EndpointError, otlp_headers, resolve_logs_url
from .history import HistoryEntry, UploadState, read_state, update_state
from .outcomes import settle_deletion, settle_events
from .queue import UploadQueue
from .records import DeletionRequest, QueuedRecord
from .retry import Backoff
from .sender import SENDER_BUSY_MESSAGE, SenderBusyError, try_sender_lock
from .transport import Answer, post
from .view import UploadView, read_view

__all__ = [
    "SENDER_BUSY_MESSAGE",
    "SenderBusyError",
    "State",
    "StepResult",
    "UploadWorker",
    "try_sender_lock",
]

log = logging.getLogger(__name__)

State = Literal["off", "idle", "waiting", "sending", "backing_off", "circuit_open"]


@dataclass(frozen=True)
class StepResult:
    """What one `step()` did: `delay` is how long the thread should wait before the next."""

    delay: float
    sent: int = 0  # records delivered (or finally refused) by this step
    requests: int = 0
    failed: bool = False


def _note_error(state: UploadState, at: datetime, message: str) -> None:
    state.last_error, state.last_error_at = message, at


class UploadWorker:
    """One per data folder and process (see `UploadRuntime`); across processes an advisory
    sender lock keeps a single sender, so a host app and the desktop app never double-send."""

    def __init__(
        self,
        store: Store,
        *,
        app_name: str | None = None,
        app_version: str | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: float | None = None,
        batch_size: int = 100,
        flush_interval: float = 5.0,
        poll_interval: float = 5.0,
        encoding: Encoding = "protobuf",
        compress: bool | None = None,
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
        deletion_tokens: MutableMapping[str, str] | None = None,
    ) -> None:
        self.store = store
        self.queue = UploadQueue(store)
        self.app_name = app_name
        self.app_version = app_version
        self.batch_size = max(1, batch_size)
        self.flush_interval = flush_interval
        self.poll_interval = poll_interval
        self.encoding: Encoding = encoding
        # Explicit arguments win; then the OTLP variables; then ours (10 s, gzip).
        compression = otlp_compression(environ) if compress is None else compress
        self.compress = True if compression is None else compression
        self.max_request_bytes = max_request_bytes
        self.secret_store = secret_store
        self.environ = environ
        self.clock = clock
        self.wall_clock: Clock = wall_clock or store.clock
        self.timeout = timeout if timeout is not None else (otlp_timeout(environ) or 10.0)
        #: Tokens "delete all data" handed over in this process (see `UploadRuntime`).
        self.deletion_tokens: MutableMapping[str, str] = (
            {} if deletion_tokens is None else deletion_tokens
        )
        self.backoff = Backoff(
            clock,
            rng or random.Random(),
            base=backoff_base,
            cap=backoff_cap,
            retry_after_cap=retry_after_cap,
            threshold=breaker_threshold,
            cooldown=breaker_cooldown,
        )
        self._connections = Connections(environ, timeout=self.timeout, transport=transport)
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._force = False
        self._thread: threading.Thread | None = None
        self._sender_lock: FileLock | None = None
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
            self._connections.close()
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

    @property
    def failures(self) -> int:
        return self.backoff.failures

    @property
    def circuit_open(self) -> bool:
        return self.backoff.circuit_open

    # -------------------------------------------------------------- thread
    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                sender = self.acquire_sender_lock()
            except OSError as exc:  # the folder went away or became unwritable: look later
                log.warning("upload cannot lock %s: %s", self.store.data_dir, exc.strerror or exc)
                sender = False
            if not sender:
                self._wake.wait(self.poll_interval)
                self._wake.clear()
                continue
            try:
                delay = self.step().delay
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

    def acquire_sender_lock(self) -> bool:
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
        if not force:
            held = self.backoff.waiting()
            if held is not None:
                self._set_state(*held)
                return StepResult(held[1])
        deletions = read_deletion_requests(self.store)
        if deletions:
            return self._send_deletion(deletions[0])
        view, batch = (None, []) if self.blocked_by else self._take_batch()
        if view is None or not view.allowed:  # (the environment's opt-out keeps the queue)
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

    def _take_batch(self) -> tuple[UploadView | None, list[QueuedRecord]]:
        """Under the store lock: if upload is no longer allowed the queue is emptied here too
        (covers a consent change made by a process without the upload hook)."""
        with self.store.lock():
            view = read_view(self.store)
            if view is None or not view.allowed:
                self.queue.clear_locked()
                return view, []
            records = [r for r in self.queue.read() if view.consent.category_on(r.category)]
            return view, records[: self.batch_size]

    def resource(self) -> ResourceInfo:
        name, version = self.app_name, self.app_version
        if name is None:
            state = read_state(self.store)
            name, version = state.app_name, version or state.app_version
        return ResourceInfo(service_name=name or DEFAULT_SERVICE_NAME, service_version=version)

    def headers(self, token: str | None) -> dict[str, str]:
        headers = otlp_headers(self.environ)
        headers["User-Agent"] = f"peft-telemetry-gui/{__version__} ({self.resource().service_name})"
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return headers

    def _post(self, url: str, body: bytes, headers: dict[str, str]) -> Answer:
        try:
            http = self._connections.client_for(url)
        except ConnectionSetupError as exc:  # kept queued; the user is told what to fix
            return Answer(None, True, str(exc))
        return post(http, url, body, headers, timeout=self.timeout, now=self.wall_clock())

    @property
    def blocked_by(self) -> str | None:
        """`DO_NOT_TRACK=1` (or the like) when the environment forbids sending events; read
        before every batch, so a host that sets it at run time is obeyed at once."""
        return env_override(self.environ)

    def _failed(self, answer: Answer) -> float:
        state, delay = self.backoff.failed(answer.retry_after)
        self._set_state(state, delay)
        return delay

    # -------------------------------------------------------------- sending events
    def _send_events(self, batch: list[QueuedRecord]) -> StepResult:
        resource = self.resource()
        sent = requests = 0
        for chunk, request in split_batches(batch, resource, self.max_request_bytes):
            if not request.resource_logs:
                self.queue.remove({r.id for r in chunk})
                update_state(self.store, lambda s: s.count_drop("too_large", 1))
                continue
            # The one check that matters: consent (master, upload and each record's category),
            # read from disk right before sending.
            view = read_view(self.store)
            if self.blocked_by:
                self._set_state("off")
                return StepResult(self.poll_interval, sent, requests)
            if view is None or not view.allowed:
                with contextlib.suppress(StoreError), self.store.lock():
                    self.queue.clear_locked()
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
                problem = tr("no endpoint is set")
            if url is None:
                update_state(self.store, lambda s, p=problem: _note_error(s, self.wall_clock(), p))
                self._set_state("idle")
                return StepResult(self.poll_interval, sent, requests, failed=True)
            body, content_headers = encode_body(request, self.encoding, self.compress)
            headers = self.headers(get_token(self.store.data_dir, self.secret_store))
            headers.update(content_headers)
            self._set_state("sending")
            answer = self._post(url.url, body, headers)
            requests += 1
            at = self.wall_clock()
            self.requests.append(
                settle_events(self.store, self.queue, chunk, len(body), answer, at)
            )
            if answer.retryable:  # retry later: the chunk (and the rest of the batch) stays
                return StepResult(self._failed(answer), sent, requests, failed=True)
            self.backoff.succeeded()  # the server answered: even a refusal is no breaker failure
            sent += len(chunk)
        self._set_state("idle")
        return StepResult(0.0, sent, requests)

    # -------------------------------------------------------------- deletion request
    def _send_deletion(self, request: DeletionRequest) -> StepResult:
        body, content_headers = encode_body(
            build_deletion_request(request, self.resource()), self.encoding, self.compress
        )
        data_dir = self.store.data_dir
        token = deletion_token(
            data_dir, request.id, self.deletion_tokens, self.secret_store
        ) or get_token(data_dir, self.secret_store)
        headers = self.headers(token)
        headers.update(content_headers)
        self._set_state("sending")
        answer = self._post(request.logs_url, body, headers)
        entry, finished = settle_deletion(self.store, request, len(body), answer, self.wall_clock())
        self.requests.append(entry)
        if finished:  # delivered, or finally refused
            forget_deletion_token(data_dir, request.id, self.deletion_tokens, self.secret_store)
            self.backoff.succeeded()
            return StepResult(0.0, 1, 1, failed=entry.outcome == "failed")
        return StepResult(self._failed(answer), 0, 1, failed=True)
