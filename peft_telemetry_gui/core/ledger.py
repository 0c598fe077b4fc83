"""The audit log as a hash chain: an entry edited by hand shows, and says which one it was.

Each entry carries `seq` (1, 2, ...), `prev_hash` (the `hash` of the entry before it, "" for the
first) and `hash`: the SHA-256 of the entry's canonical JSON without `hash` itself. The JSON is
the entry exactly as the store writes it (`model_dump(mode="json", by_alias=True,
exclude_none=True)`: datetimes as the same ISO strings), with sorted keys, no spaces and ASCII
escapes, so reading the store (or a receipt) back and hashing again gives the same hash.

What the chain shows: any change to an entry's fields (its hash no longer matches), an entry
removed or moved from the middle (the next entry's `seq` or `prev_hash` no longer fits), an
entry inserted without a hash. What it cannot show: an edit whose author recomputed the hashes
from that entry on, or the newest entries cut off the end. It is tamper-evident against
careless or casual edits, not proof against someone who recomputes: the product keeps no key
that such a person could not also use (a receipt says so).

Entries written before the ledger existed (`seq` 0, no hash) are left as they are; the chain
starts at the first entry that has one. A new field of `AuditEntry` must default to None (which
the dump leaves out), or the hashes of entries written before it would no longer match.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, MutableSequence, Sequence
from dataclasses import dataclass, field
from typing import Any

from .i18n import N_, tr
from .models import Actor, AuditEntry, Method

__all__ = [
    "LedgerCheck",
    "LedgerProblem",
    "append",
    "canonical_json",
    "content_sha256",
    "default_method",
    "entry_hash",
    "locale_from_environ",
    "stored_form",
    "verify",
]

#: The locale variables in the order gettext reads them for messages (LANGUAGE first, a list).
_LOCALE_VARS = ("LC_ALL", "LC_MESSAGES", "LANG")
_LOCALE_RE = re.compile(r"^([A-Za-z]{2,8})(?:[_-]([A-Za-z]{2}|[0-9]{3}))?")


def canonical_json(value: Any) -> bytes:
    """One byte string per value: what is hashed, never what is shown."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
    ).encode("ascii")


def content_sha256(value: Any) -> str:
    return hashlib.sha256(canonical_json(value)).hexdigest()


def stored_form(entry: AuditEntry) -> dict[str, Any]:
    """The entry as `telemetry.json` (and a receipt's `ledger`) holds it."""
    return entry.model_dump(mode="json", by_alias=True, exclude_none=True)


def _payload_hash(raw: Mapping[str, Any]) -> str:
    return content_sha256({key: value for key, value in raw.items() if key != "hash"})


def entry_hash(entry: AuditEntry) -> str:
    return _payload_hash(stored_form(entry))


def default_method(actor: Actor) -> Method:
    """The method an actor implies on its own: the CLI is always `cli`, a host always
    `host_api`. The app has several places (first-run dialog, Privacy page): its callers say."""
    return {"cli": "cli", "api": "host_api"}.get(actor, "")  # type: ignore[return-value]


def _normalise_locale(value: str) -> str:
    """`de_DE.UTF-8@euro` -> `de_DE`, `en-gb` -> `en_GB`, `C`/`POSIX` -> ""."""
    value = value.strip()
    if not value or value in ("C", "POSIX") or value.startswith(("C.", "C@")):
        return ""
    match = _LOCALE_RE.match(value)
    if match is None:
        return ""
    language, territory = match.group(1).lower(), match.group(2)
    return f"{language}_{territory.upper()}" if territory else language


def locale_from_environ(environ: Mapping[str, str]) -> str:
    """The user's message locale as gettext would pick it, normalised ("de_DE", "en", or ""
    when none is set or it is C/POSIX).

    LANGUAGE (its first usable entry) wins, except when the locale itself is C/POSIX or unset,
    where gettext ignores it too: the user then sees untranslated text, and the ledger should
    not claim otherwise."""
    locale = next((environ.get(n, "") for n in _LOCALE_VARS if environ.get(n, "").strip()), "")
    base = _normalise_locale(str(locale))
    if not base:
        return ""
    for part in str(environ.get("LANGUAGE", "")).split(":"):
        preferred = _normalise_locale(part)
        if preferred:
            return preferred
    return base


def append(log: MutableSequence[AuditEntry], entry: AuditEntry) -> AuditEntry:
    """Chain `entry` to the newest chained entry of `log` and append it; returns it.

    The entry is first taken through its stored form, so what is hashed is exactly what a
    later read gives back (a tuple becomes a list, a datetime value an ISO string)."""
    tail = next((e for e in reversed(log) if e.hash), None)
    fields = stored_form(entry)
    fields.update(seq=tail.seq + 1 if tail else 1, prev_hash=tail.hash if tail else "")
    fields.pop("hash", None)
    fields["hash"] = _payload_hash(fields)
    chained = AuditEntry.model_validate(fields)
    log.append(chained)
    return chained


@dataclass(frozen=True)
class LedgerProblem:
    """One entry that does not fit the chain, with what it says about itself now."""

    index: int  # position in the log, from 0; -1 for the receipt around it
    seq: int | None
    at: str
    what: str
    reason: str  # in English: what a check's JSON says
    #: `reason` before its values were put in (a marked text), to show it translated.
    template: str = field(default="", compare=False)
    values: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def of(
        cls, index: int, seq: int | None, at: str, what: str, template: str, /, **values: Any
    ) -> LedgerProblem:
        """A problem whose reason is `template` (marked with `N_`) with `values` put in."""
        return cls(index, seq, at, what, template.format(**values), template, values)

    def reason_text(self) -> str:
        """`reason` in the user's language."""
        return tr(self.template).format(**self.values) if self.template else self.reason

    def describe(self) -> str:
        """The problem in one line, in the user's language."""
        reason = self.reason_text()
        if self.index < 0:  # about the receipt around the ledger, not one entry
            # Translators: {what} is a field of the receipt, such as "ledgerHead"
            return tr("{what}: {reason}").format(what=self.what, reason=reason)
        if self.seq:
            name = tr("entry {seq}").format(seq=self.seq)
        else:
            name = tr("entry #{number} (no seq)").format(number=self.index + 1)
        said = ", ".join(part for part in (self.at, self.what) if part)
        if said:
            # Translators: {said}: the entry's time and field; {reason}: "was altered: ..."
            return tr("{entry} ({said}): {reason}").format(entry=name, said=said, reason=reason)
        return tr("{entry}: {reason}").format(entry=name, reason=reason)


@dataclass(frozen=True)
class LedgerCheck:
    entries: int
    chained: int
    unchained: int  # written before the ledger existed: nothing to check them against
    head_seq: int
    head_hash: str
    problems: tuple[LedgerProblem, ...]

    @property
    def intact(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        if self.problems:
            return tr("the ledger was altered: {n} problem(s)").format(n=len(self.problems))
        if self.unchained:
            return tr(
                "the ledger is intact: {chained} chained entries; {unchained} unchained "
                "(written before the ledger)"
            ).format(chained=self.chained, unchained=self.unchained)
        return tr("the ledger is intact: {chained} chained entries").format(chained=self.chained)


def _as_raw(entry: AuditEntry | Mapping[str, Any]) -> Any:
    return stored_form(entry) if isinstance(entry, AuditEntry) else entry


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ("" if value is None else json.dumps(value))


def _seq(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


@dataclass(frozen=True)
class _Link:
    """The chained entry before the one being checked."""

    index: int
    seq: int
    hash: str
    recomputed: str  # differs from `hash` when that entry was altered


def _removed(seq: int, expected: int, prev: _Link | None) -> tuple[str, dict[str, Any]]:
    """Why entry `expected` is missing (and maybe more): (template, values) for `of`."""
    values: dict[str, Any] = {"seq": seq, "first": expected + 1, "last": seq - 1}
    if prev is not None:
        values["prev"] = prev.seq
    if seq > expected + 1:
        if prev is not None:
            template = N_(
                "was removed, and so were {first} to {last} (entry {seq} follows entry {prev})"
            )
        else:
            template = N_(
                "was removed, and so were {first} to {last} "
                "(entry {seq} is the first chained entry)"
            )
    elif prev is not None:
        template = N_("was removed (entry {seq} follows entry {prev})")
    else:
        template = N_("was removed (entry {seq} is the first chained entry)")
    return template, values


def verify(entries: Sequence[AuditEntry | Mapping[str, Any]]) -> LedgerCheck:
    """Check the chain; every entry that does not fit is named, with the reason.

    Works on stored dicts too (a receipt's `ledger`), so an entry edited into something the
    model would refuse is still named instead of failing the whole check."""
    raws = [_as_raw(item) for item in entries]
    problems: list[LedgerProblem] = []
    chained = unchained = 0
    prev: _Link | None = None

    def name(index: int, seq: int | None, template: str, /, **values: Any) -> None:
        raw = raws[index] if isinstance(raws[index], Mapping) else {}
        at, what = _text(raw.get("at")), _text(raw.get("what"))
        problems.append(LedgerProblem.of(index, seq, at, what, template, **values))

    last_at = {
        seq: index
        for index, raw in enumerate(raws)
        if isinstance(raw, Mapping) and (seq := _seq(raw.get("seq"))) is not None
    }
    for index, raw in enumerate(raws):
        if not isinstance(raw, Mapping):
            name(index, None, N_("is not an audit entry"))
            continue
        stored = raw.get("hash", "")
        if not stored and not raw.get("prev_hash") and raw.get("seq", 0) == 0:
            if prev is None:
                unchained += 1  # written before the ledger existed: nothing to check it against
            else:
                name(
                    index,
                    None,
                    N_(
                        "carries no hash after the chain began: inserted, or written "
                        "by a version without the ledger"
                    ),
                )
            continue
        chained += 1
        expected = prev.seq + 1 if prev else 1
        seq = _seq(raw.get("seq"))
        try:
            recomputed = _payload_hash(raw)
        except (TypeError, ValueError):  # NaN or the like, edited into a receipt
            recomputed = ""
        link = seq
        if seq is None:
            name(index, None, N_("has an invalid sequence number {seq!r}"), seq=raw.get("seq"))
            seq = link = expected
        elif recomputed != stored:
            name(index, seq, N_("was altered: its content no longer matches its hash"))
            link = expected  # its own seq may be the edit: count on from where it should be
        elif seq > expected and last_at.get(expected, -1) > index:
            name(
                index,
                seq,
                N_("is out of place: entry {expected} should come before it"),
                expected=expected,
            )
        elif seq > expected:
            template, values = _removed(seq, expected, prev)
            problems.append(LedgerProblem.of(index, expected, "", "", template, **values))
        elif seq < expected:
            name(
                index,
                seq,
                N_("is out of order (entry {expected} was expected here): moved or copied"),
                expected=expected,
            )
            continue  # the chain goes on from the entry before it
        elif prev is None and raw.get("prev_hash"):
            name(
                index,
                seq,
                N_(
                    "points at an earlier entry, but none is chained before it: the "
                    "entries before it were removed"
                ),
            )
        elif prev is not None and raw.get("prev_hash") not in (prev.hash, prev.recomputed):
            name(
                prev.index,
                prev.seq,
                N_("was replaced, its hash recomputed: entry {seq} no longer points at it"),
                seq=seq,
            )
        prev = _Link(index, link, str(stored), recomputed)
    return LedgerCheck(
        entries=len(raws),
        chained=chained,
        unchained=unchained,
        head_seq=prev.seq if prev else 0,
        head_hash=prev.hash if prev else "",
        problems=tuple(problems),
    )
