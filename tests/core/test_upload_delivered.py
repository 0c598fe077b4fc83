"""Which events reached the collector, and when (core/upload/delivered.py): the Events page's
"Upload:" line. A real OTLP receiver on 127.0.0.1, a real store, real sends; no mocks."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from upload_receiver import Action, Receiver

from peft_telemetry_gui import TelemetryClient
from peft_telemetry_gui.core.secrets import MemorySecretStore
from peft_telemetry_gui.core.services.consent import set_consent
from peft_telemetry_gui.core.services.delete import delete_all_data
from peft_telemetry_gui.core.services.upload import enable_upload, send_now
from peft_telemetry_gui.core.store import Store
from peft_telemetry_gui.core.upload import delivered
from peft_telemetry_gui.core.upload.delivered import (
    delivery_status,
    read_deliveries,
    remember_deliveries_locked,
    upload_facts,
)
from peft_telemetry_gui.core.upload.files import DELIVERED_FILE
from peft_telemetry_gui.core.upload.runtime import UploadRuntime

AT = datetime(2026, 11, 23, 15, 30, tzinfo=UTC)


def _record(data_dir: Path, secrets: MemorySecretStore, *names: str) -> None:
    with TelemetryClient(
        upload_runtime=UploadRuntime(autostart=False),
        app_name="Delivered App",
        data_dir=data_dir,
        secret_store=secrets,
        environ={},
        start_session=False,
    ) as client:
        for name in names:
            client.track_event(name)
        assert client.flush()


def _ids(store: Store, name: str) -> list[str]:
    return [e.id for e in store.read().events if e.event_type == name]


def test_a_delivered_event_says_when_a_queued_one_that_it_waits(data_dir: Path, rx: Receiver):
    secrets = MemorySecretStore()
    store = Store(data_dir)
    set_consent(store, enabled=True, actor="cli")
    _record(data_dir, secrets, "before_upload")  # upload off: it never leaves
    enable_upload(store, rx.endpoint, actor="cli")
    _record(data_dir, secrets, "sent_one")
    facts = upload_facts(store, store.read())
    (sent,) = _ids(store, "sent_one")
    (local,) = _ids(store, "before_upload")
    assert delivery_status(sent, facts) == "Waiting to be uploaded (in the upload queue)"
    send_now(store, secret_store=secrets, environ={})
    assert [r["event_name"] for r in rx.delivered_records()] == ["sent_one"]
    facts = upload_facts(store, store.read())
    assert delivery_status(sent, facts).startswith("Uploaded to the collector on ")
    assert not facts.delivered[sent].partial
    assert delivery_status(local, facts).startswith("Not uploaded (recorded before upload was on")
    delete_all_data(store, actor="cli", secret_store=secrets)
    assert not (data_dir / DELIVERED_FILE).exists()  # delete-all takes the log too


def test_a_partly_rejected_request_says_so(data_dir: Path, rx: Receiver) -> None:
    secrets = MemorySecretStore()
    store = Store(data_dir)
    set_consent(store, enabled=True, actor="cli")
    enable_upload(store, rx.endpoint, actor="cli")
    _record(data_dir, secrets, "a", "b")
    rx.then(Action(200, rejected=1))
    send_now(store, secret_store=secrets, environ={})
    facts = upload_facts(store, store.read())
    for event_id in _ids(store, "a") + _ids(store, "b"):
        assert "rejected some records of that request" in delivery_status(event_id, facts)


def test_upload_off_says_it_stays_here(data_dir: Path) -> None:
    store = Store(data_dir)
    set_consent(store, enabled=True, actor="cli")
    _record(data_dir, MemorySecretStore(), "local")
    (local,) = _ids(store, "local")
    status = delivery_status(local, upload_facts(store, store.read()))
    assert status == "Not uploaded: upload is off, so it stays on this computer"


def test_the_log_survives_a_torn_line_and_stays_bounded(data_dir: Path, monkeypatch) -> None:
    store = Store(data_dir)
    set_consent(store, enabled=True, actor="cli")
    path = data_dir / DELIVERED_FILE
    path.write_bytes(b"half-written-id 2026-11")  # a crash mid-append
    with store.lock():
        remember_deliveries_locked(store, ["e1", "e2"], AT, partial=False)
    assert set(read_deliveries(store)) == {"e1", "e2"}
    monkeypatch.setattr(delivered, "MAX_LINES", 10)
    with store.lock():
        remember_deliveries_locked(store, [f"x{i}" for i in range(12)], AT, partial=False)
    kept = read_deliveries(store)
    assert len(path.read_bytes().splitlines()) == 5 and set(kept) == {f"x{i}" for i in range(7, 12)}
