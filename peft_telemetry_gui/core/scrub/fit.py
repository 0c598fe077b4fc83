"""The second half of the size bound: bringing an oversized event under ``max_event_bytes``.

The walk in :mod:`.scrubber` only estimates sizes and stops early; only after it are the largest
values replaced by ``"[too large]"`` until the serialised event fits, so a hostile payload with a
million leaves costs the same as one that is merely too big. Strings go first, then whole nested
containers, and only if the keys themselves are too big are top-level entries dropped.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring_ascii as _json_str  # type: ignore[attr-defined]
from typing import Any

from .markers import TOO_LARGE_MARKER, bump

_MARKER_COST = len(_json_str(TOO_LARGE_MARKER))


def fit(out: dict[str, Any], counts: dict[str, int], limit: int) -> dict[str, Any]:
    """Replace the largest values by a marker until the serialised event fits."""
    size = len(json.dumps(out))
    if size <= limit:
        return out
    leaves: list[tuple[int, Any, Any]] = []
    nested: list[tuple[int, Any, Any, tuple[int, ...]]] = []

    def walk(node: Any, ancestors: tuple[int, ...]) -> None:
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for k, v in items:
            if type(v) is str:
                leaves.append((len(_json_str(v)), node, k))
            elif type(v) is dict or type(v) is list:
                nested.append((len(json.dumps(v)), node, k, ancestors))
                walk(v, (*ancestors, id(v)))

    walk(out, ())
    leaves.sort(key=lambda e: e[0], reverse=True)
    for cost, node, k in leaves:
        if size <= limit or cost <= _MARKER_COST:
            break
        node[k] = TOO_LARGE_MARKER
        size -= cost - _MARKER_COST
        bump(counts, "dropped")
    if size > limit:
        nested.sort(key=lambda e: e[0], reverse=True)
        dead: set[int] = set()
        for _, node, k, ancestors in nested:
            if size <= limit:
                break
            if any(a in dead for a in ancestors):
                continue
            child = node[k]
            cost = len(json.dumps(child))
            if cost <= _MARKER_COST:
                continue
            dead.add(id(child))
            node[k] = TOO_LARGE_MARKER
            size -= cost - _MARKER_COST
            bump(counts, "dropped")
    if size > limit:
        # Keys themselves are too big: drop whole top-level entries, largest first.
        entries = sorted(
            out,
            key=lambda k: len(_json_str(k)) + len(json.dumps(out[k])),
            reverse=True,
        )
        for k in entries:
            if size <= limit:
                break
            size -= len(_json_str(k)) + len(json.dumps(out.pop(k))) + 4
            bump(counts, "dropped")
        size = len(json.dumps(out))
        while size > limit and out:
            out.pop(next(iter(out)))
            bump(counts, "dropped")
            size = len(json.dumps(out))
    return out
