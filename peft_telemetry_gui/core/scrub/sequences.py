"""Secrets that a list carries by position: ``("password", "hunter2")`` and ``--token x``.

A dict says which value is the password; a list of pairs or an argv list says it by position,
and a walk that scrubs each item on its own sees only the harmless word "password" and then an
innocent-looking "hunter2". This module reads a list's shape once, before the walk, and names
the positions whose value the key rules (:mod:`.keys`) would have removed had it been a dict:

* a two-item sequence whose first item is a key name, ``("password", "x")`` or
  ``["user_id", 42]`` (the pair lists ``dict.items()``, ``zip`` and form encoders produce);
* in an argv list, the item after a flag whose name is a key name: ``["--password", "x"]``,
  ``["-api-key", "x"]``. ``--password=x`` is one string and is left to the text rules, and a
  flag followed by another flag (``["--token", "--verbose"]``) takes no value.

Only the classification is decided here; the walk applies it, so the markers and counts stay
those of the dict case (``[redacted]`` / ``sensitive_key``, a pseudonym / ``identifier``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .keys import FLAG_ONLY_SENSITIVE, PLAIN, SENSITIVE, flag_name
from .providers import is_key_id


def positional_kinds(items: Sequence[object], kind_of: Callable[[str], int]) -> dict[int, int]:
    """Map item positions to the key kind (SENSITIVE or IDENTIFIER) their value inherits."""
    found: dict[int, int] = {}
    if len(items) == 2:
        first, second = items
        # ("AC<sid>", "<32 hex>"), ("AKIA...", "<secret>"): a key id names its partner secret,
        # which alone may look like a harmless digest.
        if type(first) is str and type(second) is str and is_key_id(first):
            found[1] = SENSITIVE
        elif type(first) is str and _is_value(second) and flag_name(first) is None:
            kind = kind_of(first)
            # ["email", "password"] is a list of field names, not a field and its value.
            if kind != PLAIN and not (type(second) is str and kind_of(second) != PLAIN):
                found[1] = kind
    for i in range(len(items) - 1):
        item = items[i]
        name = flag_name(item) if type(item) is str else None
        if name is None:
            continue
        nxt = items[i + 1]
        if not _is_value(nxt) or (type(nxt) is str and flag_name(nxt) is not None):
            continue
        kind = kind_of(name)
        if kind == PLAIN and name.lower() in FLAG_ONLY_SENSITIVE:
            kind = SENSITIVE  # wandb login --key ..., openssl -passout ...
        if kind != PLAIN:
            found[i + 1] = kind
    return found


def _is_value(item: object) -> bool:
    """Flags such as ``auth_required=True`` carry no secret: booleans and None are kept."""
    return item is not None and type(item) is not bool
