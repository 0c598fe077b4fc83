"""The hand-off from the store writer to the uploader, bound to one host app.

Called inside the store lock right after a write, with the events that were just stored: they
are queued, each with the consent it was recorded under (`consent_proof.py`), and the runtime's
worker is nudged, so delivery needs no extra wiring by the host.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

from ..fsio import file_identity
from ..models import Event, StoreDocument
from ..secrets import SecretStore
from ..store import Store
from .consent_proof import ConsentProofs
from .files import STATE_FILE
from .history import UploadState, read_state, update_state_locked
from .queue import UploadQueue
from .runtime import UploadRuntime

__all__ = ["UploadSink"]


def _set_app(state: UploadState, *, name: str, version: str | None) -> None:
    state.app_name, state.app_version = name, version


class UploadSink:
    """`app_name`/`app_version` become the records' `service.name`/`service.version`, whoever
    ends up sending them. `environ` and `secret_store` are the host's injected ones: the worker
    started here reads the OTLP variables and the token from them, not from the real
    environment and keyring (None: those)."""

    def __init__(
        self,
        runtime: UploadRuntime,
        app_name: str | None,
        app_version: str | None = None,
        *,
        environ: Mapping[str, str] | None = None,
        secret_store: SecretStore | None = None,
    ) -> None:
        self.runtime = runtime
        self.service = None if not app_name else (app_name[:100], (app_version or "")[:50] or None)
        self.environ = environ
        self.secret_store = secret_store
        self._queues: dict[object, UploadQueue] = {}
        self._host_seen: tuple[tuple[int, int, int] | None, object] | None = None

    def __call__(self, store: Store, doc: StoreDocument, accepted: list[Event]) -> None:
        consent = doc.consent  # and an id, which consent on always has: never send without
        if not (consent.enabled and consent.upload_enabled and doc.anonymous_id) or not accepted:
            return
        queue = self._queues.get(store.data_dir)
        if queue is None:
            queue = self._queues[store.data_dir] = UploadQueue(store, self.runtime.limits)
        events = [e.stored_dict() for e in accepted]
        proofs = ConsentProofs(doc.audit_log)  # the ledger as just written, under the lock
        cited = [proofs.for_event(e.category, e.timestamp) for e in accepted]
        queue.append_locked(events, doc.anonymous_id, service=self.service, proofs=cited)
        self._remember_host(store, accepted)
        options: dict[str, object] = {}
        if self.environ is not None:
            options["environ"] = self.environ
        if self.secret_store is not None:
            options["secret_store"] = self.secret_store
        worker = self.runtime.ensure_worker(store, **options)
        if worker is not None:
            worker.wake()

    def _remember_host(self, store: Store, accepted: list[Event]) -> None:
        """Remember the host app for requests that carry no queued record (the deletion
        request) and for records queued without one: the name the sink was given, else the
        host's session_started event."""
        if self.service is not None:
            name, version = self.service
            path = store.data_dir / STATE_FILE
            if self._host_seen == (file_identity(path), path):
                return  # the common case: nothing to write, no JSON to parse on every flush
            state = read_state(store)
            if state.app_name != name or state.app_version != version:
                update_state_locked(store, partial(_set_app, name=name, version=version))
            self._host_seen = (file_identity(path), path)
            return
        for event in reversed(accepted):
            if event.event_type == "session_started" and event.properties.get("app_name"):
                name = str(event.properties["app_name"])[:100]
                version = event.properties.get("app_version")
                version = str(version)[:50] if version else None
                state = read_state(store)
                if state.app_name != name or state.app_version != version:
                    update_state_locked(store, partial(_set_app, name=name, version=version))
                return
