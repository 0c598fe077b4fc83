"""What the uploader keeps on disk, as values: queued records and deletion requests.

The one place that knows the line format of `upload-queue.jsonl`, so the queue, the encoder and
the worker agree on it without importing each other. A line is one JSON object: `v`, `at`,
`anonymous_id`, `event`, and, when known, `service` (`name`, `version`) and `consent` (`seq`,
`text_sha256`: the ledger entry the event was recorded under). Lines written before a key
existed stay readable: the record then has no value for it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

from ..clock import ensure_utc

__all__ = ["ConsentProof", "DeletionRequest", "QueuedRecord", "make_line", "parse_line"]

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class ConsentProof:
    """The consent an event was recorded under, as the ledger names it: the entry's sequence
    number and the SHA-256 of the "what is collected" text it was given to. Carried with the
    queued record (its line) and sent as record attributes, so a collector can tell which
    consent each record rests on and drop the ones that cite none."""

    seq: int
    text_sha256: str

    @classmethod
    def from_raw(cls, raw: object) -> ConsentProof | None:
        """None unless `raw` is a complete proof (a positive seq, a lower-case hex SHA-256):
        a damaged or hand-edited proof is no proof, and the record is sent without one."""
        if not isinstance(raw, dict):
            return None
        seq, sha = raw.get("seq"), raw.get("text_sha256")
        if type(seq) is not int or seq <= 0 or not isinstance(sha, str):
            return None
        return cls(seq, sha) if _SHA256_HEX.fullmatch(sha) else None


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
    consent: ConsentProof | None = None  # None: none was provable, or an older line

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
    consent: ConsentProof | None = None,
) -> bytes:
    record: dict[str, Any] = {
        "v": 1,
        "at": at.isoformat(),
        "anonymous_id": anonymous_id,
        "event": event,
    }
    if service is not None:
        record["service"] = {"name": service[0], "version": service[1]}
    if consent is not None:
        record["consent"] = {"seq": consent.seq, "text_sha256": consent.text_sha256}
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
            consent=ConsentProof.from_raw(raw.get("consent")),
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
