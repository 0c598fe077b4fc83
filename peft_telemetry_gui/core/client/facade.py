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
import functools
import math
import os
import random
import time
import types
import uuid
import weakref
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from ..clock import Clock, utc_now
from ..constants import CATEGORIES, DEFAULT_MAX_EVENTS, DEFAULT_RETENTION_DAYS
from ..env import env_override
from ..paths import STORE_FILE_NAME, resolve_data_dir
from .background import Background, StoreSettings
from .capture import Intake, Pending, error_type_name, log, safe_name, sampling_rates, snapshot
from .limits import explicit_limits
from .peek import peek_consent
from .settings import (
    bounded_float,
    catalogue_source,
    host_environ,
    positive_int,
    safe_clock,
    timeout_seconds,
)

if TYPE_CHECKING:
    from ..scrub import ScrubLimits
    from ..secrets import SecretStore
    from ..store import Store
    from ..upload.runtime import UploadRuntime
    from .writer import UploadSinkFn, Writer

__all__ = ["TelemetryClient"]


def _in_child(ref: weakref.ref[TelemetryClient]) -> None:
    """`os.register_at_fork(after_in_child=...)`, through a weak reference: a client that is
    gone costs a forking host nothing but this call. Never raises into `fork()`."""
    client = ref()
    if client is not None:
        try:
            client._after_fork_in_child()
        except Exception:
            log.debug("telemetry fork hook failed", exc_info=True)


class TelemetryClient:
    """See design §1. One per host process is the norm; several are safe.

    Collaborators are injected: `clock`, `secret_store`, `environ` (read here, once, for
    `DO_NOT_TRACK` and the data folder), `upload_runtime` (the workers; by default the client
    owns one and stops it on `close`, after its final flush), `rng` (sampling draws from it,
    never from the host's global `random`). Settings of the wrong type or range are replaced,
    with one warning each (`settings.py`). A forked child gets its own queue, locks, store
    object and writer (started by its first call that needs one) and none of the parent's
    pending events or upload workers; see docs/store.md, "Host processes".

    `catalogue` (a path or a dict, see `core/catalogue.py`): only the events and properties it
    declares are recorded, and the app and the CLI show it to the user; one that cannot be
    used is refused with one warning and recording follows the categories.
    """

    def __init__(
        self,
        app_name: str = "PEFT Studio",
        data_dir: str | os.PathLike[str] | None = None,
        max_events: int | None = None,
        retention_days: int | None = None,
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
        rng: random.Random | None = None,
        catalogue: str | os.PathLike[str] | Mapping[str, Any] | None = None,
    ) -> None:
        self.app_name = safe_name(app_name)
        self.app_version = app_version
        self.clock = safe_clock(clock)
        environ = host_environ(environ)
        if data_dir is not None and not isinstance(data_dir, str | os.PathLike):
            log.warning("telemetry data_dir %r is not a path; using the default", data_dir)
            data_dir = None
        self.data_dir = resolve_data_dir(data_dir, environ)
        self.env_override = env_override(environ)
        self.session_id = str(uuid.uuid4())
        if rng is not None and not callable(getattr(rng, "random", None)):
            log.warning("telemetry rng %r has no random(); using a private one", rng)
            rng = None
        self._owns_rng = rng is None
        self._rng = rng if rng is not None else random.Random()
        self._intake = Intake(
            max_pending=positive_int(max_pending, 10_000, "max_pending"),
            flush_batch=positive_int(flush_batch, 100, "flush_batch"),
            host_sampling=sampling_rates(sampling),
        )
        limits = explicit_limits(max_events, retention_days)  # the store's, once written
        settings = StoreSettings(
            data_dir=self.data_dir,
            max_events=limits[0] or DEFAULT_MAX_EVENTS,
            retention_days=limits[1] or DEFAULT_RETENTION_DAYS,
            host_limits=limits,
            clock=self.clock,
            flush_interval=bounded_float(
                flush_interval, 2.0, name="flush_interval", low=0.001, high=3600.0
            ),
            app_name=self.app_name,
            app_version=app_version,
            environ=environ,
            secret_store=secret_store,
            scrub_limits=scrub_limits,
            upload_sink=upload_sink,
            catalogue=catalogue_source(catalogue),
        )
        self._bg = Background(self._intake, settings, upload_runtime)
        self._closed = False
        self._off = self.env_override is not None
        self._started = time.monotonic()
        self._session = bool(start_session)
        self._session_open = False  # `session_started` is queued
        if self._off:
            return
        known = peek_consent(self.data_dir / STORE_FILE_NAME)
        if known is not None:  # else the writer's first read decides, and calls wait for it
            self._intake.remember_consent(known.allowed, known.sampling)
        self._bg.start()
        atexit.register(self._close_at_exit)
        if hasattr(os, "register_at_fork"):
            ref = weakref.ref(self)
            os.register_at_fork(after_in_child=functools.partial(_in_child, ref))
        self._start_session()

    # ------------------------------------------------------------------ host API
    @property
    def dropped(self) -> int:
        """Events refused because the queue was full or the input was unusable."""
        return self._intake.dropped

    @property
    def store(self) -> Store:
        """Built on first use (by the writer thread, as a rule): the store module brings
        pydantic, which a host should not pay for at import time."""
        return self._bg.store

    @property
    def _writer(self) -> Writer | None:
        return self._bg.writer

    def _allows(self, category: str) -> bool:
        allowed = self._intake.allowed
        return not self._off and (allowed is None or category in allowed)

    def _start_session(self) -> None:
        """Queue `session_started` (with the system's description) once this process knows
        the user allows usage events: at construction, or at the first call after consent
        arrived (a host asks its user after building its client; the start was lost then).
        Unknown consent waits for the writer's first read rather than guess."""
        if self._session_open or not self._session:
            return
        allowed = self._intake.allowed
        if allowed is None or "usage" not in allowed:
            return
        self._session_open = True
        self._started = time.monotonic()  # the session as recorded: from its start event
        props: dict[str, object] = {"app_name": self.app_name}
        if self.app_version:
            props["app_version"] = self.app_version
        self._enqueue("usage", "session_started", props, attach_system=True)

    def track_event(self, event_type: str, properties: Mapping[str, Any] | None = None) -> None:
        if not self._allows("usage"):
            return
        self._start_session()
        try:  # the name is converted by the writer: a host object's __str__ may be slow
            self._enqueue("usage", event_type, properties)
        except Exception:  # never into the host
            self._intake.dropped += 1

    def track_error(
        self, error: BaseException, properties: Mapping[str, Any] | None = None
    ) -> None:
        if not self._allows("error"):
            return
        self._start_session()
        try:
            from ..scrub import stack_frames  # errors are rare: their cost is paid here

            # The frames are read here (code objects only, no host code runs); `str(error)`
            # is the writer's, which is woken at once so the exception is not kept long.
            tb = getattr(error, "__traceback__", None)
            frames = stack_frames(tb if isinstance(tb, types.TracebackType) else None)
            self._enqueue(
                "error", "error", properties, error=(error_type_name(error), error, frames)
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
        self._start_session()
        try:
            number: object = value
            if type(value) is float or type(value) is int:
                number = float(value)
                if not math.isfinite(number):
                    self._intake.dropped += 1
                    return
            # Anything else (a tensor, a Decimal) is converted by the writer: `__float__` may
            # be slow, or wait for a device.
            self._enqueue(
                "performance", "performance", properties, metric=(metric_name, number, unit)
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
        """Consent on. The user's category choices win: without `categories` every category
        stays as the user left it (all on only if no choice was ever made); `categories`
        changes just the ones it names. Audit-logged with actor "api" and this app's name."""
        changed = self._set_consent(True, categories)
        self._start_session()
        return changed

    def disable(self) -> bool:
        """Consent off. Events not yet on disk are dropped by the writer's re-check."""
        self._intake.allowed = frozenset()
        return self._set_consent(False, None)

    def flush(self, timeout: float | None = 10.0) -> bool:
        """Block until everything accepted so far is durable on disk (True) or it failed."""
        try:
            return self._bg.flush(timeout_seconds(timeout, 10.0))
        except Exception:  # never into the host
            log.debug("telemetry flush failed", exc_info=True)
            return False

    def close(self, timeout: float = 10.0) -> None:
        """Flush, record `session_ended`, stop the writer, then the upload workers this client
        owns (in that order: the final flush may still queue uploads). Safe to call twice."""
        if self._closed:
            return
        try:
            seconds = timeout_seconds(timeout, 10.0)
            if not self._off:
                duration = round(time.monotonic() - self._started, 3)
                if self._session_open and self._allows("usage"):  # never an end with no start
                    self._enqueue("usage", "session_ended", {"duration_s": duration})
            self._closed = self._intake.closed = True
            self._bg.flush(seconds)
            self._bg.stop(seconds)
        except Exception:
            log.debug("telemetry close failed", exc_info=True)
        finally:
            self._closed = self._intake.closed = True
            with contextlib.suppress(Exception):
                atexit.unregister(self._close_at_exit)

    def _close_at_exit(self) -> None:
        """The `atexit` hook. One owner decides the order: the final flush first, then this
        client's upload workers, and no new thread for either (`Background.prepare_exit`)."""
        self._bg.prepare_exit()
        self.close()

    def __enter__(self) -> TelemetryClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ internals
    def _enqueue(
        self,
        category: str,
        event_type: object,
        properties: object,
        *,
        error: tuple[str, object, list[str]] | None = None,
        metric: tuple[object, object, object] | None = None,
        attach_system: bool = False,
    ) -> None:
        intake = self._intake
        if intake.closed:
            return
        rate = intake.sampling.get(category, 1.0)
        if rate < 1.0 and self._rng.random() >= rate:  # never the host's global `random`
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
        if not intake.started:
            self._bg.start()
        # An error wakes the writer at once: the exception it holds keeps the host's frames.
        due = error is not None or len(intake.queue) >= intake.flush_batch
        if due and not intake.wake.is_set():
            intake.wake.set()

    def _set_consent(self, enabled: bool, categories: Mapping[str, bool] | None) -> bool:
        if self._off:
            return False
        from ..ledger import locale_from_environ
        from ..services.consent import set_consent_from_host
        from ..store import StoreError

        environ = self._bg.settings.environ  # the host's, when it injected one
        try:
            consent = set_consent_from_host(
                self.store,
                enabled=enabled,
                categories=categories,
                app_name=self.app_name,
                app_version=None if self.app_version is None else str(self.app_version)[:50],
                locale=None if environ is None else locale_from_environ(environ),
            )
        except (StoreError, ValueError, TypeError) as exc:  # never into the host
            log.warning("telemetry consent not changed: %s", exc)
            return False
        allowed = frozenset(c for c in CATEGORIES if consent.category_on(c))
        self._intake.remember_consent(allowed, consent.sampling)
        return True

    def _after_fork_in_child(self) -> None:
        """See `Background.after_fork_in_child`. The child's events belong to the host's
        session, whose `session_ended` is the parent's to record."""
        if self._closed or self._off:
            return
        self._intake, usable = self._bg.after_fork_in_child()
        self._session = False
        if not usable:
            self._off = True
            log.warning(
                "telemetry is off in this forked process: it was forked while the telemetry "
                "writer was still loading its modules, and loading them here could hang "
                "(call flush() once before forking)"
            )
        if self._owns_rng:
            self._rng.seed()  # else parent and child would sample the very same calls
