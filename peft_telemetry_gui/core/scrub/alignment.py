"""Laying a scrubbed copy over its input, to say which rule removed what (for the rule tester).

The scrubber only returns the scrubbed copy and per-rule counts: recording *what* each rule
removed would cost the hot path and keep raw values around. This module reconstructs it
afterwards, for :mod:`.explain`:

* A scrubbed string is literal stretches of the input with markers in between (``[email]``,
  ``[token:aws]``; ``[path]/train.jsonl`` keeps ``/train.jsonl`` as a literal). Only bracketed
  words whose rule fired (they are in the counts) are treated as markers, so ``[INFO]``, or a
  marker the input already held, stays text. The alignment is the first solution a regex of
  escaped literals and lazy ``(.+?)`` groups would find, computed with ``str.find`` instead:
  the leftmost occurrence of each literal, the last one anchored at the end. Leftmost is never
  worse for the steps after it (whatever a later start can reach, an earlier one can too), so
  this finds an alignment whenever the regex would, in linear time where a regex with dozens of
  lazy groups can backtrack for seconds.
* A string that defeats the alignment (adjacent markers, text the scrubber normalised, more than
  ``MAX_MARKERS`` markers) still lists its markers by rule, with ``removed=None``.
* Event properties are walked side by side with the output. Keys are matched by scrubbing each
  input key again with the same ``Scrubber`` (deterministic, and cached by it) and repeating its
  ``~2`` de-duplication, so an entry dropped by the size bound is recognised, not mis-paired.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from itertools import islice
from typing import Any

from ..i18n import tr
from ..redactions import KIND_LABELS, REDACTION_LABELS
from .markers import (
    CYCLE_MARKER,
    DEPTH_MARKER,
    REDACTED,
    TOO_LARGE_MARKER,
    TRUNCATED_SUFFIX,
    UNREPRESENTABLE_MARKER,
)
from .scrubber import Scrubber

__all__ = ["MAX_FINDINGS", "MAX_MARKERS", "MAX_REMOVED", "Finding", "Walk", "align", "label_of"]

#: Markers per string beyond which a string is reported by rule and count only.
MAX_MARKERS = 64
#: Findings per explanation; the rest are still in the counts (``ScrubExplanation.unlocated``).
MAX_FINDINGS = 500
#: Longest removed text kept in a finding (the CLI and the app elide further for display).
MAX_REMOVED = 1000

# "[" + rule id + "]", rule id = class or class:kind. Which ones are markers is decided by counts.
_MARKER = re.compile(r"\[([a-z][a-z0-9_]*(?::[A-Za-z0-9][A-Za-z0-9_.+-]*)?)\]")
_BYTES = re.compile(r"\[bytes:\d+\]")
_PSEUDONYM = re.compile(r"hmac:[0-9a-f]{16}")  # what ``Scrubber.hash_identifier`` returns
_SIMPLE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: Whole-value markers and the count class they go with (see ``markers`` and ``fit``).
_WHOLE_VALUE = {
    REDACTED: "sensitive_key",
    TOO_LARGE_MARKER: "dropped",
    DEPTH_MARKER: "truncated",
    CYCLE_MARKER: "dropped",
    UNREPRESENTABLE_MARKER: "dropped",
}
#: Marker words that are not their count class.
_ALIASES = {"redacted": "sensitive_key"}


@dataclass(frozen=True)
class Finding:
    """One removal: which rule, in words, what it took out, and where in the output."""

    rule: str
    label: str
    #: The input text the rule replaced; None when it could not be located ("rule and count").
    removed: str | None
    #: JSON path in the scrubbed output (``config.dataset_path``, ``items[2]``); "" for text.
    where: str = ""
    #: The removal was in a property's name, not its value.
    in_key: bool = False

    @property
    def place(self) -> str:
        # Translators: the removal was in a property's name, not its value
        return tr("{where} (name)").format(where=self.where) if self.in_key else self.where

    def payload(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "label": self.label,
            "removed": self.removed,
            "where": self.where,
            "in_key": self.in_key,
        }


def label_of(rule: str) -> str:
    """Singular words for a rule id; a ``class:kind`` without its own label says its class."""
    words = REDACTION_LABELS.get(rule)
    if words is not None:
        return tr(words[0])
    cls, _, kind = rule.partition(":")
    words = REDACTION_LABELS.get(cls)
    if words is not None:
        if not kind:
            return tr(words[0])
        # Translators: a rule's label and its kind, as in "access token (GitHub)"
        return tr("{label} ({kind})").format(
            label=tr(words[0]), kind=tr(KIND_LABELS.get(rule, kind))
        )
    return rule


def align(
    source: str, scrubbed: str, rules: Collection[str], limit: int
) -> list[tuple[str, str]] | None:
    """[(rule, removed text)] in order, or None when the output cannot be laid over the input.

    ``limit`` is the scrubber's ``max_string``: a truncated output covers at most that much.
    """
    truncated = scrubbed.endswith(TRUNCATED_SUFFIX)
    body = scrubbed[: -len(TRUNCATED_SUFFIX)] if truncated else scrubbed
    literals: list[str] = []
    ids: list[str] = []
    start = 0
    for m in _MARKER.finditer(body):
        rule = _ALIASES.get(m.group(1), m.group(1))
        if rule not in rules:
            continue
        literals.append(body[start : m.start()])
        ids.append(rule)
        start = m.end()
        if len(ids) > MAX_MARKERS:
            return None
    literals.append(body[start:])
    # The path rule writes the kept file name after "/" whatever the input's separator was
    # (``\\fs01\share\x.txt`` -> ``[path]/x.txt``): search with both spelled "/". The
    # replacement keeps every position, so the removed text is still cut from ``source``.
    if "\\" in source:
        hay = source.replace("\\", "/")
        literals = [lit.replace("\\", "/") for lit in literals]
    else:
        hay = source
    if not hay.startswith(literals[0]):
        return None
    pos = len(literals[0])
    end = limit if truncated else len(source)
    spans: list[tuple[str, str]] = []
    last = len(ids)
    for i, rule in enumerate(ids, start=1):
        lit = literals[i]
        if i < last:
            if not lit:
                return None  # adjacent markers: where one ends is anybody's guess
            found = hay.find(lit, pos + 1, end)
        elif truncated:
            if not lit:
                return None  # the marker and the cut meet: same ambiguity
            found = hay.rfind(lit, pos + 1, end)
        else:
            found = len(source) - len(lit)
            if found < pos + 1 or not hay.endswith(lit):
                return None
        if found < 0:
            return None
        spans.append((rule, source[pos:found]))
        pos = found + len(lit)
    if not truncated and pos != len(source):
        return None
    if truncated:
        spans.append(("truncated", source[pos:]))
    return spans


class Walk:
    """Walks an input and its scrubbed copy together, collecting findings (bounded)."""

    def __init__(self, scrubber: Scrubber, counts: Mapping[str, int]) -> None:
        self.scrubber = scrubber
        self.limits = scrubber.limits
        self.rules = {r for r, n in counts.items() if n}
        self.findings: list[Finding] = []

    def add(self, rule: str, removed: str | None, where: str, in_key: bool = False) -> None:
        if len(self.findings) >= MAX_FINDINGS:
            return
        if removed is not None and len(removed) > MAX_REMOVED:
            removed = removed[:MAX_REMOVED] + "…"
        self.findings.append(Finding(rule, label_of(rule), removed, where, in_key))

    def string(self, source: str, out: str, where: str, *, in_key: bool) -> None:
        if source == out or not self.rules:
            return
        spans = align(source, out, self.rules, self.limits.max_string)
        if spans is None:
            self._unaligned(out, where, in_key)
            return
        for rule, removed in spans:
            if rule != "truncated" and removed in (f"[{rule}]", REDACTED):
                continue  # the input already held this marker; nothing was removed
            self.add(rule, removed, where, in_key)

    def _unaligned(self, out: str, where: str, in_key: bool) -> None:
        for m in _MARKER.finditer(out):
            rule = _ALIASES.get(m.group(1), m.group(1))
            if rule in self.rules:
                self.add(rule, None, where, in_key)

    def mapping(self, source: Mapping[Any, Any], out: Mapping[str, Any], path: str) -> None:
        produced: set[str] = set()
        for raw_key, item in islice(source.items(), self.limits.max_keys):
            text = raw_key if isinstance(raw_key, str) else _text(raw_key)
            key = base = self.scrubber.scrub_text(text)[0]
            if key in produced:  # the scrubber's own de-duplication, repeated
                n = 2
                while f"{key}~{n}" in produced:
                    n += 1
                key = f"{key}~{n}"
            produced.add(key)
            where = _join(path, key)
            if key not in out:
                self.add("dropped", _shown({text: item}), where)
                continue
            self.string(text, base, where, in_key=True)
            self.value(item, out[key], where)

    def value(self, source: Any, out: Any, where: str) -> None:
        if isinstance(out, str):
            rule = _WHOLE_VALUE.get(out) or ("dropped" if _BYTES.fullmatch(out) else None)
            if rule is None and source != out and _PSEUDONYM.fullmatch(out):
                rule = "identifier"  # under an id key, or a pair's value (``("user_id", 7)``)
            if rule is not None and source != out:
                self.add(rule, _shown(source), where)
            elif isinstance(source, str):
                self.string(source, out, where, in_key=False)
        elif out is None:
            if source is not None:
                self.add("invalid", _shown(source), where)
        elif isinstance(out, dict) and isinstance(source, Mapping):
            self.mapping(source, out, where)
        elif isinstance(out, list) and isinstance(source, list | tuple | set | frozenset):
            for i, (item, scrubbed) in enumerate(zip(islice(source, len(out)), out, strict=False)):
                self.value(item, scrubbed, f"{where}[{i}]")


def _join(path: str, key: str) -> str:
    if _SIMPLE_KEY.fullmatch(key):
        return f"{path}.{key}" if path else key
    return f"{path}[{json.dumps(key, ensure_ascii=False)}]"


def _text(value: object) -> str:
    try:
        return str(value)
    except Exception:
        return UNREPRESENTABLE_MARKER


def _shown(value: Any) -> str:
    """A removed value as the user typed it: strings as they are, the rest as JSON."""
    if isinstance(value, str):
        return value[:MAX_REMOVED]
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (ValueError, TypeError, RecursionError):
        text = _text(value)
    return text if len(text) <= MAX_REMOVED else text[:MAX_REMOVED] + "…"
