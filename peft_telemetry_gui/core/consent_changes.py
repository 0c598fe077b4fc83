"""Consent changes in words ("PEFT Studio turned on Usage"), and which ones another process made.

The app's notice and `peft-telemetry status` say who changed what in the same words, from the
audit log alone: apart from `consent` (the policy) so both can phrase it without the upload
queue or the store.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .models import Actor, AuditEntry

__all__ = [
    "ACTOR_PLACES",
    "Change",
    "by_write",
    "describe",
    "external_entries",
    "last_change",
    "who",
]

#: Where a change came from, for people: "(host app)" after the sentence in the CLI.
ACTOR_PLACES: dict[str, str] = {"api": "host app", "cli": "command line", "gui": "desktop app"}
_WHO = {"api": "A host app", "cli": "You", "gui": "You"}


def who(entry: AuditEntry) -> str:
    """The host's own name when it gave one (a host app is named as it names itself)."""
    return entry.app_name or _WHO.get(entry.actor, entry.actor)


def _and(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _percent(value: Any) -> str:
    try:
        return f"{float(value) * 100:g}%"
    except (TypeError, ValueError):
        return str(value)


#: How much the store keeps (`services.limits`), as the phrase after the one who set it.
_LIMITS = ("max_events", "retention_days")


def _limits_phrase(limits: dict[str, Any]) -> str:
    """One phrase for a limits change (a host usually sets both in one write): "set the store
    to keep at most 5,000 raw events, for 30 days"."""
    days = f"for {_count(limits.get('retention_days'))} days"
    if "max_events" not in limits:
        return f"set the store to keep events {days}"
    most = f"set the store to keep at most {_count(limits['max_events'])} raw events"
    return f"{most}, {days}" if "retention_days" in limits else most


def _count(value: Any) -> str:
    """5000 -> "5,000"; a hand-edited value is shown as it is rather than hidden."""
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)


def describe(entries: Sequence[AuditEntry], title: Callable[[str], str] = str) -> str:
    """What `entries` did, as one phrase without a subject: "turned on telemetry and Usage,
    turned off System". `title` names a category ("usage" -> "Usage" in the app)."""
    on: list[str] = []
    off: list[str] = []
    other: list[str] = []
    limits: dict[str, Any] = {}
    whats = {e.what for e in entries}
    for e in entries:
        what, new = e.what, e.to_value
        name = {"consent": "telemetry", "upload": "upload"}.get(what)
        if what.startswith("category:"):
            name = title(what.partition(":")[2])
        if name is not None and isinstance(new, bool):
            (on if new else off).append(name)
        elif what.startswith("sampling:"):
            other.append(f"set {title(what.partition(':')[2])} sampling to {_percent(new)}")
        elif what == "decision":
            if "consent" not in whats:  # "on" always comes with its own entry
                other.append("declined telemetry" if new == "disabled" else "allowed telemetry")
        elif what == "anonymous_id":
            other.append("reset the anonymous id")
        elif what == "all data deleted":
            other.append("deleted all data")
        elif what in _LIMITS:
            if not limits:
                other.append("")  # its place in the sentence, filled in below
            limits[what] = new
        else:
            other.append(f"changed {what}")
    if limits:
        other[other.index("")] = _limits_phrase(limits)
    parts = ([f"turned on {_and(on)}"] if on else []) + ([f"turned off {_and(off)}"] if off else [])
    parts += other
    return _and(parts) if parts else "changed nothing"


def _key(entry: AuditEntry) -> str:
    return entry.model_dump_json(by_alias=True)


def external_entries(
    before: Sequence[AuditEntry], after: Sequence[AuditEntry], mine: Sequence[Actor] = ("gui",)
) -> list[AuditEntry]:
    """Entries in `after` that `before` did not have, made by an actor other than `mine`: what
    another process (a host app, the CLI) changed in between. The log only grows, except on
    delete all, which restarts it: then every entry not seen before counts."""
    if list(after[: len(before)]) == list(before):
        new = list(after[len(before) :])
    else:
        seen = {_key(e) for e in before}
        new = [e for e in after if _key(e) not in seen]
    return [e for e in new if e.actor not in mine]


@dataclass(frozen=True)
class Change:
    """The last change on record, as `status` shows it: the newest entry, and what the write
    it belonged to did (the entries of the same moment by the same actor and app)."""

    entry: AuditEntry
    group: tuple[AuditEntry, ...]

    def payload(self) -> dict[str, Any]:
        e = self.entry
        return {
            "at": e.at.isoformat(),
            "actor": e.actor,
            "app_name": e.app_name,
            "app_version": e.app_version,
            "method": e.method,
            "what": e.what,
            "from": e.from_value,
            "to": e.to_value,
            "summary": f"{who(e)} {describe(self.group)}",
        }

    def sentence(self) -> str:
        """Such as "PEFT Studio turned on usage at 2026-12-01 14:02 UTC (host app)"."""
        e = self.entry
        at = e.at.strftime("%Y-%m-%d %H:%M UTC")
        return f"{who(e)} {describe(self.group)} at {at} ({ACTOR_PLACES.get(e.actor, e.actor)})"


def by_write(entries: Sequence[AuditEntry]) -> list[list[AuditEntry]]:
    """Consecutive entries of one moment, actor and app: what one write did, said at once."""
    groups: list[list[AuditEntry]] = []
    for entry in entries:
        last = groups[-1][-1] if groups else None
        if last is not None and (last.at, last.actor, last.app_name) == (
            entry.at,
            entry.actor,
            entry.app_name,
        ):
            groups[-1].append(entry)
        else:
            groups.append([entry])
    return groups


def last_change(log: Sequence[AuditEntry]) -> Change | None:
    if not log:
        return None
    return Change(log[-1], tuple(by_write(log[-20:])[-1]))
