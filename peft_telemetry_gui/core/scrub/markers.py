"""The text that stands in for removed data, and how each removal is counted.

Markers are bracketed so that later rules (and a second pass over already scrubbed text) can
recognise them and leave them alone; the counts they go with are the redaction classes the store
accumulates.

A value rule's marker is ``"[" + rule id + "]"`` and its count key is exactly the rule id, so the
store keeps per-rule totals: the id is a class (``email``, ``path``) or ``class:kind`` when the
class has kinds (``token:aws``, ``token:github``). A value removed because of the *name* it was
given (a dict key, ``password=...`` in text, a ``--password x`` flag) is :data:`REDACTED`, counted
as ``sensitive_key``; a value removed because of its *format* gets the typed marker. The name
tells us nothing about the value's format, and the format is the more useful thing to report.
"""

from __future__ import annotations

import re

REDACTED = "[redacted]"
TRUNCATED_SUFFIX = "…[truncated]"
DEPTH_MARKER = "[depth limit]"
CYCLE_MARKER = "[cycle]"
TOO_LARGE_MARKER = "[too large]"
UNREPRESENTABLE_MARKER = "[unrepresentable]"

#: Count key for values removed because of their name.
SENSITIVE_KEY = "sensitive_key"

#: One marker written by any rule: ``[email]``, ``[token:aws]``, ``[redacted]``, ``[depth limit]``.
MARKER = re.compile(r"\[[a-z][a-z_ ]{1,30}(?::[a-z0-9_]{1,30})?\]")

#: Words that appear inside markers. The user's and host's names are never matched against
#: them, or a user called ``path`` would turn ``[path]`` into ``[[user]]`` on a second pass.
MARKER_WORDS = frozenset(
    {
        "redacted",
        "truncated",
        "depth",
        "limit",
        "cycle",
        "too",
        "large",
        "unrepresentable",
        "bytes",
        "email",
        "token",
        "credentials",
        "secret",
        "path",
        "user",
        "host",
        "ip",
        "mac",
        "card",
        "iban",
        "imei",
        "phone",
    }
)


def marker(rule_id: str) -> str:
    """The text that replaces a value removed by ``rule_id``: ``token:aws`` -> ``[token:aws]``."""
    return f"[{rule_id}]"


def is_marker(text: str) -> bool:
    """True for text that is exactly one marker, which no rule may scrub again."""
    return text.startswith("[") and MARKER.fullmatch(text) is not None


def bump(counts: dict[str, int], key: str, n: int = 1) -> None:
    counts[key] = counts.get(key, 0) + n
