"""Small file helpers shared by the upload queue, the upload history and the deletion requests.

Everything the uploader keeps on disk lives next to `telemetry.json` under names starting with
`upload-` (temp files with `.upload-`), because "delete all data" removes exactly those patterns.
All of it is changed under the store's own lock file (`Store.lock()`, or inside `Store.update`),
so a consent change, a deletion and the uploader can never interleave half-way.

Every JSON file is replaced atomically, so our own writes never tear one; a damaged file (a
disk or file-system fault, another program) is set aside as `<name>.corrupt-<stamp>.json`
beside it, never silently overwritten, and what it still says is recovered (`salvage`).
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from ..fsio import atomic_write, fsync_dir, read_regular_file, write_all

__all__ = [
    "DELETION_COPY_FILE",
    "DELETION_FILE",
    "DELIVERED_FILE",
    "MAX_FILE_BYTES",
    "QUEUE_FILE",
    "SENT_IDS_FILE",
    "STATE_FILE",
    "append_lines",
    "atomic_write",
    "fsync_dir",
    "keep_aside",
    "read_small_file",
]

QUEUE_FILE = "upload-queue.jsonl"
STATE_FILE = "upload-state.json"
DELETION_FILE = "upload-deletion-request.json"
#: A second copy of the pending deletion requests, written right after the first: one damaged
#: file never loses a request to erase data.
DELETION_COPY_FILE = "upload-deletion-request.copy.json"
#: Append-only, one anonymous id per line, fsynced: every id that ever had a record delivered.
#: A torn last line loses at most the id being added, never the earlier ones.
SENT_IDS_FILE = "upload-sent-ids.log"
#: Append-only, one delivered event per line (`delivered.py`): what the Events page says left.
DELIVERED_FILE = "upload-delivered.log"
#: The state, the deletion requests and the id log are small (kilobytes); anything bigger, or
#: not a regular file (a FIFO would hang every reader), is treated as damaged, never read.
MAX_FILE_BYTES = 8 << 20


def append_lines(path: Path, data: bytes) -> None:
    """Append whole lines to one of the append-only logs, fsynced (under the store lock). A
    torn last line (a crash mid-append) is ended first, so it stays one unreadable line and
    never joins the first new one. Raises OSError."""
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        size = os.fstat(fd).st_size
        torn = size > 0 and os.pread(fd, 1, size - 1) != b"\n"
        write_all(fd, (b"\n" if torn else b"") + data)
        os.fsync(fd)
    finally:
        os.close(fd)
    if size == 0:
        fsync_dir(path.parent)


def keep_aside(path: Path, now: datetime) -> Path:
    """Move the damaged `path` to `<stem>.corrupt-<stamp>.json` beside it (under the store
    lock, where no writer races us) and return where it went. Raises OSError."""
    stem = path.name.removesuffix(".json")
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{stem}.corrupt-{stamp}.json")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{stem}.corrupt-{stamp}-{n}.json")
    os.replace(path, target)
    fsync_dir(path.parent)
    return target


def read_small_file(path: Path) -> bytes:
    """Raises FileNotFoundError, or OSError for anything that is not a small regular file."""
    return read_regular_file(path, MAX_FILE_BYTES)
