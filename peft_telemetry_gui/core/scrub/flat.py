"""The hot shape, a flat dict of short scalars, scrubbed from the walk's caches alone.

Hosts send the same few keys and values thousands of times (``{"algorithm": "lora",
"rank": 16, ...}``), so after the first event nearly every key and string has a cached verdict
and the general walk's per-value calls, size bookkeeping and cycle guard are most of its cost.
:func:`scrub_flat` reads the verdicts straight from the caches the walk fills. Anything it is
not sure of (a container, a string or key with no cached verdict, a key that needs redacting, a
colliding key, a huge int, an oversized event) makes it return None, and the caller takes the
general walk, which gives the same result: this path only has to be right for what it accepts.

Also here: the walk's small value utilities, which need no scrubber state.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from json.encoder import encode_basestring_ascii as _json_str  # type: ignore[attr-defined]
from typing import Any

from .keys import PLAIN
from .limits import ScrubLimits

KeyVerdict = tuple[str, int, tuple[tuple[str, int], ...], int]
StrVerdict = tuple[str, tuple[tuple[str, int], ...], int]


def scrub_flat(
    props: dict[Any, Any],
    key_cache: Mapping[str, KeyVerdict],
    str_cache: Mapping[str, StrVerdict],
    limits: ScrubLimits,
) -> tuple[dict[str, Any], Counter[str]] | None:
    """Scrub ``props`` from cached verdicts, or return None to ask for the general walk."""
    if len(props) > limits.max_keys:
        return None
    out: dict[str, Any] = {}
    found: list[tuple[tuple[str, int], ...]] = []
    size = 2
    for raw_key, item in props.items():
        if type(raw_key) is not str:
            return None
        key_hit = key_cache.get(raw_key)
        if key_hit is None:
            return None
        key, kind, key_found, key_size = key_hit
        if key_found:
            found.append(key_found)
        size += key_size + 4
        t = type(item)
        if t is str:
            if kind != PLAIN:
                return None  # a redaction to count: the walk does it
            hit = str_cache.get(item)
            if hit is None:
                return None
            out[key], value_found, value_size = hit
            if value_found:
                found.append(value_found)
            size += value_size
        elif item is None or t is bool:
            out[key] = item
            size += 5
        elif kind != PLAIN:
            return None
        elif t is int:
            if item.bit_length() > 64:
                return None
            out[key] = item
            size += 21
        elif t is float:
            if item - item != 0.0:  # inf or nan
                return None
            out[key] = item
            size += 24
        else:
            return None
    if size > limits.max_event_bytes or len(out) != len(props):  # too big, or keys collided
        return None
    # Counter() runs Counter.update in Python (~0.4 us, a fifth of this function); an empty
    # Counter made with __new__ is the same object without that call.
    counts: Counter[str] = Counter.__new__(Counter)
    for pairs in found:
        for name, n in pairs:
            counts[name] = counts.get(name, 0) + n
    return out, counts


def dedupe(key: str, out: Mapping[str, Any]) -> tuple[str, int]:
    """Two keys that scrub to the same text both survive, the second as ``key~2``."""
    n = 2
    while f"{key}~{n}" in out:
        n += 1
    new = f"{key}~{n}"
    return new, len(_json_str(new))


def safe_len(value: object) -> int:
    """A foreign container's length for the "dropped" count; one that cannot say counts 0."""
    try:
        return len(value)  # type: ignore[arg-type]
    except Exception:
        return 0


def detect(probe: Any) -> str:
    """The machine's user or host name, or "" when the platform cannot say."""
    try:
        result = probe()
    except Exception:
        return ""
    return result if isinstance(result, str) else ""
