"""Crash-safe file writes, shared by the store, exports, the upload queue and the secrets file.

One implementation of "temp file in the same folder, fsync, swap in, fsync the folder", so every
file the product writes about a user is either the old version or the new one, never a torn mix,
and is readable by its owner only. One naming scheme for the temp files (`.<name>.tmp-<pid>-<8
hex>`), so whatever a killed writer leaves behind is recognised and swept by the next command,
and one guarded read, so a FIFO or a 3 GiB file where a small document belongs is refused
before a single byte is read.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import stat
import time
from collections.abc import Callable
from pathlib import Path

__all__ = [
    "FileTooLargeError",
    "NotRegularFileError",
    "atomic_write",
    "fsync_dir",
    "is_disk_full",
    "pid_alive",
    "read_regular_file",
    "sweep_stale_temp_files",
    "temp_files",
    "temp_name",
    "write_all",
]

#: `.<name>.tmp-<pid>-<8 hex>`: the one pattern `temp_name` makes, matched exactly by sweepers.
_TEMP_RE = re.compile(r"\.(?P<name>.+)\.tmp-(?P<pid>[0-9]{1,10})-[0-9a-f]{8}")
_O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_O_NOCTTY = getattr(os, "O_NOCTTY", 0)
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


class NotRegularFileError(OSError):
    """A FIFO, device, socket or folder where a file of ours belongs: left alone, never read."""


class FileTooLargeError(OSError):
    """Over the caller's size bound: refused before reading, so it cannot exhaust memory."""

    def __init__(self, path: Path, size: int, limit: int) -> None:
        super().__init__(errno.EFBIG, f"{_mib(size)}, over the {_mib(limit)} limit", str(path))
        self.size = size
        self.limit = limit


def _mib(size: int) -> str:
    return f"{size / (1 << 20):.1f} MiB" if size % (1 << 20) else f"{size >> 20} MiB"


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def _check_regular(path: Path, st: os.stat_result, max_bytes: int | None) -> None:
    if not stat.S_ISREG(st.st_mode):
        kind = _kind(st.st_mode)
        raise NotRegularFileError(errno.EINVAL, f"{kind}, not a regular file", str(path))
    if max_bytes is not None and st.st_size > max_bytes:
        raise FileTooLargeError(path, st.st_size, max_bytes)


def read_regular_file(path: Path, max_bytes: int | None) -> bytes:
    """The bytes of `path`, which must be a regular file of at most `max_bytes`.

    Checked with `stat` before opening (a FIFO is never opened, a huge file never read), then
    opened non-blocking and checked again on the descriptor, so a FIFO swapped in between the
    two cannot hang the caller, and a file that grows meanwhile is still cut off at the bound.
    Raises `FileNotFoundError`, `NotRegularFileError`, `FileTooLargeError` or `OSError`.
    """
    _check_regular(path, os.stat(path), max_bytes)
    fd = os.open(path, os.O_RDONLY | _O_NONBLOCK | _O_NOCTTY | _O_CLOEXEC)
    try:
        st = os.fstat(fd)
        _check_regular(path, st, max_bytes)
        with open(fd, "rb", closefd=False) as handle:
            data = handle.read(st.st_size + 1)
            if len(data) > st.st_size:  # grew since the fstat: read on, but only to the bound
                rest = -1 if max_bytes is None else max_bytes + 1 - len(data)
                data += handle.read(rest) if rest else b""
    finally:
        os.close(fd)
    if max_bytes is not None and len(data) > max_bytes:
        raise FileTooLargeError(path, len(data), max_bytes)
    return data


FileIdentity = tuple[int, int, int]


def file_identity(path: str | os.PathLike[str]) -> FileIdentity | None:
    """(inode, size, mtime_ns), or None when there is no such file: what changes whenever a
    writer of ours replaces or appends to a file, so readers re-parse only then."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def temp_name(path: Path) -> Path:
    """`.<name>.tmp-<pid>-<random>` beside `path`: hidden, and the pid tells a sweeper whose."""
    return path.with_name(f".{path.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}")


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def is_disk_full(exc: BaseException) -> bool:
    """No space or quota left: what freeing space (the store's reserve) can cure. EFBIG (a
    per-file size limit) is not: freeing space elsewhere does not lift it."""
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)


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


def atomic_write(
    path: Path,
    data: bytes,
    *,
    overwrite: bool = True,
    mode: int = 0o600,
    before_replace: Callable[[], None] | None = None,
) -> None:
    """Write `data` to `path` atomically with `mode`.

    With `overwrite=False` the final step is a hard link, which fails if `path` appeared in the
    meantime: a file the user already has is never replaced behind their back.
    `before_replace` runs after the fsync, right before the swap: the last moment a caller can
    still call the write off (the store checks there that its lock is still the lock on disk);
    whatever it raises propagates and nothing is replaced.
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
        if before_replace is not None:
            before_replace()
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


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def temp_files(folder: Path, names: Callable[[str], bool] | None = None) -> list[tuple[Path, int]]:
    """(path, owner pid) of every file in `folder` named exactly as `temp_name` names them, for
    targets `names` accepts (all when None). Symlinks and other people's files are not ours."""
    found: list[tuple[Path, int]] = []
    uid = os.getuid() if hasattr(os, "getuid") else None
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return found
    for entry in entries:
        match = _TEMP_RE.fullmatch(entry.name)
        if match is None or (names is not None and not names(match["name"])):
            continue
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if stat.S_ISREG(st.st_mode) and (uid is None or st.st_uid == uid):
            found.append((Path(entry.path), int(match["pid"])))
    return found


def sweep_stale_temp_files(
    folder: Path,
    names: Callable[[str], bool] | None = None,
    *,
    max_age_s: float | None = None,
    now: float | None = None,
) -> list[Path]:
    """Remove the temp files a writer killed mid-write left in `folder`; returns them.

    A temp file goes when its owner pid is not alive (a writer that is still running is never
    touched), or, with `max_age_s` (only where every writer holds a lock the caller holds too),
    when older than that: a pid can be reused. Only our exact pattern, only regular files of
    this user, never this process's own. An export calls this on the user's folder.
    """
    removed: list[Path] = []
    me = os.getpid()
    for path, pid in temp_files(folder, names):
        if pid == me:
            continue
        stale = not pid_alive(pid)
        if not stale and max_age_s is not None:
            with contextlib.suppress(OSError):
                moment = now if now is not None else time.time()
                stale = moment - path.lstat().st_mtime > max_age_s
        if stale:
            with contextlib.suppress(OSError):
                path.unlink()
                removed.append(path)
    return removed
