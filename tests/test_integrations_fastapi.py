"""PEFT Studio's `/api/telemetry` router over our store (`integrations.fastapi`).

Every endpoint their two React components and their backend call, with their request and
answer shapes, and every kind of bad input, through FastAPI's TestClient against a real store
in tmp_path. Dates come from an injected clock.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

with warnings.catch_warnings():  # starlette 1.x would rather test with httpx2: not ours to fix
    warnings.filterwarnings("ignore", message=".*httpx2")
    from fastapi.testclient import TestClient

from peft_telemetry_gui.core.consent_changes import external_entries, who
from peft_telemetry_gui.core.secrets import MemorySecretStore
from peft_telemetry_gui.core.services.consent import set_consent
from peft_telemetry_gui.core.store import Store
from peft_telemetry_gui.integrations import peft_studio
from peft_telemetry_gui.integrations.fastapi import MAX_BODY_BYTES, create_app, router
from peft_telemetry_gui.integrations.peft_studio import PeftStudioTelemetry

NOW = datetime(2026, 11, 23, 15, 30, tzinfo=UTC)
API = "/api/telemetry"
LOCAL = "http://127.0.0.1"


#: Our session bookkeeping (a yes starts the session): left out where a test looks at the
#: host's own events.
SESSION = {"session_started", "session_ended"}


def own_counts(counts: dict[str, int]) -> dict[str, int]:
    return {name: n for name, n in counts.items() if name not in SESSION}


def own_types(events: list[dict[str, Any]]) -> list[str]:
    return [e["event_type"] for e in events if e["event_type"] not in SESSION]


class Clock:
    def __init__(self, start: datetime = NOW) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


class Api:
    """A TestClient on `create_app(facade)`, and the facade and clock behind it."""

    def __init__(self, data_dir: Path) -> None:
        self.clock = Clock()
        self.telemetry = PeftStudioTelemetry(
            data_dir, clock=self.clock, environ={}, secret_store=MemorySecretStore()
        )
        self.http = TestClient(create_app(self.telemetry), base_url=LOCAL)
        self.data_dir = data_dir

    def enable(self) -> None:
        assert self.http.post(f"{API}/consent", json={"enabled": True}).status_code == 200

    def stored(self) -> list[Any]:
        """The host's own events (the session's start and end left out)."""
        return [e for e in Store(self.data_dir).read().events if e.event_type not in SESSION]


@pytest.fixture
def api(data_dir: Path) -> Iterator[Api]:
    client = Api(data_dir)
    with client.http:
        yield client
    client.telemetry.close()


# ---------------------------------------------------------------------------- consent
def test_consent_has_the_shape_their_component_reads(api: Api) -> None:
    got = api.http.get(f"{API}/consent")
    assert got.status_code == 200
    body = got.json()
    assert {"enabled", "user_id", "last_prompt", "data_collected", "data_not_collected"} <= set(
        body
    )
    assert body["enabled"] is False and body["user_id"] is None and body["last_prompt"] is None
    assert body["data_collected"] and all(isinstance(s, str) for s in body["data_collected"])
    assert body["data_not_collected"] and all(
        isinstance(s, str) for s in body["data_not_collected"]
    )


def test_consent_toggles_and_each_change_names_the_host(api: Api) -> None:
    before = Store(api.data_dir).read().audit_log
    on = api.http.post(f"{API}/consent", json={"enabled": True})
    assert on.status_code == 200
    assert on.json() == {"success": True, "enabled": True, "message": "Telemetry enabled"}
    status = api.http.get(f"{API}/consent").json()
    assert status["enabled"] is True and len(status["user_id"]) == 32
    assert status["last_prompt"] == NOW.isoformat()
    after = Store(api.data_dir).read().audit_log
    # What the desktop app's notice shows: entries another process made, and who made them.
    news = external_entries(before, after)
    assert news and {(e.actor, e.app_name, e.method) for e in news} == {
        ("api", "PEFT Studio", "host_api")
    }
    assert {who(e) for e in news} == {"PEFT Studio"}

    api.clock.now = NOW + timedelta(minutes=5)
    off = api.http.post(f"{API}/consent", json={"enabled": False})
    assert off.json() == {"success": True, "enabled": False, "message": "Telemetry disabled"}
    last = Store(api.data_dir).read().audit_log[-1]
    assert (last.what, last.to_value, last.app_name, last.at) == (
        "consent",
        False,
        "PEFT Studio",
        NOW + timedelta(minutes=5),
    )


def test_consent_cannot_be_turned_on_against_do_not_track(data_dir: Path) -> None:
    telemetry = PeftStudioTelemetry(
        data_dir, environ={"DO_NOT_TRACK": "1"}, secret_store=MemorySecretStore()
    )
    try:
        with TestClient(create_app(telemetry), base_url=LOCAL) as http:
            got = http.post(f"{API}/consent", json={"enabled": True})
            assert got.status_code == 409
            assert got.json() == {"detail": "Telemetry consent not changed: DO_NOT_TRACK=1 is set"}
            refused = http.post(f"{API}/events", json={"event_type": "x"})
            assert refused.json() == {"detail": "Telemetry is not enabled (DO_NOT_TRACK=1 is set)"}
    finally:
        telemetry.close()


# ---------------------------------------------------------------------------- recording
def test_events_and_metrics_are_recorded_scrubbed(api: Api) -> None:
    api.enable()
    props = {"email": "user@example.com", "file_path": "/home/user/runs/adapter.bin", "rank": 8}
    got = api.http.post(
        f"{API}/events", json={"event_type": "training_started", "properties": props}
    )
    assert got.status_code == 200 and got.json() == {"success": True, "message": "Event tracked"}
    got = api.http.post(f"{API}/performance", json={"metric_name": "step_time", "value": 12})
    assert got.json() == {"success": True, "message": "Performance metric tracked"}
    analytics = api.http.post(f"{API}/analytics", json={"start_date": "", "end_date": ""}).json()
    assert analytics["total_events"] == 3  # with the session's start
    assert own_counts(analytics["event_counts"]) == {"training_started": 1, "performance": 1}
    step = analytics["performance_metrics"]["step_time"]
    assert (step["count"], step["avg"], step["min"], step["max"]) == (1, 12.0, 12.0, 12.0)
    event = next(e for e in api.stored() if e.event_type == "training_started")
    assert event.properties == {
        "email": "[redacted]",
        "file_path": "[path]/adapter.bin",
        "rank": 8,
    }


def test_tracking_is_refused_while_off_and_per_category(api: Api) -> None:
    for path, body in (
        ("events", {"event_type": "x"}),
        ("performance", {"metric_name": "m", "value": 1}),
    ):
        got = api.http.post(f"{API}/{path}", json=body)
        assert got.status_code == 403 and got.json() == {"detail": "Telemetry is not enabled"}
    api.enable()
    categories = {"usage": False, "error": True, "performance": True, "system": True}
    set_consent(Store(api.data_dir), enabled=True, actor="gui", categories=categories)
    got = api.http.post(f"{API}/events", json={"event_type": "x"})
    assert got.status_code == 403
    assert got.json() == {"detail": "Telemetry is on, but usage events are off (the user's choice)"}
    assert (
        api.http.post(f"{API}/performance", json={"metric_name": "m", "value": 1}).status_code
        == 200
    )
    assert api.telemetry.client.flush()
    assert [e.event_type for e in api.stored()] == ["performance"]


# ---------------------------------------------------------------------------- analytics
def test_analytics_filter_by_iso_dates(api: Api) -> None:
    api.clock.now = NOW - timedelta(days=3)  # consent covers events from when it was given
    api.enable()
    for days_ago, name in ((3, "old"), (1, "yesterday"), (0, "today")):
        api.clock.now = NOW - timedelta(days=days_ago)
        api.http.post(f"{API}/events", json={"event_type": name})

    def counts(body: dict[str, Any] | None) -> dict[str, int]:
        got = api.http.post(f"{API}/analytics", json=body)
        assert got.status_code == 200, got.text
        return own_counts(got.json()["event_counts"])

    assert counts(None) == {"old": 1, "yesterday": 1, "today": 1}  # no body at all
    assert counts({"start_date": "2026-11-22"}) == {"yesterday": 1, "today": 1}
    assert counts({"end_date": "2026-11-22"}) == {"old": 1, "yesterday": 1}
    assert counts({"start_date": "2026-11-23T15:00:00Z", "end_date": None}) == {"today": 1}
    assert counts({"start_date": "2026-11-24", "end_date": "2026-11-30"}) == {}


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (
            {"start_date": "soon"},
            "start_date: 'soon' is not a date or time (use ISO 8601, e.g. 2026-11-23 or "
            "2026-11-23T14:30:00+01:00)",
        ),
        (
            {"end_date": "2026-13-01"},
            "end_date: '2026-13-01' is not a date or time (use ISO 8601, e.g. 2026-11-23 or "
            "2026-11-23T14:30:00+01:00)",
        ),
        (
            {"start_date": "2026-11-23", "end_date": "2026-11-20"},
            "start_date (2026-11-23T00:00:00+00:00) is after end_date "
            "(2026-11-20T23:59:59.999999+00:00)",
        ),
        ({"start_date": 20261123}, "start_date: Input should be a valid string"),
    ],
)
def test_a_bad_date_is_a_422_with_one_message(api: Api, body: dict[str, Any], detail: str) -> None:
    got = api.http.post(f"{API}/analytics", json=body)
    assert got.status_code == 422 and got.json() == {"detail": detail}


def test_stored_data_can_be_seen_and_exported_while_off(api: Api) -> None:
    api.enable()
    api.http.post(f"{API}/events", json={"event_type": "kept"})
    assert api.telemetry.client.flush()  # else opting out drops it before it reaches the disk
    api.http.post(f"{API}/consent", json={"enabled": False})
    got = api.http.post(f"{API}/analytics", json={})
    assert got.status_code == 200 and own_counts(got.json()["event_counts"]) == {"kept": 1}
    exported = api.http.get(f"{API}/export")
    assert exported.status_code == 200
    assert own_types(exported.json()["events"]) == ["kept"]


# ---------------------------------------------------------------------------- export, delete
def test_export_then_delete(api: Api) -> None:
    api.enable()
    api.http.post(f"{API}/events", json={"event_type": "a"})
    data = api.http.get(f"{API}/export").json()
    assert {"config", "events", "analytics", "audit_log"} <= set(data)
    assert data["config"]["enabled"] is True and own_types(data["events"]) == ["a"]
    assert data["analytics"]["total_events"] == 2  # with the session's start
    got = api.http.delete(f"{API}/data")
    assert got.status_code == 200
    body = got.json()
    assert body["success"] is True and body["message"] == "All telemetry data deleted"
    assert body["events_deleted"] == 2  # "a" and the session's start
    status = api.http.get(f"{API}/consent").json()
    assert status["enabled"] is False and status["user_id"] is None
    assert api.http.get(f"{API}/export").json()["events"] == []
    assert api.stored() == []


def test_health(api: Api) -> None:
    body = api.http.get(f"{API}/health").json()
    assert body["status"] == "healthy" and body["enabled"] is False
    assert body["session_id"] == api.telemetry.session_id
    api.enable()
    assert api.http.get(f"{API}/health").json()["enabled"] is True


# ---------------------------------------------------------------------------- bad input
JSON = {"content-type": "application/json"}
HUGE_MAP = {f"k{i}": i for i in range(1000)}


@pytest.mark.parametrize(
    ("path", "request_kwargs", "status", "detail"),
    [
        (
            "consent",
            {"content": b"{enabled: yes", "headers": JSON},
            422,
            "The request body is not valid JSON "
            "(Expecting property name enclosed in double quotes)",
        ),
        (
            "consent",
            {"content": b'{"enabled": true}', "headers": {"content-type": "text/plain"}},
            422,
            "The request body must be a JSON object (Content-Type: application/json)",
        ),
        ("consent", {}, 422, "The request body is missing: send a JSON object"),
        (
            "consent",
            {"json": [True]},
            422,
            "The request body must be a JSON object (Content-Type: application/json)",
        ),
        ("consent", {"json": {"enabled": "yes"}}, 422, "enabled: Input should be a valid boolean"),
        ("consent", {"json": {"enabled": 1}}, 422, "enabled: Input should be a valid boolean"),
        (
            "consent",
            {"json": {"enabled": True, "everyone": True}},
            422,
            "Unknown field 'everyone': it is not part of this request",
        ),
        ("events", {"json": {"properties": {}}}, 422, "'event_type' is required"),
        (
            "events",
            {"json": {"event_type": "", "extra": 1}},
            422,
            "event_type: String should have at least 1 character (and 1 more problem)",
        ),
        (
            "events",
            {"json": {"event_type": "x" * 101}},
            422,
            "event_type is longer than 100 characters",
        ),
        (
            "events",
            {"json": {"event_type": "x", "properties": ["a"]}},
            422,
            "properties: Input should be a valid dictionary",
        ),
        (
            "events",
            {"json": {"event_type": "x", "properties": HUGE_MAP}},
            422,
            "properties has 1,000 entries; at most 100 are accepted",
        ),
        (
            "performance",
            {"content": b'{"metric_name": "m", "value": NaN}', "headers": JSON},
            422,
            "value: Input should be a finite number",
        ),
        (
            "performance",
            {"json": {"metric_name": "m", "value": "12"}},
            422,
            "value: Input should be a valid number",
        ),
        (
            "performance",
            {"json": {"metric_name": "m", "value": 1, "unit": "u" * 21}},
            422,
            "unit is longer than 20 characters",
        ),
    ],
)
def test_bad_input_gets_one_clear_message(
    api: Api, path: str, request_kwargs: dict[str, Any], status: int, detail: str
) -> None:
    api.enable()  # past the consent check: the body itself is what is refused
    got = api.http.post(f"{API}/{path}", **request_kwargs)
    assert got.status_code == status
    assert got.json() == {"detail": detail}
    assert api.telemetry.client.flush() and api.stored() == []


def test_a_body_over_the_cap_is_refused_unread(api: Api) -> None:
    api.enable()
    big = {"event_type": "x", "properties": {"blob": "y" * MAX_BODY_BYTES}}
    got = api.http.post(f"{API}/events", json=big)
    assert got.status_code == 413
    assert got.json()["detail"].startswith("The request body is 65,")
    assert got.json()["detail"].endswith("bytes; at most 65,536 bytes are accepted")

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted while it is read
        yield b'{"event_type": "x", "properties": {"blob": "'
        for _ in range(20):
            yield b"z" * 8192
        yield b'"}}'

    got = api.http.post(f"{API}/events", content=chunks(), headers=JSON)
    assert got.status_code == 413
    assert got.json() == {"detail": "The request body is larger; at most 65,536 bytes are accepted"}
    assert api.telemetry.client.flush() and api.stored() == []


def test_requests_for_another_host_name_are_refused(api: Api) -> None:
    """A page that points its own name at 127.0.0.1 (DNS rebinding) cannot reach the API."""
    got = api.http.post(
        f"{API}/consent", json={"enabled": True}, headers={"host": "attacker.example"}
    )
    assert got.status_code == 400
    assert api.telemetry.is_enabled() is False
    assert api.http.get(f"{API}/health", headers={"host": "localhost:8765"}).status_code == 200


# ---------------------------------------------------------------------------- in their app
@pytest.fixture
def host_app(data_dir: Path) -> Iterator[TestClient]:
    """Their backend/main.py with the one changed import: `app.include_router(router)`."""
    peft_studio.reset_telemetry()
    peft_studio.configure_telemetry(data_dir, environ={}, secret_store=MemorySecretStore())
    app = FastAPI(title="PEFT Studio Backend")
    app.include_router(router)
    with TestClient(app) as http:
        yield http
    peft_studio.reset_telemetry()


def test_the_router_drops_into_their_app(host_app: TestClient, data_dir: Path) -> None:
    assert host_app.get(f"{API}/health").json()["enabled"] is False
    assert host_app.post(f"{API}/consent", json={"enabled": True}).json()["enabled"] is True
    assert host_app.post(f"{API}/events", json={"event_type": "model_loaded"}).status_code == 200
    got = host_app.post(f"{API}/consent", json={"enabled": "on"})
    assert got.status_code == 422 and got.json() == {
        "detail": "enabled: Input should be a valid boolean"
    }
    analytics = host_app.post(f"{API}/analytics", json={"start_date": "", "end_date": ""}).json()
    assert own_counts(analytics["event_counts"]) == {"model_loaded": 1}
    assert Store(data_dir).read().audit_log[-1].app_name == "PEFT Studio"


def test_a_standalone_app_closes_its_facade_when_it_stops(data_dir: Path) -> None:
    with TestClient(create_app(data_dir=str(data_dir)), base_url=LOCAL) as http:
        http.post(f"{API}/consent", json={"enabled": True})
        http.post(f"{API}/events", json={"event_type": "x"})
    types = [e.event_type for e in Store(data_dir).read().events]
    assert types == ["session_started", "x", "session_ended"]  # the yes started the session
