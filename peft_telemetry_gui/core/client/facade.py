"""The library host applications embed: `track_*` calls that cost the host next to nothing.

A call only checks a cached consent snapshot, takes a bounded snapshot of its arguments and
appends to a queue. A background writer (`writer.py`, built on its own thread) scrubs,
re-checks consent under the store lock (so a revocation made by any process wins) and
persists. Nothing here raises into the host, and importing this module loads no pydantic,
httpx, protobuf, keyring or Qt.
"""

from __future__ import annotations

import atexit
import contextlib
import math
import os
import random
import threading
import time
import types
import uuid
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from ..clock import Clock, utc_now
from ..constants import CATEGORIES, DEFAULT_MAX_EVENTS, DEFAULT_RETENTION_DAYS
from ..env import env_override, upload_worker_allowed
from ..paths import resolve_data_dir
from .capture import (
    MAX_UNIT,
    FlushRequest,
    Intake,
    Pending,
    error_type_name,
    log,
    positive_int,
    safe_name,
    sampling_rates,
    snapshot,
)

if TYPE_CHECKING:
    from ..scrub import ScrubLimits
    from ..secrets import SecretStore
    from ..store import Store
    from ..upload.runtime import UploadRuntime
    from .writer import UploadSinkFn, Writer

__all__ = ["TelemetryClient"]


class TelemetryClient:
    """See design §1. One per host process is the norm; several are safe.

    Collaborators are injected: `clock`, `secret_store`, `environ` (read here, once, for
    `DO_NOT_TRACK` and the data folder), `upload_runtime` (the workers; by default the client
    owns one and stops it on `close`, after its final flush).
    """

    def __init__(
        self,
        app_name: str = "PEFT Studio",
        data_dir: str | os.PathLike[str] | None = None,
        max_events: int = DEFAULT_MAX_EVENTS,
        retention_days: int = DEFAULT_RETENTION_DAYS,
        *,
        app_version: str | None = None,
        clock: Clock = utc_now,
        secret_store: SecretStore | None = None,
        environ: Mapping[str, str] | None = None,
        flush_interval: float = 2.0,
        flush_batch: int = 100,
        max_pending: int = 10_000,
        scrub_limits: ScrubLimits | None = None,
        upload_sink: UploadSinkFn | None = None,
        upload_runtime: UploadRuntime | None = None,
        start_session: bool = True,
        sampling: Mapping[str, float] | None = None,
    ) -> None:
        self.app_name = safe_name(app_name)
        self.app_version = app_version
        self.clock = clock
        self.data_dir = resolve_data_dir(data_dir, environ)
        self.env_override = env_override(environ)
        self.session_id = str(uuid.uuid4())
        self._max_events = positive_int(max_events, DEFAULT_MAX_EVENTS)
        self._retention_days = positive_int(retention_days, DEFAULT_RETENTION_DAYS)
        self._store: Store | None = None
        self._store_lock = threading.Lock()
        self._environ = environ
        self._secret_store = secret_store
        self._scrub_limits = scrub_limits
        self._upload_sink = upload_sink
        self._runtime = upload_runtime
        self._owns_runtime = upload_runtime is None
        self._flush_interval = flush_interval
        self._intake = Intake(
            max_pending=max(1, max_pending),
            flush_batch=max(1, flush_batch),
            host_sampling=sampling_rates(sampling),
        )
        self._closed = False
        self._off = self.env_override is not None
        self._started = time.monotonic()
        self._session = start_session
        self._writer_thread: threading.Thread | None = None
        self._writer: Writer | None = None
        if self._off:
            return
        self._writer_thread = threading.Thread(
            target=self._run_writer, name="peft-telemetry-writer", daemon=True
        )
        self._writer_thread.start()
        atexit.register(self.close)
        if start_session:
            props: dict[str, object] = {"app_name": self.app_name}
            if app_version:
                props["app_version"] = app_version
            self._enqueue("usage", "session_started", props, attach_system=True)

    # ------------------------------------------------------------------ host API
    @property
    def dropped(self) -> int:
        """Events refused because the queue was full or the input was unusable."""
        return self._intake.dropped

    @property
    def store(self) -> Store:
        """Built on first use (by the writer thread, as a rule): the store module brings
        pydantic, which a host should not pay for at import time."""
        with self._store_lock:
            if self._store is None:
                from ..store import Store

                self._store = Store(
                    self.data_dir,
                    max_events=self._max_events,
                    retention_days=self._retention_days,
                    clock=self.clock,
                )
            return self._store

    def _allows(self, category: str) -> bool:
        allowed = self._intake.allowed
        return not self._off and (allowed is None or category in allowed)

    def track_event(self, event_type: str, properties: Mapping[str, Any] | None = None) -> None:
        if not self._allows("usage"):
            return
        try:
            self._enqueue("usage", safe_name(event_type), properties)
        except Exception:  # never into the host
            self._intake.dropped += 1

    def track_error(
        self, error: BaseException, properties: Mapping[str, Any] | None = None
    ) -> None:
        if not self._allows("error"):
            return
        try:
            from ..scrub import stack_frames  # errors are rare: their cost is paid here

            try:
                message = str(error)
            except Exception:
                message = "[unrepresentable]"
            tb = getattr(error, "__traceback__", None)
            frames = stack_frames(tb if isinstance(tb, types.TracebackType) else None)
            self._enqueue(
                "error",
                "error",
                properties,
                error=(error_type_name(error), message[:10_000], frames),
            )
        except Exception:
            self._intake.dropped += 1

    def track_performance(
        self,
        metric_name: str,
        value: float,
        unit: str = "ms",
        properties: Mapping[str, Any] | None = None,
    ) -> None:
        if not self._allows("performance"):
            return
        try:
            number = float(value)
            if not math.isfinite(number):
                self._intake.dropped += 1
                return
            self._enqueue(
                "performance",
                "performance",
                properties,
                metric=(safe_name(metric_name), number, safe_name(unit, MAX_UNIT)),
            )
        except Exception:
            self._intake.dropped += 1

    @contextlib.contextmanager
    def timer(
        self, metric_name: str, properties: Mapping[str, Any] | None = None
    ) -> Iterator[None]:
        """Records the block's wall time in ms, also when it raises (the error still propagates)."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.track_performance(
                metric_name, (time.perf_counter() - start) * 1000.0, "ms", properties
            )

    def enable(self, categories: Mapping[str, bool] | None = None) -> bool:
        """Consent on (all categories unless given), audit-logged with actor "api"."""
        return self._set_consent(True, categories or dict.fromkeys(CATEGORIES, True))

    def disable(self) -> bool:
        """Consent off. Events not yet on disk are dropped by the writer's re-check."""
        self._intake.allowed = frozenset()
        return self._set_consent(False, None)

    def flush(self, timeout: float | None = 10.0) -> bool:
        """Block until everything accepted so far is durable on disk (True) or it failed."""
        thread = self._writer_thread
        if thread is None or not thread.is_alive():
            return not self._intake.queue
        request = FlushRequest(threading.Event())
        self._intake.queue.append(request)
        self._intake.wake.set()
        deadline = None if timeout is None else time.monotonic() + timeout
        # In slices: a writer that stops (close() from another thread) right after its last
        # look at the queue never answers, and the caller must not wait out the whole timeout.
        while not request.done.wait(0.05):
            if not thread.is_alive() or (deadline is not None and time.monotonic() > deadline):
                return request.done.is_set() and request.ok
        return request.ok

    def close(self, timeout: float = 10.0) -> None:
        """Flush, record `session_ended`, stop the writer, then the upload workers this client
        owns (in that order: the final flush may still queue uploads). Safe to call twice."""
        if self._closed:
            return
        try:
            if not self._off:
                duration = round(time.monotonic() - self._started, 3)
                if self._session and self._allows("usage"):
                    self._enqueue("usage", "session_ended", {"duration_s": duration})
            self._closed = self._intake.closed = True
            self.flush(timeout)
            self._intake.wake.set()
            if self._writer_thread is not None:
                self._writer_thread.join(timeout)
            if self._owns_runtime and self._runtime is not None:
                self._runtime.stop(min(timeout, 2.0))
        except Exception:
            log.debug("telemetry close failed", exc_info=True)
        finally:
            self._closed = self._intake.closed = True
            with contextlib.suppress(Exception):
                atexit.unregister(self.close)

    def __enter__(self) -> TelemetryClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ internals
    def _enqueue(
        self,
        category: str,
        event_type: str,
        properties: object,
        *,
        error: tuple[str, str, list[str]] | None = None,
        metric: tuple[str, float, str] | None = None,
        attach_system: bool = False,
    ) -> None:
        intake = self._intake
        if intake.closed:
            return
        rate = intake.sampling.get(category, 1.0)
        if rate < 1.0 and random.random() >= rate:
            return
        if len(intake.queue) >= intake.max_pending:
            intake.dropped += 1
            return
        intake.queue.append(
            Pending(
                self.clock(),
                category,
                event_type,
                snapshot(properties) if properties is not None else None,
                self.session_id,
                error,
                metric,
                attach_system,
            )
        )
        if len(intake.queue) >= intake.flush_batch and not intake.wake.is_set():
            intake.wake.set()

    def _set_consent(self, enabled: bool, categories: Mapping[str, bool] | None) -> bool:
        if self._off:
            return False
        from ..services.consent import set_consent
        from ..store import StoreError

        try:
            consent = set_consent(self.store, enabled=enabled, actor="api", categories=categories)
        except (StoreError, ValueError) as exc:
            log.warning("telemetry consent not changed: %s", exc)
            return False
        allowed = frozenset(c for c in CATEGORIES if consent.category_on(c))
        self._intake.remember_consent(allowed, consent.sampling)
        return True

    def _run_writer(self) -> None:
        try:
            writer = self._build_writer()
        except Exception:
            log.exception("telemetry writer could not start")
            return
        self._writer = writer
        writer.run(self._flush_interval)

    def _build_writer(self) -> Writer:
        from ..upload.runtime import UploadRuntime
        from ..upload.sink import UploadSink
        from .writer import Writer

        if self._runtime is None:
            self._runtime = UploadRuntime(autostart=upload_worker_allowed(self._environ))
        sink = self._upload_sink
        if sink is None:  # service.name = this app's name
            sink = UploadSink(
                self._runtime,
                self.app_name,
                self.app_version,
                environ=self._environ,
                secret_store=self._secret_store,
            )
        return Writer(
            self._intake,
            self.store,
            secret_store=self._secret_store,
            scrub_limits=self._scrub_limits,
            upload_sink=sink,
            runtime=self._runtime,
        )
