"""Consent changes in words ("PEFT Studio turned on Usage"), and which ones another process made.

The app's notice and `peft-telemetry status` say who changed what in the same words, from the
audit log alone: apart from `consent` (the policy) so both can phrase it without the upload
queue or the store.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .i18n import N_, tr
from .models import Actor, AuditEntry

__all__ = [
    "ACTOR_PLACES",
    "Change",
    "by_write",
    "describe",
    "external_entries",
    "last_change",
    "summary",
    "who",
]

#: Where a change came from, for people: "(host app)" after the sentence in the CLI. Marked
#: texts: shown with `tr`.
ACTOR_PLACES: dict[str, str] = {
    "api": N_("host app"),
    "cli": N_("command line"),
    "gui": N_("desktop app"),
}
_WHO = {"api": N_("A host app"), "cli": N_("You"), "gui": N_("You")}
#: A category as the CLI's sentence names it ("turned on usage"); shown with `tr`.
_CATEGORY_WORDS = {
    "usage": N_("usage"),
    "error": N_("error"),
    "performance": N_("performance"),
    "system": N_("system"),
}


def _category_word(name: str) -> str:
    return tr(_CATEGORY_WORDS[name]) if name in _CATEGORY_WORDS else name


def _same(text: str) -> str:
    return text


def who(entry: AuditEntry, translate: Callable[[str], str] = tr) -> str:
    """The host's own name when it gave one (a host app is named as it names itself)."""
    if entry.app_name:
        return entry.app_name
    return translate(_WHO[entry.actor]) if entry.actor in _WHO else entry.actor


def _and(items: Sequence[str], t: Callable[[str], str]) -> str:
    if len(items) == 1:
        return items[0]
    # Translators: the end of a list, as in "telemetry, Usage and System"
    return t(N_("{items} and {last}")).format(items=", ".join(items[:-1]), last=items[-1])


def _percent(value: Any) -> str:
    try:
        return f"{float(value) * 100:g}%"
    except (TypeError, ValueError):
        return str(value)


#: How much the store keeps (`services.limits`), as the phrase after the one who set it.
_LIMITS = ("max_events", "retention_days")


def _limits_phrase(limits: dict[str, Any], t: Callable[[str], str]) -> str:
    """One phrase for a limits change (a host usually sets both in one write): "set the store
    to keep at most 5,000 raw events, for 30 days"."""
    days = _count(limits.get("retention_days"))
    if "max_events" not in limits:
        return t(N_("set the store to keep events for {days} days")).format(days=days)
    most = _count(limits["max_events"])
    if "retention_days" in limits:
        return t(N_("set the store to keep at most {count} raw events, for {days} days")).format(
            count=most, days=days
        )
    return t(N_("set the store to keep at most {count} raw events")).format(count=most)


def _count(value: Any) -> str:
    """5000 -> "5,000"; a hand-edited value is shown as it is rather than hidden."""
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)


def describe(
    entries: Sequence[AuditEntry],
    title: Callable[[str], str] = str,
    *,
    translate: Callable[[str], str] = tr,
) -> str:
    """What `entries` did, as one phrase without a subject: "turned on telemetry and Usage,
    turned off System". `title` names a category ("usage" -> "Usage" in the app); `translate`
    is `tr` (the user's language) or `_same` (English, for JSON).

    Translators see each phrase with a comment: the subject before it ("You", "A host app", or
    a host app's own name: "{who} {what}") varies, so a form without a verb that agrees
    with it reads best in languages where verbs agree ("Telemetrie aktiviert")."""
    t = translate
    on: list[str] = []
    off: list[str] = []
    other: list[str] = []
    limits: dict[str, Any] = {}
    whats = {e.what for e in entries}
    for e in entries:
        what, new = e.what, e.to_value
        name = {"consent": t(N_("telemetry")), "upload": t(N_("upload"))}.get(what)
        if what.startswith("category:"):
            name = title(what.partition(":")[2])
        if name is not None and isinstance(new, bool):
            (on if new else off).append(name)
        elif what.startswith("sampling:"):
            other.append(
                t(N_("set {category} sampling to {percent}")).format(
                    category=title(what.partition(":")[2]), percent=_percent(new)
                )
            )
        elif what == "decision":
            if "consent" not in whats:  # "on" always comes with its own entry
                if new == "disabled":
                    other.append(t(N_("declined telemetry")))
                else:
                    other.append(t(N_("allowed telemetry")))
        elif what == "anonymous_id":
            other.append(t(N_("reset the anonymous id")))
        elif what == "all data deleted":
            other.append(t(N_("deleted all data")))
        elif what in _LIMITS:
            if not limits:
                other.append("")  # its place in the sentence, filled in below
            limits[what] = new
        else:
            other.append(t(N_("changed {what}")).format(what=what))
    if limits:
        other[other.index("")] = _limits_phrase(limits, t)
    # Translators: {items}: "telemetry and Usage"; the subject ("You", an app) is in {who}
    parts = [t(N_("turned on {items}")).format(items=_and(on, t))] if on else []
    if off:
        # Translators: {items} as in "telemetry and Usage"; see "turned on {items}"
        parts.append(t(N_("turned off {items}")).format(items=_and(off, t)))
    parts += other
    return _and(parts, t) if parts else t(N_("changed nothing"))


def summary(
    entries: Sequence[AuditEntry],
    title: Callable[[str], str] = str,
    *,
    translate: Callable[[str], str] = tr,
) -> str:
    """Who did what, as one sentence without an end: "PEFT Studio turned on Usage"."""
    # Translators: {who} is "You", "A host app" or an app's name; {what} what it did
    return translate(N_("{who} {what}")).format(
        who=who(entries[0], translate) if entries else "",
        what=describe(entries, title, translate=translate),
    )


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
            "summary": summary(self.group, translate=_same),  # JSON: in English
        }

    def sentence(self) -> str:
        """Such as "PEFT Studio turned on usage at 2026-12-01 14:02 UTC (host app)"."""
        e = self.entry
        at = e.at.strftime("%Y-%m-%d %H:%M UTC")
        place = tr(ACTOR_PLACES[e.actor]) if e.actor in ACTOR_PLACES else e.actor
        # Translators: {who}: "You"/"A host app"/an app; {place}: "host app", "command line"…
        return tr("{who} {what} at {time} ({place})").format(
            who=who(e), what=describe(self.group, _category_word), time=at, place=place
        )


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
