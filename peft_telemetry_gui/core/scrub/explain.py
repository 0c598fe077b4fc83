"""The rule tester: what the scrubber makes of a text or an event, and which rule removed what.

What `peft-telemetry scrub` and the Privacy page's "Test the scrubber" box show, so a host
developer can check their event shapes before shipping and a user can see the promise kept.
The input rule is simple and said in the output: a JSON object or array is event properties
(scrubbed as ``track_event`` would), anything else is free text (as an error message would be).

The tester's ``Scrubber`` uses this machine's real user, host and home folder, so the result is
what would really be stored, and a random key made for it alone: identifiers come out as
pseudonyms that match nothing ever stored. Which rule removed what comes from
:mod:`.alignment`; nothing here is kept or written anywhere.
"""

from __future__ import annotations

import json
import secrets
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

from ..i18n import N_, tr, trn
from ..redactions import describe_redactions
from .alignment import Finding, Walk, label_of
from .limits import DEFAULT_LIMITS, ScrubLimits
from .scrubber import Scrubber

__all__ = [
    "PSEUDONYM_NOTE",
    "UNLOCATED_NOTE",
    "Finding",
    "ScrubExplanation",
    "elide",
    "explain",
    "explain_input",
    "label_of",
    "new_tester_scrubber",
    "parse_input",
]

InputKind = Literal["text", "properties"]

#: Shown with `tr` (`ScrubExplanation.notes`).
PSEUDONYM_NOTE = N_(
    "Identifiers are shown as pseudonyms made with a throwaway key, so they match nothing stored."
)
UNLOCATED_NOTE = N_("Some removals are shown by rule only: their text could not be located.")
#: Removed text longer than this is shown as its start and end.
SHOWN_CHARS = 60
_WRAPPER = "_"  # a top-level array is tested as the value of one neutral property


def elide(text: str, limit: int = SHOWN_CHARS) -> str:
    """Start and end of a long removal: enough to recognise it, not a wall of text."""
    if len(text) <= limit:
        return text
    head = (limit - 1) // 2
    return f"{text[:head]}…{text[len(text) - (limit - 1 - head) :]}"


@dataclass(frozen=True)
class ScrubExplanation:
    """What the scrubber made of one input, and which rule removed what."""

    kind: InputKind
    output: Any  # str for text; the scrubbed dict (or list) for properties
    findings: tuple[Finding, ...]
    counts: Mapping[str, int]

    @property
    def output_text(self) -> str:
        if isinstance(self.output, str):
            return self.output
        return json.dumps(self.output, indent=2, ensure_ascii=False)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def unlocated(self) -> dict[str, int]:
        """Removals counted but not among the findings (entries dropped unseen, long inputs)."""
        listed = Counter(f.rule for f in self.findings)
        return {r: n - listed[r] for r, n in self.counts.items() if n > listed[r]}

    @property
    def summary(self) -> str:
        properties = self.kind == "properties"
        if not self.total:
            if properties:
                return tr("Read as event properties: nothing removed.")
            return tr("Read as free text: nothing removed.")
        removed = describe_redactions(self.counts)
        if properties:
            return tr("Read as event properties: removed {removed}.").format(removed=removed)
        return tr("Read as free text: removed {removed}.").format(removed=removed)

    @property
    def notes(self) -> tuple[str, ...]:
        notes = []
        if self.counts.get("identifier"):
            notes.append(tr(PSEUDONYM_NOTE))
        if any(f.removed is None for f in self.findings) or self.unlocated:
            notes.append(tr(UNLOCATED_NOTE))
        return tuple(notes)

    def rows(self, limit: int = SHOWN_CHARS) -> list[tuple[str, str, str, str]]:
        """(rule, what it is, where, removed) per finding, then per rule counted but not
        located: the one table the CLI prints and the app shows."""
        rows = [
            (
                f.rule,
                f.label,
                f.place,
                tr("(not located)") if f.removed is None else elide(f.removed, limit),
            )
            for f in self.findings
        ]
        for rule, n in sorted(self.unlocated.items()):
            shown = trn("({n} not shown)", "({n} not shown)", n).format(n=n)
            rows.append((rule, label_of(rule), "", shown))
        return rows

    def payload(self) -> dict[str, Any]:
        return {
            "input": self.kind,
            "scrubbed": self.output,
            "findings": [f.payload() for f in self.findings],
            "counts": dict(self.counts),
            "unlocated": self.unlocated,
            "summary": self.summary,
            "notes": list(self.notes),
        }


def new_tester_scrubber(limits: ScrubLimits = DEFAULT_LIMITS) -> Scrubber:
    """A Scrubber as the library builds one on this machine, with a key used for nothing else."""
    return Scrubber(hmac_key=secrets.token_bytes(32), limits=limits)


def parse_input(text: str) -> str | dict[str, Any] | list[Any]:
    """A JSON object or array is event properties; anything else (a JSON number too) is text."""
    stripped = text.strip()
    if not stripped or stripped[0] not in "{[":
        return text
    try:
        value = json.loads(stripped)
    except (ValueError, RecursionError):
        return text
    return value if isinstance(value, dict | list) else text


def explain_input(text: str, scrubber: Scrubber) -> ScrubExplanation:
    """What the CLI and the app call with what the user typed."""
    return explain(parse_input(text), scrubber)


def explain(value: str | Mapping[Any, Any] | list[Any], scrubber: Scrubber) -> ScrubExplanation:
    """Scrub ``value`` as the library would and say which rule removed what."""
    if isinstance(value, str):
        out, counts = scrubber.scrub_text(value)
        walk = Walk(scrubber, counts)
        walk.string(value, out, "", in_key=False)
        return _result("text", out, walk, counts)
    if isinstance(value, Mapping):
        props, counts = scrubber.scrub_properties(value)
        walk = Walk(scrubber, counts)
        walk.mapping(value, props, "")
        return _result("properties", props, walk, counts)
    wrapped, counts = scrubber.scrub_properties({_WRAPPER: value})
    items = wrapped.get(_WRAPPER, [])
    walk = Walk(scrubber, counts)
    walk.value(value, items, "")
    return _result("properties", items, walk, counts)


def _result(kind: InputKind, out: Any, walk: Walk, counts: Counter[str]) -> ScrubExplanation:
    clean = {k: n for k, n in counts.items() if isinstance(n, int) and n > 0}
    return ScrubExplanation(kind, out, tuple(walk.findings), MappingProxyType(clean))
