"""Small file helpers shared by the upload queue and the upload history.

Everything the uploader keeps on disk lives next to `telemetry.json` under names starting with
`upload-` (temp files with `.upload-`), because "delete all data" removes exactly those patterns.
All of it is changed under the store's own lock file (`Store.lock()`, or inside `Store.update`),
so a consent change, a deletion and the uploader can never interleave half-way.
"""

from __future__ import annotations

from ..fsio import atomic_write, fsync_dir

__all__ = [
    "DELETION_FILE",
    "QUEUE_FILE",
    "STATE_FILE",
    "atomic_write",
    "fsync_dir",
]

QUEUE_FILE = "upload-queue.jsonl"
STATE_FILE = "upload-state.json"
DELETION_FILE = "upload-deletion-request.json"
