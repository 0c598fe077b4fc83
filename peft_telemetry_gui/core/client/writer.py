"""The background writer: scrub, re-check consent under the store lock, persist, queue uploads.

Runs on its own thread and is built there, so the store, pydantic, the scrubber's patterns and
the keyring load off the host's start-up path. It must outlive any bug: the host keeps calling.
"""

from __future__ import annotations

import contextlib
import importlib
import itertools
import logging
import os
import threading
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Any

from ..constants import CATEGORIES
from ..models import ConsentState, Event, StoreDocument
from ..scrub import Scrubber, ScrubLimits
from ..secrets import SecretStore, default_secret_store, load_or_create_hmac_key
from ..store import Store, StoreError
from ..upload.deletion import read_deletion_requests
from ..upload.runtime import UploadRuntime
from .capture import (
    MAX_NAME,
    MAX_UNIT,
    FlushRequest,
    Intake,
    Pending,
    message_text,
    metric_value,
    safe_name,
    system_info,
    uuid4_strings,
)
from .declared import CatalogueSource, Declarations
from .limits import HostLimits

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
        catalogue: CatalogueSource = None,
        app_name: str = "",
        app_version: str | None = None,
        host_limits: HostLimits | None = None,
    ) -> None:
        self.intake = intake
        self.host_limits = host_limits
        self.store = store
        self.secret_store = secret_store
        self.upload_sink = upload_sink
        self.runtime = runtime
        if scrub_limits is not None and not isinstance(scrub_limits, ScrubLimits):
            log.warning(
                "telemetry scrub_limits %r is not a ScrubLimits; defaults used", scrub_limits
            )
            scrub_limits = None
        self.scrub_limits = scrub_limits or ScrubLimits()
        self._scrubber: Scrubber | None = None
        self.upload_on = False  # as last read from the store
        self._clean_names: set[str] = set()
        self._seen_stat: tuple[int, int, int] | None = None
        self._last_warning = ""
        self.declared = Declarations(catalogue, app_name, app_version, store.clock)
        #: Calls the catalogue refused whose count is not in the store yet: (category, when,
        #: why). Counted under the consent in force when they were made, once written.
        self._refused: list[tuple[str, datetime, str]] = []

    def declare_catalogue(self, doc: StoreDocument | None) -> None:
        """At start-up, before any consent: the user can read what this app would record
        before deciding. Later writes keep it (after a delete all, say) as they go."""
        if doc is None and self.store.stat_key() is None:
            doc = StoreDocument()  # no store yet: consent was known from that alone
        if doc is None:  # unreadable (said once already): later writes keep it
            return
        try:
            if not self.declared.current(doc):
                self.store.update(self.declared.apply)
        except StoreError as exc:
            self._warn_once(f"telemetry catalogue not saved yet: {exc}")
        except Exception:
            log.warning("telemetry catalogue not saved", exc_info=True)

    def _declare(self, doc: StoreDocument) -> None:
        """With a batch of events: the catalogue, and the host's explicit limits (in its first
        write of events only: `limits`), so the events are pruned by them in that very write."""
        self.declared.apply(doc)
        if self.host_limits is not None:
            self.host_limits.apply(doc)

    @property
    def scrubber(self) -> Scrubber:
        """Built for the first event that has to be scrubbed, not before: the hashing key may
        live in the keyring, whose first probe can take a second or more, and a host whose
        user never agreed must not pay for it (nor wait for consent to be read behind it)."""
        if self._scrubber is None:
            store = self.secret_store or default_secret_store(self.store.data_dir)
            try:
                key = load_or_create_hmac_key(store)
            except Exception:
                key = os.urandom(32)
            self._scrubber = Scrubber(hmac_key=key, limits=self.scrub_limits)
        return self._scrubber

    @scrubber.setter
    def scrubber(self, scrubber: Scrubber) -> None:
        self._scrubber = scrubber

    # ------------------------------------------------------------------ loop
    def run(self, flush_interval: float, settled: threading.Event | None = None) -> None:
        intake = self.intake
        try:
            doc = None
            try:
                doc = self.refresh_consent()
            except Exception:  # consent stays unknown: every event is re-checked under the lock
                log.warning("telemetry consent not read", exc_info=True)
            self.declare_catalogue(doc)
            self.resume_pending_deletion()
            self.warm_up()
        finally:
            if settled is not None:
                settled.set()
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

    def warm_up(self) -> None:
        """Do the imports this writer will need while consent is on, now, in one window the
        host's `fork()` waits for (`Background.before_fork`): a child forked while this thread
        is inside an import inherits that module's import lock held, and its own first import
        of the module would wait forever. With consent off nothing is loaded (the keyring
        included) until an event has to be scrubbed."""
        if not self.intake.allowed:
            return
        with contextlib.suppress(Exception):
            self.scrubber  # noqa: B018 - the hashing key (the keyring's first probe) and patterns
        if self.upload_on and self.runtime.autostart:
            with contextlib.suppress(Exception):
                importlib.import_module("peft_telemetry_gui.core.upload.worker")

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

    def refresh_consent(self) -> StoreDocument | None:
        """Pick up consent changed by other processes (stat only, unless the file changed);
        the document when it was read."""
        key = self.store.stat_key()
        if key == self._seen_stat and self.intake.allowed is not None:
            return None
        try:
            doc = self.store.read()
        except StoreError as exc:
            self._warn_once(f"telemetry store unreadable: {exc}")
            return None
        self._seen_stat = key
        self.upload_on = doc.consent.upload_enabled
        self.remember_consent(doc.consent)
        return doc

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
        admit = self.declared.admit
        for item, event_id in zip(items, ids, strict=True):
            try:
                admission = admit(item)
                if admission.refused is not None:  # not recorded, but counted
                    intake.dropped += 1
                    self._refused.append((item.category, item.timestamp, admission.refused))
                    continue
                event, counts, attach_system = self.prepare(item, event_id)
                counts.update(admission.removed)
                prepared.append((event, counts, attach_system))
            except Exception:
                intake.dropped += 1
        del self._refused[: -intake.max_pending]
        refused = list(self._refused)
        ok = True
        if prepared or refused:
            try:
                accepted: list[Event] = []

                def merge(doc: StoreDocument) -> None:
                    # The store may run this again (lock lost, reserve freed): each run
                    # replaces what the last one accepted, never adds to it.
                    accepted[:] = self.merge(doc, prepared, refused)

                self.store.update(
                    merge, after_write=lambda doc: self._queue_for_upload(doc, accepted)
                )
                if self.host_limits is not None:
                    self.host_limits.written()
                prepared = []
                self._refused = []
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
                self._refused = []
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
            error_type, error, frames = item.error
            # A class, module or function name can carry a user or host name too.
            error_type = self.clean_name(error_type, counts, 200)
            stack = [self.clean_name(frame, counts, 1000) for frame in frames]
            error_message, more = scrubber.scrub_text(message_text(error))
            counts.update(more)
        elif item.metric is not None:
            metric_name, raw, unit = item.metric
            value = raw if type(raw) is float else metric_value(raw)
            metric_name = self.clean_name(metric_name, counts)
            unit = self.clean_name(unit, counts, MAX_UNIT)
        event = Event(
            id=event_id,
            timestamp=item.timestamp,
            category=item.category,
            event_type=event_type,
            session_id=item.session_id,
            properties=props,
            error_type=error_type,
            error_message=error_message,
            stack=stack,
            metric_name=metric_name,
            value=value,
            unit=unit,
        )
        return event, counts, item.attach_system

    def clean_name(self, raw: object, counts: Counter[str], limit: int = MAX_NAME) -> str:
        """Event and metric names are the host's constants as a rule, but an f-string can
        smuggle a path in. Names that need no scrubbing are remembered: the same few names
        come by thousands, and the scrubber's per-call bookkeeping is most of their cost.
        A remembered name is already `safe_name`'s output, which `safe_name` keeps as it is."""
        if type(raw) is str and raw in self._clean_names and len(raw) <= limit:
            return raw
        name = safe_name(raw, limit)
        if name in self._clean_names:
            return name
        cleaned, more = self.scrubber.scrub_text(name)
        if more:
            counts.update(more)
        elif len(self._clean_names) < 1024:
            self._clean_names.add(name)
        return cleaned

    def merge(
        self,
        doc: StoreDocument,
        prepared: list[Prepared],
        refused: list[tuple[str, datetime, str]] | None = None,
    ) -> list[Event]:
        consent = doc.consent
        accepted: list[Event] = []
        redactions: Counter[str] = Counter()
        # Counted as the events would have been kept: under the consent in force when made.
        redactions.update(why for c, at, why in refused or () if consent.allows(c, at))
        for event, counts, attach_system in prepared:
            if not consent.allows(event.category, event.timestamp):
                continue
            if attach_system and consent.allows("system", event.timestamp):
                event.properties["system"] = system_info()
            accepted.append(event)
            redactions.update(counts)
        doc.events.extend(accepted)
        for name, count in redactions.items():
            if count:
                doc.redactions[name] = doc.redactions.get(name, 0) + count
        self._declare(doc)
        self.remember_consent(consent)
        return accepted

    def _queue_for_upload(self, doc: StoreDocument, accepted: list[Event]) -> None:
        """After the write: only what is now stored (and survived pruning) may leave the
        machine, and a write that failed queues nothing (its retry would queue it twice)."""
        if not (accepted and doc.consent.upload_enabled and self.upload_sink is not None):
            return
        survivors = _survivors(doc.events, accepted)
        if not survivors:
            return
        try:
            self.upload_sink(self.store, doc, survivors)
        except RuntimeError as exc:
            if self.intake.closed and "shutdown" in str(exc):
                # Python 3.12.0-3.12.1 start no thread from an atexit handler: the records are
                # queued already, and the next process that runs a worker sends them.
                log.info("upload worker not started at interpreter exit; records stay queued")
            else:
                log.warning("telemetry upload queue not updated", exc_info=True)
        except Exception:
            log.warning("telemetry upload queue not updated", exc_info=True)


def _survivors(events: list[Event], accepted: list[Event]) -> list[Event]:
    """The accepted events still stored after pruning, without a pass over the whole store (a
    flush must not cost more in a larger one: docs/store.md, "Layout"). Pruning removes a prefix
    of the time-sorted list, so an event newer than the oldest kept one is kept; at that very
    timestamp, identity decides."""
    if not events:
        return []
    oldest = events[0].timestamp
    tied = {id(e) for e in itertools.takewhile(lambda e: e.timestamp == oldest, events)}
    return [e for e in accepted if e.timestamp > oldest or id(e) in tied]
