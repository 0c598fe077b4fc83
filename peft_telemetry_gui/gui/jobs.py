"""Background work for the GUI: run a callable on a `QThreadPool`, get the result on the GUI
thread. The one place that knows how to do that without Qt objects dying on the wrong thread.

The pool drops its reference to a finished runnable on the pool thread, often after the GUI
thread has already handled the result, so whatever the runnable alone still owns dies there. A
QObject destroyed on a thread other than its own is undefined behaviour (Qt aborts, or corrupts
connection lists). Hence the signals object is parented to the runner and released with
`deleteLater`, and the callables (which hold widgets or the view-model) are dropped on the GUI
thread: nothing Qt, nor its owner, is ever destroyed on a pool thread.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal

from ..core.i18n import tr

__all__ = ["JobRunner"]

log = logging.getLogger(__name__)


class _JobSignals(QObject):
    finished = Signal(object, object, object)  # job, result, error message (or None)


class _Job(QRunnable):
    def __init__(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None] | None,
        on_settled: Callable[[], None] | None,
        user_errors: tuple[type[Exception], ...],
        parent: QObject,
    ) -> None:
        super().__init__()
        self.fn: Callable[[], Any] | None = fn
        self.on_done = on_done
        self.on_settled = on_settled
        self.user_errors = user_errors
        self.signals = _JobSignals(parent)

    def run(self) -> None:
        fn = self.fn
        if fn is None:
            return
        try:
            result, error = fn(), None
        except self.user_errors as exc:  # worded for the user by the core
            result, error = None, str(exc)
        except Exception as exc:  # a bug must surface as a message, not kill the pool
            log.exception("background task failed")
            error = tr("unexpected error: {kind}: {error}").format(
                kind=type(exc).__name__, error=exc
            )
            result = None
        del fn
        # RuntimeError: the owner (and with it the signals object) is gone: nobody listens.
        with contextlib.suppress(RuntimeError):
            self.signals.finished.emit(self, result, error)


class JobRunner(QObject):
    """Submits jobs and delivers their outcome on the GUI thread.

    `on_done(result)` runs on success, `on_error(message)` (given once, here) on a failure, and a
    job's `on_settled()` either way, even after `close()` (for bookkeeping such as "a refresh is
    no longer in flight"). After `close()` no result or error is delivered.
    """

    def __init__(
        self,
        parent: QObject,
        *,
        on_error: Callable[[str], None],
        user_errors: tuple[type[Exception], ...] = (ValueError,),
    ) -> None:
        super().__init__(parent)
        self._on_error = on_error
        self._user_errors = user_errors
        self._jobs: set[_Job] = set()
        self.closed = False

    @property
    def pending(self) -> int:
        return len(self._jobs)

    def submit(
        self,
        pool: QThreadPool,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None] | None = None,
        *,
        on_settled: Callable[[], None] | None = None,
    ) -> None:
        if self.closed:
            return
        job = _Job(fn, on_done, on_settled, self._user_errors, self)
        job.signals.finished.connect(self._finished, Qt.ConnectionType.QueuedConnection)
        self._jobs.add(job)
        pool.start(job)

    def close(self) -> None:
        self.closed = True

    def _finished(self, job: _Job, result: Any, error: str | None) -> None:
        self._jobs.discard(job)
        on_done, on_settled = job.on_done, job.on_settled
        job.on_done = job.on_settled = job.fn = None
        job.signals.deleteLater()
        if on_settled is not None:
            on_settled()
        if self.closed:
            return
        if error is not None:
            self._on_error(error)
        elif on_done is not None:
            on_done(result)
