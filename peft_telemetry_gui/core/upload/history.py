"""What left the machine and when: the persisted upload history, drop counters and last outcome.

Kept in `upload-state.json` beside the store (not in `telemetry.json`) so the uploader can record
every request without rewriting the user's events, and so "delete all data" removes it with the
rest of the upload files. It never holds a token, a header value or an event payload.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..clock import ensure_utc
from ..store import Store
from .files import STATE_FILE, atomic_write

__all__ = [
    "HISTORY_LIMIT",
    "DropReason",
    "HistoryEntry",
    "Outcome",
    "UploadState",
    "read_state",
    "update_state",
    "update_state_locked",
]

log = logging.getLogger(__name__)

HISTORY_LIMIT = 200
_SENT_IDS_LIMIT = 50

Outcome = Literal["delivered", "partial", "rejected", "retry", "failed"]
DropReason = Literal["full", "expired", "rejected", "too_large"]

T = TypeVar("T")


class HistoryEntry(BaseModel):
    """One HTTP request (or attempt that never got an answer)."""

    model_config = ConfigDict(extra="ignore")

    at: datetime
    kind: Literal["events", "deletion_request"] = "events"
    records: int
    bytes: int
    status: int | None = None  # None: no HTTP answer (refused, timeout, ...)
    outcome: Outcome
    rejected: int = 0
    message: str = ""

    _norm = field_validator("at")(ensure_utc)


class UploadState(BaseModel):
    model_config = ConfigDict(extra="ignore")

    drops: dict[str, int] = Field(default_factory=dict)
    history: list[HistoryEntry] = Field(default_factory=list)
    last_success: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    rejected_total: int = 0
    #: Anonymous ids that have had at least one record delivered: a later "delete all data"
    #: then asks the server to erase them, even if upload was switched off in between.
    sent_anonymous_ids: list[str] = Field(default_factory=list)
    #: service.name / service.version last seen from the host (its session_started event).
    app_name: str | None = None
    app_version: str | None = None

    @property
    def drops_total(self) -> int:
        return sum(self.drops.values())

    def count_drop(self, reason: DropReason, n: int = 1) -> None:
        if n > 0:
            self.drops[reason] = self.drops.get(reason, 0) + n

    def record(self, entry: HistoryEntry) -> None:
        self.history.append(entry)
        if len(self.history) > HISTORY_LIMIT:
            del self.history[: len(self.history) - HISTORY_LIMIT]
        if entry.outcome in ("delivered", "partial"):
            self.last_success = entry.at
        if entry.outcome != "delivered" and entry.message:
            self.last_error = entry.message
            self.last_error_at = entry.at
        self.rejected_total += entry.rejected

    def remember_sent_id(self, anonymous_id: str) -> None:
        if anonymous_id and anonymous_id not in self.sent_anonymous_ids:
            self.sent_anonymous_ids.append(anonymous_id)
            del self.sent_anonymous_ids[:-_SENT_IDS_LIMIT]


def read_state(store: Store) -> UploadState:
    """Lock-free read (the file is only ever replaced atomically); unreadable reads as empty."""
    path = store.data_dir / STATE_FILE
    try:
        return UploadState.model_validate_json(path.read_bytes())
    except FileNotFoundError:
        return UploadState()
    except (OSError, ValueError, ValidationError) as exc:
        log.warning("upload history %s unreadable (%s); starting a new one", path, type(exc))
        return UploadState()


def _write_state(store: Store, state: UploadState) -> None:
    payload = json.dumps(state.model_dump(mode="json", exclude_none=True)).encode()
    atomic_write(store.data_dir / STATE_FILE, payload)


def update_state_locked(store: Store, mutate: Callable[[UploadState], T]) -> T:
    """For callers that already hold the store lock (inside `Store.update`)."""
    state = read_state(store)
    result = mutate(state)
    _write_state(store, state)
    return result


def update_state(store: Store, mutate: Callable[[UploadState], T]) -> T:
    with store.lock():
        return update_state_locked(store, mutate)
