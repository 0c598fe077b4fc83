"""What happens on the host's thread: a bounded copy of the call, nothing more.

Standard library only, so `from peft_telemetry_gui import TelemetryClient` costs the host a few
milliseconds: pydantic, the store, the scrubber, httpx and protobuf are the writer thread's
business and load there.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import math
import os
import platform
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..constants import CATEGORIES

__all__ = [
    "MAX_NAME",
    "MAX_UNIT",
    "FlushRequest",
    "Intake",
    "Pending",
    "error_type_name",
    "message_text",
    "metric_value",
    "safe_name",
    "sampling_rates",
    "snapshot",
    "system_info",
    "uuid4_strings",
]

log = logging.getLogger("peft_telemetry_gui.core.client")

MAX_NAME = 100
MAX_UNIT = 20
_SCALAR_TYPES = frozenset({str, int, float, bool, type(None)})


def system_info() -> dict[str, Any]:
    """What "system" consent covers. Never the host or user name."""
    memory_gb: float | None = None
    with contextlib.suppress(ValueError, OSError, AttributeError):
        memory_gb = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    return {
        "os": platform.system(),
        "os_version": platform.release(),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "memory_gb": memory_gb,
    }


def snapshot(value: object, depth: int = 0) -> object:
    """A bounded copy taken on the host thread, so later mutation by the host cannot leak in.

    Strings and numbers are immutable and kept as they are; the writer scrubs and truncates.
    Containers are copied to just past the scrubber's limits, so hostile inputs stay cheap.
    """
    if type(value) in _SCALAR_TYPES:
        return value
    if type(value) is dict and len(value) <= 200:
        # The usual call: a flat dict of scalars. A shallow copy is already a full snapshot.
        for item in value.values():
            if type(item) not in _SCALAR_TYPES:
                break
        else:
            return value.copy()
    if isinstance(value, str | int | float | bool):
        return value
    if depth > 10:
        return "[depth limit]"
    if isinstance(value, Mapping):
        return {k: snapshot(v, depth + 1) for k, v in itertools.islice(value.items(), 0, 200)}
    if isinstance(value, list | tuple | set | frozenset):
        return [snapshot(v, depth + 1) for v in itertools.islice(value, 0, 200)]
    return value


def safe_name(value: object, limit: int = MAX_NAME) -> str:
    text = (value if isinstance(value, str) else str(value)).strip()[:limit]
    if not text.isascii():  # a lone surrogate would make the whole document unserialisable
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text or "unnamed"


def error_type_name(exc: BaseException) -> str:
    cls = type(exc)
    module = cls.__module__
    name = (
        cls.__qualname__ if module in ("builtins", "__main__") else f"{module}.{cls.__qualname__}"
    )
    return safe_name(name, 200)


def metric_value(value: object) -> float:
    """A finite float, or ValueError/TypeError. Run by the writer for anything but a plain
    int or float: a host's number-like object may be slow or raise in `__float__`."""
    number = float(value)  # type: ignore[arg-type]
    if not math.isfinite(number):
        raise ValueError("not a finite number")
    return number


def sampling_rates(sampling: object) -> dict[str, float]:
    """Rates clamped to 0..1; unusable entries are skipped with a warning, never raised."""
    rates: dict[str, float] = {}
    try:
        items = list(sampling.items()) if isinstance(sampling, Mapping) else []
    except Exception:
        items = []
    for category, rate in items:
        try:
            number = float(rate)
        except (TypeError, ValueError):
            log.warning("telemetry sampling rate %r for %r ignored", rate, category)
            continue
        if number == number:  # not NaN
            rates[str(category)] = min(1.0, max(0.0, number))
    return rates


def uuid4_strings(count: int) -> list[str]:
    """Random (version 4) uuids from one urandom call: uuid.uuid4() per event costs ~4 us."""
    raw = bytearray(os.urandom(16 * count))
    out = []
    for start in range(0, 16 * count, 16):
        raw[start + 6] = (raw[start + 6] & 0x0F) | 0x40
        raw[start + 8] = (raw[start + 8] & 0x3F) | 0x80
        h = raw[start : start + 16].hex()
        out.append(f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}")
    return out


@dataclass(slots=True)
class Pending:
    """One call, as the host made it. Names, the metric value and the error itself are the
    host's objects, converted by the writer (`safe_name`, `metric_value`, `str`): a host object
    whose `__str__` or `__float__` is slow must never hold up the host's own thread."""

    timestamp: datetime
    category: str
    event_type: object
    properties: object
    session_id: str
    error: tuple[str, object, list[str]] | None = None
    metric: tuple[object, object, object] | None = None
    attach_system: bool = False


@dataclass(slots=True)
class FlushRequest:
    done: threading.Event
    ok: bool = True


class Intake:
    """What the host's thread and the writer share: the queue, the wake-up, and the consent
    snapshot the hot path checks (None until the writer has read it). Appends and pops on a
    deque are atomic, so neither side takes a lock on the hot path."""

    def __init__(self, *, max_pending: int, flush_batch: int, host_sampling: dict[str, float]):
        self.queue: deque[Pending | FlushRequest] = deque()
        self.wake = threading.Event()
        self.closed = False
        self.max_pending = max_pending
        self.flush_batch = flush_batch
        self.allowed: frozenset[str] | None = None
        self.host_sampling = host_sampling
        # The host may sample a chatty category (e.g. performance=0.1); the stored consent may
        # lower it further.
        self.sampling: dict[str, float] = dict(host_sampling)
        self.dropped = 0  # events refused because the queue was full or input was unusable
        #: False until a writer thread runs for this queue: started lazily in a forked child
        #: (and wherever starting one failed), by the first call that needs it.
        self.started = False

    def remember_consent(
        self, allowed: frozenset[str], stored_sampling: Mapping[str, float]
    ) -> None:
        self.allowed = allowed
        self.sampling = {
            c: min(stored_sampling.get(c, 1.0), self.host_sampling.get(c, 1.0)) for c in CATEGORIES
        }


def message_text(error: object) -> str:
    """`str(error)` on the writer's thread, bounded; a host exception whose `__str__` raises
    is still recorded, as "[unrepresentable]"."""
    if type(error) is str:
        return error[:10_000]
    try:
        text = str(error)
    except Exception:
        return "[unrepresentable]"
    return (text if type(text) is str else "[unrepresentable]")[:10_000]
