"""The client's background half as its host process sees it: the writer thread, the store
object and the upload runtime, their start, their order at exit, and what a forked child gets.

Standard library only at import time: the writer (store, pydantic, scrubber) is imported and
built on the writer's own thread.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..clock import Clock
from ..env import upload_worker_allowed
from .capture import FlushRequest, Intake, log
from .forking import FORK_WAIT, imports_in_flight, register_before_fork

if TYPE_CHECKING:
    from ..scrub import ScrubLimits
    from ..secrets import SecretStore
    from ..store import Store
    from ..upload.queue import QueueLimits
    from ..upload.runtime import UploadRuntime
    from .writer import UploadSinkFn, Writer

__all__ = ["Background", "StoreSettings"]


@dataclass(frozen=True, slots=True)
class StoreSettings:
    """What the store and the writer are built from (all already checked by the facade)."""

    data_dir: Path
    max_events: int
    retention_days: int
    clock: Clock
    flush_interval: float
    app_name: str
    app_version: str | None
    environ: Mapping[str, str] | None
    secret_store: SecretStore | None
    scrub_limits: ScrubLimits | None
    upload_sink: UploadSinkFn | None
    #: The host's catalogue: a file, or its dict as JSON bytes (`writer`/`declared` load it).
    catalogue: Path | bytes | None = None
    #: (max_events, retention_days) the host gave explicitly: the store's, once written.
    host_limits: tuple[int | None, int | None] = (None, None)


class Background:
    def __init__(
        self, intake: Intake, settings: StoreSettings, runtime: UploadRuntime | None
    ) -> None:
        self.intake = intake
        self.settings = settings
        self.runtime = runtime
        self.owns_runtime = runtime is None
        self.writer: Writer | None = None
        self.thread: threading.Thread | None = None
        self.exiting = False
        #: Set once the writer thread is past its start-up (imports, consent, keyring).
        self.settled = threading.Event()
        self._fork_waited = False
        self._before_registered = False
        self._runtime_limits: QueueLimits | None = None
        self._autostart = True
        self._store: Store | None = None
        self._store_lock = threading.Lock()
        self._start_lock = threading.Lock()

    # ------------------------------------------------------------------ the store
    @property
    def store(self) -> Store:
        """Built on first use (by the writer thread, as a rule): the store module brings
        pydantic, which a host should not pay for at import time."""
        with self._store_lock:
            if self._store is None:
                from ..store import Store

                s = self.settings
                self._store = Store(
                    s.data_dir,
                    max_events=s.max_events,
                    retention_days=s.retention_days,
                    clock=s.clock,
                )
            return self._store

    # ------------------------------------------------------------------ the writer thread
    def start(self) -> threading.Thread | None:
        """The writer thread, started once per process (again in a forked child, lazily);
        None when no thread can start (interpreter exit)."""
        with self._start_lock:
            thread = self.thread
            if thread is None:
                intake = self.intake
                thread = threading.Thread(
                    target=self._run, args=(intake,), name="peft-telemetry-writer", daemon=True
                )
                try:
                    thread.start()
                except RuntimeError:  # "can't create new thread at interpreter shutdown"
                    return None
                self.thread = thread
                intake.started = True
            return thread

    def flush(self, timeout: float | None) -> bool:
        intake = self.intake
        thread = self.thread
        if thread is None:
            if not intake.queue:
                return True
            thread = self.start()
            if thread is None:  # no thread can start (interpreter exit): do the work here
                return self._drain_here()
        if not thread.is_alive():
            return not intake.queue
        request = FlushRequest(threading.Event())
        intake.queue.append(request)
        intake.wake.set()
        deadline = None if timeout is None else time.monotonic() + timeout
        # In slices: a writer that stops (close() from another thread) right after its last
        # look at the queue never answers, and the caller must not wait out the whole timeout.
        while not request.done.wait(0.05):
            if not thread.is_alive() or (deadline is not None and time.monotonic() > deadline):
                return request.done.is_set() and request.ok
        return request.ok

    def stop(self, timeout: float | None) -> None:
        """After the final flush: the writer ends, then the upload workers we own."""
        self.intake.wake.set()
        if self.thread is not None:
            self.thread.join(timeout)
        if self.owns_runtime and self.runtime is not None:
            self.runtime.stop(2.0 if timeout is None else min(timeout, 2.0))

    def prepare_exit(self) -> None:
        """At interpreter exit no thread may start (Python 3.12.0-3.12.1 refuse one in an
        `atexit` handler): a runtime of ours with no worker running starts none, and what the
        final flush queues is sent by the next process that runs a worker."""
        self.exiting = True
        runtime = self.runtime
        if runtime is not None and self.owns_runtime:
            with contextlib.suppress(Exception):
                worker = runtime.get_worker(self.settings.data_dir)
                if worker is None or not worker.running:
                    runtime.autostart = False

    def before_fork(self) -> None:
        """See `forking`: a fork waits for the writer's start-up, once, at most `FORK_WAIT`."""
        thread = self.thread
        if self._fork_waited or thread is None or self.settled.is_set() or not thread.is_alive():
            return
        if thread is not threading.current_thread() and not self.settled.wait(FORK_WAIT):
            self._fork_waited = True  # a stuck keyring must not slow every later fork

    def after_fork_in_child(self) -> tuple[Intake, bool]:
        """In a forked child only the forking thread exists: the parent's writer, and any lock
        it held (the store's included), do not. Fresh locks, a fresh queue (the parent's pending
        events are the parent's to write), a fresh `Store` object, no writer until a call needs
        one, and none of the parent's upload workers: the child builds its own runtime when it
        writes. An injected runtime stays its owner's; the child then queues and starts no
        worker, and the owner (the parent) or the next process delivers.

        Also returns whether the child can record at all: not when it was forked while the
        writer was importing and a module is still half-imported (see `forking`)."""
        usable = self.thread is None or self.settled.is_set() or not imports_in_flight()
        old = self.intake
        intake = Intake(
            max_pending=old.max_pending,
            flush_batch=old.flush_batch,
            host_sampling=old.host_sampling,
        )
        intake.allowed, intake.sampling = old.allowed, dict(old.sampling)
        self.intake = intake
        self._store_lock = threading.Lock()
        self._start_lock = threading.Lock()
        self._store = None
        self.thread = None
        self.writer = None
        self.settled = threading.Event()
        self._fork_waited = False
        if not self.owns_runtime and self.runtime is not None:
            self._runtime_limits = self.runtime.limits
            self._autostart = False
        self.runtime = None
        self.owns_runtime = True
        return intake, usable

    def _drain_here(self) -> bool:
        """One drain on the calling thread, for when no writer thread can start."""
        intake = self.intake
        writer = self.writer
        if writer is None or writer.intake is not intake:
            writer = self.writer = self._build(intake)
        return not writer.drain([]) and not intake.queue

    def _run(self, intake: Intake) -> None:
        try:
            writer = self._build(intake)
        except Exception:
            self.settled.set()
            log.exception("telemetry writer could not start")
            return
        self.writer = writer
        if not self._before_registered:  # after filelock's own hooks (see `forking`)
            self._before_registered = True
            register_before_fork(self)
        writer.run(self.settings.flush_interval, self.settled)

    def _build(self, intake: Intake) -> Writer:
        from ..upload.runtime import UploadRuntime
        from ..upload.sink import UploadSink
        from .writer import Writer

        s = self.settings
        if self.runtime is None:
            autostart = self._autostart and upload_worker_allowed(s.environ) and not self.exiting
            self.runtime = UploadRuntime(limits=self._runtime_limits, autostart=autostart)
        sink = s.upload_sink
        if sink is None:  # service.name = this app's name
            sink = UploadSink(
                self.runtime,
                s.app_name,
                s.app_version,
                environ=s.environ,
                secret_store=s.secret_store,
            )
        from ..ledger import locale_from_environ
        from .limits import HostLimits

        limits = HostLimits(
            *s.host_limits,
            clock=s.clock,
            app_name=s.app_name,
            app_version=None if s.app_version is None else str(s.app_version)[:50],
            locale=None if s.environ is None else locale_from_environ(s.environ),
        )
        return Writer(
            intake,
            self.store,
            secret_store=s.secret_store,
            scrub_limits=s.scrub_limits,
            upload_sink=sink,
            runtime=self.runtime,
            catalogue=s.catalogue,
            app_name=s.app_name,
            app_version=s.app_version,
            host_limits=limits,
        )
