"""Everything stored, handed to the user as a file they can read or open in a spreadsheet."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from . import analytics
from .clock import Clock, utc_now
from .fsio import atomic_write
from .models import SCHEMA_VERSION, AuditEntry, ConsentState, Event, StoreDocument

__all__ = [
    "CSV_COLUMNS",
    "ExportDocument",
    "ExportError",
    "ExportFormat",
    "ExportResult",
    "build_export",
    "export_data",
    "render_csv",
    "write_private_file",
]

ExportFormat = Literal["json", "csv"]
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


class ExportError(Exception):
    """Worded for the user."""


class ExportDocument(BaseModel):
    schema_version: int
    exported_at: datetime
    anonymous_id: str
    consent: ConsentState
    audit_log: list[AuditEntry]
    redactions: dict[str, int]
    events: list[Event]
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
        anonymous_id=doc.anonymous_id,
        consent=doc.consent,
        audit_log=doc.audit_log,
        redactions=doc.redactions,
        events=doc.events,
        analytics=analytics.compute(doc.events),
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


def render_csv(events: list[Event]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for event in events:
        row = event.stored_dict()
        writer.writerow(
            [
                _cell(
                    json.dumps(row.get(column), ensure_ascii=False, sort_keys=True)
                    if column in ("properties", "stack")
                    else row.get(column)
                )
                for column in CSV_COLUMNS
            ]
        )
    return buffer.getvalue()


def write_private_file(path: Path, data: bytes, *, overwrite: bool) -> None:
    """Atomic 0600 write; refuses to replace an existing file unless asked to."""
    path = Path(path)
    if path.is_dir():
        raise ExportError(f"{path} is a folder; give a file name")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise ExportError(f"cannot write {path}: folder {parent} does not exist")
    try:
        atomic_write(path, data, overwrite=overwrite)
    except FileExistsError:
        raise ExportError(
            f"{path} already exists; choose another name or allow overwriting"
        ) from None
    except OSError as exc:
        raise ExportError(f"cannot write {path}: {exc.strerror or exc}") from exc


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
    else:
        raise ExportError(f"unknown export format {fmt!r} (choose json or csv)")
    write_private_file(Path(output), data, overwrite=overwrite)
    return ExportResult(Path(output), fmt, len(doc.events), len(data))
