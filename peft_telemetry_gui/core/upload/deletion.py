"""The deletion requests "delete all data" leaves for the collector.

One request per anonymous id that reached the collector, kept in their own file: they are never
evicted and are sent even though upload is off by then (the one exception, as in Mozilla Glean).
A request is only ever removed once delivered (or finally refused).
"""

from __future__ import annotations

import contextlib
import json
import logging
import uuid
from collections.abc import MutableMapping

from pydantic import ValidationError

from ..models import StoreDocument
from ..secrets import SecretStore
from ..store import Store
from .credentials import get_token, keep_deletion_token
from .endpoint import EndpointError, resolve_logs_url
from .files import DELETION_FILE, atomic_write, fsync_dir
from .history import read_state
from .records import DeletionRequest

__all__ = [
    "bump_deletion_attempts",
    "clear_deletion_request",
    "prepare_deletion_request",
    "read_deletion_requests",
    "write_deletion_requests_locked",
]

log = logging.getLogger(__name__)


def read_deletion_requests(store: Store) -> list[DeletionRequest]:
    """Pending requests, oldest first (nearly always none or one)."""
    path = store.data_dir / DELETION_FILE
    try:
        raw = json.loads(path.read_bytes())
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        log.warning("deletion request %s unreadable: %s", path, type(exc).__name__)
        return []
    out = []
    for item in raw if isinstance(raw, list) else [raw]:
        with contextlib.suppress(ValidationError):
            out.append(DeletionRequest.model_validate(item))
    return out


def prepare_deletion_request(
    store: Store,
    doc: StoreDocument,
    tokens: MutableMapping[str, str],
    secret_store: SecretStore | None = None,
) -> list[DeletionRequest]:
    """Called by "delete all data" *before* the store is reset (inside its lock).

    Adds one request per anonymous id the collector may hold data for: every id that ever had
    a record delivered (`sent_anonymous_ids`: earlier ids too, replaced by an opt-out and
    opt-in or a reset, which the server still holds though upload may be off now), plus the
    current id when upload is on. Ids that already have a pending request get no second one.
    Requests still pending from an earlier deletion are carried over: the deletion removes the
    upload files, and a request is only ever removed once delivered (or finally refused).
    The token each request will authenticate with goes to `tokens` (this process) and to the
    keyring (later ones), because the deletion removes the upload token itself.
    """
    pending = read_deletion_requests(store)
    wanted = list(read_state(store).sent_anonymous_ids)
    if doc.consent.upload_enabled and doc.anonymous_id not in wanted:
        wanted.append(doc.anonymous_id)
    covered = {r.anonymous_id for r in pending}
    missing = [a for a in wanted if a and a not in covered]
    if not missing:
        return pending
    try:
        url = resolve_logs_url(doc.upload.endpoint)
    except EndpointError:
        url = None
    if url is None:
        return pending
    token = get_token(store.data_dir, secret_store)
    requests = []
    for anonymous_id in missing:
        request = DeletionRequest(
            id=str(uuid.uuid4()),
            anonymous_id=anonymous_id,
            created_at=store.clock(),
            logs_url=url.url,
        )
        if token:
            keep_deletion_token(store.data_dir, request.id, token, tokens, secret_store)
        requests.append(request)
    return [*pending, *requests]


def write_deletion_requests_locked(store: Store, requests: list[DeletionRequest]) -> None:
    """Written after the upload files were removed, so it survives the deletion it reports."""
    path = store.data_dir / DELETION_FILE
    if not requests:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        return
    payload = json.dumps([r.model_dump(mode="json") for r in requests]).encode()
    atomic_write(path, payload)


def _edit_deletion_requests(store: Store, request_id: str, *, delivered: bool) -> None:
    with store.lock():
        requests = read_deletion_requests(store)
        for request in requests:
            if request.id == request_id:
                request.attempts += 1
        if delivered:
            requests = [r for r in requests if r.id != request_id]
        write_deletion_requests_locked(store, requests)
        fsync_dir(store.data_dir)


def bump_deletion_attempts(store: Store, request_id: str) -> None:
    _edit_deletion_requests(store, request_id, delivered=False)


def clear_deletion_request(store: Store, request_id: str) -> None:
    """Delivered: remove it (only that one; a newer one may have arrived meanwhile)."""
    _edit_deletion_requests(store, request_id, delivered=True)
