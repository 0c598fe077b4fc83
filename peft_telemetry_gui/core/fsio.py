"""Crash-safe file writes, shared by the store, exports, the upload queue and the secrets file.

One implementation of "temp file in the same folder, fsync, swap in, fsync the folder", so every
file the product writes about a user is either the old version or the new one, never a torn mix,
and is readable by its owner only.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

__all__ = ["atomic_write", "fsync_dir", "temp_name", "write_all"]


def temp_name(path: Path) -> Path:
    """`.<name>.tmp-<pid>-<random>` beside `path`: hidden, and the pid tells a sweeper whose."""
    return path.with_name(f".{path.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}")


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def fsync_dir(path: Path) -> None:
    """Make a rename durable (POSIX); a no-op where folders cannot be opened."""
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


def atomic_write(path: Path, data: bytes, *, overwrite: bool = True, mode: int = 0o600) -> None:
    """Write `data` to `path` atomically with `mode`.

    With `overwrite=False` the final step is a hard link, which fails if `path` appeared in the
    meantime: a file the user already has is never replaced behind their back.
    Raises `FileExistsError` (no overwrite) or `OSError`; no temp file is left behind.
    """
    tmp = temp_name(path)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        try:
            write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        if overwrite:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)
            os.unlink(tmp)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)
