"""The store's inter-process lock, and knowing at commit time that it is still the lock.

filelock serialises writers on the sibling `telemetry.json.lock`. A lock on a file is a lock
on its inode, though: if something deletes the lock file while we hold it (a cleaner, a user,
`rm -rf` half-way), the next writer creates a new inode and locks that, and two writers commit
at once: the later one silently drops the earlier one's change. So the holder remembers which
inode it locked and, right before it swaps its document in, checks that this inode is still the
one at the lock path; if not, the whole transaction is retried (see `Store.update`).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from ..i18n import tr
from .errors import StoreError

if TYPE_CHECKING:  # imported by `hold`: a process that only reads never loads filelock
    from filelock import FileLock

__all__ = ["HeldLock", "LockLostError", "hold"]

_Identity = tuple[int, int]


class LockLostError(Exception):
    """The lock file we hold is no longer the one on disk: our view of the store is stale."""


class HeldLock:
    """One acquisition of the lock, and the (device, inode) it was taken on."""

    def __init__(self, path: Path, identity: _Identity | None) -> None:
        self.path = path
        self.identity = identity

    def still_ours(self) -> bool:
        """True while the lock path still names the inode we locked (POSIX; elsewhere an open
        file cannot be deleted, so it always is)."""
        if self.identity is None:
            return True
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return False
        except OSError:
            return True  # cannot tell: do not turn a transient stat error into a retry storm
        return (st.st_dev, st.st_ino) == self.identity

    def check(self) -> None:
        """Raise `LockLostError` unless `still_ours()`: called right before a commit."""
        if not self.still_ours():
            raise LockLostError(str(self.path))


def _identity(lock: FileLock, path: Path) -> _Identity | None:
    """The inode filelock holds: from its descriptor when it exposes one (filelock keeps it on
    its context in 3.x and 4.x), else the lock path's just after acquiring (a stat race wider
    by microseconds only, and only with a filelock that hides its descriptor)."""
    if os.name != "posix":
        return None
    fd = getattr(getattr(lock, "_context", None), "lock_file_fd", None)
    try:
        st = os.fstat(fd) if isinstance(fd, int) else os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


@contextlib.contextmanager
def hold(path: Path, timeout: float) -> Iterator[HeldLock]:
    """Take the lock at `path` (waiting up to `timeout` s) and yield what was locked."""
    from filelock import FileLock, Timeout

    lock = FileLock(str(path), timeout=timeout, mode=0o600)
    try:
        lock.acquire()
    except Timeout as exc:
        raise StoreError(
            tr(
                "the store is locked by another process ({path}) for more than {timeout:g} s"
            ).format(path=path, timeout=timeout)
        ) from exc
    try:
        yield HeldLock(path, _identity(lock, path))
    finally:
        lock.release()
