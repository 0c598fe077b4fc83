"""The Upload page's view-model: every upload read and action, off the GUI thread.

This is the one module in `gui/` that calls the upload core (its settings, status, worker, Send
now and preview): when those functions move, only this file is re-pointed. The page formats
what this model reports and forwards the user's intent to it; it decides nothing itself.

Everything here touches the network, the keyring or the disk, so it all runs on the model's own
`QThreadPool` (one thread, so actions stay ordered) through `JobRunner`; results come back as
queued signals carrying plain values. With `autostart_worker`, the model keeps the process's
upload worker running while upload is on, so queued records are delivered without a host app.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Literal, Protocol

from PySide6.QtCore import QObject, QThreadPool, QTimer, Signal, SignalInstance

from ..core.i18n import N_, tr, trn
from ..core.services import upload as upload_actions
from ..core.upload.credentials import NO_KEYRING_MESSAGE, NO_KEYRING_STATE, token_state
from ..core.upload.endpoint import EndpointError, UploadError
from ..core.upload.runtime import UploadRuntime
from ..core.upload.sender import SENDER_BUSY_MESSAGE
from ..core.upload.status import preview_next_batch, upload_status
from .jobs import JobRunner

if TYPE_CHECKING:  # `HistoryEntry` is also what the history table (table_models) shows
    from ..core.models import StoreDocument
    from ..core.store import Store
    from ..core.upload.history import HistoryEntry
    from ..core.upload.status import Preview, UploadStatus

__all__ = ["NO_KEYRING_NOTE", "Topic", "UploadHost", "UploadModel", "sentence"]

#: What an action's outcome is about, so the page shows it next to that control.
Topic = Literal["switch", "endpoint", "token", "status"]

#: The keyring note before anyone tried to save a token: what will happen, not what did (the
#: core's `NO_KEYRING_MESSAGE` says the token "was not saved", true only after a save).
NO_KEYRING_NOTE = N_(
    "No keyring backend is available on this system, so a token cannot be stored safely and "
    "Save token is off. Upload still works without a token (for collectors that do not "
    "require one)."
)


def sentence(text: str) -> str:
    """The core words its refusals as clauses ("telemetry is off: ..."), for the CLI to
    prefix; shown on their own they must read as sentences: capital first, a full stop."""
    text = text.strip()
    if not text:
        return text
    text = text[:1].upper() + text[1:]
    return text if text.rstrip(")")[-1:] in (".", "!", "?", "…") else text + "."


class UploadHost(Protocol):
    """What the model needs from the app's view-model (`AppState`, which owns it): the store,
    the loaded document, its change signal, and a reload once an action changed the store.
    A protocol, not an import, so `state` and this module do not import each other."""

    store: Store
    document: StoreDocument | None
    document_changed: SignalInstance

    def reload(self, force: bool = False) -> None: ...


class UploadModel(QObject):
    """Status, switch, token, Send now and Preview for one store."""

    status_changed = Signal(object)  # UploadStatus, after every refresh
    token_state_changed = Signal(str)  # "set", "not set", or why the keyring cannot be used
    message = Signal(str)  # what an action did, or why it failed, in words
    #: The same outcome with what it is about and whether it worked: (topic, text, ok).
    notice = Signal(str, str, bool)
    preview_ready = Signal(str)  # the next request, as it would be sent

    def __init__(
        self,
        host: UploadHost,
        *,
        runtime: UploadRuntime | None = None,
        refresh_interval_ms: int = 1000,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._host = host
        self.store = host.store
        #: Whose workers this model may start; owned (and stopped) by whoever passed it in.
        self.runtime = runtime or UploadRuntime(autostart=False)
        self.status: UploadStatus | None = None
        self.token_state: str | None = None
        # The keyring is asked once, then again only after an action (token set or cleared
        # among them), not on every tick: `_token_read_at` is the action count it was read at.
        self._actions = 0
        self._token_read_at = -1
        self._token_save_tried = False  # until then, no note may say the token "was not saved"
        self._no_keyring = False  # the last read found no keyring: `token_state` says why
        self._refreshing = False
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._jobs = JobRunner(
            self,
            on_error=self._on_task_error,
            user_errors=(UploadError, ValueError),
        )
        # Owned, so it stops with the model; a bound slot, so Qt drops the connection with it.
        self._timer = QTimer(self)
        self._timer.setInterval(refresh_interval_ms)
        self._timer.timeout.connect(self.refresh)
        host.document_changed.connect(self._on_document_changed)

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        """The first status read, then one a second."""
        if not self.closed:
            self._timer.start()
            self.refresh()

    @property
    def closed(self) -> bool:
        return self._jobs.closed

    def is_busy(self) -> bool:
        return self._jobs.pending > 0

    def shutdown(self, timeout_ms: int = 3000) -> None:
        """Stop refreshing, drop tasks not started yet, wait for the running one (a request in
        flight is bounded by the HTTP timeout). The runtime's workers are its owner's to stop
        (`AppState.shutdown`). Safe to call twice."""
        if self.closed:
            return
        self._jobs.close()
        self._timer.stop()
        self._pool.clear()
        self._pool.waitForDone(timeout_ms)

    @property
    def autostart_worker(self) -> bool:
        return self.runtime.autostart

    # ------------------------------------------------------------------ reading
    @property
    def saved_endpoint(self) -> str | None:
        """The endpoint on record in the store (the page's field starts from it)."""
        doc = self._host.document
        return doc.upload.endpoint if doc is not None else None

    @property
    def can_send_now(self) -> bool:
        """Send now has something to do: upload is on, or a deletion request still waits."""
        status = self.status
        return status is not None and (status.upload_enabled or bool(status.deletion_pending))

    def refresh(self) -> None:
        """Re-read the status (and start the worker if it should run); one at a time."""
        if self._refreshing or self.closed:
            return
        self._refreshing = True
        store, runtime, actions = self.store, self.runtime, self._actions
        known_token = self.token_state if self._token_read_at == actions else None

        def work() -> tuple[UploadStatus, str, int]:
            worker = runtime.get_worker(store.data_dir)
            status = upload_status(store, worker)
            if (status.upload_enabled or status.deletion_pending) and (
                worker is None or not worker.running
            ):
                worker = runtime.ensure_worker(store)  # None unless the runtime starts workers
                if worker is not None:
                    status = upload_status(store, worker)
            return status, known_token or token_state(store.data_dir), actions

        self._jobs.submit(self._pool, work, self._on_refreshed, on_settled=self._refresh_settled)

    def _refresh_settled(self) -> None:
        self._refreshing = False

    def _on_refreshed(self, result: tuple[UploadStatus, str, int]) -> None:
        status, token_state, actions = result
        self._no_keyring = token_state == NO_KEYRING_STATE
        if self._no_keyring:  # refused only once a save was tried
            token_state = self._keyring_text()
        self.status = status
        self.token_state = token_state
        self._token_read_at = actions
        self.token_state_changed.emit(token_state)
        self.status_changed.emit(status)

    def _keyring_text(self) -> str:
        """Why no token can be kept: what will happen, or (once a save was tried) what did."""
        return tr(NO_KEYRING_MESSAGE) if self._token_save_tried else tr(NO_KEYRING_NOTE)

    def _on_document_changed(self, _doc: StoreDocument) -> None:
        self.refresh()

    @property
    def telemetry_on(self) -> bool | None:
        """Local consent, which upload needs (the core refuses it otherwise); None until the
        store is loaded. The switch is offered only while this is on."""
        doc = self._host.document
        return doc.consent.enabled if doc is not None else None

    # ------------------------------------------------------------------ actions
    def set_enabled(self, on: bool, endpoint: str | None = None) -> None:
        """The upload switch; turning it on saves `endpoint` (checked by the core) with it."""
        store = self.store
        if on:

            def work() -> str:
                upload_actions.enable_upload(store, endpoint, actor="gui", method="upload_page")
                return tr("Upload is on.")

        else:

            def work() -> str:
                dropped = upload_actions.disable_upload(store, actor="gui", method="upload_page")
                return trn(
                    "Upload is off; {dropped:,} unsent record was discarded.",
                    "Upload is off; {dropped:,} unsent records were discarded.",
                    dropped,
                ).format(dropped=dropped)

        self._act(work, "switch")

    def save_token(self, token: str) -> None:
        store = self.store
        self._token_save_tried = True

        def work() -> str:
            upload_actions.set_token(store, token, actor="gui", method="upload_page")
            return tr("Token saved in the system keyring.")

        self._act(work, "token")

    def clear_token(self) -> None:
        store, runtime = self.store, self.runtime

        def work() -> str:
            had = upload_actions.clear_token(
                store, actor="gui", runtime=runtime, method="upload_page"
            )
            return tr("Token removed.") if had else tr("No token was stored.")

        self._act(work, "token")

    def send_now(self) -> None:
        """Returns at once; the request runs on the model's pool, or on the running worker.

        Every way of sending goes through the data folder's sender lock, so pressing this while
        a host app's worker (or `upload send-now`) is sending says so instead of sending the
        same records a second time."""
        store, runtime = self.store, self.runtime

        def work() -> str:
            outcome = upload_actions.request_send_now(store, runtime)
            if outcome.kind == "busy":
                return sentence(tr(SENDER_BUSY_MESSAGE))
            if outcome.kind == "delegated":
                return tr("Sending now.")
            if outcome.kind == "blocked":  # DO_NOT_TRACK: no event leaves the machine
                return sentence(outcome.message)
            return _sent_message(list(outcome.entries))

        self._act(work, "status")

    def preview(self) -> None:
        """The exact next request, decoded; nothing is sent. Answers with `preview_ready`."""
        store = self.store

        def work() -> str:
            return _preview_text(preview_next_batch(store))

        self._jobs.submit(self._pool, work, self.preview_ready.emit)

    # ------------------------------------------------------------------ plumbing
    def _act(self, work: Callable[[], str], topic: Topic) -> None:
        """Run `work`; its refusal comes back as a result tagged with what it is about (an
        endpoint refusal is the endpoint's, whichever action met it), so the page can show it
        beside that control instead of in one line far below."""
        self._actions += 1  # the token state is read again after this

        def run() -> tuple[str, str, bool]:
            try:
                return topic, work(), True
            except EndpointError as exc:
                return "endpoint", sentence(str(exc)), False
            except (UploadError, ValueError) as exc:  # worded for the user by the core
                return topic, sentence(str(exc)), False

        self._jobs.submit(self._pool, run, self._on_action_done)

    def _on_action_done(self, result: tuple[str, str, bool]) -> None:
        topic, text, ok = result
        if self._token_save_tried and self._no_keyring:  # just tried: say what happened
            keyring_text = self._keyring_text()
            if keyring_text != self.token_state:
                self.token_state = keyring_text
                self.token_state_changed.emit(keyring_text)
        self.notice.emit(topic, text, ok)
        self.message.emit(text)
        self._host.reload(force=True)  # the switch and the token are in the store's audit log
        self.refresh()

    def _on_task_error(self, message: str) -> None:
        """A status read or a preview failed: the Status box's to show."""
        text = sentence(message)
        self.notice.emit("status", text, False)
        self.message.emit(text)
        self.refresh()


def _sent_message(entries: Sequence[HistoryEntry]) -> str:
    if not entries:
        return tr("Nothing was sent (nothing queued, or upload is off).")
    records = sum(e.records for e in entries if e.outcome in ("delivered", "partial"))
    failed = [e for e in entries if e.outcome not in ("delivered", "partial")]
    text = trn(
        "Sent {records:,} record in {requests} request(s).",
        "Sent {records:,} records in {requests} request(s).",
        records,
    ).format(records=records, requests=len(entries))
    if failed:
        text += " " + tr("Last problem: {message}").format(message=failed[-1].message)
    return text


def _preview_text(preview: Preview) -> str:
    """The request as a person reads it: the POST line, the headers, then the body as JSON."""
    if preview.kind == "nothing":
        return preview.note
    lines = [f"POST {preview.url}"]
    lines += [f"{name}: {value}" for name, value in preview.headers.items()]
    deletion = preview.kind == "deletion_request"
    if deletion:
        what = tr("# the deletion request, decoded from the OTLP request (protobuf on the wire)")
    else:
        what = trn(
            "# {records} record, decoded from the OTLP request (protobuf on the wire)",
            "# {records} records, decoded from the OTLP request (protobuf on the wire)",
            preview.records,
        ).format(records=preview.records)
    lines += ["", what]
    if preview.note:
        lines.append(f"# {preview.note}")
    lines.append(preview.body_json)
    return "\n".join(lines)
