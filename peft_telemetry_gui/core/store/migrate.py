"""Lifting documents written by older versions to the current schema, on read."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from ..models import SCHEMA_VERSION
from .errors import NewerSchemaError

__all__ = ["MIGRATIONS", "migrate"]

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


# version -> function that lifts a raw document from that version to the next one
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {0: _migrate_v0}


def migrate(raw: dict[str, Any]) -> dict[str, Any]:
    version = raw.get("schema_version", 0)
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        raise ValueError(f"schema_version {version!r} is not a version number")
    if version > SCHEMA_VERSION:
        raise NewerSchemaError(
            f"the store was written by a newer version (schema {version}, this one reads "
            f"up to {SCHEMA_VERSION}); upgrade peft-telemetry-gui. The file was left untouched."
        )
    while version < SCHEMA_VERSION:
        raw = MIGRATIONS[version](raw)
        version = raw["schema_version"]
    return raw
