"""The shipped collector config (`packaging/otel-collector.yaml`), checked against the encoder.

No otelcol binary can be installed here, so nothing runs the real filter processor: this parses
the file and evaluates its OTTL conditions with a small interpreter that knows exactly the three
forms the config uses (`attributes["x"] != true`, `attributes["x"] == nil`,
`not IsMatch(attributes["x"], "re")`, with the semantics the OTTL docs give: a missing
attribute is nil, IsMatch of nil is false, conditions are ORed) and refuses any other, so a
condition added later must be taught here first. The records it is run on are the ones our
encoder really builds (decoded again as a collector would receive them): consent attributes
present -> kept, any missing -> dropped, the deletion request -> its own pipeline.
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
    CONSENT_SEQ_ATTRIBUTE,
    CONSENT_TEXT_ATTRIBUTE,
    DELETION_ATTRIBUTE,
    ResourceInfo,
    build_deletion_request,
    build_request,
)
from peft_telemetry_gui.core.upload.records import ConsentProof, DeletionRequest, QueuedRecord

CONFIG = Path(__file__).resolve().parents[2] / "packaging" / "otel-collector.yaml"
AT = datetime(2026, 3, 1, 12, tzinfo=UTC)
SHA = "ab" * 32
# OTTL as written in the config. `!= true` drops what is not exactly the boolean true.
_NOT_TRUE = re.compile(r'^attributes\["(?P<name>[^"]+)"\] != true$')
_IS_NIL = re.compile(r'^attributes\["(?P<name>[^"]+)"\] == nil$')
_NOT_MATCH = re.compile(r'^not IsMatch\(attributes\["(?P<name>[^"]+)"\], "(?P<re>[^"]+)"\)$')


def _ottl_string(value: Any) -> str:
    """IsMatch's conversion of a non-string target (strconv for bools and numbers)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _condition_true(condition: str, attributes: dict[str, Any]) -> bool:
    text = condition.strip()
    if match := _NOT_TRUE.match(text):
        return attributes.get(match["name"]) is not True
    if match := _IS_NIL.match(text):
        return attributes.get(match["name"]) is None
    if match := _NOT_MATCH.match(text):
        value = attributes.get(match["name"])
        # Go's regexp.MatchString finds a match anywhere, as re.search does.
        return value is None or re.search(match["re"], _ottl_string(value)) is None
    raise AssertionError(f"unexpected filter condition {condition!r}: teach _condition_true")


def _drops(conditions: list[str], attributes: dict[str, Any]) -> bool:
    """What the filter processor does with one record: dropped if any condition is true."""
    return any(_condition_true(c, attributes) for c in conditions)


def _events_pipeline(config: dict[str, Any]) -> dict[str, Any]:
    pipelines = config["service"]["pipelines"]
    (name,) = [n for n in pipelines if n == "logs" or n.startswith("logs/events")]
    return pipelines[name]


def _conditions(config: dict[str, Any], pipeline: dict[str, Any]) -> list[str]:
    (name,) = [p for p in pipeline["processors"] if p.split("/")[0] == "filter"]
    return list(config["processors"][name]["logs"]["log_record"])


def _deletion_pipeline(config: dict[str, Any]) -> dict[str, Any]:
    (pipeline,) = [p for n, p in config["service"]["pipelines"].items() if "deletion" in n]
    return pipeline


def _encoded_event(consent: ConsentProof | None) -> dict[str, Any]:
    """The attributes of one event record exactly as our encoder sends it."""
    event = {
        "id": "ev-1",
        "timestamp": AT.isoformat(),
        "category": "usage",
        "event_type": "step",
        "session_id": "s",
        "properties": {},
    }
    queued = QueuedRecord("ev-1", AT, "anon", event, b"", consent=consent)
    (record,) = ReceivedRequest("/v1/logs", {}, 0, build_request([queued], ResourceInfo())).records
    return dict(record["attributes"])


def _encoded_deletion_request() -> dict[str, Any]:
    deletion = DeletionRequest(id="d", anonymous_id="anon", created_at=AT, logs_url="x")
    request = build_deletion_request(deletion, ResourceInfo())
    (record,) = ReceivedRequest("/v1/logs", {}, 0, request).records
    return dict(record["attributes"])


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    return yaml.safe_load(CONFIG.read_text(encoding="utf-8"))


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


def test_the_filter_names_the_attributes_the_encoder_sends(config: dict[str, Any]) -> None:
    conditions = _conditions(config, _events_pipeline(config))
    assert conditions == [
        f'attributes["{CONSENT_ATTRIBUTE}"] != true',
        f'attributes["{CONSENT_SEQ_ATTRIBUTE}"] == nil',
        f'not IsMatch(attributes["{CONSENT_TEXT_ATTRIBUTE}"], "^[0-9a-f]{{64}}$")',
    ]


def test_records_citing_their_consent_are_kept_and_all_others_dropped(
    config: dict[str, Any],
) -> None:
    conditions = _conditions(config, _events_pipeline(config))
    sent = _encoded_event(ConsentProof(7, SHA))
    assert sent[CONSENT_SEQ_ATTRIBUTE] == 7 and sent[CONSENT_TEXT_ATTRIBUTE] == SHA
    assert not _drops(conditions, sent)  # what the app sends under a provable consent: kept
    unproven = _encoded_event(None)  # no chained consent entry, or a line queued before
    assert CONSENT_SEQ_ATTRIBUTE not in unproven and unproven[CONSENT_ATTRIBUTE] is True
    assert _drops(conditions, unproven)
    for name in (CONSENT_ATTRIBUTE, CONSENT_SEQ_ATTRIBUTE, CONSENT_TEXT_ATTRIBUTE):
        lacking = {k: v for k, v in sent.items() if k != name}
        assert _drops(conditions, lacking), f"kept without {name}"
    assert _drops(conditions, {})  # a build that forgot to ask: dropped
    assert _drops(conditions, {**sent, CONSENT_ATTRIBUTE: "true"})  # only the boolean counts
    assert _drops(conditions, {**sent, CONSENT_TEXT_ATTRIBUTE: "not a hash"})
    assert _drops(conditions, {**sent, CONSENT_TEXT_ATTRIBUTE: SHA.upper()})  # as we write it
    assert _drops(conditions, {**sent, CONSENT_TEXT_ATTRIBUTE: SHA[:-1]})
    assert _drops(conditions, _encoded_deletion_request())  # not an event: kept out of events


def test_deletion_requests_reach_their_own_file(config: dict[str, Any]) -> None:
    pipeline = _deletion_pipeline(config)
    conditions = _conditions(config, pipeline)
    assert conditions == [f'attributes["{DELETION_ATTRIBUTE}"] != true']
    deletion = _encoded_deletion_request()
    assert not any(name.startswith(CONSENT_ATTRIBUTE) for name in deletion)  # carries none
    assert not _drops(conditions, deletion)  # kept, although it cites no consent
    assert _drops(conditions, _encoded_event(ConsentProof(7, SHA)))  # events stay out
    assert pipeline["receivers"] == ["otlp"]
    (exporter,) = pipeline["exporters"]
    assert exporter.split("/")[0] == "file"
    assert (
        config["exporters"][exporter]["path"]
        != config["exporters"][_events_pipeline(config)["exporters"][0]]["path"]
    )
