"""One sender per data folder, across processes: the advisory sender lock.

Two senders reading the same queue would both POST the same records, so every way of sending
(the host's background worker, `upload send-now`, the app's Send now) takes this lock first.
"""

from __future__ import annotations

from pathlib import Path

from filelock import FileLock, Timeout

from ..i18n import N_, tr
from ..paths import ensure_private_dir
from .endpoint import UploadError

__all__ = ["SENDER_BUSY_MESSAGE", "SENDER_LOCK", "SenderBusyError", "try_sender_lock"]

SENDER_LOCK = ".upload-sender.lock"
#: Marked only: translated where shown (`tr(SENDER_BUSY_MESSAGE)`).
SENDER_BUSY_MESSAGE = N_(
    "another program is sending right now, so nothing was sent from here "
    "(it delivers what is queued itself)"
)


class SenderBusyError(UploadError):
    """Another sender holds this data folder's sender lock: sending too would send twice."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(tr(SENDER_BUSY_MESSAGE) if message is None else message)


def try_sender_lock(data_dir: Path) -> FileLock | None:
    """The one-sender-per-data-folder lock, tried without waiting; None when it is held.

    Senders keep it while they send: the host's background worker for its lifetime, one-shot
    sends for the call. It is an OS advisory lock (flock/LockFileEx), so a crashed holder
    releases it with its process. Not thread-local: a worker may be stopped from another
    thread than the one that locked. Raises OSError when the lock cannot be made at all.
    """
    lock = FileLock(str(Path(data_dir) / SENDER_LOCK), timeout=0, mode=0o600, thread_local=False)
    try:
        ensure_private_dir(Path(data_dir))
        lock.acquire()
    except Timeout:
        return None
    # Any other OSError (the folder is a file, not writable, ...) is raised as it is: "another
    # program is sending" would send the user looking for a program that does not exist.
    return lock
