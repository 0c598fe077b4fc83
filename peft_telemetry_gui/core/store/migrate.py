"""Lifting documents written by older versions to the current schema, on read."""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from ..constants import DEFAULT_MAX_EVENTS, DEFAULT_RETENTION_DAYS
from ..i18n import tr
from ..models import SCHEMA_VERSION, StoreDocument
from .errors import NewerSchemaError
from .rollups import rebuild

__all__ = ["MIGRATIONS", "finish_migration", "migrate"]

_V0_NAMESPACE = uuid.UUID("6f1c2a8e-3b7d-4c55-9a0e-5d2f7b1e9c43")


def _migrate_v0(raw: dict[str, Any]) -> dict[str, Any]:
    """The seed prototype kept a flat `{"enabled": bool, "user_id": ..., "events": [...]}`."""
    enabled = bool(raw.get("enabled", raw.get("consent", False)) is True)
    events = []
    for index, item in enumerate(raw.get("events", []) or []):
        if not isinstance(item, dict):
            continue
        # Derived, not random: the same unmigrated file must show the same ids to every reader.
        stable = uuid.uuid5(
            _V0_NAMESPACE, f"{index}:{item.get('timestamp')}:{item.get('event_type')}"
        )
        events.append(
            {
                "id": item.get("id") or item.get("event_id") or str(stable),
                "timestamp": item.get("timestamp"),
                "category": item.get("category", "usage"),
                "event_type": item.get("event_type") or item.get("name") or "unknown",
                "session_id": item.get("session_id", "unknown"),
                "properties": item.get("properties", {}) or {},
            }
        )
    return {
        "schema_version": 1,
        "consent": {"decided": "enabled" in raw, "enabled": enabled},
        "events": events,
    }


def _migrate_v1(raw: dict[str, Any]) -> dict[str, Any]:
    """Version 2 keeps the limits in the document. Version 1 had none: each process pruned by
    its own, so a host may have kept more (or longer) than the defaults. What is recorded is
    just enough to keep everything already stored (here the count; the age in
    `finish_migration`, which knows the time), so no process that upgrades and uses the
    defaults prunes it away on its first write. Within the defaults nothing is recorded."""
    events = raw.get("events")
    limits: dict[str, int] = {}
    if isinstance(events, list) and len(events) > DEFAULT_MAX_EVENTS:
        limits["max_events"] = len(events)
    return {**raw, "schema_version": 2, "limits": limits, "rollups": {}}


def _migrate_v2(raw: dict[str, Any]) -> dict[str, Any]:
    """Version 3 keeps the events in segment files beside the head. The document is the same:
    the events read from the one file stay in memory, and the next write puts them in a
    segment (fsynced) before the new head replaces the old file (docs/store.md, "Layout")."""
    return {**raw, "schema_version": 3}


# version -> function that lifts a raw document from that version to the next one
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {
    0: _migrate_v0,
    1: _migrate_v1,
    2: _migrate_v2,
}


def finish_migration(
    doc: StoreDocument, from_version: int, now: datetime | None = None
) -> StoreDocument:
    """What needs the validated document: a retention that keeps the oldest event stored
    (age at `now`, the reading store's clock; else at the newest event), and the rollups of
    the events a version 1 store holds (the counts of events pruned before rollups existed
    are gone with them)."""
    if from_version < 2 and doc.events:
        stamps = [event.timestamp for event in doc.events]
        age = ((now or max(stamps)) - min(stamps)).total_seconds() / 86_400
        if age > DEFAULT_RETENTION_DAYS and doc.limits.retention_days is None:
            doc.limits.retention_days = math.ceil(age) + 1
    if from_version < 2:
        doc.rollups = rebuild(doc.events)
    return doc


def migrate(raw: dict[str, Any]) -> dict[str, Any]:
    version = raw.get("schema_version", 0)
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        raise ValueError(f"schema_version {version!r} is not a version number")
    if version > SCHEMA_VERSION:
        raise NewerSchemaError(
            tr(
                "the store was written by a newer version (schema {version}, this one reads "
                "up to {supported}); upgrade peft-telemetry-gui. The file was left untouched."
            ).format(version=version, supported=SCHEMA_VERSION)
        )
    while version < SCHEMA_VERSION:
        raw = MIGRATIONS[version](raw)
        version = raw["schema_version"]
    return raw
