"""Everything stored, handed to the user as a file they can read or open in a spreadsheet.

What an export promises about the file it writes (`write_private_file`):

- The target is absent or a regular file, checked with `lstat` (nothing is opened to find out,
  so a FIFO cannot hang us) when the export starts and again right before the swap. A symbolic
  link is never followed or replaced, even with `overwrite`; FIFOs, devices, sockets and folders
  are refused too. Each refusal is one sentence for the user (`ExportError`).
- The data goes to a hidden 0600 temp file beside the target (`fsio.temp_name`), fsynced, then
  takes the final name in one step, and the folder is fsynced: the final name holds the old file
  or the whole export, never part of one. A killed export leaves at most that hidden temp file,
  and the next export to that folder sweeps it (`fsio.sweep_stale_temp_files`: only our exact
  pattern, only files of this user whose writing process is gone).
- Without `overwrite` a file that appears meanwhile is never replaced: the temp file is
  hard-linked to the final name (fails if it exists). Where hard links do not exist (FAT, exFAT,
  some network mounts) the name is claimed with an exclusive, no-follow create and the temp file
  is renamed over that placeholder; a crash in the instant between the two leaves an empty file
  under the final name, still never a partial export.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import io
import json
import os
import stat
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from . import analytics
from .clock import Clock, utc_now
from .fsio import fsync_dir, sweep_stale_temp_files, temp_name, write_all
from .i18n import N_, tr
from .models import SCHEMA_VERSION, AuditEntry, ConsentState, Event, StoreDocument, StoreLimits
from .store.sketch import Sketch

__all__ = [
    "CSV_COLUMNS",
    "ROLLUP_CSV_COLUMNS",
    "STACK_SEPARATOR",
    "ExportDocument",
    "ExportError",
    "ExportFormat",
    "ExportResult",
    "build_export",
    "csv_value",
    "export_data",
    "render_csv",
    "render_rollups_csv",
    "write_private_file",
]

ExportFormat = Literal["json", "csv", "rollups-csv"]
CSV_COLUMNS = (
    "id",
    "timestamp",
    "category",
    "event_type",
    "session_id",
    "metric_name",
    "value",
    "unit",
    "error_type",
    "error_message",
    "stack",
    "properties",
)


#: One row per day and (category, event type), per day and (metric, unit), and per day for the
#: sessions; cells that do not apply to a row's kind stay empty.
ROLLUP_CSV_COLUMNS = (
    "day",
    "kind",
    "category",
    "name",
    "unit",
    "count",
    "sum",
    "min",
    "max",
    "p50",
    "p95",
)


class ExportError(Exception):
    """Worded for the user."""


class ExportDocument(BaseModel):
    schema_version: int
    exported_at: datetime
    anonymous_id: str | None  # None before consent was ever on: no id exists
    consent: ConsentState
    audit_log: list[AuditEntry]
    redactions: dict[str, int]
    limits: StoreLimits
    #: The per-day counts and statistics (docs/store.md, "Rollups"), as stored.
    rollups: dict[str, Any]
    events: list[Event]
    #: Over every event the rollups cover, not only the raw events above.
    analytics: analytics.Analytics


@dataclass(frozen=True)
class ExportResult:
    path: Path
    format: ExportFormat
    event_count: int
    bytes_written: int


def build_export(doc: StoreDocument, clock: Clock = utc_now) -> ExportDocument:
    return ExportDocument(
        schema_version=SCHEMA_VERSION,
        exported_at=clock(),
        anonymous_id=doc.anonymous_id or None,
        consent=doc.consent,
        audit_log=doc.audit_log,
        redactions=doc.redactions,
        limits=doc.limits,
        rollups=doc.rollups,
        events=doc.events,
        analytics=analytics.compute_with_rollups(doc.events, doc.rollups).analytics,
    )


def _cell(value: object) -> str:
    """Neutralise spreadsheet formulas: a cell starting with = + - @ would be executed."""
    text = "" if value is None else str(value)
    if text and text[0] in "=+-@\t\r" and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


#: Between the frames of a stack in its one CSV cell.
STACK_SEPARATOR = " | "


def csv_value(column: str, value: object) -> object:
    """A field as a spreadsheet user reads it. Missing (None) is an empty cell, never the
    JSON word `null`; `properties` is JSON text (keys sorted), the one way to keep its nesting
    in a cell; `stack` is its frames in stored order (outermost call first) joined by
    `STACK_SEPARATOR`, one line a person can scan. The JSON export keeps both exactly."""
    if value is None:
        return None
    if column == "stack" and isinstance(value, list):
        return STACK_SEPARATOR.join(str(frame) for frame in value)
    if column in ("properties", "stack"):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value


def render_csv(events: list[Event]) -> str:
    """One row per event, `CSV_COLUMNS` in order; see `csv_value` for what a cell holds."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for event in events:
        row = event.stored_dict()
        writer.writerow([_cell(csv_value(column, row.get(column))) for column in CSV_COLUMNS])
    return buffer.getvalue()


def _rollup_rows(day: str, record: dict[str, Any]) -> list[list[object]]:
    rows: list[list[object]] = []
    for category, types in _items(record.get("counts")):
        for event_type, count in _items(types):
            rows.append([day, "events", category, event_type, "", count])
    sessions = record.get("sessions")
    ids = sessions.get("ids") if isinstance(sessions, dict) else None
    if isinstance(ids, list):
        estimate = "~" if sessions.get("full") else ""  # type: ignore[union-attr]
        rows.append([day, "sessions", "", "", "", f"{estimate}{len(ids)}"])
    ended = record.get("durations")
    if isinstance(ended, dict) and ended.get("count"):
        rows.append([day, "session_durations", "", "", "s", ended["count"], ended.get("sum")])
    for name, units in _items(record.get("metrics")):
        for unit, m in _items(units):
            if not isinstance(m, dict):
                continue
            sketch = Sketch.from_stored(m.get("sketch"))
            p50, p95 = (sketch.quantile(q) if sketch.count else None for q in (0.5, 0.95))
            stats = [m.get(k) for k in ("count", "sum", "min", "max")]
            rows.append([day, "metric", "performance", name, unit, *stats, p50, p95])
    return rows


def _items(value: object) -> list[tuple[str, Any]]:
    return sorted(value.items()) if isinstance(value, dict) else []


def render_rollups_csv(rollups: dict[str, Any]) -> str:
    """The daily summaries as a table (p50/p95 of one day from its sketch, to 1%)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(ROLLUP_CSV_COLUMNS)
    for day, record in sorted(rollups.items()):
        if isinstance(record, dict):
            for row in _rollup_rows(day, record):
                writer.writerow([_cell(value) for value in row])
    return buffer.getvalue()


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
#: What `link()` says on filesystems without hard links (FAT and exFAT say EPERM).
_NO_HARD_LINKS = frozenset(
    {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.ENOSYS, errno.EMLINK, errno.EXDEV}
)
_KINDS = (
    (stat.S_ISLNK, N_("a symbolic link")),
    (stat.S_ISDIR, N_("a folder")),
    (stat.S_ISFIFO, N_("a FIFO (named pipe)")),
    (stat.S_ISCHR, N_("a character device")),
    (stat.S_ISBLK, N_("a block device")),
    (stat.S_ISSOCK, N_("a socket")),
)


def _check_target(path: Path, *, overwrite: bool) -> os.stat_result | None:
    """Refuse what is at `path` unless it is nothing, or a regular file we may replace."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    mode = st.st_mode
    if stat.S_ISLNK(mode):
        raise ExportError(
            tr(
                "{path} is a symbolic link; an export never follows or replaces a link "
                "(give the name of the file itself, or a new one)"
            ).format(path=path)
        )
    if stat.S_ISDIR(mode):
        raise ExportError(tr("{path} is a folder; give a file name").format(path=path))
    if not stat.S_ISREG(mode):
        kind = next((name for test, name in _KINDS if test(mode)), N_("a special file"))
        raise ExportError(
            # Translators: {kind} is "a FIFO (named pipe)", "a socket", ...
            tr("{path} is {kind}, not a regular file; an export writes only files").format(
                path=path, kind=tr(kind)
            )
        )
    if not overwrite:
        raise ExportError(_exists(path))
    return st


def _exists(path: Path) -> str:
    return tr("{path} already exists; choose another name or allow overwriting").format(path=path)


def _claim(tmp: Path, path: Path) -> None:
    """Give `tmp` the name `path` only if no file has it: never half-written under that name."""
    try:
        os.link(tmp, path)
    except FileExistsError:
        _check_target(path, overwrite=False)  # says what is there
        raise
    except OSError as exc:
        if exc.errno not in _NO_HARD_LINKS:
            raise
    else:
        os.unlink(tmp)
        return
    # No hard links here (FAT, exFAT): the exclusive create is the no-overwrite guard.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o600)
    except FileExistsError:
        _check_target(path, overwrite=False)
        raise
    try:
        ours = os.fstat(fd)
    finally:
        os.close(fd)
    now = os.lstat(path)
    if (now.st_dev, now.st_ino) != (ours.st_dev, ours.st_ino):
        raise ExportError(
            tr("{path} was replaced by another program while exporting; try again").format(
                path=path
            )
        )
    os.replace(tmp, path)


def write_private_file(path: Path, data: bytes, *, overwrite: bool) -> None:
    """Atomic 0600 write of a regular file; refuses to replace one unless asked to, and refuses
    links and special files always (the module docstring has the details)."""
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise ExportError(
            tr("cannot write {path}: folder {folder} does not exist").format(
                path=path, folder=parent
            )
        )
    _check_target(path, overwrite=overwrite)
    sweep_stale_temp_files(parent)  # what an export killed here earlier left behind
    tmp = temp_name(path)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o600)
        try:
            write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        if overwrite:
            _check_target(path, overwrite=True)  # what is there now, right before the swap
            os.replace(tmp, path)
        else:
            _claim(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, FileExistsError):
            raise ExportError(_exists(path)) from None
        if isinstance(exc, OSError):
            raise ExportError(
                tr("cannot write {path}: {reason}").format(path=path, reason=exc.strerror or exc)
            ) from exc
        raise
    fsync_dir(parent)


def export_data(
    doc: StoreDocument,
    output: Path,
    fmt: ExportFormat = "json",
    *,
    overwrite: bool = False,
    clock: Clock = utc_now,
) -> ExportResult:
    if fmt == "json":
        data = build_export(doc, clock).model_dump_json(indent=2, by_alias=True).encode()
    elif fmt == "csv":
        data = render_csv(doc.events).encode("utf-8")
    elif fmt == "rollups-csv":
        data = render_rollups_csv(doc.rollups).encode("utf-8")
    else:
        raise ExportError(
            tr("unknown export format {format!r} (choose json, csv or rollups-csv)").format(
                format=fmt
            )
        )
    write_private_file(Path(output), data, overwrite=overwrite)
    return ExportResult(Path(output), fmt, len(doc.events), len(data))
