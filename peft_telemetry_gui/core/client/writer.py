"""The background writer: scrub, re-check consent under the store lock, persist, queue uploads.

Runs on its own thread and is built there, so the store, pydantic, the scrubber's patterns and
the keyring load off the host's start-up path. It must outlive any bug: the host keeps calling.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections import Counter
from collections.abc import Callable
from typing import Any

from ..constants import CATEGORIES
from ..models import ConsentState, Event, StoreDocument
from ..scrub import Scrubber, ScrubLimits
from ..secrets import SecretStore, default_secret_store, load_or_create_hmac_key
from ..store import Store, StoreError
from ..upload.deletion import read_deletion_requests
from ..upload.runtime import UploadRuntime
from .capture import FlushRequest, Intake, Pending, system_info, uuid4_strings

__all__ = ["Prepared", "UploadSinkFn", "Writer"]

log = logging.getLogger("peft_telemetry_gui.core.client")

#: Called inside the store lock with the events just accepted while upload consent is on.
UploadSinkFn = Callable[[Store, StoreDocument, list[Event]], None]
Prepared = tuple[Event, Counter[str], bool]


class Writer:
    def __init__(
        self,
        intake: Intake,
        store: Store,
        *,
        secret_store: SecretStore | None,
        scrub_limits: ScrubLimits | None,
        upload_sink: UploadSinkFn | None,
        runtime: UploadRuntime,
    ) -> None:
        self.intake = intake
        self.store = store
        self.secret_store = secret_store
        self.upload_sink = upload_sink
        self.runtime = runtime
        try:
            key = load_or_create_hmac_key(secret_store or default_secret_store(store.data_dir))
        except Exception:
            key = os.urandom(32)
        self.scrubber = Scrubber(hmac_key=key, limits=scrub_limits or ScrubLimits())
        self._clean_names: set[str] = set()
        self._seen_stat: tuple[int, int, int] | None = None
        self._last_warning = ""

    # ------------------------------------------------------------------ loop
    def run(self, flush_interval: float) -> None:
        intake = self.intake
        try:
            self.refresh_consent()
        except Exception:  # consent stays unknown: every event is re-checked under the lock
            log.warning("telemetry consent not read", exc_info=True)
        self.resume_pending_deletion()
        retry: list[Prepared] = []
        while True:
            intake.wake.wait(flush_interval)
            intake.wake.clear()
            try:
                retry = self.drain(retry)
            except Exception:  # the writer must outlive any bug: the host keeps calling
                log.exception("telemetry writer error")
                retry = []
            if intake.closed and not intake.queue:
                break
        with contextlib.suppress(Exception):
            self.drain(retry)

    def resume_pending_deletion(self) -> None:
        """A deletion request left by an earlier "delete all" must reach the server even if the
        desktop app is never opened again: any host that starts gives it another try."""
        if not self.runtime.autostart:
            return
        try:
            if read_deletion_requests(self.store):
                options = {} if self.secret_store is None else {"secret_store": self.secret_store}
                worker = self.runtime.ensure_worker(self.store, **options)
                if worker is not None:
                    worker.wake()
        except Exception:
            log.warning("pending deletion request not resumed", exc_info=True)

    def remember_consent(self, consent: ConsentState) -> None:
        allowed = frozenset(c for c in CATEGORIES if consent.category_on(c))
        self.intake.remember_consent(allowed, consent.sampling)

    def refresh_consent(self) -> None:
        """Pick up consent changed by other processes (stat only, unless the file changed)."""
        key = self.store.stat_key()
        if key == self._seen_stat and self.intake.allowed is not None:
            return
        try:
            doc = self.store.read()
        except StoreError as exc:
            self._warn_once(f"telemetry store unreadable: {exc}")
            return
        self._seen_stat = key
        self.remember_consent(doc.consent)

    def _warn_once(self, message: str) -> None:
        """A broken disk must not flood the host's log every flush interval."""
        if message != self._last_warning:
            self._last_warning = message
            log.warning("%s", message)

    # ------------------------------------------------------------------ one batch
    def drain(self, retry: list[Prepared]) -> list[Prepared]:
        intake = self.intake
        prepared = retry
        flushes: list[FlushRequest] = []
        items: list[Pending] = []
        while True:
            try:
                item = intake.queue.popleft()
            except IndexError:
                break
            if isinstance(item, FlushRequest):
                flushes.append(item)
            else:
                items.append(item)
        ids = uuid4_strings(len(items))
        for item, event_id in zip(items, ids, strict=True):
            try:
                prepared.append(self.prepare(item, event_id))
            except Exception:
                intake.dropped += 1
        ok = True
        if prepared:
            try:
                accepted: list[Event] = []
                self.store.update(
                    lambda doc: accepted.extend(self.merge(doc, prepared)),
                    after_write=lambda doc: self._queue_for_upload(doc, accepted),
                )
                prepared = []
            except StoreError as exc:
                ok = False
                self._warn_once(f"telemetry events not saved yet: {exc}")
                overflow = len(prepared) - intake.max_pending
                if overflow > 0:
                    intake.dropped += overflow
                    prepared = prepared[overflow:]
            except Exception as exc:  # not retryable: keeping the batch would fail forever
                ok = False
                intake.dropped += len(prepared)
                prepared = []
                self._warn_once(f"telemetry events dropped: {type(exc).__name__}: {exc}")
            self._seen_stat = self.store.stat_key()
        else:
            self.refresh_consent()
        for request in flushes:
            request.ok = ok
            request.done.set()
        return prepared

    def prepare(self, item: Pending, event_id: str) -> Prepared:
        scrubber = self.scrubber
        if item.properties is None:
            props: dict[str, Any] = {}
            counts: Counter[str] = Counter()
        else:
            props, counts = scrubber.scrub_properties(item.properties)
        event_type = self.clean_name(item.event_type, counts)
        error_type = error_message = stack = metric_name = value = unit = None
        if item.error is not None:
            error_type, message, frames = item.error
            # A class, module or function name can carry a user or host name too.
            error_type = self.clean_name(error_type, counts)
            stack = [self.clean_name(frame, counts) for frame in frames]
            error_message, more = scrubber.scrub_text(message)
            counts.update(more)
        elif item.metric is not None:
            metric_name, value, unit = item.metric
            metric_name = self.clean_name(metric_name, counts)
            unit = self.clean_name(unit, counts)
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

    def clean_name(self, name: str, counts: Counter[str]) -> str:
        """Event and metric names are the host's constants as a rule, but an f-string can
        smuggle a path in. Names that need no scrubbing are remembered: the same few names
        come by thousands, and the scrubber's per-call bookkeeping is most of their cost."""
        if name in self._clean_names:
            return name
        cleaned, more = self.scrubber.scrub_text(name)
        if more:
            counts.update(more)
        elif len(self._clean_names) < 1024:
            self._clean_names.add(name)
        return cleaned

    def merge(self, doc: StoreDocument, prepared: list[Prepared]) -> list[Event]:
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
        self.remember_consent(consent)
        return accepted

    def _queue_for_upload(self, doc: StoreDocument, accepted: list[Event]) -> None:
        """After the write: only what is now stored (and survived pruning) may leave the
        machine, and a write that failed queues nothing (its retry would queue it twice)."""
        if not (accepted and doc.consent.upload_enabled and self.upload_sink is not None):
            return
        stored = set(map(id, doc.events))
        survivors = [event for event in accepted if id(event) in stored]
        if not survivors:
            return
        try:
            self.upload_sink(self.store, doc, survivors)
        except Exception:
            log.warning("telemetry upload queue not updated", exc_info=True)
