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

from ..fsio import atomic_write
from ..fsio import sweep_stale_temp_files as fsio_sweep
from ..i18n import tr
from ..models import QuarantineNotice
from ..paths import is_data_file_name
from .errors import StoreError, os_message
from .segments import is_segment_name, segment_files

__all__ = [
    "describe_notice",
    "keep_bad_lines",
    "quarantine",
    "quarantined_files",
    "sweep_stale_temp_files",
]

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


def _target(data_dir: Path, now: datetime) -> Path:
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    target = data_dir / f"telemetry.corrupt-{stamp}.json"
    n = 1
    while target.exists():
        n += 1
        target = data_dir / f"telemetry.corrupt-{stamp}-{n}.json"
    return target


def quarantine(path: Path, now: datetime, exc: Exception) -> QuarantineNotice:
    """Move the unreadable `path` to `telemetry.corrupt-<stamp>.json` beside it, and the
    segment files beside it to `telemetry.corrupt-<stamp>.events-....jsonl` (which of their
    bytes were live only the unreadable head knew: all are kept for the user); call under the
    store lock, where a concurrent writer cannot race us."""
    data_dir = path.parent
    target = _target(data_dir, now)
    reason = _reason(exc)
    try:
        os.replace(path, target)
    except OSError as move_exc:
        raise StoreError(
            tr("{path} is unreadable ({reason}) and could not be moved aside: {error}").format(
                path=path, reason=reason, error=os_message(move_exc)
            )
        ) from move_exc
    for name in segment_files(data_dir):
        aside = data_dir / f"{target.stem}.{name.removeprefix('telemetry.')}"
        try:
            os.replace(data_dir / name, aside)
        except OSError as move_exc:
            log.warning("could not move %s aside: %s", name, os_message(move_exc))
    log.warning(
        "the telemetry store %s could not be read (%s); it was moved to %s and a new one was "
        "started",
        path,
        reason,
        target,
    )
    return QuarantineNotice(at=now, moved_to=str(target), reason=reason)


def keep_bad_lines(data_dir: Path, now: datetime, segment: str, report: bytes) -> QuarantineNotice:
    """What a segment held that could not be read (`report`: JSON naming the segment, why, and
    the lines), set aside as `telemetry.corrupt-<stamp>.json` like a corrupt store: the rest of
    the store is kept, and the notice tells every process where the lines went."""
    target = _target(data_dir, now)
    try:
        reason = str(json.loads(report)["reason"])[:300]
    except (ValueError, KeyError):
        reason = "unreadable lines"
    atomic_write(target, report, overwrite=False)
    log.warning(
        "the telemetry store's segment %s could not be read in full (%s); what could not be "
        "read was moved to %s and the rest kept",
        segment,
        reason,
        target,
    )
    return QuarantineNotice(at=now, moved_to=str(target), reason=f"{segment}: {reason}"[:300])


def describe_notice(notice: QuarantineNotice) -> str:
    """What happened, in plain words for a banner; the parser's own words (`notice.reason`)
    are the details, for whoever wants them."""
    if is_segment_name(notice.reason.partition(":")[0]):
        return tr(
            "Some stored events could not be read (part of a data file was damaged or cut "
            "short), so they were set aside; every other event is kept. Nothing was deleted: "
            "what could not be read is kept in {moved_to}."
        ).format(moved_to=notice.moved_to)
    return tr(
        "The telemetry file was damaged and could not be read, so it was set aside and a "
        "fresh, empty store was started. Nothing was deleted: the damaged file is kept in "
        "{moved_to}."
    ).format(moved_to=notice.moved_to)


def quarantined_files(data_dir: Path) -> list[Path]:
    """The documents and reports set aside (the segment files moved with a head are beside
    it, `<its name minus .json>.events-*.jsonl`)."""
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
