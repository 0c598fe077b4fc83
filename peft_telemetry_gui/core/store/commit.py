"""The write step of a transaction: event lines first, then the head, the commit point.

Split from `store` to keep each module short; `Store._transaction` is the only caller (and
`Store._write_locked`, which bench/client.py times)."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from ..fsio import atomic_write, is_disk_full
from ..i18n import tr
from ..models import StoreDocument
from .errors import StoreError
from .layout import Layout, dump_head, remove_unnamed_segments, write_events
from .lockfile import HeldLock
from .segments import Range

__all__ = ["commit_head", "lay_out"]


def lay_out(
    data_dir: Path,
    doc: StoreDocument,
    layout: Layout,
    plan: tuple[int, int] | None,
    max_bytes: int,
) -> tuple[list[Range], bytes]:
    """Write the event lines (uncommitted until the head is swapped in) and build the head,
    within `max_bytes` together: never write what a reader would refuse to read. The oldest
    events go first, as with the event cap (`doc.events` is trimmed in place)."""
    while True:
        ranges = write_events(data_dir, doc.events, layout, plan)
        head = dump_head(doc, ranges)
        size = len(head) + sum(r.end - r.start for r in ranges)
        if size <= max_bytes or not doc.events:
            break
        # Another round truncates what this one appended: no head names it yet.
        drop = max(1, len(doc.events) - int(len(doc.events) * max_bytes / size * 0.95))
        del doc.events[:drop]
        plan = None if plan is None else (plan[0] + drop, plan[1])
    if size > max_bytes:
        path = data_dir / "telemetry.json"
        raise StoreError(
            tr("cannot write {path}: the document would be over {max_bytes} bytes").format(
                path=path, max_bytes=max_bytes
            )
        )
    return ranges, head


def commit_head(
    path: Path, head: bytes, ranges: list[Range], held: HeldLock | None, *, discard_old: bool
) -> None:
    """Swap the head in, but only while our lock is still the lock on disk (checked right
    before the replace: a writer that lost it retries instead of undoing another's commit);
    then remove the segments it no longer names. `discard_old` (delete-all on a full disk,
    the reserve already spent): as a last resort the old document goes first, segments and
    head, and a crash in that instant leaves no store, which reads as "never asked"."""
    check = held.check if held is not None else None
    try:
        atomic_write(path, head, before_replace=check)
    except OSError as exc:
        if not (discard_old and is_disk_full(exc)):
            raise
        if check is not None:
            check()
        remove_unnamed_segments(path.parent, ranges)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        atomic_write(path, head, before_replace=check)
    remove_unnamed_segments(path.parent, ranges)
