"""Re-consent (issue 9 §3): collection added since the user consented waits for their review.

Real stores in tmp_path, real clients and writer threads.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from peft_telemetry_gui import TelemetryClient
from peft_telemetry_gui.core.consent import collection_text_sha256, consent_text_sha256
from peft_telemetry_gui.core.ledger import verify
from peft_telemetry_gui.core.review import review
from peft_telemetry_gui.core.secrets import MemorySecretStore
from peft_telemetry_gui.core.services.consent import accept_review, set_consent
from peft_telemetry_gui.core.store import Store

NOW = datetime(2026, 11, 23, 15, 30, tzinfo=UTC)

V1: dict[str, Any] = {
    "version": "1",
    "events": {
        "training_started": {
            "category": "usage",
            "description": "Which fine-tuning method people use",
            "properties": {"algorithm": "LoRA variant"},
        },
        "export_done": {"category": "usage", "description": "That a model was exported"},
    },
}
V2 = copy.deepcopy(V1)
V2["version"] = "2"
V2["events"]["training_started"]["properties"]["dataset_size"] = "How many examples"
V2["events"]["merge_done"] = {"category": "usage", "description": "That adapters were merged"}


def _store(data_dir: Path, hours: float = 1) -> Store:
    return Store(data_dir, clock=lambda: NOW - timedelta(hours=hours))


def _client(data_dir: Path, catalogue: Any, **kwargs: Any) -> TelemetryClient:
    return TelemetryClient(
        "Test App",
        data_dir,
        catalogue=catalogue,
        secret_store=MemorySecretStore(),
        environ={},
        clock=lambda: NOW,
        start_session=False,
        **kwargs,
    )


def _run(data_dir: Path, catalogue: Any, *, host_enable: bool = False) -> None:
    with _client(data_dir, catalogue) as client:
        if host_enable:
            client.enable()
        client.track_event("training_started", {"algorithm": "lora", "dataset_size": 900})
        client.track_event("export_done")
        client.track_event("merge_done")
        assert client.flush()


def _recorded(data_dir: Path) -> dict[str, dict[str, Any]]:
    return {e.event_type: e.properties for e in Store(data_dir).read().events}


def _consented_with_v1(data_dir: Path) -> None:
    with _client(data_dir, V1):  # stores its catalogue before any decision
        pass
    set_consent(_store(data_dir), enabled=True, actor="cli")


def test_additions_wait_for_review_and_the_rest_continues(data_dir: Path) -> None:
    _consented_with_v1(data_dir)
    _run(data_dir, V2)
    recorded = _recorded(data_dir)
    assert set(recorded) == {"training_started", "export_done"}  # merge_done held back
    assert recorded["training_started"] == {"algorithm": "lora"}  # dataset_size held back
    doc = Store(data_dir).read()
    assert doc.redactions["pending_review"] == 2
    assert "undeclared" not in doc.redactions or doc.redactions["undeclared"] == 0
    added = {(i.event, i.property, i.description) for i in review(doc).added}
    assert added == {
        ("merge_done", "", "That adapters were merged"),
        ("training_started", "dataset_size", "How many examples"),
    }


def test_removals_need_no_review(data_dir: Path) -> None:
    _consented_with_v1(data_dir)
    smaller = copy.deepcopy(V1)
    del smaller["events"]["export_done"]
    _run(data_dir, smaller)
    doc = Store(data_dir).read()
    assert review(doc).added == ()
    assert [i.event for i in review(doc).removed] == ["export_done"]
    assert set(_recorded(data_dir)) == {"training_started"}


def test_the_user_accepts_and_the_additions_are_recorded(data_dir: Path) -> None:
    _consented_with_v1(data_dir)
    _run(data_dir, V2)
    accepted = accept_review(_store(data_dir, 0.5), actor="gui", method="review_dialog")
    assert len(accepted.added) == 2
    doc = Store(data_dir).read()
    assert review(doc).added == ()
    entry = doc.audit_log[-1]
    assert (entry.what, entry.actor, entry.method, entry.to_value) == (
        "review",
        "gui",
        "review_dialog",
        "accepted",
    )
    assert any("merge_done" in line for line in entry.from_value)
    assert entry.text_sha256 == consent_text_sha256(doc) != collection_text_sha256()
    assert verify(doc.audit_log).intact  # only new entries carry the new value: chain intact
    Store(data_dir).update(lambda d: d.events.clear())
    _run(data_dir, V2)
    recorded = _recorded(data_dir)
    assert set(recorded) == {"training_started", "export_done", "merge_done"}
    assert recorded["training_started"] == {"algorithm": "lora", "dataset_size": 900}


def test_a_host_enable_later_does_not_accept(data_dir: Path) -> None:
    _consented_with_v1(data_dir)
    _run(data_dir, V2, host_enable=True)
    doc = Store(data_dir).read()
    assert len(review(doc).added) == 2
    assert "merge_done" not in _recorded(data_dir)


def test_a_host_enable_as_the_first_decision_accepts(data_dir: Path) -> None:
    with _client(data_dir, V2) as client:
        client.enable()  # the host showed its own consent screen
        client.track_event("merge_done")
        assert client.flush()
    doc = Store(data_dir).read()
    assert doc.consent.accepted is not None
    assert review(doc).added == ()
    assert "merge_done" in _recorded(data_dir)


def test_a_first_catalogue_after_consent_only_narrows_and_needs_no_review(
    data_dir: Path,
) -> None:
    set_consent(_store(data_dir), enabled=True, actor="cli")  # no app had a catalogue then
    _run(data_dir, V1)
    assert review(Store(data_dir).read()).added == ()
    assert set(_recorded(data_dir)) == {"training_started", "export_done"}
    _run(data_dir, V2)  # but growth after that baseline does
    assert len(review(Store(data_dir).read()).added) == 2


def test_a_consent_from_before_this_feature_takes_the_stored_catalogue_as_accepted(
    data_dir: Path,
) -> None:
    _consented_with_v1(data_dir)
    Store(data_dir).update(lambda d: setattr(d.consent, "accepted", None))  # an older store
    _run(data_dir, V2)
    doc = Store(data_dir).read()
    assert {i.event for i in review(doc).added} == {"merge_done", "training_started"}
    assert "merge_done" not in _recorded(data_dir)


def test_calls_held_back_are_counted_once_when_a_failed_write_is_retried(
    data_dir: Path, immutable: Any
) -> None:
    """The first write fails (the folder refuses new files, even to root), the next one
    succeeds: what was held back for review is counted once, under its own label."""
    _consented_with_v1(data_dir)
    with _client(data_dir, V2) as client:
        assert client.flush()  # the catalogue is stored; the writer knows what is pending
        immutable(data_dir)
        client.track_event("training_started", {"algorithm": "lora", "dataset_size": 900})
        client.track_event("merge_done")
        assert not client.flush(timeout=5)
        client.track_event("export_done")  # a new batch arrives while the old one waits
        assert not client.flush(timeout=5)
        immutable.unlock(data_dir)
        assert client.flush()
    doc = Store(data_dir).read()
    assert doc.redactions["pending_review"] == 2  # merge_done and dataset_size, once each
    assert doc.redactions.get("undeclared", 0) == 0
    assert [e.properties for e in doc.events if e.event_type == "training_started"] == [
        {"algorithm": "lora"}
    ]
    assert [e.event_type for e in doc.events].count("export_done") == 1
