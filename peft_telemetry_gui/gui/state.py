"""The view-model: the one object every page listens to.

It holds the latest `StoreDocument` and the analytics for the selected range, and it is the only
place that touches the store. Every read, computation, export and delete runs on a worker thread
(`QThreadPool`), because `Store.update` may wait up to 30 s for another process's file lock and
the disk or keyring may be slow: the window must keep answering meanwhile. Results come back as
queued signals, so widgets only ever run on the GUI thread and never compute figures themselves.
"""

from __future__ import annotations

import gc
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QFileSystemWatcher, QObject, QThreadPool, QTimer, Signal

from ..core import export
from ..core.analytics import MetricHistogram
from ..core.clock import Clock, utc_now
from ..core.consent_changes import external_entries
from ..core.fsio import FileIdentity, file_identity
from ..core.models import AuditEntry, StoreDocument
from ..core.secrets import SecretStore, default_secret_store
from ..core.store import Store, StoreAccess, StoreError, check_access, unreadable
from .dashboard_model import PRESETS, DashboardData, TimeRange, compute_dashboard
from .jobs import JobRunner
from .state_actions import StateActions

if TYPE_CHECKING:
    from ..core.upload.runtime import UploadRuntime
    from .upload_model import UploadModel

__all__ = [
    "PRESETS",
    "AppState",
    "DashboardData",
    "MetricHistogram",
    "TimeRange",
]

log = logging.getLogger(__name__)

_StatKey = FileIdentity | None
#: What a load found: a document (and what came with it), only the folder's access (nothing
#: to read, or nothing new but the access changed), or nothing new at all.
_Loaded = tuple[StoreDocument, DashboardData, list[AuditEntry], StoreAccess] | StoreAccess | None


class AppState(QObject, StateActions):
    """Latest document + analytics, the actions that change them, and live reloads."""

    document_changed = Signal(object)  # StoreDocument
    analytics_changed = Signal(object)  # DashboardData
    busy_changed = Signal(bool)  # a write (consent, export, delete) is in progress
    #: bool: once no write is in progress, whether every write since the last was saved (a
    #: window never says "Saved" after a failure; the failure itself went to `error`)
    writes_settled = Signal(bool)
    #: StoreAccess: whether the data folder can be read and written at all (pages disable
    #: what cannot work, and say why)
    access_changed = Signal(object)
    error = Signal(str)  # worded for the user
    export_finished = Signal(object)  # export.ExportResult
    receipt_exported = Signal(object)  # receipt.ReceiptResult
    delete_finished = Signal(object)  # delete.DeleteReport
    first_load_finished = Signal()
    #: tuple[AuditEntry, ...]: consent changes another process made that the notice shows
    consent_notice_changed = Signal(object)

    def __init__(
        self,
        store: Store,
        *,
        clock: Clock = utc_now,
        secret_store_factory: Callable[[Path], SecretStore] = default_secret_store,
        poll_interval_ms: int = 1000,
        autostart_upload_worker: bool = False,
        upload_runtime: UploadRuntime | None = None,
        parent: QObject | None = None,
    ) -> None:
        """`autostart_upload_worker`: keep this process's upload worker running while upload
        is on (the app does, unless its environment says not to; tests and embedders choose).
        `upload_runtime`: the workers, when the caller owns them; else this object makes one
        on first use and stops it in `shutdown`."""
        super().__init__(parent)
        self.store = store
        self.clock = clock
        self._secret_store_factory = secret_store_factory
        self.document: StoreDocument | None = None
        self.dashboard: DashboardData | None = None
        self.time_range = TimeRange()
        self.loaded = False
        self.consent_notice: tuple[AuditEntry, ...] = ()
        # Two serial pools: reads stay ordered among themselves and never queue behind a write
        # that is waiting for another process's lock.
        self._read_pool = QThreadPool(self)
        self._read_pool.setMaxThreadCount(1)
        self._write_pool = QThreadPool(self)
        self._write_pool.setMaxThreadCount(1)
        self._jobs = JobRunner(
            self, on_error=self.error.emit, user_errors=(StoreError, export.ExportError, ValueError)
        )
        self._busy = 0
        self._write_failed = False
        self.access = StoreAccess()
        # Worker-side state: only touched by the (single) read-pool thread.
        self._worker_doc: StoreDocument | None = None
        self._worker_key: _StatKey = None
        self._reload_queued = threading.Event()
        self._force = threading.Event()
        # Live updates: inotify-style watching plus a stat poll for file systems without it.
        self._watcher = QFileSystemWatcher(self)
        self._watcher.directoryChanged.connect(self._on_fs_changed)
        self._watcher.fileChanged.connect(self._on_fs_changed)
        self._poll = QTimer(self)
        self._poll.setInterval(poll_interval_ms)
        self._poll.timeout.connect(self._on_poll)
        self._autostart_upload_worker = autostart_upload_worker
        self._runtime = upload_runtime
        self._owns_runtime = upload_runtime is None
        self._upload: UploadModel | None = None

    # ------------------------------------------------------------------ lifecycle
    @property
    def data_dir(self) -> Path:
        return self.store.data_dir

    def start(self) -> None:
        """First load and live watching; call once the pages are connected."""
        self._watch_paths()
        self._poll.start()
        self.reload(force=True)

    @property
    def upload(self) -> UploadModel:
        """The Upload page's view-model, made on first use: it loads the upload machinery,
        which start-up does not need. Owned (and shut down) by this object."""
        if self._upload is None:
            from .upload_model import UploadModel

            self._upload = UploadModel(self, runtime=self.upload_runtime, parent=self)
            if self._jobs.closed:  # asked for after shutdown: it must not start anything
                self._upload.shutdown()
            else:
                self._upload.start()
        return self._upload

    @property
    def upload_runtime(self) -> UploadRuntime:
        """This app's upload workers, made on first use (the upload machinery is not needed
        to start)."""
        if self._runtime is None:
            from ..core.upload.runtime import UploadRuntime

            self._runtime = UploadRuntime(autostart=self._autostart_upload_worker)
        return self._runtime

    def shutdown(self, timeout_ms: int = 3000) -> None:
        """Stop watching and let running jobs finish (a write is never cut in half), the
        upload model's too (a request in flight completes, then its worker stops). Called by
        whoever created this object, once the window is gone; safe to call twice."""
        if self._upload is not None:
            self._upload.shutdown(timeout_ms)
        self._jobs.close()
        self._poll.stop()
        self._read_pool.clear()
        self._write_pool.clear()
        self._read_pool.waitForDone(timeout_ms)
        self._write_pool.waitForDone(timeout_ms)
        if self._owns_runtime and self._runtime is not None:
            self._runtime.stop(timeout_ms / 1000)  # after the last write: nothing left to send
        watched = self._watcher.files() + self._watcher.directories()
        if watched:
            self._watcher.removePaths(watched)

    def is_busy(self) -> bool:
        return self._busy > 0

    # ------------------------------------------------------------------ jobs
    def _submit(
        self,
        pool: QThreadPool,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None] | None = None,
    ) -> None:
        self._jobs.submit(pool, fn, on_done)

    def _write(self, fn: Callable[[], Any], on_done: Callable[[Any], None] | None = None) -> None:
        """A store change on the write pool, then a forced reload so every page shows it."""
        self._busy += 1
        if self._busy == 1:
            self.busy_changed.emit(True)

        def run() -> Any:
            try:
                return fn()
            except BaseException:
                self._write_failed = True  # read on the GUI thread once the pool settled
                raise
            finally:
                # Reload even after a failure: the store may have been quarantined or changed.
                self._force.set()

        def done(result: Any) -> None:
            if on_done is not None:
                on_done(result)

        self._submit(self._write_pool, run, done)
        # The busy counter is settled by a follow-up no-op on the same serial pool, which runs
        # only after `run` whether it succeeded or failed.
        self._submit(self._write_pool, lambda: None, lambda _r: self._write_settled())

    def _write_settled(self) -> None:
        self._busy -= 1
        if self._busy == 0:
            saved, self._write_failed = not self._write_failed, False
            self.busy_changed.emit(False)
            self.writes_settled.emit(saved)
        self.reload(force=True)

    # ------------------------------------------------------------------ reading
    def reload(self, force: bool = False) -> None:
        """Re-read the store if it changed (always when `force`), then recompute the figures."""
        if force:
            self._force.set()
        if self._reload_queued.is_set():
            return  # the queued job will see the newest file and the force flag
        self._reload_queued.set()
        self._submit(self._read_pool, self._load_job, self._on_loaded)

    def _load_job(self) -> _Loaded:
        self._reload_queued.clear()
        forced = self._force.is_set()
        self._force.clear()
        key = file_identity(self.store.path)
        # Checked on every poll: a folder made read-only (or writable again) changes no file.
        access = check_access(self.store.data_dir)
        if not access.readable:
            return access
        if not forced and key == self._worker_key and self._worker_doc is not None:
            return None if access == self.access else access
        # Stat before reading: if the file changes in between, the next poll sees a new key.
        # Incremental: events already loaded are reused, not validated again (see the method).
        previous = self._worker_doc
        try:
            doc = self.store.read_incremental(previous)
        except StoreError as exc:
            return unreadable(str(exc))
        self._worker_key = key
        self._worker_doc = doc
        if len(doc.events) >= _FREEZE_MIN_EVENTS:
            _freeze_heap()
        # What others (a host, the CLI) changed since the last document: not on the first load,
        # which is history the Activity page shows, not news.
        others = [] if previous is None else external_entries(previous.audit_log, doc.audit_log)
        data = compute_dashboard(doc, self.time_range, self.clock())
        return doc, data, others, access

    def _on_loaded(self, result: _Loaded) -> None:
        self._watch_paths()
        if result is None:
            return
        if isinstance(result, StoreAccess):  # nothing (new) could be read: the window says why
            self._set_access(result)
            if not self.loaded and not result.readable:
                self.loaded = True
                self.first_load_finished.emit()
            return
        doc, data, others, access = result
        self._set_access(access)
        self.document = doc
        self.dashboard = data
        self.document_changed.emit(doc)
        self.analytics_changed.emit(data)
        if others:
            self.consent_notice = (*self.consent_notice, *others)
            self.consent_notice_changed.emit(self.consent_notice)
        if not self.loaded:
            self.loaded = True
            self.first_load_finished.emit()

    def _set_access(self, access: StoreAccess) -> None:
        if access != self.access:
            self.access = access
            self.access_changed.emit(access)

    def set_time_range(self, time_range: TimeRange) -> None:
        """Recompute the dashboard for another range (on the worker, from the loaded data)."""
        self.time_range = time_range

        def job() -> DashboardData | None:
            doc = self._worker_doc
            if doc is None:
                return None
            return compute_dashboard(doc, self.time_range, self.clock())

        self._submit(self._read_pool, job, self._on_dashboard)

    def _on_dashboard(self, data: DashboardData | None) -> None:
        if data is None or data.time_range != self.time_range:
            return  # superseded by a newer range; its own result is on the way
        self.dashboard = data
        self.analytics_changed.emit(data)

    # ------------------------------------------------------------------ live updates
    def _watch_paths(self) -> None:
        """(Re-)add the folder and the file: `os.replace` gives the file a new inode, which
        drops it from the watcher, and the folder may only appear after the first write."""
        wanted = [str(self.store.data_dir), str(self.store.path)]
        watched = set(self._watcher.files()) | set(self._watcher.directories())
        missing = [p for p in wanted if p not in watched and os.path.exists(p)]
        if missing:
            self._watcher.addPaths(missing)

    def _on_fs_changed(self, _path: str) -> None:
        self.reload()

    def _on_poll(self) -> None:
        self.reload()


#: From this many events on, the loaded document dominates the heap (see `_freeze_heap`).
_FREEZE_MIN_EVENTS = 10_000


def _freeze_heap() -> None:
    """Move what is alive now out of the cyclic collector's sight (`gc.freeze`).

    At 100 000 events the document is a few million objects that live until the next reload;
    every full collection walks all of them again (hundreds of ms, at random moments, on
    whichever thread allocates). Frozen objects are still freed by reference counting when the
    next document replaces them (events and models hold no cycles), they are just never
    *scanned*. The young generations are collected first so pending cyclic garbage is not
    frozen with them; that costs little, as everything older is already frozen.
    """
    gc.collect(1)
    gc.freeze()
