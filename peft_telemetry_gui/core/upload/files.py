"""Small file helpers shared by the upload queue and the upload history.

Everything the uploader keeps on disk lives next to `telemetry.json` under names starting with
`upload-` (temp files with `.upload-`), because "delete all data" removes exactly those patterns.
All of it is changed under the store's own lock file, so a consent change, a deletion and the
uploader can never interleave half-way.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

from filelock import FileLock, Timeout

from ..paths import ensure_private_dir
from ..store import Store, StoreError

__all__ = ["DELETION_FILE", "QUEUE_FILE", "STATE_FILE", "atomic_write", "store_lock"]

QUEUE_FILE = "upload-queue.jsonl"
STATE_FILE = "upload-state.json"
DELETION_FILE = "upload-deletion-request.json"


@contextlib.contextmanager
def store_lock(store: Store) -> Iterator[None]:
    """The store's own inter-process lock, without rewriting `telemetry.json`.

    Only for code paths that are *not* already inside `Store.update` (a second flock on the same
    file from the same thread would wait for itself).
    """
    try:
        ensure_private_dir(store.data_dir)
    except OSError as exc:
        raise StoreError(f"cannot create {store.data_dir}: {exc.strerror or exc}") from exc
    lock = FileLock(str(store.lock_path), timeout=store.lock_timeout, mode=0o600)
    try:
        with lock:
            yield
    except Timeout as exc:
        raise StoreError(
            f"the store is locked by another process ({store.lock_path}) for more than "
            f"{store.lock_timeout:g} s"
        ) from exc


def atomic_write(path: Path, payload: bytes) -> None:
    """Temp file in the same folder, fsync, replace, fsync the folder: never a torn file."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        try:
            view = memoryview(payload)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)


def fsync_dir(path: Path) -> None:
    if os.name != "posix":
        return
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
