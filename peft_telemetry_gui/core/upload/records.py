"""What the uploader keeps on disk, as values: queued records and deletion requests.

The one place that knows the line format of `upload-queue.jsonl`, so the queue, the encoder and
the worker agree on it without importing each other.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

from ..clock import ensure_utc

__all__ = ["DeletionRequest", "QueuedRecord", "make_line", "parse_line"]


@dataclass(frozen=True)
class QueuedRecord:
    """One stored event (already scrubbed: it is the record in `telemetry.json`) plus the
    anonymous id it was recorded under, when it entered the queue and which app recorded it.

    The app travels with the record because the queue is shared: the desktop app (or any other
    process holding the sender lock) may be the one that sends a host app's records, and the
    collector must still see the host's `service.name`."""

    id: str
    at: datetime
    anonymous_id: str
    event: dict[str, Any]
    line: bytes  # the exact bytes on disk, newline included: its size counts toward the bound
    service_name: str | None = None  # None: queued by a version that did not record it
    service_version: str | None = None

    @property
    def size(self) -> int:
        return len(self.line)

    @property
    def category(self) -> str:
        return str(self.event.get("category", ""))


def make_line(
    event: dict[str, Any],
    anonymous_id: str,
    at: datetime,
    service: tuple[str, str | None] | None = None,
) -> bytes:
    record: dict[str, Any] = {
        "v": 1,
        "at": at.isoformat(),
        "anonymous_id": anonymous_id,
        "event": event,
    }
    if service is not None:
        record["service"] = {"name": service[0], "version": service[1]}
    # "replace": a lone surrogate must not stop the whole batch from being queued
    text = json.dumps(record, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8", errors="replace") + b"\n"


def parse_line(line: bytes) -> QueuedRecord | None:
    """None for a line that does not parse (a torn append): skipped, never fatal."""
    try:
        raw = json.loads(line)
        event = raw["event"]
        if not isinstance(event, dict) or not isinstance(event.get("id"), str):
            return None
        at = ensure_utc(datetime.fromisoformat(raw["at"]))
        service = raw.get("service")
        name = version = None
        if isinstance(service, dict):
            name = str(service["name"])[:100] if service.get("name") else None
            version = str(service["version"])[:50] if service.get("version") else None
        return QueuedRecord(
            id=event["id"],
            at=at,
            anonymous_id=str(raw.get("anonymous_id", "")),
            event=event,
            line=line if line.endswith(b"\n") else line + b"\n",
            service_name=name,
            service_version=version,
        )
    except (ValueError, KeyError, TypeError):
        return None


class DeletionRequest(BaseModel):
    """Asks the server to erase everything it holds for `anonymous_id`. No token inside."""

    model_config = ConfigDict(extra="ignore")

    id: str
    anonymous_id: str
    created_at: datetime
    logs_url: str
    attempts: int = 0

    _norm = field_validator("created_at")(ensure_utc)
