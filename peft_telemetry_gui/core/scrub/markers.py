"""The text that stands in for removed data, and how each removal is counted.

Markers are bracketed so that later rules (and a second pass over already scrubbed text) can
recognise them and leave them alone; the counts they go with are the redaction classes the store
accumulates.
"""

from __future__ import annotations

REDACTED = "[redacted]"
TRUNCATED_SUFFIX = "…[truncated]"
DEPTH_MARKER = "[depth limit]"
CYCLE_MARKER = "[cycle]"
TOO_LARGE_MARKER = "[too large]"
UNREPRESENTABLE_MARKER = "[unrepresentable]"


def bump(counts: dict[str, int], key: str, n: int = 1) -> None:
    counts[key] = counts.get(key, 0) + n
