"""Setting unreadable documents aside, and sweeping up after writers that died mid-write.

A document we cannot read is moved aside and reported, never silently overwritten: the user
(and every process, through the notice kept in the fresh store) learns what happened and where
the file went.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import datetime
from pathlib import Path

from pydantic import ValidationError

from ..fsio import sweep_stale_temp_files as fsio_sweep
from ..models import QuarantineNotice
from ..paths import is_data_file_name
from .errors import StoreError, os_message

__all__ = ["quarantine", "quarantined_files", "sweep_stale_temp_files"]

# The package's logger, as before the store became a package: log filters keep matching.
log = logging.getLogger(__name__.rpartition(".")[0])


def _reason(exc: Exception) -> str:
    """One line that says what is wrong with the document, for the user and the banner."""
    if isinstance(exc, ValidationError):
        errors = exc.errors()
        first = errors[0]
        where = ".".join(str(part) for part in first["loc"]) or "document"
        more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
        return f"{where}: {first['msg']}{more}"[:300]
    if isinstance(exc, json.JSONDecodeError) and not exc.doc.strip():
        return "the file is empty"
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:300]


def quarantine(path: Path, now: datetime, exc: Exception) -> QuarantineNotice:
    """Move the unreadable `path` to `telemetry.corrupt-<stamp>.json` beside it; call under
    the store lock, where a concurrent writer cannot race us."""
    data_dir = path.parent
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    target = data_dir / f"telemetry.corrupt-{stamp}.json"
    n = 1
    while target.exists():
        n += 1
        target = data_dir / f"telemetry.corrupt-{stamp}-{n}.json"
    reason = _reason(exc)
    try:
        os.replace(path, target)
    except OSError as move_exc:
        raise StoreError(
            f"{path} is unreadable ({reason}) and could not be moved aside: {os_message(move_exc)}"
        ) from move_exc
    log.warning(
        "the telemetry store %s could not be read (%s); it was moved to %s and a new one was "
        "started",
        path,
        reason,
        target,
    )
    return QuarantineNotice(at=now, moved_to=str(target), reason=reason)


def quarantined_files(data_dir: Path) -> list[Path]:
    try:
        return sorted(data_dir.glob("telemetry.corrupt-*.json"))
    except OSError:
        return []


def sweep_stale_temp_files(data_dir: Path, max_age_s: float | None = 60.0) -> list[Path]:
    """A writer killed between its temp write and `os.replace` leaves a full copy behind.

    Temp files of dead processes go at once, with or without the lock (a live writer's pid is
    alive). Under the lock (`max_age_s` given) no live writer of ours is mid-write, but another
    process might be about to take the lock after us, so a live pid's files go only once older
    than a minute (the pid may have been reused). Only our own files' temp copies: the store,
    the secrets file (a copy of the hashing key) and the uploader's files.
    """
    return fsio_sweep(data_dir, is_data_file_name, max_age_s=max_age_s)
