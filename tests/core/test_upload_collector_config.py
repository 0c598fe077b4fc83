"""The shipped collector config (`packaging/otel-collector.yaml`), checked against the encoder.

No otelcol binary runs here, so this parses the file and asserts the parts the privacy promise
rests on: OTLP/HTTP on 4318, a filter that drops every record lacking the consent attribute the
encoder actually sends (same name, evaluated against real encoded records), and the logs pipeline
wired receiver -> filter -> batch -> file exporter.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml  # the `dev` extra (pyyaml)
from upload_receiver import ReceivedRequest

from peft_telemetry_gui.core.upload.encode import (
    CONSENT_ATTRIBUTE,
    DELETION_ATTRIBUTE,
    ResourceInfo,
    build_deletion_request,
    build_request,
)
from peft_telemetry_gui.core.upload.records import DeletionRequest, QueuedRecord

CONFIG = Path(__file__).resolve().parents[2] / "packaging" / "otel-collector.yaml"
AT = datetime(2026, 3, 1, 12, tzinfo=UTC)
# OTTL as written in the config: `attributes["<name>"] != true` drops what is not exactly true.
_DROP_UNLESS_TRUE = re.compile(r'^attributes\["(?P<name>[^"]+)"\] != true$')


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    return yaml.safe_load(CONFIG.read_text(encoding="utf-8"))


def _drops(conditions: list[str], attributes: dict[str, Any]) -> bool:
    """What the filter processor does with one record: dropped if any condition is true."""
    for condition in conditions:
        match = _DROP_UNLESS_TRUE.match(condition.strip())
        assert match, f"unexpected filter condition {condition!r}"
        if attributes.get(match["name"]) is not True:
            return True
    return False


def _events_pipeline(config: dict[str, Any]) -> dict[str, Any]:
    pipelines = config["service"]["pipelines"]
    (name,) = [n for n in pipelines if n == "logs" or n.startswith("logs/events")]
    return pipelines[name]


def test_receives_otlp_http_on_4318(config: dict[str, Any]) -> None:
    endpoint = config["receivers"]["otlp"]["protocols"]["http"]["endpoint"]
    assert endpoint.rsplit(":", 1)[1] == "4318"


def test_events_pipeline_is_receiver_filter_batch_file_exporter(config: dict[str, Any]) -> None:
    pipeline = _events_pipeline(config)
    assert pipeline["receivers"] == ["otlp"]
    processors = pipeline["processors"]
    filters = [p for p in processors if p.split("/")[0] == "filter"]
    assert len(filters) == 1 and "batch" in processors
    assert processors.index(filters[0]) < processors.index("batch")  # drop before batching
    assert processors[-1] == "batch"
    (exporter,) = pipeline["exporters"]
    assert exporter.split("/")[0] == "file"
    assert config["exporters"][exporter]["path"]
    for name in [*processors, exporter]:
        section = config["processors"] if name in processors else config["exporters"]
        assert name in section, f"{name} is used but not defined"


def test_the_filter_keeps_consented_records_and_drops_everything_else(
    config: dict[str, Any],
) -> None:
    pipeline = _events_pipeline(config)
    (name,) = [p for p in pipeline["processors"] if p.split("/")[0] == "filter"]
    conditions = config["processors"][name]["logs"]["log_record"]
    assert conditions == [f'attributes["{CONSENT_ATTRIBUTE}"] != true']
    event = {
        "id": "ev-1",
        "timestamp": AT.isoformat(),
        "category": "usage",
        "event_type": "step",
        "session_id": "s",
        "properties": {},
    }
    request = build_request([QueuedRecord("ev-1", AT, "anon", event, b"")], ResourceInfo())
    (record,) = ReceivedRequest("/v1/logs", {}, 0, request).records
    assert not _drops(conditions, record["attributes"])  # what the app sends is kept
    assert _drops(conditions, {})  # a build that forgot to ask: dropped
    assert _drops(conditions, {CONSENT_ATTRIBUTE: "true"})  # only the boolean counts
    deletion = DeletionRequest(id="d", anonymous_id="anon", created_at=AT, logs_url="x")
    request = build_deletion_request(deletion, ResourceInfo())
    (record,) = ReceivedRequest("/v1/logs", {}, 0, request).records
    assert _drops(conditions, record["attributes"])  # not an event: kept out of events


def test_deletion_requests_reach_their_own_file(config: dict[str, Any]) -> None:
    pipelines = config["service"]["pipelines"]
    (pipeline,) = [p for n, p in pipelines.items() if "deletion" in n]
    filters = [p for p in pipeline["processors"] if p.split("/")[0] == "filter"]
    (conditions,) = [config["processors"][f]["logs"]["log_record"] for f in filters]
    assert conditions == [f'attributes["{DELETION_ATTRIBUTE}"] != true']
    (exporter,) = pipeline["exporters"]
    assert exporter.split("/")[0] == "file"
    assert (
        config["exporters"][exporter]["path"]
        != config["exporters"][_events_pipeline(config)["exporters"][0]]["path"]
    )
