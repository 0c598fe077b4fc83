"""Upload over real HTTP to a scripted OTLP receiver on 127.0.0.1.

The library client records events, the default sink queues them, a real UploadWorker thread
(with short timeouts and backoff) delivers them to `upload_receiver.Receiver`, which decodes
every request with opentelemetry-proto.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from upload_receiver import Action, Receiver

from peft_telemetry_gui import TelemetryClient
from peft_telemetry_gui.core.consent import collection_text_sha256
from peft_telemetry_gui.core.export import export_data
from peft_telemetry_gui.core.models import AuditEntry, Event
from peft_telemetry_gui.core.secrets import UPLOAD_TOKEN_NAME, MemorySecretStore
from peft_telemetry_gui.core.services.consent import set_consent
from peft_telemetry_gui.core.services.delete import delete_all_data
from peft_telemetry_gui.core.services.upload import (
    clear_token,
    deliver_deletion_requests,
    disable_upload,
    enable_upload,
    send_now,
)
from peft_telemetry_gui.core.store import Store
from peft_telemetry_gui.core.upload import (
    StepResult,
    UploadError,
    UploadWorker,
    read_deletion_requests,
    read_queue,
    read_state,
    upload_status,
)
from peft_telemetry_gui.core.upload.credentials import DELETION_TOKEN_PREFIX
from peft_telemetry_gui.core.upload.files import QUEUE_FILE
from peft_telemetry_gui.core.upload.queue import QueueLimits
from peft_telemetry_gui.core.upload.runtime import UploadRuntime
from peft_telemetry_gui.core.upload.sink import UploadSink

FAST = {
    "timeout": 0.3,
    "flush_interval": 0.0,
    "poll_interval": 0.02,
    "backoff_base": 0.01,
    "backoff_cap": 0.05,
    "breaker_cooldown": 0.2,
    "environ": {},
}


def _client(
    data_dir: Path,
    secrets: MemorySecretStore | None = None,
    *,
    session: bool = False,
    runtime: UploadRuntime | None = None,
) -> TelemetryClient:
    """A host whose own background worker never starts: each test drives its own sender."""
    return TelemetryClient(
        upload_runtime=runtime or UploadRuntime(autostart=False),
        app_name="E2E App",
        app_version="9.9",
        data_dir=data_dir,
        secret_store=secrets or MemorySecretStore(),
        environ={},
        flush_interval=0.05,
        start_session=session,
    )


def _upload_on(data_dir: Path, rx: Receiver) -> Store:
    store = Store(data_dir)
    set_consent(store, enabled=True, actor="cli")
    enable_upload(store, rx.endpoint, actor="cli")
    return store


def _until(predicate: object, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.01)
    return bool(predicate())  # type: ignore[operator]


def test_every_event_arrives_after_failures_restarts_and_timeouts(
    data_dir: Path, rx: Receiver
) -> None:
    store = _upload_on(data_dir, rx)
    rx.then(
        Action(503),
        Action(503),
        Action(503),
        Action(429, {"Retry-After": "0"}),
        Action(drop=True),  # connection closed without an answer
        Action(delay=1.0),  # slower than the client's 0.3 s timeout
        Action(504),
        Action(502),
    )
    worker = UploadWorker(store, batch_size=40, **FAST).start()  # type: ignore[arg-type]
    accepted: set[str] = set()
    try:
        with _client(data_dir, session=True) as client:  # session_started names the service
            for i in range(120):
                client.track_event("step", {"i": i})
                if i == 60:
                    assert client.flush()
                    rx.stop()  # connection refused for a while, then back on the same port
                    time.sleep(0.3)
                    rx.start()
            assert client.flush()
        accepted = {e.id for e in store.read().events}
        assert len(accepted) == 122  # with session_started / session_ended
        assert _until(lambda: accepted <= set(rx.delivered_event_ids())), (
            f"missing {len(accepted - set(rx.delivered_event_ids()))}"
        )
        assert _until(lambda: read_queue(store) == [])
    finally:
        worker.shutdown()
    states = [e.outcome for e in read_state(store).history]
    assert "retry" in states and "delivered" in states
    assert {e.status for e in read_state(store).history} >= {503, 429, 504, 502, None}
    record = rx.delivered_records()[0]
    assert record["resource"]["service.name"] == "E2E App"
    assert record["attributes"]["telemetry.consent"] is True


def test_nothing_arrives_after_opt_out(
    data_dir: Path, rx: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = _upload_on(data_dir, rx)
    rx.default = Action(503)  # the collector is down while events pile up
    worker = UploadWorker(store, **FAST)  # type: ignore[arg-type]
    # Every finished step and the state it left: "nothing was sent" is only worth asserting
    # once the worker has demonstrably looked (not merely not run yet).
    steps: list[tuple[StepResult, str]] = []
    real_step = worker.step

    def observed_step(force: bool = False) -> StepResult:
        result = real_step(force)
        steps.append((result, worker.live_state()[0]))
        return result

    monkeypatch.setattr(worker, "step", observed_step)
    worker.start()
    try:
        with _client(data_dir) as client:
            for i in range(30):
                client.track_event("queued_then_revoked", {"i": i})
            assert client.flush()
            assert _until(lambda: len(rx.requests) >= 1)
            disable_upload(store, actor="gui")
            assert read_queue(store) == []
            rx.default = Action(200)  # the collector recovers ...
            for i in range(10):
                client.track_event("after_opt_out", {"i": i})  # recorded locally only
            assert client.flush()
            seen = len(steps)
            worker.request_send_now()
            # The first step to finish may have begun before the request; a later one took it.
            assert _until(
                lambda: len(steps) >= seen + 2 and any(st == "off" for _, st in steps[seen + 1 :])
            )
            # (steps[seen] may have begun, and POSTed into the 503s, before the opt-out)
            assert all(result.requests == 0 for result, _ in list(steps[seen + 1 :]))
            assert rx.delivered_records() == []
            assert read_queue(store) == []
            set_consent(store, enabled=False, actor="gui")
            with pytest.raises(UploadError, match="telemetry is off"):
                enable_upload(store, rx.endpoint, actor="gui")
        assert {e.event_type for e in store.read().events} >= {"after_opt_out"}
        assert upload_status(store, worker).state == "off"
    finally:
        worker.shutdown()
    assert rx.delivered_records() == []


def test_queue_stays_in_bounds_during_an_outage(data_dir: Path, rx: Receiver) -> None:
    store = _upload_on(data_dir, rx)
    rx.stop()
    runtime = UploadRuntime(limits=QueueLimits(max_records=50), autostart=False)
    with _client(data_dir, runtime=runtime) as client:
        for i in range(200):
            client.track_event("outage", {"i": i})
            if i % 25 == 0:
                assert client.flush()
                assert len(read_queue(store)) <= 50
        assert client.flush()
    queued = read_queue(store)
    assert len(queued) == 50
    assert read_state(store).drops["full"] == 150
    status = upload_status(store)
    assert status.queued == 50 and status.drops_total == 150
    rx.start()
    worker = UploadWorker(store, **FAST).start()  # type: ignore[arg-type]
    try:
        assert _until(lambda: set(rx.delivered_event_ids()) == {r.id for r in queued})
    finally:
        worker.shutdown()


def test_400_and_500_are_final_and_partial_success_is_recorded(
    data_dir: Path, rx: Receiver
) -> None:
    store = _upload_on(data_dir, rx)
    rx.then(Action(400), Action(500), Action(200, rejected=1))
    worker = UploadWorker(store, batch_size=2, **FAST)  # type: ignore[arg-type]
    with _client(data_dir) as client:
        for i in range(6):
            client.track_event("final", {"i": i})
    for _ in range(5):
        worker.step(force=True)
    worker.shutdown()
    history = read_state(store).history
    assert [(h.status, h.outcome, h.rejected) for h in history] == [
        (400, "rejected", 2),
        (500, "rejected", 2),
        (200, "partial", 1),
    ]
    assert len(rx.requests) == 3  # none of them retried
    assert read_queue(store) == []
    assert read_state(store).drops == {"rejected": 4}


def test_deletion_request_is_delivered_once_after_delete_all_and_the_token_never_leaks(
    data_dir: Path, rx: Receiver, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    token = "tok_E2E_very_secret_42"
    secrets = MemorySecretStore()
    secrets.set(UPLOAD_TOKEN_NAME, token)
    store = _upload_on(data_dir, rx)
    old_id = store.read().anonymous_id
    worker = UploadWorker(store, secret_store=secrets, **FAST).start()  # type: ignore[arg-type]
    try:
        with _client(data_dir, secrets) as client:
            for i in range(5):
                client.track_event("before_delete", {"i": i})
            assert client.flush()
        assert _until(lambda: len(rx.delivered_records()) == 5)
        assert rx.delivered()[0].headers["authorization"] == f"Bearer {token}"
        export_data(store.read(), tmp_path / "export.json")
        rx.then(Action(503))  # the first deletion attempt fails: it must be retried
        report = delete_all_data(store, actor="gui", secret_store=secrets)
        assert secrets.get(UPLOAD_TOKEN_NAME) is None and report.secrets_removed
        worker.wake()

        def deletions() -> list[dict[str, object]]:
            return [r for r in rx.delivered_records() if r["event_name"] == "deletion_request"]

        assert _until(lambda: len(deletions()) == 1)
        time.sleep(0.2)
        (deletion,) = deletions()
        assert deletion["attributes"]["enduser.pseudo.id"] == old_id
        assert rx.delivered()[-1].headers["authorization"] == f"Bearer {token}"
        assert upload_status(store).deletion_pending == 0
        assert not store.read().consent.upload_enabled
        assert len(rx.delivered_records()) == 6  # nothing else after the deletion
    finally:
        worker.shutdown()
    for path in [*data_dir.iterdir(), tmp_path / "export.json"]:
        if path.is_file():
            assert token.encode() not in path.read_bytes(), path
    assert token not in caplog.text
    assert all(token not in (e.message or "") for e in read_state(store).history)


def test_service_name_is_the_app_that_recorded_each_record(data_dir: Path, rx: Receiver) -> None:
    store = _upload_on(data_dir, rx)
    kwargs = {
        "data_dir": data_dir,
        "environ": {},
        "start_session": False,
        "upload_runtime": UploadRuntime(autostart=False),
    }
    with TelemetryClient(app_name="Test App", secret_store=MemorySecretStore(), **kwargs) as a:
        a.track_event("from_test_app")
        assert a.flush()
    with TelemetryClient(
        app_name="Other App", app_version="2.1", secret_store=MemorySecretStore(), **kwargs
    ) as b:
        b.track_event("from_other_app")
        assert b.flush()
    # One request sent by a third party that knows neither name (as the desktop app would).
    (entry,) = send_now(store, secret_store=MemorySecretStore(), environ={})
    assert entry.outcome == "delivered"
    (request,) = rx.delivered()
    resources = {
        r["event_name"]: (r["resource"]["service.name"], r["resource"].get("service.version"))
        for r in request.records
    }
    assert resources == {
        "from_test_app": ("Test App", None),  # not our library's version: the host gave none
        "from_other_app": ("Other App", "2.1"),
    }
    assert request.request is not None and len(request.request.resource_logs) == 2


def test_the_deletion_request_authenticates_after_a_restart_then_its_token_goes(
    data_dir: Path, rx: Receiver
) -> None:
    token = "tok_RESTART_7"
    secrets = MemorySecretStore()  # stands in for the OS keyring, which outlives the process
    secrets.set(UPLOAD_TOKEN_NAME, token)
    store = _upload_on(data_dir, rx)
    old_id = store.read().anonymous_id
    # The process that deleted exits before sending: its runtime (and memory copy) is gone.
    delete_all_data(store, actor="cli", secret_store=secrets, runtime=UploadRuntime())
    assert secrets.get(UPLOAD_TOKEN_NAME) is None
    (pending,) = read_deletion_requests(store)
    entry_name = DELETION_TOKEN_PREFIX + pending.id
    assert secrets.get(entry_name) == token
    for path in data_dir.iterdir():
        assert token.encode() not in path.read_bytes(), path
    # a later process sends it, authenticated, and the kept token is then removed
    entries = send_now(store, secret_store=secrets, environ={})
    assert [e.kind for e in entries] == ["deletion_request"]
    (request,) = rx.delivered()
    assert request.headers["authorization"] == f"Bearer {token}"
    assert request.records[0]["attributes"]["enduser.pseudo.id"] == old_id
    assert secrets.get(entry_name) is None
    assert read_deletion_requests(store) == []


def test_clearing_the_token_also_drops_the_copy_kept_for_a_deletion_request(
    data_dir: Path, rx: Receiver
) -> None:
    secrets = MemorySecretStore()
    secrets.set(UPLOAD_TOKEN_NAME, "tok_CLEARED")
    store = _upload_on(data_dir, rx)
    runtime = UploadRuntime(autostart=False)
    delete_all_data(store, actor="cli", secret_store=secrets, runtime=runtime)
    (pending,) = read_deletion_requests(store)
    clear_token(store, actor="cli", secret_store=secrets, runtime=runtime)
    assert secrets.get(DELETION_TOKEN_PREFIX + pending.id) is None
    assert runtime.deletion_tokens == {}  # the copy in memory goes too
    send_now(store, secret_store=secrets, environ={})
    assert "authorization" not in rx.delivered()[0].headers  # sent, but without a token


def test_deletion_delivery_uses_this_process_worker_when_it_is_the_sender(
    data_dir: Path, rx: Receiver
) -> None:
    """The desktop app's case: its own worker holds the sender lock, so "deliver now" asks that
    worker instead of failing to take the lock."""
    store = _upload_on(data_dir, rx)
    runtime = UploadRuntime()
    worker = runtime.ensure_worker(store, **FAST)
    assert worker is not None
    try:
        assert _until(lambda: worker.is_sender)
        delete_all_data(store, actor="gui", runtime=runtime)
        delivery = deliver_deletion_requests(store, runtime=runtime, timeout=2.0)
        assert (delivery.outcome, delivery.message) == (
            "delivered",
            "The deletion request for your previous anonymous id was delivered.",
        )
        assert [r["event_name"] for r in rx.delivered_records()] == ["deletion_request"]
    finally:
        runtime.stop(2.0)
    assert deliver_deletion_requests(store).outcome == "none"


def test_a_host_started_later_delivers_a_pending_deletion_request(
    data_dir: Path, rx: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Delete-all happened while the collector was down and no app is open any more: the next
    host app that starts (upload now off) gives the deletion request another try."""
    store = _upload_on(data_dir, rx)
    old_id = store.read().anonymous_id
    rx.stop()
    delete_all_data(store, actor="cli", secret_store=MemorySecretStore())
    assert len(read_deletion_requests(store)) == 1
    rx.start()
    code = (
        "import sys\n"
        "from peft_telemetry_gui import TelemetryClient\n"
        "from peft_telemetry_gui.core.secrets import MemorySecretStore\n"
        "from peft_telemetry_gui.core.upload import read_deletion_requests\n"
        "import time\n"
        "c = TelemetryClient(data_dir=sys.argv[1], secret_store=MemorySecretStore(), environ={})\n"
        "deadline = time.monotonic() + 20\n"
        "while read_deletion_requests(c.store) and time.monotonic() < deadline:\n"
        "    time.sleep(0.05)\n"
        "c.close()\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PEFT_TELEMETRY_UPLOAD_WORKER"}
    subprocess.run([sys.executable, "-c", code, str(data_dir)], env=env, timeout=60, check=True)
    deletions = [r for r in rx.delivered_records() if r["event_name"] == "deletion_request"]
    assert [d["attributes"]["enduser.pseudo.id"] for d in deletions] == [old_id]
    assert read_deletion_requests(store) == []
    assert rx.delivered_records() == deletions  # nothing else left the machine


def test_a_category_switched_off_mid_step_stops_its_records_at_once(
    data_dir: Path, rx: Receiver
) -> None:
    """Records taken into a batch before "usage" was switched off must not be POSTed after the
    switch, not even in the later chunks of the same step."""
    store = _upload_on(data_dir, rx)
    with _client(data_dir) as client:
        for i in range(30):
            client.track_event("chunked", {"i": i, "pad": "x" * 200})
        assert client.flush()
    assert len(read_queue(store)) == 30
    rx.then(Action(delay=0.5))  # the first chunk is in flight while the user switches off
    worker = UploadWorker(
        store, max_request_bytes=2_000, timeout=5.0, environ={}, secret_store=MemorySecretStore()
    )
    done: list[StepResult] = []
    thread = threading.Thread(target=lambda: done.append(worker.step(force=True)))
    thread.start()
    try:
        assert rx.wait_for(lambda: len(rx.requests) == 1)
        set_consent(store, enabled=None, actor="cli", categories={"usage": False})
        switched_at = len(rx.requests)
        thread.join(10)
        assert done, "the step did not finish"
    finally:
        worker.shutdown()
    assert switched_at == 1 and len(rx.requests[0].records) < 30  # it really was chunked
    after = [r for req in rx.requests[switched_at:] for r in req.records]
    assert [r for r in after if r["attributes"]["telemetry.category"] == "usage"] == []
    assert read_queue(store) == []  # the rest left with the switch, unsent


def test_delete_all_asks_to_erase_every_anonymous_id_that_reached_the_collector(
    data_dir: Path, rx: Receiver
) -> None:
    """Opt in (id A), deliver, opt out, opt in again (id B), deliver, delete all: the collector
    must be asked to erase A as well as B."""
    secrets = MemorySecretStore()
    store = _upload_on(data_dir, rx)
    first_id = store.read().anonymous_id
    with _client(data_dir, secrets) as client:
        client.track_event("as_a")
        assert client.flush()
    send_now(store, secret_store=secrets, environ={})
    set_consent(store, enabled=False, actor="gui")
    store = _upload_on(data_dir, rx)  # consent back on: a new anonymous id
    second_id = store.read().anonymous_id
    assert second_id != first_id
    with _client(data_dir, secrets) as client:
        client.track_event("as_b")
        assert client.flush()
    send_now(store, secret_store=secrets, environ={})
    assert [r["event_name"] for r in rx.delivered_records()] == ["as_a", "as_b"]

    delete_all_data(store, actor="cli", secret_store=secrets)
    assert {r.anonymous_id for r in read_deletion_requests(store)} == {
        first_id,
        second_id,
    }
    rx.then(Action(503))  # one attempt fails: every request is still retried until delivered
    for _ in range(10):  # 3 sends suffice; a loaded machine may time one out
        send_now(store, secret_store=secrets, environ={}, backoff_base=0.0)
        if not read_deletion_requests(store):
            break
    deletions = [r for r in rx.delivered_records() if r["event_name"] == "deletion_request"]
    erased = sorted(d["attributes"]["enduser.pseudo.id"] for d in deletions)
    assert erased == sorted([first_id, second_id])
    assert read_deletion_requests(store) == []


def test_the_worker_started_by_a_host_sink_uses_the_host_environ_and_secret_store(
    data_dir: Path, rx: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A host that injected `environ={}` and its own secret store must not get the real
    environment's OTLP headers/endpoint or the real keyring in the worker it starts."""
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", "x-leaked=from-the-real-environment")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9")  # nothing listens
    store = _upload_on(data_dir, rx)
    secrets = MemorySecretStore()
    secrets.set(UPLOAD_TOKEN_NAME, "tok_HOST_ONLY")
    runtime = UploadRuntime()
    sink = UploadSink(runtime, "Host App", "1.0", environ={}, secret_store=secrets)
    event = Event(
        id="ev-host",
        timestamp=store.clock(),
        category="usage",
        event_type="from_host",
        session_id="s",
    )
    try:
        store.update(lambda doc: sink(store, doc, [event]))
        worker = runtime.get_worker(data_dir)
        assert worker is not None
        assert worker.environ == {} and worker.secret_store is secrets
        worker.request_send_now()
        assert rx.wait_for(lambda: len(rx.delivered_records()) == 1)
    finally:
        runtime.stop(2.0)
    (request,) = rx.delivered()
    assert "x-leaked" not in request.headers
    assert request.headers["authorization"] == "Bearer tok_HOST_ONLY"
    # A sink whose runtime starts no worker still queues.
    old_style = UploadSink(UploadRuntime(autostart=False), "Host App", "1.0")
    store.update(lambda doc: old_style(store, doc, [event.replace(id="ev-2")]))
    assert [r.id for r in read_queue(store)] == ["ev-2"]


class _Clock:
    """Moved by hand: the ledger entries and the events get the times the test gives them."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


_ONLY_USAGE = {"usage": True, "error": False, "performance": False, "system": False}


def _consent_entry(store: Store, what: str) -> AuditEntry:
    return next(e for e in reversed(store.read().audit_log) if e.what == what)


def _clocked_host(data_dir: Path, clock: _Clock) -> TelemetryClient:
    return TelemetryClient(
        upload_runtime=UploadRuntime(autostart=False),
        app_name="E2E App",
        data_dir=data_dir,
        clock=clock,
        secret_store=MemorySecretStore(),
        environ={},
        start_session=False,
    )


def test_records_arrive_citing_the_ledger_entry_and_text_they_were_recorded_under(
    data_dir: Path, rx: Receiver
) -> None:
    clock = _Clock(datetime(2026, 6, 1, 10, tzinfo=UTC))
    store = Store(data_dir, clock=clock)
    set_consent(store, enabled=True, actor="cli", categories=_ONLY_USAGE)
    enable_upload(store, rx.endpoint, actor="cli")
    clock.now += timedelta(minutes=5)
    set_consent(store, enabled=None, actor="gui", categories={"performance": True})
    master, performance_on = (_consent_entry(store, w) for w in ("consent", "category:performance"))
    clock.now += timedelta(minutes=5)
    with _clocked_host(data_dir, clock) as host:
        host.track_event("training_started")
        host.track_performance("checkpoint_save", 12.5)
        assert host.flush()
    (entry,) = send_now(store, secret_store=MemorySecretStore(), environ={})
    assert entry.outcome == "delivered"
    got = {r["attributes"]["telemetry.category"]: r["attributes"] for r in rx.delivered_records()}
    assert got.keys() == {"usage", "performance"}
    assert got["usage"]["telemetry.consent.seq"] == master.seq
    assert got["performance"]["telemetry.consent.seq"] == performance_on.seq  # the later one
    for attributes in got.values():
        assert attributes["telemetry.consent.text_sha256"] == collection_text_sha256()
        assert attributes["telemetry.consent"] is True
    assert read_queue(store) == []


def test_a_record_queued_by_an_earlier_version_is_still_sent_without_the_proof(
    data_dir: Path, rx: Receiver
) -> None:
    """A queue line from before the consent object: delivered as it was queued (the shipped
    collector config then drops it, since it cites no consent), next to a new record that does."""
    clock = _Clock(datetime(2026, 6, 1, 10, tzinfo=UTC))
    store = Store(data_dir, clock=clock)
    set_consent(store, enabled=True, actor="cli")
    enable_upload(store, rx.endpoint, actor="cli")
    stamp = (clock.now + timedelta(minutes=1)).isoformat()
    old_line = {
        "v": 1,
        "at": stamp,
        "anonymous_id": store.read().anonymous_id,
        "event": {
            "id": "queued-before-the-upgrade",
            "timestamp": stamp,
            "category": "usage",
            "event_type": "from_before",
            "session_id": "s-old",
            "properties": {},
        },
        "service": {"name": "E2E App", "version": None},
    }
    fd = os.open(data_dir / QUEUE_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(json.dumps(old_line, separators=(",", ":")).encode() + b"\n")
    clock.now += timedelta(minutes=2)
    with _clocked_host(data_dir, clock) as host:
        host.track_event("from_after")
        assert host.flush()
    (entry,) = send_now(store, secret_store=MemorySecretStore(), environ={})
    assert entry.outcome == "delivered" and entry.records == 2
    got = {r["event_name"]: r["attributes"] for r in rx.delivered_records()}
    assert got["from_before"]["event.id"] == "queued-before-the-upgrade"
    assert got["from_before"]["telemetry.consent"] is True
    assert "telemetry.consent.seq" not in got["from_before"]
    assert "telemetry.consent.text_sha256" not in got["from_before"]
    assert got["from_after"]["telemetry.consent.seq"] == _consent_entry(store, "consent").seq
    assert read_queue(store) == []
