"""What the user is shown about upload: its state in plain words, and the next request.

Read-only: nothing here sends or changes anything, so the app and `upload status`/`preview`
can ask as often as they like.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from ..env import env_override
from ..i18n import tr, trn
from ..secrets import SecretStore
from ..store import Store
from .credentials import get_token
from .deletion import deletion_problem, read_deletion_requests
from .encode import build_deletion_request, split_batches, to_json
from .endpoint import EndpointError, resolve_logs_url
from .history import HistoryEntry, UploadState, read_state
from .queue import UploadQueue
from .view import read_view
from .worker import State, UploadWorker

__all__ = ["Preview", "UploadStatus", "preview_next_batch", "upload_status"]


@dataclass(frozen=True)
class UploadStatus:
    """Everything the Upload page and `upload status` show."""

    upload_enabled: bool
    state: State
    until: datetime | None
    queued: int
    queued_bytes: int
    drops: dict[str, int]
    last_success: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    endpoint: str | None
    endpoint_source: str | None
    endpoint_problem: str | None
    deletion_pending: int
    rejected_total: int
    history: list[HistoryEntry] = field(default_factory=list)
    #: `DO_NOT_TRACK=1` (or the like) when the environment keeps this process from sending
    #: events; deletion requests are still sent.
    blocked_by: str | None = None
    #: One line when the pending deletion requests file is damaged (see `deletion.py`).
    deletion_problem: str | None = None

    @property
    def drops_total(self) -> int:
        return sum(self.drops.values())

    def describe(self) -> str:
        """The state in plain words."""
        at = self.until.astimezone().strftime("%H:%M:%S") if self.until else ""
        if self.state == "off":
            if self.deletion_pending:
                return tr(
                    "Upload is off. A deletion request for your earlier data is still waiting "
                    "to be sent."
                )
            return tr("Upload is off.")
        if self.endpoint_problem:
            return tr("Upload is on but nothing can be sent: {problem}").format(
                problem=self.endpoint_problem
            )
        if self.blocked_by:
            return tr(
                "Upload is on, but {variable} is set here, so no events are sent from this "
                "program ({queued:,} waiting)."
            ).format(variable=self.blocked_by, queued=self.queued)
        if self.state == "idle" and self.queued:
            return trn(
                "Upload is on; {queued:,} record waiting (sent while an app using telemetry "
                "or this app is open, or with Send now).",
                "Upload is on; {queued:,} records waiting (sent while an app using telemetry "
                "or this app is open, or with Send now).",
                self.queued,
            ).format(queued=self.queued)
        if self.state == "idle":
            return tr("Upload is on; nothing waiting.")
        if self.state == "waiting":
            return tr("Upload is on; collecting a batch.")
        if self.state == "sending":
            return tr("Sending…")
        if self.state == "backing_off":
            return tr("The last attempt failed; retrying at {time}.").format(time=at)
        if self.state == "circuit_open":
            return tr("The collector kept failing; paused until {time}, then one retry.").format(
                time=at
            )
        return self.state


def upload_status(
    store: Store,
    worker: UploadWorker | None = None,
    environ: Mapping[str, str] | None = None,
) -> UploadStatus:
    view = read_view(store)
    state: UploadState = read_state(store)
    queued, queued_bytes = UploadQueue(store).stats()
    url = source = problem = None
    try:
        resolved = resolve_logs_url(view.upload.endpoint if view else None, environ)
        if resolved is not None:
            url, source = resolved.url, resolved.source
        elif view is not None and view.allowed:
            problem = tr("no endpoint is set")
    except EndpointError as exc:
        problem = str(exc)
    enabled = bool(view and view.allowed)
    live_state: State = "idle" if enabled else "off"
    until = None
    if worker is not None and enabled:
        live_state, until = worker.live_state()
    return UploadStatus(
        upload_enabled=enabled,
        state=live_state,
        until=until,
        queued=queued,
        queued_bytes=queued_bytes,
        drops=dict(state.drops),
        last_success=state.last_success,
        last_error=state.last_error,
        last_error_at=state.last_error_at,
        endpoint=url,
        endpoint_source=source,
        endpoint_problem=problem,
        deletion_pending=len(read_deletion_requests(store)),
        rejected_total=state.rejected_total,
        history=list(state.history),
        blocked_by=env_override(environ) if enabled else None,
        deletion_problem=deletion_problem(store),
    )


@dataclass(frozen=True)
class Preview:
    """Exactly what the next request would carry, decoded, before anything is sent."""

    kind: Literal["events", "deletion_request", "nothing"]
    records: int
    url: str | None
    headers: dict[str, str]
    body_json: str
    note: str = ""


def preview_next_batch(
    store: Store,
    *,
    batch_size: int = 100,
    app_name: str | None = None,
    app_version: str | None = None,
    secret_store: SecretStore | None = None,
    environ: Mapping[str, str] | None = None,
) -> Preview:
    worker = UploadWorker(
        store,
        batch_size=batch_size,
        app_name=app_name,
        app_version=app_version,
        secret_store=secret_store,
        environ=environ,
    )
    try:
        token = get_token(store.data_dir, secret_store)
        headers = worker.headers("(hidden)" if token else None)
        for name in list(headers):
            if name.lower() not in ("user-agent", "authorization"):
                headers[name] = "(hidden)"  # OTEL_EXPORTER_OTLP_HEADERS values may be secrets
        headers["Content-Type"] = "application/x-protobuf"
        if worker.compress:  # (OTEL_EXPORTER_OTLP_COMPRESSION=none turns it off)
            headers["Content-Encoding"] = "gzip"
        deletions = read_deletion_requests(store)
        if deletions:
            request = deletions[0]
            message = build_deletion_request(request, worker.resource())
            return Preview(
                "deletion_request",
                1,
                request.logs_url,
                headers,
                to_json(message, indent=2),
                tr(
                    "Asks the collector to erase everything recorded under your previous "
                    "anonymous id."
                ),
            )
        view = read_view(store)
        if view is None or not view.allowed:
            return Preview("nothing", 0, None, {}, "", tr("Upload is off: nothing will be sent."))
        batch = [r for r in UploadQueue(store).read() if view.consent.category_on(r.category)]
        batch = batch[:batch_size]
        try:
            url = resolve_logs_url(view.upload.endpoint, environ)
        except EndpointError as exc:
            return Preview("nothing", 0, None, {}, "", str(exc))
        if not batch:
            nothing = tr("Nothing queued.")
            return Preview("nothing", 0, url.url if url else None, headers, "", nothing)
        chunk, request_msg = next(iter(split_batches(batch, worker.resource())))
        return Preview(
            "events", len(chunk), url.url if url else None, headers, to_json(request_msg, indent=2)
        )
    finally:
        worker.shutdown()
