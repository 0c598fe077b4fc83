"""The library host applications embed: `track_*` calls that cost the host next to nothing.

A call only checks a cached consent snapshot, takes a bounded snapshot of its arguments and
appends to a queue. A background writer scrubs, re-checks consent under the store lock (so a
revocation made by any process wins) and persists. Nothing here raises into the host.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import logging
import math
import os
import platform
import random
import threading
import time
import types
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .anonymize import Scrubber, ScrubLimits, stack_frames
from .clock import Clock, utc_now
from .consent import env_override, set_consent
from .models import CATEGORIES, ConsentState, Event, StoreDocument
from .paths import resolve_data_dir
from .secrets import SecretStore, default_secret_store, load_or_create_hmac_key
from .store import DEFAULT_MAX_EVENTS, DEFAULT_RETENTION_DAYS, Store, StoreError

__all__ = ["TelemetryClient", "UploadSink", "system_info"]

log = logging.getLogger(__name__)

#: Called inside the store lock with the events just accepted while upload consent is on.
UploadSink = Callable[[Store, StoreDocument, list[Event]], None]

_MAX_NAME = 100
_MAX_UNIT = 20


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


def _snapshot(value: object, depth: int = 0) -> object:
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
        return {k: _snapshot(v, depth + 1) for k, v in itertools.islice(value.items(), 0, 200)}
    if isinstance(value, list | tuple | set | frozenset):
        return [_snapshot(v, depth + 1) for v in itertools.islice(value, 0, 200)]
    return value


def _name(value: object, limit: int = _MAX_NAME) -> str:
    text = (value if isinstance(value, str) else str(value)).strip()[:limit]
    if not text.isascii():  # a lone surrogate would make the whole document unserialisable
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text or "unnamed"


def _error_type(exc: BaseException) -> str:
    cls = type(exc)
    module = cls.__module__
    name = (
        cls.__qualname__ if module in ("builtins", "__main__") else f"{module}.{cls.__qualname__}"
    )
    return _name(name, 200)


_FALSE = ("0", "false", "no", "off")


def _positive_int(value: object, default: int) -> int:
    """A host's bad setting (None, "1k") falls back to the default: never raised into it."""
    try:
        number = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError, OverflowError):
        log.warning("telemetry setting %r is not a whole number; using %d", value, default)
        return default
    return max(1, number)


def _sampling_rates(sampling: object) -> dict[str, float]:
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


_SCALAR_TYPES = frozenset({str, int, float, bool, type(None)})


def _uuid4_strings(count: int) -> list[str]:
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
class _Pending:
    timestamp: datetime
    category: str
    event_type: str
    properties: object
    session_id: str
    error: tuple[str, str, list[str]] | None = None
    metric: tuple[str, float, str] | None = None
    attach_system: bool = False


@dataclass(slots=True)
class _FlushRequest:
    done: threading.Event
    ok: bool = True


class TelemetryClient:
    """See design §1. One per host process is the norm; several are safe."""

    def __init__(
        self,
        app_name: str = "PEFT Studio",
        data_dir: str | os.PathLike[str] | None = None,
        max_events: int = DEFAULT_MAX_EVENTS,
        retention_days: int = DEFAULT_RETENTION_DAYS,
        *,
        app_version: str | None = None,
        clock: Clock = utc_now,
        secret_store: SecretStore | None = None,
        environ: Mapping[str, str] | None = None,
        flush_interval: float = 2.0,
        flush_batch: int = 100,
        max_pending: int = 10_000,
        scrub_limits: ScrubLimits | None = None,
        upload_sink: UploadSink | None = None,
        start_session: bool = True,
        sampling: Mapping[str, float] | None = None,
    ) -> None:
        self.app_name = _name(app_name)
        self.app_version = app_version
        self.clock = clock
        self.data_dir = resolve_data_dir(data_dir, environ)
        self.store = Store(
            self.data_dir,
            max_events=_positive_int(max_events, DEFAULT_MAX_EVENTS),
            retention_days=_positive_int(retention_days, DEFAULT_RETENTION_DAYS),
            clock=clock,
        )
        self.env_override = env_override(environ)
        self.session_id = str(uuid.uuid4())
        self.dropped = 0  # events refused because the queue was full or input was unusable
        self._secret_store = secret_store
        self._scrub_limits = scrub_limits or ScrubLimits()
        if upload_sink is None:  # lazy: the queue module needs only the stdlib and the store
            from .upload.queue import upload_sink_for  # service.name = this app's name

            upload_sink = upload_sink_for(
                self.app_name, app_version, environ=environ, secret_store=secret_store
            )
        self._upload_sink = upload_sink
        self._flush_interval = flush_interval
        self._flush_batch = max(1, flush_batch)
        self._max_pending = max(1, max_pending)
        self._queue: deque[_Pending | _FlushRequest] = deque()
        self._wake = threading.Event()
        self._closed = False
        self._off = self.env_override is not None
        # Consent as last seen on disk: None until the writer has read it. The hot path checks
        # only this snapshot; the authoritative check happens again under the store lock.
        self._allowed: frozenset[str] | None = None
        # The host may sample a chatty category (e.g. performance=0.1); the stored consent may
        # lower it further. A bad rate is clamped, never raised.
        self._host_sampling = _sampling_rates(sampling)
        self._sampling: dict[str, float] = dict(self._host_sampling)
        self._seen_stat: tuple[int, int, int] | None = None
        self._started = time.monotonic()
        self._session = start_session
        self._last_warning = ""
        self._writer: threading.Thread | None = None
        self._scrubber: Scrubber | None = None
        self._clean_names: set[str] = set()
        if self._off:
            return
        self._writer = threading.Thread(
            target=self._run_writer, name="peft-telemetry-writer", daemon=True
        )
        self._writer.start()
        atexit.register(self.close)
        if start_session:
            props: dict[str, object] = {"app_name": self.app_name}
            if app_version:
                props["app_version"] = app_version
            self._enqueue("usage", "session_started", props, attach_system=True)

    # ------------------------------------------------------------------ host API
    def track_event(self, event_type: str, properties: Mapping[str, Any] | None = None) -> None:
        if self._off or (self._allowed is not None and "usage" not in self._allowed):
            return
        try:
            self._enqueue("usage", _name(event_type), properties)
        except Exception:  # never into the host
            self.dropped += 1

    def track_error(
        self, error: BaseException, properties: Mapping[str, Any] | None = None
    ) -> None:
        if self._off or (self._allowed is not None and "error" not in self._allowed):
            return
        try:
            try:
                message = str(error)
            except Exception:
                message = "[unrepresentable]"
            tb = getattr(error, "__traceback__", None)
            frames = stack_frames(tb if isinstance(tb, types.TracebackType) else None)
            self._enqueue(
                "error",
                "error",
                properties,
                error=(_error_type(error), message[:10_000], frames),
            )
        except Exception:
            self.dropped += 1

    def track_performance(
        self,
        metric_name: str,
        value: float,
        unit: str = "ms",
        properties: Mapping[str, Any] | None = None,
    ) -> None:
        if self._off or (self._allowed is not None and "performance" not in self._allowed):
            return
        try:
            number = float(value)
            if not math.isfinite(number):
                self.dropped += 1
                return
            self._enqueue(
                "performance",
                "performance",
                properties,
                metric=(_name(metric_name), number, _name(unit, _MAX_UNIT)),
            )
        except Exception:
            self.dropped += 1

    @contextlib.contextmanager
    def timer(
        self, metric_name: str, properties: Mapping[str, Any] | None = None
    ) -> Iterator[None]:
        """Records the block's wall time in ms, also when it raises (the error still propagates)."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.track_performance(
                metric_name, (time.perf_counter() - start) * 1000.0, "ms", properties
            )

    def enable(self, categories: Mapping[str, bool] | None = None) -> bool:
        """Consent on (all categories unless given), audit-logged with actor "api"."""
        return self._set_consent(True, categories or dict.fromkeys(CATEGORIES, True))

    def disable(self) -> bool:
        """Consent off. Events not yet on disk are dropped by the writer's re-check."""
        self._allowed = frozenset()
        return self._set_consent(False, None)

    def flush(self, timeout: float | None = 10.0) -> bool:
        """Block until everything accepted so far is durable on disk (True) or it failed."""
        writer = self._writer
        if writer is None or not writer.is_alive():
            return not self._queue
        request = _FlushRequest(threading.Event())
        self._queue.append(request)
        self._wake.set()
        deadline = None if timeout is None else time.monotonic() + timeout
        # In slices: a writer that stops (close() from another thread) right after its last
        # look at the queue never answers, and the caller must not wait out the whole timeout.
        while not request.done.wait(0.05):
            if not writer.is_alive() or (deadline is not None and time.monotonic() > deadline):
                return request.done.is_set() and request.ok
        return request.ok

    def close(self, timeout: float = 10.0) -> None:
        """Flush, record `session_ended`, stop the writer. Safe to call twice."""
        if self._closed:
            return
        try:
            if not self._off:
                duration = round(time.monotonic() - self._started, 3)
                if self._session and (self._allowed is None or "usage" in self._allowed):
                    self._enqueue("usage", "session_ended", {"duration_s": duration})
            self._closed = True
            self.flush(timeout)
            self._wake.set()
            if self._writer is not None:
                self._writer.join(timeout)
        except Exception:
            log.debug("telemetry close failed", exc_info=True)
        finally:
            self._closed = True
            with contextlib.suppress(Exception):
                atexit.unregister(self.close)

    def __enter__(self) -> TelemetryClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ internals
    def _enqueue(
        self,
        category: str,
        event_type: str,
        properties: object,
        *,
        error: tuple[str, str, list[str]] | None = None,
        metric: tuple[str, float, str] | None = None,
        attach_system: bool = False,
    ) -> None:
        if self._closed:
            return
        rate = self._sampling.get(category, 1.0)
        if rate < 1.0 and random.random() >= rate:
            return
        if len(self._queue) >= self._max_pending:
            self.dropped += 1
            return
        self._queue.append(
            _Pending(
                self.clock(),
                category,
                event_type,
                _snapshot(properties) if properties is not None else None,
                self.session_id,
                error,
                metric,
                attach_system,
            )
        )
        if len(self._queue) >= self._flush_batch and not self._wake.is_set():
            self._wake.set()

    def _set_consent(self, enabled: bool, categories: Mapping[str, bool] | None) -> bool:
        if self._off:
            return False
        try:
            consent = set_consent(self.store, enabled=enabled, actor="api", categories=categories)
        except (StoreError, ValueError) as exc:
            log.warning("telemetry consent not changed: %s", exc)
            return False
        self._remember_consent(consent)
        return True

    def _remember_consent(self, consent: ConsentState) -> None:
        self._allowed = frozenset(c for c in CATEGORIES if consent.category_on(c))
        self._sampling = {
            c: min(consent.sampling.get(c, 1.0), self._host_sampling.get(c, 1.0))
            for c in CATEGORIES
        }

    def _run_writer(self) -> None:
        try:
            secret_store = self._secret_store or default_secret_store(self.data_dir)
            key = load_or_create_hmac_key(secret_store)
        except Exception:
            key = os.urandom(32)
        self._scrubber = Scrubber(hmac_key=key, limits=self._scrub_limits)
        try:
            self._refresh_consent()
        except Exception:  # consent stays unknown: every event is re-checked under the lock
            log.warning("telemetry consent not read", exc_info=True)
        self._resume_pending_deletion()
        retry: list[tuple[Event, Counter[str], bool]] = []
        while True:
            self._wake.wait(self._flush_interval)
            self._wake.clear()
            try:
                retry = self._drain(retry)
            except Exception:  # the writer must outlive any bug: the host keeps calling
                log.exception("telemetry writer error")
                retry = []
            if self._closed and not self._queue:
                break
        with contextlib.suppress(Exception):
            self._drain(retry)

    def _resume_pending_deletion(self) -> None:
        """A deletion request left by an earlier "delete all" must reach the server even if the
        desktop app is never opened again: any host that starts gives it another try."""
        if os.environ.get("PEFT_TELEMETRY_UPLOAD_WORKER", "1").strip().lower() in _FALSE:
            return
        try:
            from .upload.queue import read_deletion_requests

            if read_deletion_requests(self.store):
                from .upload.exporter import ensure_worker

                kwargs = {} if self._secret_store is None else {"secret_store": self._secret_store}
                ensure_worker(self.store, **kwargs).wake()
        except Exception:
            log.warning("pending deletion request not resumed", exc_info=True)

    def _refresh_consent(self) -> None:
        """Pick up consent changed by other processes (stat only, unless the file changed)."""
        key = self.store.stat_key()
        if key == self._seen_stat and self._allowed is not None:
            return
        try:
            doc = self.store.read()
        except StoreError as exc:
            self._warn_once(f"telemetry store unreadable: {exc}")
            return
        self._seen_stat = key
        self._remember_consent(doc.consent)

    def _warn_once(self, message: str) -> None:
        """A broken disk must not flood the host's log every flush interval."""
        if message != self._last_warning:
            self._last_warning = message
            log.warning("%s", message)

    def _drain(
        self, retry: list[tuple[Event, Counter[str], bool]]
    ) -> list[tuple[Event, Counter[str], bool]]:
        prepared = retry
        flushes: list[_FlushRequest] = []
        queue = self._queue
        items: list[_Pending] = []
        while True:
            try:
                item = queue.popleft()
            except IndexError:
                break
            if isinstance(item, _FlushRequest):
                flushes.append(item)
            else:
                items.append(item)
        ids = _uuid4_strings(len(items))
        for item, event_id in zip(items, ids, strict=True):
            try:
                prepared.append(self._prepare(item, event_id))
            except Exception:
                self.dropped += 1
        ok = True
        if prepared:
            try:
                accepted: list[Event] = []
                self.store.update(
                    lambda doc: accepted.extend(self._merge(doc, prepared)),
                    after_write=lambda doc: self._queue_for_upload(doc, accepted),
                )
                prepared = []
            except StoreError as exc:
                ok = False
                self._warn_once(f"telemetry events not saved yet: {exc}")
                overflow = len(prepared) - self._max_pending
                if overflow > 0:
                    self.dropped += overflow
                    prepared = prepared[overflow:]
            except Exception as exc:  # not retryable: keeping the batch would fail forever
                ok = False
                self.dropped += len(prepared)
                prepared = []
                self._warn_once(f"telemetry events dropped: {type(exc).__name__}: {exc}")
            self._seen_stat = self.store.stat_key()
        else:
            self._refresh_consent()
        for request in flushes:
            request.ok = ok
            request.done.set()
        return prepared

    def _prepare(self, item: _Pending, event_id: str) -> tuple[Event, Counter[str], bool]:
        scrubber = self._scrubber
        assert scrubber is not None
        if item.properties is None:
            props: dict[str, Any] = {}
            counts: Counter[str] = Counter()
        else:
            props, counts = scrubber.scrub_properties(item.properties)
        event_type = self._clean_name(item.event_type, counts)
        error_type = error_message = stack = metric_name = value = unit = None
        if item.error is not None:
            error_type, message, frames = item.error
            # A class, module or function name can carry a user or host name too.
            error_type = self._clean_name(error_type, counts)
            stack = [self._clean_name(frame, counts) for frame in frames]
            error_message, more = scrubber.scrub_text(message)
            counts.update(more)
        elif item.metric is not None:
            metric_name, value, unit = item.metric
            metric_name = self._clean_name(metric_name, counts)
            unit = self._clean_name(unit, counts)
        # Every value here is already of its type: no validation needed (see Event.trusted).
        event = Event.trusted(
            {
                "id": event_id,
                "timestamp": item.timestamp,
                "category": item.category,
                "event_type": event_type,
                "session_id": item.session_id,
                "properties": props,
                "error_type": error_type,
                "error_message": error_message,
                "stack": stack,
                "metric_name": metric_name,
                "value": value,
                "unit": unit,
            }
        )
        return event, counts, item.attach_system

    def _clean_name(self, name: str, counts: Counter[str]) -> str:
        """Event and metric names are the host's constants as a rule, but an f-string can
        smuggle a path in. Names that need no scrubbing are remembered: the same few names
        come by thousands, and the scrubber's per-call bookkeeping is most of their cost."""
        if name in self._clean_names:
            return name
        assert self._scrubber is not None
        cleaned, more = self._scrubber.scrub_text(name)
        if more:
            counts.update(more)
        elif len(self._clean_names) < 1024:
            self._clean_names.add(name)
        return cleaned

    def _merge(
        self, doc: StoreDocument, prepared: list[tuple[Event, Counter[str], bool]]
    ) -> list[Event]:
        consent = doc.consent
        accepted: list[Event] = []
        redactions: Counter[str] = Counter()
        for event, counts, attach_system in prepared:
            if not consent.allows(event.category, event.timestamp):
                continue
            if attach_system and consent.allows("system", event.timestamp):
                event.properties["system"] = system_info()
            accepted.append(event)
            redactions.update(counts)
        doc.events.extend(accepted)
        for name, count in redactions.items():
            doc.redactions[name] = doc.redactions.get(name, 0) + count
        self._remember_consent(consent)
        return accepted

    def _queue_for_upload(self, doc: StoreDocument, accepted: list[Event]) -> None:
        """After the write: only what is now stored (and survived pruning) may leave the
        machine, and a write that failed queues nothing (its retry would queue it twice)."""
        if not (accepted and doc.consent.upload_enabled and self._upload_sink is not None):
            return
        stored = set(map(id, doc.events))
        survivors = [event for event in accepted if id(event) in stored]
        if not survivors:
            return
        try:
            self._upload_sink(self.store, doc, survivors)
        except Exception:
            log.warning("telemetry upload queue not updated", exc_info=True)
