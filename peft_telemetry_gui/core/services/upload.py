"""Upload as user actions: switching it, the token, and sending now.

Upload is a second, separate consent on top of local recording: it can only be turned on while
local consent is on, and turning either off empties the queue at once. Every change is
audit-logged; the token's value never is.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ..consent import audit
from ..env import env_override
from ..i18n import tr, trn
from ..models import Actor, Method, StoreDocument, UploadSettings
from ..secrets import UPLOAD_TOKEN_NAME, SecretStore
from ..store import Store
from ..upload.credentials import (
    NO_KEYRING_MESSAGE,
    TokenUnavailableError,
    check_token,
    forget_deletion_token,
    token_store,
)
from ..upload.deletion import read_deletion_requests
from ..upload.endpoint import ENV_ENDPOINT, EndpointError, UploadError, resolve_logs_url
from ..upload.endpoint import validate_endpoint as _validate_endpoint
from ..upload.history import HistoryEntry, read_state
from ..upload.queue import UploadQueue
from ..upload.runtime import UploadRuntime
from ..upload.sender import SenderBusyError
from ..upload.transport import without_retry_note
from ..upload.worker import UploadWorker

__all__ = [
    "DeletionDelivery",
    "EventsBlockedError",
    "SendOutcome",
    "clear_token",
    "deliver_deletion_requests",
    "disable_upload",
    "enable_upload",
    "request_send_now",
    "send_now",
    "set_token",
]


def enable_upload(
    store: Store,
    endpoint: str | None,
    *,
    actor: Actor,
    environ: Mapping[str, str] | None = None,
    method: Method = "",
) -> UploadSettings:
    """Turn upload on. Refused unless local consent is on; the endpoint (or the OTLP
    environment variables, when no endpoint is given) must be acceptable."""
    normalised = _validate_endpoint(endpoint) if endpoint else None
    if normalised is None and resolve_logs_url(None, environ) is None:
        raise EndpointError(
            tr(
                "give an upload endpoint (e.g. https://collector.example.com) or set {variable}"
            ).format(variable=ENV_ENDPOINT)
        )

    def mutate(doc: StoreDocument) -> UploadSettings:
        consent = doc.consent
        if not consent.enabled:
            raise UploadError(
                tr(
                    "telemetry is off: turn it on first (upload only sends what is recorded "
                    "locally with your consent)"
                )
            )
        now = store.clock()
        if normalised is not None and doc.upload.endpoint != normalised:
            audit(
                doc, now, actor, "upload endpoint", doc.upload.endpoint, normalised, method=method
            )
            doc.upload.endpoint = normalised
        if not consent.upload_enabled:
            audit(doc, now, actor, "upload", False, True, method=method)
            consent.upload_enabled = True
            consent.changed_at = now
        return doc.upload.model_copy()

    return store.update(mutate)


def disable_upload(store: Store, *, actor: Actor, method: Method = "") -> int:
    """Turn upload off and empty the queue at once. Returns how many queued records were
    discarded. The endpoint is kept, so switching back on is one click."""

    def mutate(doc: StoreDocument) -> int:
        if doc.consent.upload_enabled:
            now = store.clock()
            audit(doc, now, actor, "upload", True, False, method=method)
            doc.consent.upload_enabled = False
            doc.consent.changed_at = now
        return UploadQueue(store).clear_locked()

    return store.update(mutate)


def set_token(
    store: Store,
    token: str,
    *,
    actor: Actor,
    secret_store: SecretStore | None = None,
    method: Method = "",
) -> None:
    """Save the token in the keyring; raises TokenUnavailableError (plain words) without one.
    The audit log records that a token was set, never its value."""
    value = check_token(token)
    secrets = token_store(store.data_dir, secret_store)
    if secrets is None:
        raise TokenUnavailableError(tr(NO_KEYRING_MESSAGE))
    had = secrets.get(UPLOAD_TOKEN_NAME) is not None
    secrets.set(UPLOAD_TOKEN_NAME, value)

    def mutate(doc: StoreDocument) -> None:
        old = "set" if had else "not set"
        audit(doc, store.clock(), actor, "upload token", old, "set", method=method)

    store.update(mutate)


def clear_token(
    store: Store,
    *,
    actor: Actor,
    secret_store: SecretStore | None = None,
    runtime: UploadRuntime | None = None,
    method: Method = "",
) -> bool:
    """Remove the token; True when one was stored. Without a keyring there is nothing to clear.

    The copies kept for pending deletion requests go too: the user asked for no token to be
    kept, so those requests are then sent without one."""
    secrets = token_store(store.data_dir, secret_store)
    if secrets is None:
        return False
    had = secrets.get(UPLOAD_TOKEN_NAME) is not None
    secrets.delete(UPLOAD_TOKEN_NAME)
    memory = runtime.deletion_tokens if runtime is not None else {}
    for request in read_deletion_requests(store):
        forget_deletion_token(store.data_dir, request.id, memory, secrets)
    if had:
        store.update(
            lambda doc: audit(
                doc, store.clock(), actor, "upload token", "set", "not set", method=method
            )
        )
    return had


class EventsBlockedError(UploadError):
    """The environment forbids sending events (`DO_NOT_TRACK=1`, ...). Deletion requests were
    still sent (they only ask the collector to erase): `entries` are those requests."""

    def __init__(self, override: str, entries: list[HistoryEntry] | None = None) -> None:
        super().__init__(
            tr(
                "{variable} is set in the environment, so no events were sent "
                "(pending deletion requests still are)"
            ).format(variable=override)
        )
        self.override = override
        self.entries = list(entries or [])


def send_now(
    store: Store,
    *,
    runtime: UploadRuntime | None = None,
    max_requests: int = 1000,
    **options: Any,
) -> list[HistoryEntry]:
    """Send everything queued now, in the caller's thread (CLI `upload send-now`, the app's
    Send now when no worker runs in it).

    Stops at the first failure (the records stay queued for the next try). Uses the worker's
    rules but not its thread; returns the requests made. Holds the sender lock while it sends
    and raises SenderBusyError, sending nothing, when another sender holds it (another process,
    or this process's own running worker: ask that one with `request_send_now`). With
    `DO_NOT_TRACK` (or `PEFT_TELEMETRY_DISABLED`) set in `environ` (default: the process's) it
    delivers pending deletion requests only and then raises EventsBlockedError.
    """
    blocked = env_override(options.get("environ"))
    if blocked and not read_deletion_requests(store):
        raise EventsBlockedError(blocked)  # nothing it may send: not even the lock is taken
    running = runtime.get_worker(store.data_dir) if runtime is not None else None
    if runtime is not None:
        options.setdefault("deletion_tokens", runtime.deletion_tokens)
    worker = UploadWorker(store, **options)
    try:
        if not worker.acquire_sender_lock():
            raise SenderBusyError()
        for _ in range(max_requests):
            result = worker.step(force=True)
            if result.failed or result.requests == 0:
                break
    finally:
        worker.shutdown()
        if running is not None:
            running.wake()
    if blocked:
        raise EventsBlockedError(blocked, worker.requests)
    return worker.requests


@dataclass(frozen=True)
class SendOutcome:
    """What the app's Send now did: handed to this process's worker, refused because another
    program is the sender, refused for events because the environment forbids it ("blocked":
    `message` says so; deletion requests were still sent), or sent here (`entries`: the
    requests made)."""

    kind: Literal["delegated", "busy", "sent", "blocked"]
    entries: tuple[HistoryEntry, ...] = ()
    message: str = ""


def request_send_now(store: Store, runtime: UploadRuntime, **options: Any) -> SendOutcome:
    """Send now through whoever may send: this process's running worker when it holds the
    sender lock, else a one-shot send here (busy when another program holds the lock)."""
    worker = runtime.get_worker(store.data_dir)
    if worker is not None and worker.running:
        if not worker.is_sender:  # it waits for the lock another program holds
            return SendOutcome("busy")
        worker.request_send_now()  # (it obeys its own environment: deletion requests only)
        blocked = env_override(options.get("environ", worker.environ))
        if blocked:
            return SendOutcome("blocked", message=str(EventsBlockedError(blocked)))
        return SendOutcome("delegated")
    try:
        return SendOutcome("sent", tuple(send_now(store, runtime=runtime, **options)))
    except SenderBusyError:
        return SendOutcome("busy")
    except EventsBlockedError as exc:
        return SendOutcome("blocked", tuple(exc.entries), str(exc))


@dataclass(frozen=True)
class DeletionDelivery:
    """What became of the deletion request right after "delete all data", in one line."""

    outcome: Literal["none", "delivered", "pending", "busy", "abandoned"]
    message: str


def deliver_deletion_requests(
    store: Store,
    *,
    runtime: UploadRuntime | None = None,
    timeout: float = 3.0,
    **options: Any,
) -> DeletionDelivery:
    """Try to deliver the pending deletion requests now, each attempt bounded by `timeout`.

    Called right after "delete all data" (CLI and app) so the user learns at once whether the
    collector was told, instead of the request waiting for some later sender. Never raises for
    network trouble: an undelivered request stays pending and is retried by later senders.
    """
    count = len(read_deletion_requests(store))
    if not count:
        return DeletionDelivery("none", "")
    running = runtime.get_worker(store.data_dir) if runtime is not None else None
    if running is not None and running.running and running.is_sender:
        # This process's own worker holds the lock: let it send, and wait for the answer.
        running.request_send_now()
        deadline = time.monotonic() + timeout + 1.0
        while read_deletion_requests(store) and time.monotonic() < deadline:
            time.sleep(0.05)
    else:
        try:
            send_now(store, runtime=runtime, timeout=timeout, **options)
        except EventsBlockedError:
            pass  # the deletion requests were still sent: they only ask the collector to erase
        except SenderBusyError:
            return DeletionDelivery(
                "busy",
                tr(
                    "The deletion request was not sent from here: another program is sending "
                    "right now and will deliver it."
                ),
            )
    return _describe_delivery(store, count)


def _describe_delivery(store: Store, count: int) -> DeletionDelivery:
    attempts = [h for h in read_state(store).history if h.kind == "deletion_request"]
    last = attempts[-1] if attempts else None
    if not read_deletion_requests(store):
        if last is not None and last.outcome == "failed":
            return DeletionDelivery("abandoned", last.message[:1].upper() + last.message[1:])
        if count > 1:  # earlier ids too (an opt-out and back in replaced the id in between)
            return DeletionDelivery(
                "delivered",
                trn(
                    "The {count} deletion request for your previous anonymous id was delivered.",
                    "The {count} deletion requests for your previous anonymous ids were delivered.",
                    count,
                ).format(count=count),
            )
        return DeletionDelivery(
            "delivered", tr("The deletion request for your previous anonymous id was delivered.")
        )
    if last is not None and last.message:
        return DeletionDelivery(
            "pending",
            tr(
                "The deletion request could not be delivered yet ({reason}); it is kept and "
                "will be retried (the desktop app does so while open, or run "
                "'peft-telemetry upload send-now')."
            ).format(reason=without_retry_note(last.message)),
        )
    return DeletionDelivery(
        "pending",
        tr(
            "The deletion request could not be delivered yet; it is kept and will be retried "
            "(the desktop app does so while open, or run 'peft-telemetry upload send-now')."
        ),
    )
