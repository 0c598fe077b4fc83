"""Consent on the wire (issue 9 §5): each queued record cites the ledger entry it was recorded
under (`telemetry.consent.seq`) and the SHA-256 of the text that consent was given to.

The choice of entry is checked on documents changed by the real consent policy; the queueing
through a real client, writer, store and sink, with injected clocks, reading the queue file back.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from peft_telemetry_gui import TelemetryClient
from peft_telemetry_gui.core.consent import (
    apply_consent,
    apply_reset_anonymous_id,
    apply_sampling,
    audit,
    collection_text_sha256,
)
from peft_telemetry_gui.core.models import AuditEntry, StoreDocument
from peft_telemetry_gui.core.secrets import MemorySecretStore
from peft_telemetry_gui.core.services.consent import set_consent
from peft_telemetry_gui.core.services.upload import enable_upload
from peft_telemetry_gui.core.store import Store
from peft_telemetry_gui.core.upload import preview_next_batch, read_queue
from peft_telemetry_gui.core.upload.consent_proof import ConsentProofs, consent_entry, proof_of
from peft_telemetry_gui.core.upload.files import QUEUE_FILE
from peft_telemetry_gui.core.upload.records import ConsentProof
from peft_telemetry_gui.core.upload.runtime import UploadRuntime

T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
ALL_OFF_BUT_USAGE = {"usage": True, "error": False, "performance": False, "system": False}


def _at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def _entry(doc: StoreDocument, what: str) -> AuditEntry:
    """The newest entry that changed `what`."""
    return next(e for e in reversed(doc.audit_log) if e.what == what)


class Clock:
    """A clock the test moves by hand: no data is built from the wall clock."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


# ---------------------------------------------------------------------------- which entry
def test_a_category_turned_on_later_is_what_its_events_cite() -> None:
    doc = StoreDocument()
    apply_consent(doc, _at(0), enabled=True, actor="cli", categories=ALL_OFF_BUT_USAGE)
    apply_consent(doc, _at(10), enabled=None, actor="gui", categories={"performance": True})
    master, performance_on = _entry(doc, "consent"), _entry(doc, "category:performance")
    assert performance_on.at == _at(10) and performance_on.seq > master.seq
    log = doc.audit_log
    assert consent_entry(log, "performance", _at(11)) == performance_on  # the later one
    assert consent_entry(log, "usage", _at(11)) == master  # the master switch, as before
    assert consent_entry(log, "performance", _at(5)) is None  # it was off then
    assert consent_entry(log, "error", _at(11)) is None  # never turned on
    assert consent_entry(log, "usage", _at(0)) == master  # at the very moment: in force
    assert consent_entry(log, "usage", _at(-1)) is None  # before any consent
    assert proof_of(performance_on) == ConsentProof(performance_on.seq, collection_text_sha256())


def test_consent_turned_off_and_on_again_is_cited_from_the_new_on() -> None:
    doc = StoreDocument()
    apply_consent(doc, _at(0), enabled=True, actor="cli")
    apply_consent(doc, _at(5), enabled=None, actor="gui", categories={"usage": False})
    apply_consent(doc, _at(6), enabled=False, actor="gui")
    apply_consent(doc, _at(7), enabled=True, actor="gui", categories={"usage": True})
    log = doc.audit_log
    first_on = next(e for e in log if e.what == "consent")
    usage_back = _entry(doc, "category:usage")
    assert consent_entry(log, "usage", _at(3)) == first_on
    assert consent_entry(log, "usage", _at(5)) is None  # usage was off
    assert consent_entry(log, "usage", _at(6)) is None  # everything was off
    assert consent_entry(log, "usage", _at(8)) == usage_back  # logged after the master switch
    assert consent_entry(log, "error", _at(8)) == _entry(doc, "consent")  # the new "on"
    # Entries that set nothing for usage never become the cited one.
    audit(doc, _at(9), "gui", "upload", False, True)
    apply_sampling(doc, _at(9), category="usage", rate=0.5, actor="gui")
    apply_reset_anonymous_id(doc, _at(9), actor="gui")
    apply_consent(doc, _at(9), enabled=None, actor="gui", categories={"system": False})
    assert [e.what for e in doc.audit_log[-4:]] == [
        "upload",
        "sampling:usage",
        "anonymous_id",
        "category:system",
    ]
    assert consent_entry(doc.audit_log, "usage", _at(10)) == usage_back


def test_entries_from_before_the_ledger_prove_nothing() -> None:
    """A store written before entries were chained: its consent entries have seq 0, no hash.
    Records are still queued, without the attributes (the collector drops them)."""
    doc = StoreDocument()
    for what, old, new in (("decision", "undecided", "enabled"), ("consent", False, True)):
        doc.audit_log.append(
            AuditEntry(at=_at(0), actor="gui", what=what, **{"from": old, "to": new})
        )
    log = doc.audit_log
    assert consent_entry(log, "usage", _at(1)) is not None  # the consent was given ...
    assert proof_of(consent_entry(log, "usage", _at(1))) is None  # ... but cannot be shown
    # A chained change of another category proves nothing for usage ...
    apply_consent(doc, _at(2), enabled=None, actor="gui", categories={"system": False})
    assert ConsentProofs(doc.audit_log).for_event("usage", _at(3)) is None
    # ... and the first chained change of usage's own switch does.
    apply_consent(doc, _at(4), enabled=None, actor="gui", categories={"usage": False})
    apply_consent(doc, _at(5), enabled=None, actor="gui", categories={"usage": True})
    usage_on = _entry(doc, "category:usage")
    assert usage_on.seq > 0
    proofs = ConsentProofs(doc.audit_log)
    assert proofs.for_event("usage", _at(6)) == ConsentProof(usage_on.seq, usage_on.text_sha256)
    assert proofs.for_event("usage", _at(4)) is None  # recorded while it was off


def test_an_empty_ledger_and_a_decision_to_refuse_prove_nothing() -> None:
    assert ConsentProofs([]).for_event("usage", _at(0)) is None
    doc = StoreDocument()
    apply_consent(doc, _at(0), enabled=False, actor="gui")
    assert _entry(doc, "decision").to_value == "disabled"
    assert ConsentProofs(doc.audit_log).for_event("usage", _at(1)) is None


# ---------------------------------------------------------------------------- queued
def _host(data_dir: Path, clock: Clock) -> TelemetryClient:
    return TelemetryClient(
        app_name="Proof App",
        data_dir=data_dir,
        clock=clock,
        secret_store=MemorySecretStore(),
        environ={},
        start_session=False,
        upload_runtime=UploadRuntime(autostart=False),
    )


def test_each_queued_record_carries_its_consent_through_a_restart(data_dir: Path) -> None:
    clock = Clock(_at(0))
    store = Store(data_dir, clock=clock)
    set_consent(store, enabled=True, actor="cli", categories=ALL_OFF_BUT_USAGE)
    enable_upload(store, "http://127.0.0.1:9", actor="cli")
    clock.now = _at(10)
    set_consent(store, enabled=None, actor="gui", categories={"performance": True})
    doc = store.read()
    master, performance_on = _entry(doc, "consent"), _entry(doc, "category:performance")
    clock.now = _at(20)
    with _host(data_dir, clock) as host:
        host.track_event("training_started")
        host.track_performance("checkpoint_save", 12.5)
        assert host.flush()
    sha = collection_text_sha256()
    lines = [json.loads(line) for line in (data_dir / QUEUE_FILE).read_bytes().splitlines()]
    assert {line["event"]["category"]: line["consent"] for line in lines} == {
        "usage": {"seq": master.seq, "text_sha256": sha},
        "performance": {"seq": performance_on.seq, "text_sha256": sha},
    }
    # What a later process (the app, send-now) reads back from the file.
    by_category = {r.category: r.consent for r in read_queue(Store(data_dir, clock=clock))}
    assert by_category == {
        "usage": ConsentProof(master.seq, sha),
        "performance": ConsentProof(performance_on.seq, sha),
    }


def test_events_recorded_before_a_category_came_back_on_are_not_queued(data_dir: Path) -> None:
    """The host stamped them while performance was off; it was turned on again before they
    were written. The store refuses them, so no record ever needs a proof for that moment."""
    clock = Clock(_at(0))
    store = Store(data_dir, clock=clock)
    set_consent(store, enabled=True, actor="cli")
    enable_upload(store, "http://127.0.0.1:9", actor="cli")
    clock.now = _at(10)
    set_consent(store, enabled=None, actor="gui", categories={"performance": False})
    clock.now = _at(30)
    set_consent(store, enabled=None, actor="gui", categories={"performance": True})
    master = _entry(store.read(), "consent")
    with _host(data_dir, Clock(_at(20))) as host:  # its events are stamped 20
        host.track_performance("checkpoint_save", 12.5)
        host.track_event("training_started")
        assert host.flush()
    assert [e.category for e in store.read().events] == ["usage"]
    (record,) = read_queue(store)
    assert record.category == "usage"
    assert record.consent == ConsentProof(master.seq, collection_text_sha256())


def test_the_preview_shows_the_proof_the_next_request_carries(data_dir: Path) -> None:
    clock = Clock(_at(0))
    store = Store(data_dir, clock=clock)
    set_consent(store, enabled=True, actor="cli")
    enable_upload(store, "http://127.0.0.1:9", actor="cli")
    clock.now = _at(1)
    with _host(data_dir, clock) as host:
        host.track_event("training_started")
        assert host.flush()
    preview = preview_next_batch(store, secret_store=MemorySecretStore(), environ={})
    assert preview.kind == "events" and preview.records == 1
    body = json.loads(preview.body_json)
    attributes = body["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0]["attributes"]
    shown = {a["key"]: a["value"] for a in attributes}
    assert shown["telemetry.consent.seq"] == {"intValue": str(_entry(store.read(), "consent").seq)}
    assert shown["telemetry.consent.text_sha256"] == {"stringValue": collection_text_sha256()}
