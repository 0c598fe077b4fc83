"""OTLP encoding of queued records (decoded again with opentelemetry-proto)."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime

import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from upload_receiver import ReceivedRequest

from peft_telemetry_gui import __version__
from peft_telemetry_gui.core.upload.encode import (
    CONSENT_ATTRIBUTE,
    CONSENT_SEQ_ATTRIBUTE,
    CONSENT_TEXT_ATTRIBUTE,
    ResourceInfo,
    build_deletion_request,
    build_request,
    encode_body,
    split_batches,
    to_json,
)
from peft_telemetry_gui.core.upload.records import (
    ConsentProof,
    DeletionRequest,
    QueuedRecord,
    make_line,
    parse_line,
)

AT = datetime(2026, 3, 1, 12, 0, 5, 250000, tzinfo=UTC)
SHA = "0123456789abcdef" * 4


def _record(i: int, **fields: object) -> QueuedRecord:
    event: dict[str, object] = {
        "id": f"ev-{i}",
        "timestamp": "2026-03-01T12:00:00.125000+00:00",
        "category": "usage",
        "event_type": "training_started",
        "session_id": "sess-1",
        "properties": {"algorithm": "lora", "rank": 16, "model": {"name": "llama", "b": 7.5}},
    }
    event.update(fields)
    return QueuedRecord(f"ev-{i}", AT, "anon-1", event, b"x" * 100)


def _decode(request: ExportLogsServiceRequest) -> list[dict[str, object]]:
    return ReceivedRequest("/v1/logs", {}, 0, request).records


def test_one_log_record_per_event_with_resource_and_attributes() -> None:
    resource = ResourceInfo("PEFT Studio", "2.0.1", "linux")
    (record,) = _decode(build_request([_record(1)], resource))
    assert record["resource"]["service.name"] == "PEFT Studio"
    assert record["resource"]["service.version"] == "2.0.1"
    assert record["resource"]["os.type"] == "linux"
    assert record["event_name"] == "training_started" and record["body"] == "training_started"
    assert record["time_unix_nano"] == 1772366400125000000
    attrs = record["attributes"]
    assert attrs[CONSENT_ATTRIBUTE] is True
    assert attrs["event.id"] == "ev-1"
    assert attrs["session.id"] == "sess-1"
    assert attrs["telemetry.category"] == "usage"
    assert attrs["enduser.pseudo.id"] == "anon-1"
    assert attrs["app.property.algorithm"] == "lora"
    assert attrs["app.property.rank"] == 16
    assert attrs["app.property.model.name"] == "llama"
    assert attrs["app.property.model.b"] == 7.5
    assert record["severity_number"] == 9


def test_error_and_metric_fields_and_error_severity() -> None:
    error = _record(
        2,
        category="error",
        event_type="error",
        error_type="ValueError",
        error_message="bad [email]",
        stack=["train:step:12", "loop:run:3"],
    )
    metric = _record(3, category="performance", metric_name="save", value=12.5, unit="ms")
    err, perf = _decode(build_request([error, metric], ResourceInfo()))
    assert err["severity_number"] == 17
    assert err["attributes"]["exception.type"] == "ValueError"
    assert err["attributes"]["exception.stacktrace"] == "train:step:12\nloop:run:3"
    assert perf["attributes"]["metric.name"] == "save"
    assert perf["attributes"]["metric.value"] == 12.5
    assert perf["resource"]["service.version"] == __version__


def test_no_empty_requests() -> None:
    with pytest.raises(ValueError):
        build_request([], ResourceInfo())
    assert list(split_batches([], ResourceInfo())) == []


def test_batches_are_split_to_stay_under_the_size_bound() -> None:
    records = [_record(i, properties={"blob": "y" * 1000}) for i in range(40)]
    chunks = list(split_batches(records, ResourceInfo(), max_bytes=8000))
    assert len(chunks) > 1
    assert [r.id for chunk, _ in chunks for r in chunk] == [r.id for r in records]
    assert all(req.ByteSize() <= 8000 for _, req in chunks)
    (lonely,) = list(split_batches(records[:1], ResourceInfo(), max_bytes=100))
    assert not lonely[1].resource_logs  # alone too big: caller drops it


@pytest.mark.parametrize("encoding", ["protobuf", "json"])
@pytest.mark.parametrize("compress", [True, False])
def test_bodies_round_trip(encoding: str, compress: bool) -> None:
    request = build_request([_record(1), _record(2)], ResourceInfo())
    body, headers = encode_body(request, encoding, compress)  # type: ignore[arg-type]
    assert headers["Content-Type"] == (
        "application/x-protobuf" if encoding == "protobuf" else "application/json"
    )
    assert ("Content-Encoding" in headers) is compress
    raw = gzip.decompress(body) if compress else body
    if encoding == "json":
        doc = json.loads(raw)
        record = doc["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0]
        assert record["eventName"] == "training_started"
        assert record["timeUnixNano"] == "1772366400125000000"  # OTLP JSON: int64 as string
    else:
        assert ExportLogsServiceRequest.FromString(raw) == request


def test_deletion_request_names_the_anonymous_id_and_not_consent() -> None:
    request = DeletionRequest(
        id="del-1", anonymous_id="anon-old", created_at=AT, logs_url="https://x/v1/logs"
    )
    (record,) = _decode(build_deletion_request(request, ResourceInfo()))
    assert record["event_name"] == "deletion_request"
    assert record["attributes"]["enduser.pseudo.id"] == "anon-old"
    assert record["attributes"]["telemetry.deletion_request"] is True
    assert CONSENT_ATTRIBUTE not in record["attributes"]
    assert CONSENT_SEQ_ATTRIBUTE not in record["attributes"]
    assert CONSENT_TEXT_ATTRIBUTE not in record["attributes"]
    assert "deletion_request" in to_json(build_deletion_request(request, ResourceInfo()))


def test_shipped_collector_config_filters_on_the_attributes_we_send() -> None:
    from pathlib import Path

    from peft_telemetry_gui.core.upload.encode import DELETION_ATTRIBUTE

    text = (Path(__file__).resolve().parents[2] / "packaging" / "otel-collector.yaml").read_text()
    assert f'attributes["{CONSENT_ATTRIBUTE}"] != true' in text
    assert f'attributes["{DELETION_ATTRIBUTE}"] != true' in text
    assert "endpoint: 0.0.0.0:4318" in text


def test_a_record_cites_the_consent_it_was_recorded_under() -> None:
    cited = _record(1)
    cited = QueuedRecord(cited.id, AT, "anon-1", cited.event, b"", consent=ConsentProof(12, SHA))
    with_proof, without = _decode(build_request([cited, _record(2)], ResourceInfo()))
    assert with_proof["attributes"][CONSENT_SEQ_ATTRIBUTE] == 12  # an int, not "12"
    assert with_proof["attributes"][CONSENT_TEXT_ATTRIBUTE] == SHA
    assert with_proof["attributes"][CONSENT_ATTRIBUTE] is True
    assert CONSENT_SEQ_ATTRIBUTE not in without["attributes"]  # none provable: none made up
    assert CONSENT_TEXT_ATTRIBUTE not in without["attributes"]
    assert without["attributes"][CONSENT_ATTRIBUTE] is True
    body = json.loads(to_json(build_request([cited], ResourceInfo())))
    attrs = body["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0]["attributes"]
    assert {"key": CONSENT_SEQ_ATTRIBUTE, "value": {"intValue": "12"}} in attrs  # OTLP JSON


def test_the_queue_line_carries_the_consent_and_older_lines_still_read() -> None:
    event = _record(1).event
    line = make_line(event, "anon-1", AT, ("App", "1.0"), ConsentProof(3, SHA))
    assert json.loads(line)["consent"] == {"seq": 3, "text_sha256": SHA}
    record = parse_line(line)
    assert record is not None and record.consent == ConsentProof(3, SHA)
    assert record.service_name == "App"
    # A line as versions before the consent object wrote it.
    old = json.dumps(
        {"v": 1, "at": AT.isoformat(), "anonymous_id": "anon-1", "event": event}
    ).encode()
    record = parse_line(old + b"\n")
    assert record is not None and record.id == "ev-1" and record.consent is None


@pytest.mark.parametrize(
    "damaged",
    [
        None,
        "3",
        {"seq": 0, "text_sha256": SHA},
        {"seq": -1, "text_sha256": SHA},
        {"seq": True, "text_sha256": SHA},
        {"seq": "3", "text_sha256": SHA},
        {"seq": 3},
        {"seq": 3, "text_sha256": SHA.upper()},
        {"seq": 3, "text_sha256": SHA[:-1]},
        {"seq": 3, "text_sha256": 7},
    ],
)
def test_a_damaged_consent_object_is_no_proof_and_loses_no_record(damaged: object) -> None:
    raw = json.loads(make_line(_record(1).event, "anon-1", AT))
    raw["consent"] = damaged
    record = parse_line(json.dumps(raw).encode() + b"\n")
    assert record is not None and record.id == "ev-1"  # still queued, still sent
    assert record.consent is None
