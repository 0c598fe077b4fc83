"""A host's settings made usable: a wrong type or value never raises into the host, never
kills the writer and never loses an event. Each bad setting is replaced once, with one warning.

Standard library only (the host's thread runs this at construction).
"""

from __future__ import annotations

import json
import logging
import math
import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path

from ..clock import Clock, ensure_utc, utc_now

__all__ = [
    "SafeClock",
    "bounded_float",
    "catalogue_source",
    "host_environ",
    "positive_int",
    "safe_clock",
    "timeout_seconds",
]

log = logging.getLogger("peft_telemetry_gui.core.client")


def positive_int(value: object, default: int, name: str = "setting") -> int:
    """A whole number >= 1: `"1k"`, None or inf fall back to the default, 0 or -5 become 1."""
    try:
        number = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError, OverflowError):
        log.warning("telemetry %s %r is not a whole number; using %d", name, value, default)
        return default
    if number < 1:
        log.warning("telemetry %s %r is below 1; using 1", name, value)
        return 1
    return number


def bounded_float(value: object, default: float, *, name: str, low: float, high: float) -> float:
    """A number of seconds in `[low, high]`: `"2"` is read as 2, anything unusable (None,
    "soon", NaN, 0 or less) falls back to the default, anything outside is clamped. A wait of
    `float("inf")` would raise in `Event.wait`, and 0 would spin the writer."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        number = math.nan
    if math.isnan(number) or number <= 0:
        log.warning("telemetry %s %r is not a positive number; using %g", name, value, default)
        return default
    clamped = min(high, max(low, number))
    if clamped != number or type(value) not in (int, float):
        log.warning("telemetry %s %r read as %g", name, value, clamped)
    return clamped


def host_environ(environ: object) -> Mapping[str, str] | None:
    """A copy of the host's environment as strings, or None (the process environment).

    Something that is not a mapping (`environ=[]`) cannot say anything, so the real environment
    decides, as if none was given: a `DO_NOT_TRACK` there is honoured rather than ignored.
    Non-string values are read as text (`{"DO_NOT_TRACK": 1}` still opts out)."""
    if environ is None:
        return None
    if not isinstance(environ, Mapping):
        log.warning("telemetry environ %r is not a mapping; using the process environment", environ)
        return None
    try:
        items = list(environ.items())
        copy = {str(key): str(value) for key, value in items}
    except Exception:
        log.warning("telemetry environ unreadable; using the process environment")
        return None
    if any(type(k) is not str or type(v) is not str for k, v in items):
        log.warning("telemetry environ holds values that are not text; read as text")
    return copy


class SafeClock:
    """The host's clock, made safe to call on any thread: a clock that raises or returns
    something other than a datetime gives way to UTC now (for that call, with one warning per
    client), a naive datetime is read as UTC (as `ensure_utc` does everywhere), an aware one is
    converted to UTC. Each kind of fault is logged once per client. Every stamp the client and
    its store compare is then aware UTC."""

    __slots__ = ("_clock", "_warned")

    def __init__(self, clock: Callable[[], object]) -> None:
        self._clock = clock
        self._warned: set[str] = set()

    def __call__(self) -> datetime:
        try:
            moment = self._clock()
        except Exception as exc:
            return self._fallback(f"raised {type(exc).__name__}")
        if type(moment) is datetime and moment.tzinfo is UTC:
            return moment
        if not isinstance(moment, datetime):
            return self._fallback(f"returned {type(moment).__name__}, not a datetime")
        if moment.tzinfo is None:
            self._warn_once("naive", "telemetry clock returns naive datetimes; read as UTC")
        try:
            moment = ensure_utc(moment)
            if type(moment) is not datetime:  # a subclass (pandas' Timestamp): plain values only
                moment = datetime(*moment.timetuple()[:6], moment.microsecond, tzinfo=UTC)
            return moment
        except Exception as exc:
            return self._fallback(f"gave an unusable datetime ({type(exc).__name__})")

    def _fallback(self, why: str) -> datetime:
        self._warn_once("fallback", f"telemetry clock {why}; using UTC now instead")
        return utc_now()

    def _warn_once(self, kind: str, message: str) -> None:
        if kind not in self._warned:
            self._warned.add(kind)
            log.warning("%s", message)


def safe_clock(clock: object) -> Clock:
    """The default clock as it is (the hot path pays nothing), anything else behind
    `SafeClock`; a clock that is not callable is replaced by UTC now, with one warning."""
    if clock is utc_now:
        return utc_now
    if not callable(clock):
        log.warning("telemetry clock %r is not callable; using UTC now", clock)
        return utc_now
    return SafeClock(clock)


def timeout_seconds(value: object, default: float | None) -> float | None:
    """A timeout as the host passed it (`"5"` included); unusable ones mean the default."""
    if value is None:
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return default
    return default if number != number else max(0.0, min(number, 86_400.0))


def _plain(value: object) -> object:
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def catalogue_source(value: object) -> Path | bytes | None:
    """A host's `catalogue=` as the writer loads it: a path stays a path (read on the writer's
    thread, never the host's), a dict becomes JSON bytes now (a later change by the host must
    not change what was declared). Anything else is refused with one warning: recording then
    follows the categories. The catalogue's content is checked by the writer."""
    if value is None:
        return None
    refused = "telemetry catalogue refused; recording follows the categories"
    if isinstance(value, str | os.PathLike):
        try:
            return Path(value).absolute()  # the host may change its folder later
        except (TypeError, ValueError) as exc:
            log.warning("%s: %r is not a usable path (%s)", refused, value, exc)
            return None
    if isinstance(value, Mapping):
        try:
            return json.dumps(value, allow_nan=False, ensure_ascii=False, default=_plain).encode()
        except (TypeError, ValueError, RecursionError) as exc:
            log.warning("%s: it does not convert to JSON (%s)", refused, exc)
            return None
    log.warning("%s: %s is neither a path nor a dict", refused, type(value).__name__)
    return None
