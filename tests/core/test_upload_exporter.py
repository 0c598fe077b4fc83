"""Retry, backoff, Retry-After and the circuit breaker, driven step by step with fake time.

httpx.MockTransport stands in for the network here only; delivery over real HTTP is covered by
test_upload_e2e.py.
"""

from __future__ import annotations

import email.utils
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceResponse
from upload_receiver import decode_request

from peft_telemetry_gui.core.secrets import UPLOAD_TOKEN_NAME, MemorySecretStore
from peft_telemetry_gui.core.services.consent import set_consent
from peft_telemetry_gui.core.services.upload import disable_upload, enable_upload, send_now
from peft_telemetry_gui.core.store import Store
from peft_telemetry_gui.core.upload import (
    UploadWorker,
    preview_next_batch,
    read_queue,
    read_state,
    upload_status,
)
from peft_telemetry_gui.core.upload.queue import append_locked

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class FakeTime:
    """Monotonic seconds and the matching wall clock, moved by the test."""

    def __init__(self) -> None:
        self.t = 1000.0

    def mono(self) -> float:
        return self.t

    def wall(self) -> datetime:
        return T0 + timedelta(seconds=self.t - 1000.0)


class MaxRng:
    """uniform(a, b) -> b, recording the ceilings: makes full jitter observable."""

    def __init__(self) -> None:
        self.ceilings: list[float] = []

    def uniform(self, a: float, b: float) -> float:
        self.ceilings.append(b)
        return b


Handler = Callable[[httpx.Request], httpx.Response]


def _store(data_dir: Path, n: int = 3) -> Store:
    store = Store(data_dir)
    set_consent(store, enabled=True, actor="cli")
    enable_upload(store, "http://127.0.0.1:9", actor="cli")
    events = [
        {
            "id": f"ev-{i}",
            "timestamp": "2026-03-01T12:00:00+00:00",
            "category": "usage",
            "event_type": "step",
            "session_id": "s",
            "properties": {"i": i},
        }
        for i in range(n)
    ]
    if events:
        store.update(lambda d: append_locked(store, events, d.anonymous_id))
    return store


def _worker(store: Store, handler: Handler, ft: FakeTime, **kw: object) -> UploadWorker:
    kw.setdefault("rng", MaxRng())
    kw.setdefault("secret_store", MemorySecretStore())
    kw.setdefault("environ", {})
    return UploadWorker(
        store,
        transport=httpx.MockTransport(handler),
        clock=ft.mono,
        wall_clock=ft.wall,
        flush_interval=0,
        **kw,  # type: ignore[arg-type]
    )


def _answer(status: int, headers: dict[str, str] | None = None) -> Handler:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(status, headers=headers or {})

    handler.calls = calls  # type: ignore[attr-defined]
    return handler


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_retryable_statuses_keep_the_batch(data_dir: Path, status: int) -> None:
    store, ft = _store(data_dir), FakeTime()
    worker = _worker(store, _answer(status), ft)
    result = worker.step()
    assert result.failed and result.delay > 0
    assert len(read_queue(store)) == 3
    (entry,) = read_state(store).history
    assert (entry.status, entry.outcome, entry.records) == (status, "retry", 3)
    assert entry.message and "retry" in entry.message


@pytest.mark.parametrize("status", [400, 401, 404, 413, 500, 501])
def test_every_other_status_is_final_for_the_batch(data_dir: Path, status: int) -> None:
    store, ft = _store(data_dir), FakeTime()
    handler = _answer(status)
    worker = _worker(store, handler, ft)
    worker.step()
    assert read_queue(store) == []
    state = read_state(store)
    assert state.drops == {"rejected": 3}
    assert state.history[-1].outcome == "rejected" and state.history[-1].status == status
    assert worker.step().requests == 0  # nothing retried
    assert len(handler.calls) == 1  # type: ignore[attr-defined]
    assert worker.failures == 0  # the server answered: not an outage


def test_exponential_backoff_with_full_jitter(data_dir: Path) -> None:
    store, ft = _store(data_dir), FakeTime()
    rng = MaxRng()
    worker = _worker(store, _answer(503), ft, rng=rng, backoff_base=1.0, backoff_cap=5.0,
                     breaker_threshold=100)  # fmt: skip
    for _ in range(5):
        delay = worker.step().delay
        assert worker.step().requests == 0  # waiting: no request before the delay
        ft.t += delay
    assert rng.ceilings == [1.0, 2.0, 4.0, 5.0, 5.0]


def test_retry_after_seconds_is_honoured(data_dir: Path) -> None:
    store, ft = _store(data_dir), FakeTime()
    handler = _answer(429, {"Retry-After": "7"})
    worker = _worker(store, handler, ft)
    assert worker.step().delay == 7
    ft.t += 6.9
    assert worker.step().requests == 0
    assert worker.live_state()[0] == "backing_off"
    ft.t += 0.2
    assert worker.step().requests == 1


def test_retry_after_http_date_is_honoured(data_dir: Path) -> None:
    store, ft = _store(data_dir), FakeTime()
    when = email.utils.format_datetime(ft.wall() + timedelta(seconds=120), usegmt=True)
    worker = _worker(store, _answer(503, {"Retry-After": when}), ft)
    assert worker.step().delay == pytest.approx(120, abs=1)
    state, until = worker.live_state()
    assert state == "backing_off" and until == ft.wall() + timedelta(seconds=120)


def test_breaker_opens_after_5_failures_and_lets_one_probe_through(data_dir: Path) -> None:
    store, ft = _store(data_dir), FakeTime()
    calls: list[int] = []
    mode = {"status": 503}

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if mode["status"] == 0:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(mode["status"])

    worker = _worker(store, handler, ft, backoff_base=0.5, backoff_cap=1.0)
    for i in range(5):
        if i == 2:
            mode["status"] = 0  # connection errors count as failures too
        result = worker.step()
        assert result.requests == 1
        ft.t += result.delay
        if i < 4:
            assert not worker.circuit_open
    ft.t -= result.delay
    assert worker.circuit_open and worker.live_state()[0] == "circuit_open"
    assert result.delay == 60
    ft.t += 59
    assert worker.step().requests == 0 and len(calls) == 5
    ft.t += 1.5  # cool-down over: half-open, exactly one probe
    mode["status"] = 503
    assert worker.step().requests == 1 and len(calls) == 6
    assert worker.circuit_open  # the probe failed: open again for the full cool-down
    assert worker.step().requests == 0
    ft.t += 60.5
    mode["status"] = 200
    result = worker.step()
    assert result.requests == 1 and result.sent == 3
    assert not worker.circuit_open and worker.failures == 0
    assert read_queue(store) == []


def test_partial_success_is_recorded_not_retried(data_dir: Path) -> None:
    store, ft = _store(data_dir), FakeTime()
    answer = ExportLogsServiceResponse()
    answer.partial_success.rejected_log_records = 2
    answer.partial_success.error_message = "too many attributes"
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(
            200,
            content=answer.SerializeToString(),
            headers={"Content-Type": "application/x-protobuf"},
        )

    worker = _worker(store, handler, ft)
    worker.step()
    worker.step()
    assert len(calls) == 1 and read_queue(store) == []
    state = read_state(store)
    entry = state.history[-1]
    assert (entry.outcome, entry.rejected) == ("partial", 2)
    assert "rejected 2" in entry.message and "too many attributes" in entry.message
    assert state.rejected_total == 2 and state.last_success == ft.wall()


def test_headers_token_and_body(data_dir: Path) -> None:
    store, ft = _store(data_dir), FakeTime()
    secrets = MemorySecretStore()
    secrets.set(UPLOAD_TOKEN_NAME, "tok_HDR")
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    env = {"OTEL_EXPORTER_OTLP_HEADERS": "x-team=ml%20ops"}
    worker = _worker(store, handler, ft, secret_store=secrets, environ=env, app_name="Studio")
    worker.step()
    (request,) = seen
    assert str(request.url) == "http://127.0.0.1:9/v1/logs"
    assert request.headers["authorization"] == "Bearer tok_HDR"
    assert request.headers["x-team"] == "ml ops"
    assert request.headers["content-type"] == "application/x-protobuf"
    assert request.headers["content-encoding"] == "gzip"
    assert request.headers["user-agent"].startswith("peft-telemetry-gui/")
    assert request.headers["user-agent"].endswith("(Studio)")
    body = decode_request(request.content, dict(request.headers))
    assert len(body.resource_logs[0].scope_logs[0].log_records) == 3


def test_consent_is_rechecked_right_before_every_request(data_dir: Path) -> None:
    store, ft = _store(data_dir, n=30), FakeTime()
    sent: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(1)
        disable_upload(store, actor="gui")  # the user opts out while a request is in flight
        return httpx.Response(200)

    # a small size bound splits the batch into several requests within one step
    worker = _worker(store, handler, ft, max_request_bytes=600)
    worker.step()
    worker.step()
    assert len(sent) == 1
    assert read_queue(store) == []
    assert upload_status(store, worker).state == "off"


def test_batching_waits_for_100_records_or_5_seconds(data_dir: Path) -> None:
    store, ft = _store(data_dir, n=3), FakeTime()
    ft.t = 1000.0 + 2.0  # records are 2 s old (queued at T0 by the store clock? use wall)
    worker = UploadWorker(
        store,
        transport=httpx.MockTransport(lambda r: httpx.Response(200)),
        clock=ft.mono,
        wall_clock=lambda: read_queue(store)[0].at + timedelta(seconds=2),
        secret_store=MemorySecretStore(),
        environ={},
    )
    result = worker.step()
    assert result.requests == 0 and result.delay == pytest.approx(3.0)
    assert worker.live_state()[0] == "waiting"
    assert worker.step(force=True).sent == 3  # "Send now" does not wait


def test_preview_is_exactly_the_next_request_and_send_now_sends_it(data_dir: Path) -> None:
    store = _store(data_dir, n=5)
    preview = preview_next_batch(store, batch_size=4, secret_store=MemorySecretStore(), environ={})
    assert preview.kind == "events" and preview.records == 4
    assert preview.url == "http://127.0.0.1:9/v1/logs"
    assert "Authorization" not in preview.headers
    bodies: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(request)
        return httpx.Response(200)

    entries = send_now(
        store,
        batch_size=4,
        transport=httpx.MockTransport(handler),
        secret_store=MemorySecretStore(),
        environ={},
    )
    assert [e.records for e in entries] == [4, 1]
    from peft_telemetry_gui.core.upload.encode import to_json

    first = decode_request(bodies[0].content, dict(bodies[0].headers))
    assert to_json(first, indent=2) == preview.body_json
    assert read_queue(store) == []
    assert preview_next_batch(store, environ={}).kind == "nothing"


def test_shutdown_interrupts_a_backoff_wait_and_is_idempotent(data_dir: Path) -> None:
    store = _store(data_dir)
    calls = threading.Event()

    def handler(request: httpx.Request) -> httpx.Response:
        calls.set()
        return httpx.Response(503, headers={"Retry-After": "3600"})

    worker = UploadWorker(
        store,
        transport=httpx.MockTransport(handler),
        flush_interval=0,
        secret_store=MemorySecretStore(),
        environ={},
    ).start()
    assert calls.wait(5)
    deadline = time.monotonic() + 5
    while worker.live_state()[0] != "backing_off" and time.monotonic() < deadline:
        time.sleep(0.01)
    assert worker.live_state()[0] == "backing_off"
    started = time.monotonic()
    worker.shutdown()
    assert time.monotonic() - started < 1.0
    assert not worker.running
    worker.shutdown()  # idempotent
    assert len(read_queue(store)) == 3  # still queued for next time
