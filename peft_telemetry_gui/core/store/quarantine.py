"""Setting unreadable documents aside, and sweeping up after writers that died mid-write.

A document we cannot read is moved aside and reported, never silently overwritten: the user
(and every process, through the notice kept in the fresh store) learns what happened and where
the file went.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from datetime import datetime
from pathlib import Path

from pydantic import ValidationError

from ..models import QuarantineNotice
from ..paths import STORE_FILE_NAME
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
    log.warning("telemetry store %s was unreadable (%s); moved to %s", path, reason, target)
    return QuarantineNotice(at=now, moved_to=str(target), reason=reason)


def quarantined_files(data_dir: Path) -> list[Path]:
    try:
        return sorted(data_dir.glob("telemetry.corrupt-*.json"))
    except OSError:
        return []


def sweep_stale_temp_files(data_dir: Path, max_age_s: float = 60.0) -> None:
    """A writer killed between its temp write and `os.replace` leaves a full copy behind.

    Under the lock no live writer of ours is mid-write, but another process might be about
    to take the lock after us, so only files of dead processes or older than a minute go.
    """
    now = time.time()
    with contextlib.suppress(OSError):
        for path in data_dir.glob(f".{STORE_FILE_NAME}.tmp-*"):
            try:
                pid = int(path.name.rsplit("-", 2)[-2])
            except (ValueError, IndexError):
                pid = -1
            with contextlib.suppress(OSError):
                if pid != os.getpid() and (
                    not _pid_alive(pid) or now - path.stat().st_mtime > max_age_s
                ):
                    path.unlink()


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True
