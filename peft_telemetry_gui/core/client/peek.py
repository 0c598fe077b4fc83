"""Consent known at construction, from the head of `telemetry.json`, on the host's thread.

Until the writer has read the store, the client would otherwise have to keep every call of a
user who may never have agreed. Two cheap facts settle it nearly always: no store file means
nothing was ever allowed, and the store as `Store` writes it starts with `schema_version`,
`anonymous_id` and `consent` (`StoreDocument`'s field order, `dump_document`), so the consent
object sits in the first few hundred bytes. Anything else (a legacy layout, a newer schema, a
FIFO, an unreadable file) answers "unknown" and the writer decides, as before.

Standard library only, one bounded read, never blocks on a special file.
"""

from __future__ import annotations

import json
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from ..constants import CATEGORIES

__all__ = ["HEAD_BYTES", "KnownConsent", "peek_consent"]

#: Consent is a few hundred bytes; a head this size also holds a long hand-made anonymous id.
HEAD_BYTES = 16 * 1024
_LAYOUT = re.compile(rb'\{"schema_version":[123],"anonymous_id":"[^"\\]{0,256}","consent":')


@dataclass(frozen=True, slots=True)
class KnownConsent:
    """What the store said: the categories allowed now (empty: nothing) and sampling."""

    allowed: frozenset[str]
    sampling: dict[str, float] = field(default_factory=dict)


NOTHING_ALLOWED = KnownConsent(frozenset())


def peek_consent(path: Path, head_bytes: int = HEAD_BYTES) -> KnownConsent | None:
    """None when it cannot be told cheaply; never raises."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        return NOTHING_ALLOWED
    except (OSError, ValueError):
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        head = os.read(fd, head_bytes)
    except OSError:
        return None
    finally:
        os.close(fd)
    match = _LAYOUT.match(head)
    if match is None:
        return None
    try:
        text = head[match.end() :].decode("utf-8", "replace")
        consent, _ = json.JSONDecoder().raw_decode(text)
    except ValueError:  # cut short by the head's end, or not JSON
        return None
    return _interpret(consent)


def _interpret(consent: object) -> KnownConsent | None:
    """The same reading as `ConsentState.category_on` and its defaults, for well-typed values
    only: anything odd is left to the writer's full, validated read."""
    if not isinstance(consent, dict):
        return None
    enabled = consent.get("enabled", False)
    if enabled is False:
        return NOTHING_ALLOWED
    if enabled is not True:
        return None
    categories = consent.get("categories", dict.fromkeys(CATEGORIES, True))
    sampling = consent.get("sampling", {})
    if not isinstance(categories, dict) or not isinstance(sampling, dict):
        return None
    if any(type(v) is not bool for v in categories.values()):
        return None
    rates: dict[str, float] = {}
    for name, rate in sampling.items():
        if type(rate) not in (int, float) or rate != rate:
            return None
        rates[name] = min(1.0, max(0.0, float(rate)))
    return KnownConsent(frozenset(c for c in CATEGORIES if categories.get(c) is True), rates)
