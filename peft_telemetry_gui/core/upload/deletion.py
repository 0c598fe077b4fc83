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
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError

from ..i18n import trn
from ..models import StoreDocument
from ..secrets import SecretStore
from ..store import Store
from .credentials import get_token, keep_deletion_token
from .endpoint import EndpointError, resolve_logs_url
from .files import (
    DELETION_COPY_FILE,
    DELETION_FILE,
    atomic_write,
    fsync_dir,
    keep_aside,
    read_small_file,
)
from .history import delivered_anonymous_ids
from .records import DeletionRequest
from .salvage import damage_reason, salvage_deletion_requests
from .view import read_view

__all__ = [
    "bump_deletion_attempts",
    "clear_deletion_request",
    "deletion_problem",
    "prepare_deletion_request",
    "read_deletion_requests",
    "write_deletion_requests_locked",
]

log = logging.getLogger(__name__)


def _fallback_url(store: Store) -> str | None:
    """Where a recovered request without its address goes: the endpoint saved now."""
    view = read_view(store)
    try:
        url = resolve_logs_url(view.upload.endpoint if view else None)
    except EndpointError:
        return None
    return url.url if url else None


def _parse(store: Store, path: Path) -> tuple[list[DeletionRequest], str | None] | None:
    """None: no such file. Else (requests, None), or (what was recovered, why it is damaged)."""
    try:
        data = read_small_file(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return [], damage_reason(exc)
    try:
        raw = json.loads(data)
        items = raw if isinstance(raw, list) else [raw]
        return [DeletionRequest.model_validate(item) for item in items], None
    except (ValueError, ValidationError) as exc:
        reason = damage_reason(exc)
    try:
        created = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    except OSError:
        created = store.clock()
    text = data.decode("utf-8", errors="replace")
    return salvage_deletion_requests(text, _fallback_url(store), created), reason


def _read(store: Store) -> tuple[list[DeletionRequest], str | None]:
    """The pending requests and, when the main file is damaged, why. Then the copy fills in
    what the damage took (a request already delivered may come back: erasing twice is
    harmless, forgetting to erase is not)."""
    main = _parse(store, store.data_dir / DELETION_FILE)
    if main is not None and main[1] is None:
        return main
    copy = _parse(store, store.data_dir / DELETION_COPY_FILE)
    if main is None:  # (never left by our writes: the main file goes last)
        return (copy[0], None) if copy is not None else ([], None)
    requests, reason = main
    covered = {(r.anonymous_id, r.logs_url) for r in requests}
    for request in copy[0] if copy is not None else []:
        if (request.anonymous_id, request.logs_url) not in covered:
            requests.append(request)
            covered.add((request.anonymous_id, request.logs_url))
    return requests, reason


def deletion_problem(store: Store) -> str | None:
    """One line for the status when the pending deletion requests file is damaged, else None.
    Shown until the next change rewrites it (then it is kept aside, see `keep_aside`)."""
    requests, damaged = _read(store)
    if damaged is None:
        return None
    return trn(
        "the pending deletion requests ({file}) are damaged ({reason}); {n} could be "
        "recovered and will be sent, and the file is kept",
        "the pending deletion requests ({file}) are damaged ({reason}); {n} could be "
        "recovered and will be sent, and the file is kept",
        len(requests),
    ).format(file=DELETION_FILE, reason=damaged, n=len(requests))


def read_deletion_requests(store: Store) -> list[DeletionRequest]:
    """Pending requests, oldest first (nearly always none or one). Lock-free; from a damaged
    file, every request that can be recovered (see `salvage`)."""
    return _read(store)[0]


def prepare_deletion_request(
    store: Store,
    doc: StoreDocument,
    tokens: MutableMapping[str, str],
    secret_store: SecretStore | None = None,
) -> list[DeletionRequest]:
    """Called by "delete all data" *before* the store is reset (inside its lock).

    Adds one request per anonymous id the collector may hold data for: every id that ever had
    a record delivered (the append-only id log and the history: earlier ids too, replaced by
    an opt-out and opt-in or a reset, which the server still holds though upload may be off
    now), plus the current id when upload is on or the history was damaged. Ids that
    already have a pending request get no second one.
    Requests still pending from an earlier deletion are carried over: the deletion removes the
    upload files, and a request is only ever removed once delivered (or finally refused).
    The token each request will authenticate with goes to `tokens` (this process) and to the
    keyring (later ones), because the deletion removes the upload token itself.
    """
    pending = read_deletion_requests(store)
    wanted, history_damaged = delivered_anonymous_ids(store)
    # A damaged history may have lost the current id's deliveries (an older version kept no
    # log): ask to erase it too; a request for an id the collector never saw erases nothing.
    if (doc.consent.upload_enabled or history_damaged) and doc.anonymous_id not in wanted:
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
    """Written after the upload files were removed, so it survives the deletion it reports.
    Two copies, one after the other; a damaged main file is moved aside first, never lost."""
    path, copy = store.data_dir / DELETION_FILE, store.data_dir / DELETION_COPY_FILE
    damaged = _read(store)[1] if path.exists() else None
    if damaged is not None:
        kept = keep_aside(path, store.clock())
        log.warning(
            "the pending deletion requests (%s) were damaged (%s); every request that could be "
            "recovered was kept, and the file was moved to %s",
            DELETION_FILE,
            damaged,
            kept.name,
        )
    if not requests:
        for name in (copy, path):  # the main file last: it alone says "nothing pending"
            with contextlib.suppress(FileNotFoundError):
                name.unlink()
        return
    payload = json.dumps([r.model_dump(mode="json") for r in requests]).encode()
    atomic_write(path, payload)
    atomic_write(copy, payload)


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
