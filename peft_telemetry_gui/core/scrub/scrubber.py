"""The ``Scrubber``: the recursive walk that turns caller data into small, anonymised copies.

* Sensitive *keys* redact any value except ``None`` and ``bool``: a flag such as
  ``auth_required=True`` carries no secret, and keeping it keeps the dashboards useful.
* The container walk stops once the running size estimate passes four times
  ``max_event_bytes``; later entries are dropped unseen (class ``dropped``). Only after that
  does :func:`.fit.fit` replace the largest values until the event fits.
* Integers wider than 64 bits become ``None`` (class ``invalid``): JSON consumers cannot
  represent them and ``json.dumps`` refuses very large ones outright.
* Results for short strings are cached in memory for the life of the ``Scrubber``; the raw
  input is already in the host process, so this does not widen exposure, and it never reaches
  disk.
"""

from __future__ import annotations

import datetime as _dt
import getpass
import hmac
import math
import numbers
import socket
from collections import Counter
from collections.abc import Iterable, Mapping
from enum import Enum
from functools import lru_cache
from hashlib import sha256
from itertools import islice
from json.encoder import encode_basestring_ascii as _json_str  # type: ignore[attr-defined]
from pathlib import Path, PurePath
from typing import Any

from .fit import fit
from .flat import dedupe, detect, safe_len, scrub_flat
from .keys import PLAIN, SENSITIVE, classify_key
from .limits import (
    CACHE_MAX_ENTRIES,
    CACHEABLE_LEN,
    DEFAULT_LIMITS,
    WALK_BUDGET_FACTOR,
    ScrubLimits,
)
from .markers import (
    CYCLE_MARKER,
    DEPTH_MARKER,
    REDACTED,
    TRUNCATED_SUFFIX,
    UNREPRESENTABLE_MARKER,
    bump,
)
from .rules import build_names_re, build_path_re, cut, scrub_patterns
from .sequences import positional_kinds


class _State:
    __slots__ = ("budget", "counts", "size", "stack")

    def __init__(self, budget: int) -> None:
        self.counts: dict[str, int] = {}
        self.stack: set[int] = set()
        self.size = 0
        self.budget = budget


class Scrubber:
    """Turns arbitrary caller data into small, JSON-safe, anonymised copies."""

    def __init__(
        self,
        *,
        hmac_key: bytes,
        user_name: str | None = None,
        host_name: str | None = None,
        home: str | None = None,
        limits: ScrubLimits = DEFAULT_LIMITS,
    ) -> None:
        if not isinstance(hmac_key, bytes | bytearray):
            raise TypeError("hmac_key must be bytes")
        self._hmac_key = bytes(hmac_key)
        self._limits = limits
        if user_name is None:
            user_name = detect(getpass.getuser)
        if host_name is None:
            host_name = detect(socket.gethostname)
        if home is None:
            home = detect(lambda: str(Path.home()))
        self._path_re = build_path_re(home or "")
        self._names_re, self._name_kinds = build_names_re(user_name or "", host_name or "")
        self._str_cache: dict[str, tuple[str, tuple[tuple[str, int], ...], int]] = {}
        self._key_cache: dict[str, tuple[str, int, tuple[tuple[str, int], ...], int]] = {}
        # Per instance, like the caches above, so nothing module-level grows at runtime.
        self._classify_key = lru_cache(maxsize=4096)(classify_key)

    # ---------------------------------------------------------------- public API

    @property
    def limits(self) -> ScrubLimits:
        return self._limits

    def hash_identifier(self, value: object) -> str:
        """Pseudonymise deliberately shared ids: stable within an install, unlinkable across."""
        try:
            text = value if isinstance(value, str) else str(value)
        except Exception:
            text = UNREPRESENTABLE_MARKER
        digest = hmac.new(self._hmac_key, text.encode("utf-8", "surrogatepass"), sha256)
        return "hmac:" + digest.hexdigest()[:16]

    def scrub_text(self, text: str) -> tuple[str, Counter[str]]:
        """Scrub one free-text string such as an exception message."""
        try:
            counts: dict[str, int] = {}
            if type(text) is not str:
                text = self._to_text(text, counts)
            return self._scrub_str(text, counts)[0], Counter(counts)
        except Exception:
            return UNREPRESENTABLE_MARKER, Counter({"dropped": 1})

    def scrub_properties(self, properties: object) -> tuple[dict[str, Any], Counter[str]]:
        """Scrub an event's properties; never raises, always returns a bounded JSON-safe dict."""
        try:
            if type(properties) is dict:
                flat = scrub_flat(properties, self._key_cache, self._str_cache, self._limits)
                if flat is not None:
                    return flat
            elif not isinstance(properties, Mapping):
                return {}, Counter({"dropped": 1})
            limit = self._limits.max_event_bytes
            state = _State(limit * WALK_BUDGET_FACTOR)
            out = self._mapping(properties, 1, state)
            if not isinstance(out, dict):  # depth limit of 0 or a cycle at the root
                return {}, Counter({"dropped": 1})
            if state.size > limit:
                out = fit(out, state.counts, limit)
            return out, Counter(state.counts) if state.counts else Counter()
        except Exception:
            return {}, Counter({"dropped": 1})

    # ---------------------------------------------------------------- strings

    def _scrub_str(self, text: str, counts: dict[str, int]) -> tuple[str, int]:
        """Return the scrubbed string and the length of its JSON encoding."""
        suffix = ""
        if len(text) > self._limits.max_string:
            text = cut(text, self._limits.max_string)
            suffix = TRUNCATED_SUFFIX
            counts["truncated"] = counts.get("truncated", 0) + 1
        if len(text) <= CACHEABLE_LEN:
            hit = self._str_cache.get(text)
            if hit is None:
                found: dict[str, int] = {}
                result = self._scrub_patterns(text, found)
                hit = (result, tuple(found.items()), len(_json_str(result)))
                if len(self._str_cache) >= CACHE_MAX_ENTRIES:
                    self._str_cache.clear()
                self._str_cache[text] = hit
            result, found_items, size = hit
            if found_items:
                for name, n in found_items:
                    counts[name] = counts.get(name, 0) + n
        else:
            result = self._scrub_patterns(text, counts)
            size = -1
        if suffix:
            result += suffix
            size = -1
        if size < 0:
            size = len(_json_str(result))
        return result, size

    def _scrub_patterns(self, text: str, counts: dict[str, int]) -> str:
        return scrub_patterns(
            text,
            counts,
            self._path_re,
            self._names_re,
            self._name_kinds,
            classify=self._classify_key,
        )

    # ---------------------------------------------------------------- containers

    def _key(self, key: object, counts: dict[str, int]) -> tuple[str, int, int]:
        """Return (scrubbed key, classification, JSON length) for a dict key."""
        text = key if type(key) is str else self._to_text(key, counts)
        hit = self._key_cache.get(text)
        if hit is None:
            found: dict[str, int] = {}
            scrubbed, size = self._scrub_str(text, found)
            kind = self._classify_key(text[: self._limits.max_string])
            hit = (scrubbed, kind, tuple(found.items()), size)
            if len(text) <= CACHEABLE_LEN:
                if len(self._key_cache) >= CACHE_MAX_ENTRIES:
                    self._key_cache.clear()
                self._key_cache[text] = hit
        if hit[2]:
            for name, n in hit[2]:
                counts[name] = counts.get(name, 0) + n
        return hit[0], hit[1], hit[3]

    def _refuse(self, oid: int, depth: int, st: _State) -> str | None:
        """The marker for a container the walk must not enter (too deep, or one it is already
        inside: a cycle); else None, and the container is now on the walk's stack."""
        if depth > self._limits.max_depth:
            bump(st.counts, "truncated")
            st.size += len(DEPTH_MARKER) + 2
            return DEPTH_MARKER
        if oid in st.stack:
            bump(st.counts, "dropped")
            st.size += len(CYCLE_MARKER) + 2
            return CYCLE_MARKER
        st.stack.add(oid)
        return None

    def _mapping(self, value: Mapping[Any, Any], depth: int, st: _State) -> Any:
        oid = id(value)
        refused = self._refuse(oid, depth, st)
        if refused is not None:
            return refused
        try:
            out: dict[str, Any] = {}
            counts = st.counts
            max_keys = self._limits.max_keys
            st.size += 2
            seen = 0
            for raw_key, item in islice(value.items(), max_keys):
                seen += 1
                if st.size > st.budget:
                    bump(counts, "dropped")
                    continue
                key, kind, key_size = self._key(raw_key, counts)
                if key in out:
                    key, key_size = dedupe(key, out)
                st.size += key_size + 4
                if kind == PLAIN:
                    if type(item) is str:
                        out[key], size = self._scrub_str(item, counts)
                        st.size += size
                    else:
                        out[key] = self._value(item, depth, st)
                elif item is None or type(item) is bool:
                    out[key] = item
                    st.size += 5
                elif kind == SENSITIVE:
                    counts["sensitive_key"] = counts.get("sensitive_key", 0) + 1
                    out[key] = REDACTED
                    st.size += len(REDACTED) + 2
                else:
                    counts["identifier"] = counts.get("identifier", 0) + 1
                    out[key] = self.hash_identifier(item)
                    st.size += 23
            if seen >= max_keys:
                extra = safe_len(value) - seen
                if extra > 0:
                    bump(counts, "dropped", extra)
            return out
        finally:
            st.stack.discard(oid)

    def _sequence(self, value: Iterable[Any], depth: int, st: _State) -> Any:
        oid = id(value)
        refused = self._refuse(oid, depth, st)
        if refused is not None:
            return refused
        try:
            out: list[Any] = []
            max_items = self._limits.max_items
            st.size += 2
            items = list(islice(value, max_items))
            by_position = positional_kinds(items, self._kind_of)
            for i, item in enumerate(items):
                if st.size > st.budget:
                    bump(st.counts, "dropped")
                    continue
                st.size += 2
                kind = by_position.get(i)
                if kind is None:
                    out.append(self._value(item, depth, st))
                else:
                    out.append(self._by_kind(kind, item, st))
            if len(out) >= max_items or st.size > st.budget:
                extra = safe_len(value) - max_items
                if extra > 0:
                    bump(st.counts, "dropped", extra)
            return out
        finally:
            st.stack.discard(oid)

    def _kind_of(self, name: str) -> int:
        return self._classify_key(name[: self._limits.max_string])

    def _by_kind(self, kind: int, item: Any, st: _State) -> str:
        """A value removed for its key's name: the dict rule, applied to a pair or a flag."""
        if kind == SENSITIVE:
            bump(st.counts, "sensitive_key")
            st.size += len(REDACTED) + 2
            return REDACTED
        bump(st.counts, "identifier")
        st.size += 23
        return self.hash_identifier(item)

    def _value(self, value: Any, depth: int, st: _State) -> Any:
        """Convert one value; ``depth`` is the depth of the container holding it."""
        t = type(value)
        if t is str:
            result, size = self._scrub_str(value, st.counts)
            st.size += size
            return result
        if value is None or t is bool:
            st.size += 5
            return value
        if t is int:
            return self._int(value, st)
        if t is float:
            return self._float(value, st)
        if t is dict:
            return self._mapping(value, depth + 1, st)
        if t is list or t is tuple:
            return self._sequence(value, depth + 1, st)
        return self._other(value, depth, st)

    def _int(self, value: int, st: _State) -> int | None:
        if value.bit_length() > 64:
            bump(st.counts, "invalid")
            st.size += 4
            return None
        st.size += 21
        return value

    def _float(self, value: float, st: _State) -> float | None:
        if not math.isfinite(value):
            bump(st.counts, "invalid")
            st.size += 4
            return None
        st.size += 24
        return value

    def _other(self, value: Any, depth: int, st: _State) -> Any:
        """Slow path for everything that is not a plain JSON type."""
        if isinstance(value, Enum):
            return self._value(value.value, depth, st)
        if isinstance(value, bool):
            st.size += 5
            return bool(value)
        if isinstance(value, int):
            return self._int(int(value), st)
        if isinstance(value, float):
            return self._float(float(value), st)
        if isinstance(value, str):
            return self._value(str.__str__(value), depth, st)
        if isinstance(value, Mapping | list | tuple | set | frozenset):
            # Foreign containers may raise while iterating; lose only that value, not the event.
            try:
                if isinstance(value, Mapping):
                    return self._mapping(value, depth + 1, st)
                return self._sequence(value, depth + 1, st)
            except Exception:
                bump(st.counts, "dropped")
                st.size += len(UNREPRESENTABLE_MARKER) + 2
                return UNREPRESENTABLE_MARKER
        if isinstance(value, bytes | bytearray | memoryview):
            size = value.nbytes if isinstance(value, memoryview) else len(value)
            bump(st.counts, "dropped")
            text = f"[bytes:{size}]"
            st.size += len(text) + 2
            return text
        if isinstance(value, _dt.date | _dt.time):
            text = value.isoformat()
            st.size += len(_json_str(text))
            return text
        if isinstance(value, PurePath):
            return self._value(str(value), depth, st)
        if isinstance(value, numbers.Integral):
            return self._int(int(value), st)
        if isinstance(value, numbers.Real):
            return self._float(float(value), st)
        return self._value(self._to_text(value, st.counts), depth, st)

    @staticmethod
    def _to_text(value: object, counts: dict[str, int]) -> str:
        if isinstance(value, bytes | bytearray):
            return f"[bytes:{len(value)}]"
        if isinstance(value, Enum):
            value = value.value
        try:
            text = str(value)
            return text if type(text) is str else str.__str__(text)
        except Exception:
            counts["dropped"] = counts.get("dropped", 0) + 1
            return UNREPRESENTABLE_MARKER
