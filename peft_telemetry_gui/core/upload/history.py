"""What left the machine and when: the persisted upload history, drop counters and last outcome.

Kept in `upload-state.json` beside the store (not in `telemetry.json`) so the uploader can record
every request without rewriting the user's events, and so "delete all data" removes it with the
rest of the upload files. It never holds a token, a header value or an event payload.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..clock import ensure_utc
from ..i18n import tr
from ..store import Store
from .files import (
    SENT_IDS_FILE,
    STATE_FILE,
    append_lines,
    atomic_write,
    keep_aside,
    read_small_file,
)
from .salvage import damage_reason, is_anonymous_id, salvage_state

__all__ = [
    "HISTORY_LIMIT",
    "DropReason",
    "HistoryEntry",
    "Outcome",
    "UploadState",
    "delivered_anonymous_ids",
    "read_sent_ids",
    "read_state",
    "remember_sent_ids_locked",
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


def _parse_state(data: bytes) -> tuple[UploadState, str | None]:
    """(state, None), or what can be recovered and why the file is damaged."""
    try:
        return UploadState.model_validate_json(data), None
    except (ValueError, ValidationError) as exc:
        reason = damage_reason(exc)
    state = UploadState.model_validate(salvage_state(data.decode("utf-8", errors="replace")))
    return state, reason


def _read(store: Store) -> tuple[UploadState, str | None]:
    path = store.data_dir / STATE_FILE
    try:
        data = read_small_file(path)
    except FileNotFoundError:
        return UploadState(), None
    except OSError as exc:
        return UploadState(), damage_reason(exc)
    return _parse_state(data)


def _damaged_message(reason: str, kept: str | None) -> str:
    """The user's words (the state's `last_error`, shown on the Upload page)."""
    if kept:
        return tr(
            "the upload history ({file}) was damaged ({reason}); it is kept as {kept} and a "
            "new one was started (the anonymous ids that had records delivered were recovered)"
        ).format(file=STATE_FILE, reason=reason, kept=kept)
    return tr(
        "the upload history ({file}) was damaged ({reason}); it is set aside at the next "
        "change and a new one was started (the anonymous ids that had records delivered were "
        "recovered)"
    ).format(file=STATE_FILE, reason=reason)


def read_state(store: Store) -> UploadState:
    """Lock-free read (the file is only ever replaced atomically). A damaged file reads as what
    can be recovered from it, its `last_error` saying so; it is set aside by the next write."""
    state, damaged = _read(store)
    if damaged is not None:
        state.last_error = _damaged_message(damaged, None)
    return state


def _write_state(store: Store, state: UploadState) -> None:
    payload = json.dumps(state.model_dump(mode="json", exclude_none=True)).encode()
    atomic_write(store.data_dir / STATE_FILE, payload)


def update_state_locked(store: Store, mutate: Callable[[UploadState], T]) -> T:
    """For callers that already hold the store lock (inside `Store.update`). A damaged file is
    moved aside first (never overwritten), and the new history says where it went."""
    state, damaged = _read(store)
    if damaged is not None:
        path = store.data_dir / STATE_FILE
        try:
            kept: str | None = keep_aside(path, store.clock()).name
        except FileNotFoundError:
            kept = None
        log.warning("the upload history (%s) was damaged (%s); kept as %s", path, damaged, kept)
        state.last_error, state.last_error_at = _damaged_message(damaged, kept), store.clock()
    result = mutate(state)
    _write_state(store, state)
    return result


def update_state(store: Store, mutate: Callable[[UploadState], T]) -> T:
    with store.lock():
        return update_state_locked(store, mutate)


# ------------------------------------------------------------------ delivered anonymous ids
def read_sent_ids(store: Store) -> list[str]:
    """Every id in the append-only log, oldest first; a torn last line (no newline) is not
    an id and is skipped."""
    try:
        data = read_small_file(store.data_dir / SENT_IDS_FILE)
    except OSError:
        return []
    ids: list[str] = []
    for line in data.split(b"\n")[:-1]:
        text = line.decode("ascii", errors="replace").strip()
        if is_anonymous_id(text) and text not in ids:
            ids.append(text)
    return ids


def remember_sent_ids_locked(store: Store, anonymous_ids: Iterable[str]) -> None:
    """Append the ids not yet in the log, fsynced, before anything else records a delivery
    (under the store lock). A full disk is logged, not raised: the history keeps them too."""
    known = read_sent_ids(store)
    new = [i for i in dict.fromkeys(anonymous_ids) if is_anonymous_id(i) and i not in known]
    if not new:
        return
    path = store.data_dir / SENT_IDS_FILE
    try:
        append_lines(path, "".join(f"{i}\n" for i in new).encode())
    except OSError as exc:
        log.warning("could not note a delivered anonymous id in %s: %s", path, damage_reason(exc))


def delivered_anonymous_ids(store: Store) -> tuple[list[str], bool]:
    """Every id that ever had a record delivered (the log and the history together), and
    whether the history was damaged (then the caller cannot rule out more, e.g. the current
    id, written by a version without the log)."""
    state, damaged = _read(store)
    ids = list(dict.fromkeys([*read_sent_ids(store), *state.sent_anonymous_ids]))
    return ids, damaged is not None
