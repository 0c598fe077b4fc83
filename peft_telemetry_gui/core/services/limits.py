"""How much the store keeps (`StoreDocument.limits`), as a user action and as a host's setting.

The limits live in the document so that every process prunes alike: a host that keeps 100 000
events must not see them cut to 1000 by the app's next consent toggle. Two parties set them:

- the user (Privacy page, `peft-telemetry limits`): audit-logged like every choice, and a field
  the user chose is theirs: hosts no longer change it;
- a host, through `TelemetryClient(max_events=..., retention_days=...)` given explicitly:
  applied once by its writer (`apply_host_limits`), audit-logged with actor "api" and the
  host's name, never over a user's choice.

Lowering a limit prunes raw events in the same write; the rollups (daily counts and
statistics) are touched only by retention.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..consent import audit
from ..constants import DEFAULT_MAX_EVENTS, DEFAULT_RETENTION_DAYS
from ..i18n import tr
from ..models import Actor, Method, StoreDocument
from ..store import Store

__all__ = [
    "MAX_EVENTS_RANGE",
    "RETENTION_DAYS_RANGE",
    "LimitsChange",
    "apply_host_limits",
    "apply_limits",
    "current_limits",
    "set_limits",
    "validate_limits",
]

#: What a user may choose (a larger store is refused by its file-size bound anyway).
MAX_EVENTS_RANGE = (1, 1_000_000)
RETENTION_DAYS_RANGE = (1, 3650)
_DEFAULTS = {"max_events": DEFAULT_MAX_EVENTS, "retention_days": DEFAULT_RETENTION_DAYS}


@dataclass(frozen=True)
class LimitsChange:
    """The limits in force after a change, and what the change pruned at once."""

    max_events: int
    retention_days: int
    events_removed: int
    days_removed: int


def validate_limits(max_events: int | None, retention_days: int | None) -> None:
    """A user's mistake, in words, before the lock is taken (ValueError)."""
    for name, value, (low, high) in (
        ("max_events", max_events, MAX_EVENTS_RANGE),
        ("retention_days", retention_days, RETENTION_DAYS_RANGE),
    ):
        if value is None:
            continue
        if type(value) is not int or not low <= value <= high:
            if name == "max_events":
                message = tr("keep between {low} and {high} events, not {value!r}")
            else:
                message = tr("keep between {low} and {high} days, not {value!r}")
            raise ValueError(message.format(low=low, high=high, value=value))


def current_limits(store: Store, doc: StoreDocument) -> tuple[int, int]:
    """(max_events, retention_days) in force for `doc` as `store` prunes it."""
    return store.limits_of(doc)


def apply_limits(
    doc: StoreDocument,
    now: datetime,
    *,
    max_events: int | None,
    retention_days: int | None,
    actor: Actor,
    method: Method = "",
    app_name: str | None = None,
    app_version: str | None = None,
    locale: str | None = None,
) -> list[str]:
    """Set the limits given (None: leave that one), audit each actual change; returns the
    names changed. A host (actor "api") never changes a limit the user chose."""
    limits = doc.limits
    changed: list[str] = []
    for name, value in (("max_events", max_events), ("retention_days", retention_days)):
        if value is None:
            continue
        if actor == "api" and name in limits.user_chosen:
            continue
        if actor != "api" and name not in limits.user_chosen:
            limits.user_chosen.append(name)
        old = getattr(limits, name)
        if old == value:
            continue
        audit(
            doc,
            now,
            actor,
            name,
            _DEFAULTS[name] if old is None else old,
            value,
            method=method,
            app_name=app_name,
            app_version=app_version,
            locale=locale,
        )
        setattr(limits, name, value)
        limits.changed_at = now
        changed.append(name)
    return changed


def apply_host_limits(
    doc: StoreDocument,
    now: datetime,
    *,
    max_events: int | None,
    retention_days: int | None,
    app_name: str | None = None,
    app_version: str | None = None,
    locale: str | None = None,
) -> list[str]:
    """A host's explicit constructor arguments (see the module docstring)."""
    return apply_limits(
        doc,
        now,
        max_events=max_events,
        retention_days=retention_days,
        actor="api",
        method="host_api",
        app_name=app_name,
        app_version=app_version,
        locale=locale,
    )


def set_limits(
    store: Store,
    *,
    max_events: int | None = None,
    retention_days: int | None = None,
    actor: Actor,
    method: Method = "",
) -> LimitsChange:
    """The user's "Keep at most N events / D days": one write, pruned at once."""
    validate_limits(max_events, retention_days)

    def mutate(doc: StoreDocument) -> tuple[int, int]:
        apply_limits(
            doc,
            store.clock(),
            max_events=max_events,
            retention_days=retention_days,
            actor=actor,
            method=method,
        )
        return len(doc.events), len(doc.rollups)

    holder: list[StoreDocument] = []

    def after(doc: StoreDocument) -> None:
        holder[:] = [doc]

    events_before, days_before = store.update(mutate, after)
    doc = holder[0]
    kept_events, kept_days = store.limits_of(doc)
    return LimitsChange(
        max_events=kept_events,
        retention_days=kept_days,
        events_removed=max(0, events_before - len(doc.events)),
        days_removed=max(0, days_before - len(doc.rollups)),
    )
