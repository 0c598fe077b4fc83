"""What one process keeps for uploading: its workers, and tokens handed over in memory.

Owned by a composition root (the `TelemetryClient`, the desktop app, one CLI command), never by
a module: the owner decides when its workers stop, so a host's final flush can still queue and
wake them before they do (`TelemetryClient.close` flushes first, then stops its runtime).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..store import Store
from .queue import QueueLimits

if TYPE_CHECKING:
    from .worker import UploadWorker

__all__ = ["UploadRuntime"]


def _key(data_dir: Path) -> Path:
    return Path(os.path.abspath(data_dir))


class UploadRuntime:
    """`autostart=False` records and queues as usual but never starts a background worker
    (tests that drive their own worker, batch jobs that leave delivery to the app)."""

    def __init__(self, *, limits: QueueLimits | None = None, autostart: bool = True) -> None:
        self.limits = limits or QueueLimits()
        self.autostart = autostart
        #: Tokens "delete all data" handed to the deletion requests it left, for this process's
        #: senders (the keyring holds a copy for later processes, when there is a keyring).
        self.deletion_tokens: dict[str, str] = {}
        self._lock = threading.Lock()
        self._workers: dict[Path, UploadWorker] = {}
        self._stopped = False

    def ensure_worker(self, store: Store, **options: Any) -> UploadWorker | None:
        """The running worker for this data folder, started on first use; None when this
        runtime does not start workers (or was stopped)."""
        if not self.autostart:
            return None
        with self._lock:
            if self._stopped:
                return None
            key = _key(store.data_dir)
            worker = self._workers.get(key)
            if worker is None or not worker.running:
                from .worker import UploadWorker  # httpx and protobuf: only once one runs

                options.setdefault("deletion_tokens", self.deletion_tokens)
                worker = UploadWorker(store, **options).start()
                self._workers[key] = worker
            return worker

    def get_worker(self, data_dir: Path) -> UploadWorker | None:
        with self._lock:
            return self._workers.get(_key(data_dir))

    def stop(self, timeout: float = 5.0) -> None:
        """Idempotent. Later `ensure_worker` calls start nothing."""
        with self._lock:
            self._stopped = True
            workers = list(self._workers.values())
            self._workers.clear()
        for worker in workers:
            worker.shutdown(timeout)
