"""Space kept in reserve, so that opting out and erasing still work on a full disk.

Every write of the store is a temp file as large as the document, next to the old one, until
the swap: on a full disk even "turn telemetry off" cannot be written. So the store keeps a
hidden file of allocated space beside itself (`.telemetry.json.reserve`, zeros, no data), about
the size of the document. A write that takes collection away (opt-out, a category or upload
switched off, delete-all) and meets a full disk removes the reserve and tries again; ordinary
writes (a host's events) never touch it, so they cannot use it up. It is made again, best
effort, by the next ordinary write that finds room.
"""

from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path

from ..models import StoreDocument
from ..paths import STORE_FILE_NAME

__all__ = ["RESERVE_FILE_NAME", "RESERVE_SLACK", "Reserve", "collection", "collects_less"]

RESERVE_FILE_NAME = f".{STORE_FILE_NAME}.reserve"
#: Room beyond the document itself (a few audit entries, the folder's own bookkeeping), and the
#: step the reserve grows by, so a growing store does not rewrite it on every flush.
RESERVE_SLACK = 64 << 10
_CHUNK = 1 << 20
_OPEN_FLAGS = os.O_WRONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
_NO_FALLOCATE = (errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL)

Collection = tuple[bool, bool, bool, frozenset[str]]


def collection(doc: StoreDocument) -> Collection:
    """What a document lets us collect, to compare before and after a change."""
    consent = doc.consent
    on = frozenset(name for name, value in consent.categories.items() if value)
    return (consent.decided, consent.enabled, consent.upload_enabled, on)


def collects_less(before: Collection, doc: StoreDocument) -> bool:
    """Consent, upload or a category switched off, a first "no", or nothing collected at all:
    the changes a full disk must never block, and so the only ones that may spend the reserve."""
    decided, _enabled, upload, on = before
    now_decided, now_enabled, now_upload, now_on = collection(doc)
    return (
        not now_enabled
        or (upload and not now_upload)
        or bool(on - now_on)
        or (not decided and now_decided and not now_enabled)
    )


class Reserve:
    """The reserve file of one data folder, at most `max_bytes` (0: no reserve)."""

    def __init__(self, data_dir: Path, max_bytes: int) -> None:
        self.path = Path(data_dir) / RESERVE_FILE_NAME
        self.max_bytes = max(0, int(max_bytes))

    def target(self, document_size: int) -> int:
        want = (document_size // RESERVE_SLACK + 2) * RESERVE_SLACK
        return min(self.max_bytes, want)

    def ensure(self, document_size: int) -> None:
        """Grow (or shrink, when the document shrank a lot) to fit; never raises. Not fsynced:
        it holds no data, and a reserve lost in a crash is simply made again."""
        target = self.target(document_size)
        if target <= 0:
            return
        try:
            size = os.lstat(self.path).st_size
        except FileNotFoundError:
            size = -1
        except OSError:
            return
        if target <= size <= 2 * target:
            return
        try:
            fd = os.open(self.path, _OPEN_FLAGS, 0o600)
        except OSError:
            return
        try:
            if size > 2 * target:
                os.ftruncate(fd, target)
            else:
                _allocate(fd, max(size, 0), target)
        except OSError:
            # No room for all of it: keep what there was, so a full disk is not filled further.
            with contextlib.suppress(OSError):
                os.ftruncate(fd, max(size, 0))
        finally:
            os.close(fd)

    def release(self) -> bool:
        """Free the space (True when there was some to free)."""
        try:
            freed = os.lstat(self.path).st_size > 0
            os.unlink(self.path)
        except OSError:
            return False
        return freed


def _allocate(fd: int, start: int, end: int) -> None:
    """Really allocated blocks, not a sparse hole: `posix_fallocate` where the file system can,
    zeros written otherwise."""
    fallocate = getattr(os, "posix_fallocate", None)
    if fallocate is not None:
        try:
            fallocate(fd, start, end - start)
            return
        except OSError as exc:
            if exc.errno not in _NO_FALLOCATE:
                raise
    os.lseek(fd, start, os.SEEK_SET)
    zeros = bytes(min(_CHUNK, end - start))
    left = end - start
    while left > 0:
        left -= os.write(fd, zeros[:left])
