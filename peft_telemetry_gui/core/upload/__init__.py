"""Optional upload of consented events to an OpenTelemetry Collector (OTLP/HTTP logs).

Off by default; see `docs/upload.md`. Names are loaded lazily: the store writer imports the
queue on every flush while upload is on, and must not pay for httpx and protobuf unless a worker
actually runs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__all__ = [
    "SENDER_BUSY_MESSAGE",
    "DeletionDelivery",
    "DeletionRequest",
    "EndpointError",
    "HistoryEntry",
    "Preview",
    "QueueLimits",
    "ResourceInfo",
    "SenderBusyError",
    "StepResult",
    "TokenUnavailableError",
    "UploadError",
    "UploadState",
    "UploadStatus",
    "UploadWorker",
    "build_request",
    "clear_token",
    "default_upload_sink",
    "deliver_deletion_requests",
    "disable_upload",
    "enable_upload",
    "encode_body",
    "ensure_worker",
    "get_token",
    "get_worker",
    "otlp_headers",
    "prepare_deletion_request",
    "preview_next_batch",
    "read_queue",
    "read_state",
    "resolve_logs_url",
    "send_now",
    "set_token",
    "stop_workers",
    "sync_queue_with_consent_locked",
    "token_state",
    "try_sender_lock",
    "upload_sink_for",
    "upload_status",
    "validate_endpoint",
    "write_deletion_requests_locked",
]

_HOME = {
    "DeletionRequest": "queue",
    "QueueLimits": "queue",
    "default_upload_sink": "queue",
    "prepare_deletion_request": "queue",
    "read_queue": "queue",
    "sync_queue_with_consent_locked": "queue",
    "upload_sink_for": "queue",
    "write_deletion_requests_locked": "queue",
    "HistoryEntry": "history",
    "UploadState": "history",
    "read_state": "history",
    "EndpointError": "settings",
    "TokenUnavailableError": "settings",
    "UploadError": "settings",
    "clear_token": "settings",
    "disable_upload": "settings",
    "enable_upload": "settings",
    "get_token": "settings",
    "otlp_headers": "settings",
    "resolve_logs_url": "settings",
    "set_token": "settings",
    "token_state": "settings",
    "validate_endpoint": "settings",
    "ResourceInfo": "encode",
    "build_request": "encode",
    "encode_body": "encode",
    "SENDER_BUSY_MESSAGE": "exporter",
    "DeletionDelivery": "exporter",
    "SenderBusyError": "exporter",
    "deliver_deletion_requests": "exporter",
    "try_sender_lock": "exporter",
    "Preview": "exporter",
    "StepResult": "exporter",
    "UploadStatus": "exporter",
    "UploadWorker": "exporter",
    "ensure_worker": "exporter",
    "get_worker": "exporter",
    "preview_next_batch": "exporter",
    "send_now": "exporter",
    "stop_workers": "exporter",
    "upload_status": "exporter",
}

if TYPE_CHECKING:
    from .encode import ResourceInfo, build_request, encode_body
    from .exporter import (
        SENDER_BUSY_MESSAGE,
        DeletionDelivery,
        Preview,
        SenderBusyError,
        StepResult,
        UploadStatus,
        UploadWorker,
        deliver_deletion_requests,
        ensure_worker,
        get_worker,
        preview_next_batch,
        send_now,
        stop_workers,
        try_sender_lock,
        upload_status,
    )
    from .history import HistoryEntry, UploadState, read_state
    from .queue import (
        DeletionRequest,
        QueueLimits,
        default_upload_sink,
        prepare_deletion_request,
        read_queue,
        sync_queue_with_consent_locked,
        upload_sink_for,
        write_deletion_requests_locked,
    )
    from .settings import (
        EndpointError,
        TokenUnavailableError,
        UploadError,
        clear_token,
        disable_upload,
        enable_upload,
        get_token,
        otlp_headers,
        resolve_logs_url,
        set_token,
        token_state,
        validate_endpoint,
    )


def __getattr__(name: str) -> object:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
