"""Queued records to OTLP/HTTP log requests (protobuf, or the OTLP JSON mapping).

One LogRecord per event. Every record carries `telemetry.consent=true` and, when the ledger
proves it (`consent_proof.py`), `telemetry.consent.seq` and `telemetry.consent.text_sha256`: the
audit entry the event was recorded under and the text that consent was given to. The shipped
collector config drops a record without all three, so a record from a build that forgot to ask,
or that cannot say under which consent it was recorded, is not stored. The deletion request
carries `telemetry.deletion_request=true` instead (it is sent because the user withdrew, not
under consent) and none of the consent attributes.
"""

from __future__ import annotations

import gzip
import math
import platform
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from google.protobuf import json_format
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import (
    AnyValue,
    ArrayValue,
    InstrumentationScope,
    KeyValue,
    KeyValueList,
)
from opentelemetry.proto.logs.v1.logs_pb2 import (
    SEVERITY_NUMBER_ERROR,
    SEVERITY_NUMBER_INFO,
    LogRecord,
    ResourceLogs,
    ScopeLogs,
)
from opentelemetry.proto.resource.v1.resource_pb2 import Resource

from ..._version import __version__
from .records import DeletionRequest, QueuedRecord

__all__ = [
    "CONSENT_ATTRIBUTE",
    "CONSENT_SEQ_ATTRIBUTE",
    "CONSENT_TEXT_ATTRIBUTE",
    "CONTENT_TYPES",
    "DELETION_ATTRIBUTE",
    "MAX_REQUEST_BYTES",
    "PROPERTY_PREFIX",
    "Encoding",
    "ResourceInfo",
    "build_deletion_request",
    "build_request",
    "decode_response",
    "encode_body",
    "os_type",
    "split_batches",
    "to_json",
]

Encoding = Literal["protobuf", "json"]
CONTENT_TYPES: dict[str, str] = {"protobuf": "application/x-protobuf", "json": "application/json"}
MAX_REQUEST_BYTES = 64 * 2**20 - 1  # bodies stay under 64 MiB before compression
CONSENT_ATTRIBUTE = "telemetry.consent"
CONSENT_SEQ_ATTRIBUTE = "telemetry.consent.seq"  # int: the ledger entry's `seq`
CONSENT_TEXT_ATTRIBUTE = "telemetry.consent.text_sha256"  # hex: the text that entry names
DELETION_ATTRIBUTE = "telemetry.deletion_request"
ANONYMOUS_ID_ATTRIBUTE = "enduser.pseudo.id"
PROPERTY_PREFIX = "app.property."
SCOPE_NAME = "peft_telemetry_gui"
_INT64 = (-(2**63), 2**63 - 1)
_MAX_DEPTH = 8


def os_type() -> str:
    """OTel semantic-convention value: linux, windows, darwin, freebsd, ..."""
    return platform.system().lower() or "unknown"


DEFAULT_SERVICE_NAME = "peft-telemetry-gui"


@dataclass(frozen=True)
class ResourceInfo:
    service_name: str = DEFAULT_SERVICE_NAME
    service_version: str | None = None
    os_type: str = ""

    def to_proto(self) -> Resource:
        attrs = [_kv("service.name", self.service_name)]
        version = self.service_version
        if version is None and self.service_name == DEFAULT_SERVICE_NAME:
            version = __version__  # our own version only when the service is us
        if version:
            attrs.append(_kv("service.version", version))
        attrs.append(_kv("os.type", self.os_type or os_type()))
        attrs.append(_kv("telemetry.sdk.name", "peft-telemetry-gui"))
        attrs.append(_kv("telemetry.sdk.version", __version__))
        return Resource(attributes=attrs)


# ---------------------------------------------------------------------------- values
def _any(value: Any, depth: int = 0) -> AnyValue:
    if isinstance(value, bool):
        return AnyValue(bool_value=value)
    if isinstance(value, int):
        if _INT64[0] <= value <= _INT64[1]:
            return AnyValue(int_value=value)
        return AnyValue(string_value=str(value))
    if isinstance(value, float):
        return (
            AnyValue(double_value=value)
            if math.isfinite(value)
            else AnyValue(string_value=str(value))
        )
    if isinstance(value, str):
        return AnyValue(string_value=value)
    if value is None:
        return AnyValue()
    if depth >= _MAX_DEPTH:
        return AnyValue(string_value="[depth limit]")
    if isinstance(value, list | tuple):
        return AnyValue(array_value=ArrayValue(values=[_any(v, depth + 1) for v in value]))
    if isinstance(value, dict):
        return AnyValue(
            kvlist_value=KeyValueList(
                values=[KeyValue(key=str(k), value=_any(v, depth + 1)) for k, v in value.items()]
            )
        )
    return AnyValue(string_value=str(value))


def _kv(key: str, value: Any) -> KeyValue:
    return KeyValue(key=key, value=_any(value))


def _flatten(prefix: str, value: Any, out: list[KeyValue], depth: int = 0) -> None:
    """Nested dicts become dotted keys (`app.property.model.name`): collectors and backends
    index flat attributes; lists stay arrays."""
    if isinstance(value, dict) and value and depth < _MAX_DEPTH:
        for key, inner in value.items():
            _flatten(f"{prefix}.{key}", inner, out, depth + 1)
    elif value is not None:
        out.append(_kv(prefix, value))


def _nanos(moment: datetime) -> int:
    return int(moment.timestamp()) * 1_000_000_000 + moment.microsecond * 1000


def _parse_time(text: Any, fallback: datetime) -> datetime:
    try:
        return datetime.fromisoformat(str(text))
    except ValueError:
        return fallback


# ---------------------------------------------------------------------------- records
def log_record(record: QueuedRecord) -> LogRecord:
    event = record.event
    event_type = str(event.get("event_type", "unknown"))
    stamp = _parse_time(event.get("timestamp"), record.at)
    category = str(event.get("category", ""))
    attrs = [_kv(CONSENT_ATTRIBUTE, True)]
    if record.consent is not None:  # none provable (or an older queue line): sent without
        attrs.append(_kv(CONSENT_SEQ_ATTRIBUTE, record.consent.seq))
        attrs.append(_kv(CONSENT_TEXT_ATTRIBUTE, record.consent.text_sha256))
    attrs += [
        _kv("event.id", record.id),
        _kv("telemetry.category", category),
        _kv("session.id", str(event.get("session_id", ""))),
        _kv(ANONYMOUS_ID_ATTRIBUTE, record.anonymous_id),
    ]
    if event.get("error_type") is not None:
        attrs.append(_kv("exception.type", event["error_type"]))
    if event.get("error_message") is not None:
        attrs.append(_kv("exception.message", event["error_message"]))
    if event.get("stack"):
        attrs.append(_kv("exception.stacktrace", "\n".join(map(str, event["stack"]))))
    if event.get("metric_name") is not None:
        attrs.append(_kv("metric.name", event["metric_name"]))
    if event.get("value") is not None:
        attrs.append(_kv("metric.value", float(event["value"])))
    if event.get("unit") is not None:
        attrs.append(_kv("metric.unit", event["unit"]))
    props = event.get("properties") or {}
    if isinstance(props, dict):
        for key, value in props.items():
            _flatten(PROPERTY_PREFIX + str(key), value, attrs)
    is_error = category == "error"
    return LogRecord(
        time_unix_nano=_nanos(stamp),
        observed_time_unix_nano=_nanos(record.at),
        severity_number=SEVERITY_NUMBER_ERROR if is_error else SEVERITY_NUMBER_INFO,
        severity_text="ERROR" if is_error else "INFO",
        event_name=event_type,
        body=AnyValue(string_value=event_type),
        attributes=attrs,
    )


def _resources(
    resources: Sequence[tuple[ResourceInfo, list[LogRecord]]],
) -> ExportLogsServiceRequest:
    scope = InstrumentationScope(name=SCOPE_NAME, version=__version__)
    return ExportLogsServiceRequest(
        resource_logs=[
            ResourceLogs(
                resource=resource.to_proto(),
                scope_logs=[ScopeLogs(scope=scope, log_records=records)],
            )
            for resource, records in resources
        ]
    )


def build_request(
    records: Sequence[QueuedRecord], resource: ResourceInfo
) -> ExportLogsServiceRequest:
    """One ResourceLogs per app that recorded the records (in order of first appearance), so
    each keeps its own `service.name`; `resource` names records queued without one."""
    if not records:
        raise ValueError("no records: an empty request is never sent")
    groups: dict[tuple[str, str | None], tuple[ResourceInfo, list[LogRecord]]] = {}
    for record in records:
        if record.service_name:
            key = (record.service_name, record.service_version)
            info = ResourceInfo(record.service_name, record.service_version, resource.os_type)
        else:
            key, info = (resource.service_name, resource.service_version), resource
        groups.setdefault(key, (info, []))[1].append(log_record(record))
    return _resources(list(groups.values()))


def build_deletion_request(
    request: DeletionRequest, resource: ResourceInfo
) -> ExportLogsServiceRequest:
    stamp = _nanos(request.created_at)
    record = LogRecord(
        time_unix_nano=stamp,
        observed_time_unix_nano=stamp,
        severity_number=SEVERITY_NUMBER_INFO,
        severity_text="INFO",
        event_name="deletion_request",
        body=AnyValue(string_value="deletion_request"),
        attributes=[
            _kv(DELETION_ATTRIBUTE, True),
            _kv("event.id", request.id),
            _kv(ANONYMOUS_ID_ATTRIBUTE, request.anonymous_id),
        ],
    )
    return _resources([(resource, [record])])


def split_batches(
    records: Sequence[QueuedRecord],
    resource: ResourceInfo,
    max_bytes: int = MAX_REQUEST_BYTES,
) -> Iterator[tuple[list[QueuedRecord], ExportLogsServiceRequest]]:
    """Requests of at most `max_bytes` (protobuf size), halving a batch until it fits.
    A single record that alone exceeds the bound is yielded with an empty request marker
    (`None` is not used so callers can type it): callers drop it as too large."""
    pending: list[list[QueuedRecord]] = [list(records)] if records else []
    while pending:
        chunk = pending.pop(0)
        request = build_request(chunk, resource)
        if request.ByteSize() <= max_bytes:
            yield chunk, request
        elif len(chunk) == 1:
            yield chunk, ExportLogsServiceRequest()
        else:
            mid = len(chunk) // 2
            pending[:0] = [chunk[:mid], chunk[mid:]]


# ---------------------------------------------------------------------------- bytes
def to_json(
    message: ExportLogsServiceRequest | ExportLogsServiceResponse, indent: int | None = None
) -> str:
    """OTLP JSON mapping: lowerCamelCase keys, enums as integers, 64-bit ints as strings."""
    return json_format.MessageToJson(
        message, use_integers_for_enums=True, indent=indent, ensure_ascii=False
    )


def encode_body(
    request: ExportLogsServiceRequest, encoding: Encoding = "protobuf", compress: bool = True
) -> tuple[bytes, dict[str, str]]:
    """(body, headers) for the POST."""
    raw = request.SerializeToString() if encoding == "protobuf" else to_json(request).encode()
    headers = {"Content-Type": CONTENT_TYPES[encoding]}
    if compress:
        raw = gzip.compress(raw, compresslevel=6, mtime=0)
        headers["Content-Encoding"] = "gzip"
    return raw, headers


def decode_response(content: bytes, content_type: str) -> ExportLogsServiceResponse | None:
    """The collector's answer (for `partial_success`), or None when it sent nothing usable."""
    if not content:
        return None
    try:
        if "json" in content_type:
            return json_format.Parse(
                content, ExportLogsServiceResponse(), ignore_unknown_fields=True
            )
        return ExportLogsServiceResponse.FromString(content)
    except Exception:  # a proxy's HTML error page etc.: not our business to crash on
        return None
