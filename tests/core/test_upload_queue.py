"""The durable upload queue: bounds, drops, torn lines, opt-out, delete-all, the client sink."""

from __future__ import annotations

import json
import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

from peft_telemetry_gui import TelemetryClient
from peft_telemetry_gui.core.secrets import UPLOAD_TOKEN_NAME, MemorySecretStore
from peft_telemetry_gui.core.services.consent import set_consent
from peft_telemetry_gui.core.services.delete import delete_all_data
from peft_telemetry_gui.core.services.upload import enable_upload
from peft_telemetry_gui.core.store import Store
from peft_telemetry_gui.core.upload import read_deletion_requests, read_queue, read_state
from peft_telemetry_gui.core.upload.credentials import DELETION_TOKEN_PREFIX
from peft_telemetry_gui.core.upload.history import update_state
from peft_telemetry_gui.core.upload.queue import QueueLimits, append_locked
from peft_telemetry_gui.core.upload.runtime import UploadRuntime

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _event(i: int | str, category: str = "usage", pad: int = 0) -> dict[str, object]:
    return {
        "id": f"ev-{i}",
        "timestamp": T0.isoformat(),
        "category": category,
        "event_type": "step",
        "session_id": "s1",
        "properties": {"i": str(i), "pad": "x" * pad},
    }


class _Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def _upload_on(data_dir: Path, clock: _Clock | None = None) -> Store:
    store = Store(data_dir, clock=clock) if clock else Store(data_dir)
    set_consent(store, enabled=True, actor="cli")
    enable_upload(store, "https://collector.example.com", actor="cli")
    return store


def _append(
    store: Store, events: list[dict[str, object]], limits: QueueLimits | None = None
) -> int:
    return store.update(lambda d: append_locked(store, events, d.anonymous_id, limits=limits))


def test_records_keep_order_the_anonymous_id_and_private_permissions(data_dir: Path) -> None:
    store = _upload_on(data_dir)
    _append(store, [_event(1), _event(2)])
    _append(store, [_event(3)])
    records = read_queue(store)
    assert [r.id for r in records] == ["ev-1", "ev-2", "ev-3"]
    assert {r.anonymous_id for r in records} == {store.read().anonymous_id}
    path = data_dir / "upload-queue.jsonl"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_count_bound_drops_the_oldest_and_counts_them(data_dir: Path) -> None:
    store = _upload_on(data_dir)
    limits = QueueLimits(max_records=5)
    assert _append(store, [_event(i) for i in range(3)], limits) == 0
    assert _append(store, [_event(i) for i in range(3, 9)], limits) == 4
    assert [r.id for r in read_queue(store)] == [f"ev-{i}" for i in range(4, 9)]
    assert read_state(store).drops == {"full": 4}


def test_byte_bound_holds_and_an_oversized_record_is_dropped(data_dir: Path) -> None:
    store = _upload_on(data_dir)
    limits = QueueLimits(max_bytes=2000)
    for i in range(20):
        _append(store, [_event(i, pad=200)], limits)
        assert sum(r.size for r in read_queue(store)) <= 2000
    assert read_queue(store)[-1].id == "ev-19"
    _append(store, [_event("huge", pad=5000)], limits)
    assert "ev-huge" not in {r.id for r in read_queue(store)}
    drops = read_state(store).drops
    assert drops["too_large"] == 1 and drops["full"] > 0


def test_records_older_than_the_ttl_expire(data_dir: Path) -> None:
    clock = _Clock()
    store = _upload_on(data_dir, clock)
    _append(store, [_event(1)])
    clock.now = T0 + timedelta(days=8)
    _append(store, [_event(2)])
    assert [r.id for r in read_queue(store)] == ["ev-2"]
    assert read_state(store).drops == {"expired": 1}


def test_a_torn_last_line_is_skipped_and_the_next_append_still_reads(data_dir: Path) -> None:
    store = _upload_on(data_dir)
    _append(store, [_event(1)])
    with open(data_dir / "upload-queue.jsonl", "ab") as handle:
        handle.write(b'{"v":1,"at":"2026-03-01T12:00:00+00:00","anonymous_id":"x","event":{"id"')
    assert [r.id for r in read_queue(store)] == ["ev-1"]
    _append(store, [_event(2)])
    assert [r.id for r in read_queue(store)] == ["ev-1", "ev-2"]


def test_delete_all_empties_the_queue_removes_the_token_and_leaves_one_deletion_request(
    data_dir: Path,
) -> None:
    store = _upload_on(data_dir)
    secrets = MemorySecretStore()
    secrets.set(UPLOAD_TOKEN_NAME, "tok_SECRET_del")
    old_id = store.read().anonymous_id
    _append(store, [_event(1)])
    update_state(store, lambda s: s.count_drop("full", 3))
    runtime = UploadRuntime(autostart=False)
    delete_all_data(store, actor="cli", secret_store=secrets, runtime=runtime)
    assert read_queue(store) == []
    assert read_state(store).drops == {}  # the upload history was local data too
    assert secrets.get(UPLOAD_TOKEN_NAME) is None
    (request,) = read_deletion_requests(store)
    assert request.anonymous_id == old_id
    assert request.logs_url == "https://collector.example.com/v1/logs"
    assert runtime.deletion_tokens.pop(request.id) == "tok_SECRET_del"
    # the one other copy: in the keyring, under its own entry, until the request is delivered
    assert secrets.get(DELETION_TOKEN_PREFIX + request.id) == "tok_SECRET_del"
    on_disk = b"".join(p.read_bytes() for p in data_dir.iterdir() if p.is_file())
    assert b"tok_SECRET_del" not in on_disk
    # deleting again (before delivery) keeps the pending request, adds none for the new id
    delete_all_data(store, actor="cli", secret_store=secrets)
    assert [r.id for r in read_deletion_requests(store)] == [request.id]


def test_no_deletion_request_when_upload_was_never_on(data_dir: Path) -> None:
    store = Store(data_dir)
    set_consent(store, enabled=True, actor="cli")
    delete_all_data(store, actor="cli")
    assert read_deletion_requests(store) == []


def test_deletion_request_when_data_was_sent_even_if_upload_is_off_now(data_dir: Path) -> None:
    store = _upload_on(data_dir)
    anon = store.read().anonymous_id
    update_state(store, lambda s: s.remember_sent_id(anon))
    from peft_telemetry_gui.core.services.upload import disable_upload

    disable_upload(store, actor="gui")
    delete_all_data(store, actor="gui")
    assert [r.anonymous_id for r in read_deletion_requests(store)] == [anon]


# ------------------------------------------------------------------------- client sink
def test_client_queues_accepted_events_only_while_upload_is_on(data_dir: Path) -> None:
    store = Store(data_dir)
    set_consent(store, enabled=True, actor="cli")
    kwargs = {
        "secret_store": MemorySecretStore(),
        "environ": {},
        "app_version": "1.2.3",
        "upload_runtime": UploadRuntime(autostart=False),  # this test looks at the queue
    }
    with TelemetryClient(app_name="Queue App", data_dir=data_dir, **kwargs) as client:
        client.track_event("before_upload", {"contact": "alice@example.com"})
        assert client.flush()
        enable_upload(store, "https://collector.example.com", actor="api")
        client.track_event("while_upload", {"contact": "alice@example.com"})
        client.track_performance("save", 12.5)
        assert client.flush()
        queued = read_queue(store)
        assert [r.event["event_type"] for r in queued] == ["while_upload", "performance"]
        # the records are the stored (scrubbed) events
        stored = {e.id: e.stored_dict() for e in store.read().events}
        for record in queued:
            assert record.event == stored[record.id]
        assert "alice" not in (data_dir / "upload-queue.jsonl").read_text()
        set_consent(store, enabled=False, actor="gui")
        assert read_queue(store) == []
    assert read_state(store).app_name in (None, "Queue App")


def test_session_started_names_the_service(data_dir: Path) -> None:
    store = _upload_on(data_dir)
    kwargs = {
        "secret_store": MemorySecretStore(),
        "environ": {},
        "app_version": "1.2.3",
        "upload_runtime": UploadRuntime(autostart=False),  # this test looks at the queue
    }
    with TelemetryClient(app_name="Named App", data_dir=data_dir, **kwargs) as client:
        assert client.flush()
    state = read_state(store)
    assert (state.app_name, state.app_version) == ("Named App", "1.2.3")
    assert json.loads((data_dir / "upload-state.json").read_text())["app_name"] == "Named App"
    assert os.stat(data_dir / "upload-state.json").st_mode & 0o077 == 0
