"""Our figures and consent, in the JSON shapes PEFT Studio's service and React UI read.

Only names and nesting change here: every number comes from `core.analytics` (the figures the
desktop app and `peft-telemetry stats` show), every text from `resources/collection.json`, and
the export is `core.export.build_export`. Our own fields ride along beside theirs, so a host
that reads more finds it and their components, which ignore unknown keys, are unaffected.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..core.clock import ensure_utc
from ..core.constants import CATEGORIES

if TYPE_CHECKING:
    from ..core.analytics import Analytics
    from ..core.export import ExportDocument
    from ..core.models import ConsentState

__all__ = [
    "SYSTEM_KEYS",
    "analytics_shape",
    "consent_shape",
    "export_shape",
    "parse_bound",
    "system_shape",
]

#: Their `system_info` keys, and the key our `session_started` event stores each under
#: (`core.client.capture.system_info`).
SYSTEM_KEYS: dict[str, str] = {
    "os": "os",
    "os_version": "os_version",
    "python_version": "python",
    "cpu_count": "cpu_count",
    "total_memory_gb": "memory_gb",
}


def parse_bound(value: object, name: str, *, end: bool = False) -> datetime | None:
    """A `start_date`/`end_date` as their callers pass it: None or "" (what their dashboard
    sends when no range is picked) mean no bound; a datetime or an ISO string is read as
    `core.analytics.parse_time` reads the CLI's `--since` (a bare date is the whole day, a
    time without an offset is UTC). A ValueError names the argument and says what to write."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return ensure_utc(value)
    if not isinstance(value, str):
        raise ValueError(f"{name} must be an ISO 8601 date or time, not {type(value).__name__}")
    if not value.strip():
        return None
    from ..core.analytics import parse_time

    try:
        return parse_time(value, end_of_day=end)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None


def system_shape(stored: Mapping[str, Any] | None) -> dict[str, Any]:
    """What was recorded (the latest `session_started` in range), never read live: the page
    shows what is stored. Every key is present, null when nothing was recorded ("system" off,
    or no session yet), because their dashboard reads the fields without checking."""
    info = stored or {}
    return {theirs: info.get(ours) for theirs, ours in SYSTEM_KEYS.items()}


def analytics_shape(figures: Analytics, session_minutes: float) -> dict[str, Any]:
    """`Analytics` renamed: `performance` becomes their `performance_metrics` (our entries add
    p50, p95 and the unit to their count, avg, min and max) and `system_info` their keys.
    `session_duration_minutes` is this process's session so far, as theirs was."""
    out = figures.model_dump(mode="json")
    out["performance_metrics"] = out.pop("performance")
    out["system_info"] = system_shape(figures.system_info)
    out["session_duration_minutes"] = session_minutes
    return out


def consent_shape(consent: ConsentState, anonymous_id: str, override: str | None) -> dict[str, Any]:
    """`get_consent_status()`. `enabled` is the master switch, and false while DO_NOT_TRACK or
    PEFT_TELEMETRY_DISABLED forbids recording (`overridden_by` says which). `user_id` is our
    random anonymous id, null until telemetry is first turned on; `last_prompt` is when the
    user last decided, null before that."""
    from ..core.consent import collection_text

    text = collection_text()
    decided = consent.decided
    return {
        "enabled": consent.enabled and override is None,
        "user_id": anonymous_id or None,
        "last_prompt": consent.changed_at.isoformat() if decided and consent.changed_at else None,
        "data_collected": list(text.collected),
        "data_not_collected": list(text.never_collected),
        "decided": decided,
        "categories": {c: consent.category_on(c) for c in CATEGORIES},
        "overridden_by": override,
        "text_version": text.version,
    }


def _config(export: ExportDocument, override: str | None) -> dict[str, Any]:
    """Their export's `config` (what their `telemetry_config.json` held) from our consent."""
    consent = export.consent
    return {
        "enabled": consent.enabled and override is None,
        "user_id": export.anonymous_id,
        "decided": consent.decided,
        "categories": {c: consent.category_on(c) for c in CATEGORIES},
        "changed_at": consent.changed_at.isoformat() if consent.changed_at else None,
        "enabled_since": consent.enabled_since.isoformat() if consent.enabled_since else None,
        "upload_enabled": consent.upload_enabled,
    }


def export_shape(
    export: ExportDocument, session_minutes: float, override: str | None
) -> dict[str, Any]:
    """Their `config`, `events` and `analytics`, plus everything else our export holds (the
    audit log, redaction counts, limits, daily rollups): the user sees all that is stored."""
    full = export.model_dump(mode="json", by_alias=True)
    full.pop("analytics")
    events = full.pop("events")
    return {
        "config": _config(export, override),
        "events": events,
        "analytics": analytics_shape(export.analytics, session_minutes),
        **full,
    }
