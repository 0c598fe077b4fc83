"""PEFT Studio's `TelemetryService` surface over our client (`integrations.peft_studio`).

Their own tests (backend/tests/test_telemetry_system.py in Ankesh-007/peft-studio) restated
against the facade: opt-in by default, persistence across instances, anonymization, analytics
with date filtering, export, delete, the session, the convenience functions. A real store in
tmp_path and an injected clock: no data here comes from the wall clock.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import random
import string
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from peft_telemetry_gui.core.consent import collection_text
from peft_telemetry_gui.core.consent_changes import last_change, who
from peft_telemetry_gui.core.secrets import MemorySecretStore
from peft_telemetry_gui.core.store import Store
from peft_telemetry_gui.integrations import peft_studio
from peft_telemetry_gui.integrations.peft_studio import PeftStudioTelemetry, TelemetryService

NOW = datetime(2026, 11, 23, 15, 30, tzinfo=UTC)


class Clock:
    """Stands still until a test moves it."""

    def __init__(self, start: datetime = NOW) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def facade(data_dir: Path, clock: Clock | None = None, **kwargs: Any) -> PeftStudioTelemetry:
    kwargs.setdefault("secret_store", MemorySecretStore())
    kwargs.setdefault("environ", {})
    return PeftStudioTelemetry(data_dir, clock=clock or Clock(), **kwargs)


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def fake_api_key(seed: int) -> str:
    """Obviously fake and generated: the shape of a provider key, never a real one."""
    rng = random.Random(seed)
    return "sk-" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(40))


def stored(data_dir: Path) -> list[Any]:
    return Store(data_dir).read().events


#: Our session bookkeeping: `enable()` starts the session (with the system's description), so a
#: host that asks its user after building the service gets it too. Left out where a test looks
#: at the host's own events.
SESSION = {"session_started", "session_ended"}


def own(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in events if e["event_type"] not in SESSION]


def own_counts(counts: dict[str, int]) -> dict[str, int]:
    return {name: n for name, n in counts.items() if name not in SESSION}


# ---------------------------------------------------------------------------- opt-in
def test_telemetry_is_off_until_the_user_says_yes(data_dir: Path) -> None:
    t = facade(data_dir)
    try:
        assert t.is_enabled() is False
        status = t.get_consent_status()
        text = collection_text()
        assert status["enabled"] is False and status["decided"] is False
        assert status["user_id"] is None and status["last_prompt"] is None
        assert status["data_collected"] == text.collected and status["data_collected"]
        assert status["data_not_collected"] == text.never_collected
        run(t.track_event("test_event", {"key": "value"}))
        run(t.track_performance("api_response_time", 150.5))
        assert t.export()["events"] == []
    finally:
        t.close()
    assert stored(data_dir) == []


def test_consent_persists_across_instances_and_is_shared_live(data_dir: Path) -> None:
    first = facade(data_dir)
    second = None
    try:
        assert first.enable() is True and first.is_enabled()
        second = facade(data_dir)
        assert second.is_enabled()
        user_id = first.get_consent_status()["user_id"]
        assert isinstance(user_id, str) and len(user_id) == 32
        assert second.get_consent_status()["user_id"] == user_id  # one id, not per instance
        assert second.disable() is True
        assert first.is_enabled() is False  # read from the store, not a copy of its own
    finally:
        first.close()
        if second is not None:
            second.close()


def test_a_consent_change_is_logged_under_the_host_name(data_dir: Path) -> None:
    with_clock = Clock()
    t = facade(data_dir, with_clock)
    try:
        t.enable()
        entry = Store(data_dir).read().audit_log[-1]
        assert (entry.actor, entry.app_name, entry.method) == ("api", "PEFT Studio", "host_api")
        change = last_change(Store(data_dir).read().audit_log)
        assert change is not None
        assert (
            change.sentence()
            == "PEFT Studio turned on telemetry at 2026-11-23 15:30 UTC (host app)"
        )
    finally:
        t.close()


def test_environment_opt_out_wins_over_consent(data_dir: Path) -> None:
    t = facade(data_dir, environ={"DO_NOT_TRACK": "1"})
    try:
        assert t.enable() is False
        assert t.is_enabled() is False
        status = t.get_consent_status()
        assert status["enabled"] is False and status["overridden_by"] == "DO_NOT_TRACK=1"
    finally:
        t.close()


# ---------------------------------------------------------------------------- anonymization
def test_events_are_scrubbed_before_they_are_stored(data_dir: Path) -> None:
    key = fake_api_key(14)
    t = facade(data_dir)
    try:
        t.enable()
        sensitive = {
            "email": "user@example.com",
            "username": "testuser",
            "api_key": key,
            "file_path": "/home/user/secret/file.txt",
            "note": f"contact user@example.com with key {key}",
            "safe_data": "this is fine",
        }
        run(t.track_event("test_event", sensitive))
        data = t.export()
    finally:
        t.close()
    (event,) = own(data["events"])
    props = event["properties"]
    text = json.dumps(data)
    for secret in ("user@example.com", "testuser", key, "/home/user"):
        assert secret not in text
    assert props["file_path"] == "[path]/file.txt"  # the file name stays, the folders go
    assert props["safe_data"] == "this is fine"
    assert props["note"] == "contact [email] with key [token:openai]"


def test_errors_are_scrubbed_and_keep_their_type(data_dir: Path) -> None:
    t = facade(data_dir)
    try:
        t.enable()
        try:
            raise ValueError("Error with /home/user/secret/file.txt for user@example.com")
        except ValueError as exc:
            run(t.track_error(exc, {"email": "user@example.com", "context": "test"}))
        (event,) = own(t.export()["events"])
    finally:
        t.close()
    assert event["category"] == "error" and event["error_type"] == "ValueError"
    assert event["error_message"] == "Error with [path]/file.txt for [email]"
    assert event["properties"] == {"email": "[redacted]", "context": "test"}


# ---------------------------------------------------------------------------- analytics
def test_analytics_summarise_events_and_metrics(data_dir: Path) -> None:
    t = facade(data_dir)
    try:
        t.enable()
        run(t.track_event("event1"))
        run(t.track_event("event1"))
        run(t.track_event("event2"))
        for value in (100.0, 250.0, 40.0):
            run(t.track_performance("metric1", value))
        analytics = run(t.get_analytics())
    finally:
        t.close()
    assert analytics["total_events"] == 7  # with the session's start
    assert own_counts(analytics["event_counts"]) == {"performance": 3, "event1": 2, "event2": 1}
    metric = analytics["performance_metrics"]["metric1"]
    assert (metric["count"], metric["avg"], metric["min"], metric["max"]) == (3, 130.0, 40.0, 250.0)
    assert metric["unit"] == "ms"


def test_analytics_filter_by_date(data_dir: Path) -> None:
    clock = Clock(NOW - timedelta(days=3))
    t = facade(data_dir, clock)
    try:
        t.enable()
        run(t.track_event("three_days_ago"))
        clock.now = NOW - timedelta(days=1)
        run(t.track_event("yesterday"))
        clock.now = NOW
        run(t.track_event("today"))

        def types(**bounds: Any) -> dict[str, int]:
            return own_counts(run(t.get_analytics(**bounds))["event_counts"])

        assert types() == {"three_days_ago": 1, "yesterday": 1, "today": 1}
        assert types(start_date=NOW - timedelta(days=2)) == {"yesterday": 1, "today": 1}
        assert types(end_date="2026-11-22") == {"three_days_ago": 1, "yesterday": 1}  # whole day
        assert types(start_date="2026-11-22", end_date="2026-11-22") == {"yesterday": 1}
        naive = datetime(2026, 11, 23, 15, 0)  # read as UTC: 30 minutes before "today"
        assert types(start_date=naive) == {"today": 1}
        assert types(start_date="", end_date="") == types()  # what their dashboard sends
        future = types(start_date=NOW + timedelta(days=1), end_date=NOW + timedelta(days=2))
        assert future == {}
        with pytest.raises(ValueError, match=r"^start_date: 'last week' is not a date"):
            run(t.get_analytics(start_date="last week"))
        with pytest.raises(ValueError, match="is after end_date"):
            run(t.get_analytics(start_date="2026-11-23", end_date="2026-11-20"))
    finally:
        t.close()


def test_session_duration_follows_the_injected_clock(data_dir: Path) -> None:
    clock = Clock()
    t = facade(data_dir, clock)
    try:
        clock.now = NOW + timedelta(seconds=90)
        assert run(t.get_analytics())["session_duration_minutes"] == 1.5
    finally:
        t.close()


def test_system_info_is_what_the_session_recorded(data_dir: Path) -> None:
    """A yes given mid-session (their UI asks after the service exists) starts the session
    then, with the system's description: their dashboard's System Information is filled at
    once, not after the next restart."""
    first = facade(data_dir)
    assert set(run(first.get_analytics())["system_info"].values()) == {None}  # nothing yet
    first.enable()
    assert first.client.flush()
    try:
        info = run(first.get_analytics())["system_info"]
    finally:
        first.close()
    assert info["os"] == platform.system() and info["os_version"] == platform.release()
    assert info["python_version"] == platform.python_version()
    assert info["cpu_count"] == os.cpu_count()
    assert isinstance(info["total_memory_gb"], float) and info["total_memory_gb"] > 0
    assert "hostname" not in info and platform.node() not in json.dumps(info)


# ---------------------------------------------------------------------------- export, delete
def test_export_holds_config_events_analytics_and_the_history(data_dir: Path) -> None:
    t = facade(data_dir)
    try:
        t.enable()
        run(t.track_event("test_event"))
        data = run(t.export_data())
        status = t.get_consent_status()
    finally:
        t.close()
    assert {"config", "events", "analytics", "audit_log", "redactions", "rollups"} <= set(data)
    assert data["config"]["enabled"] is True and data["config"]["user_id"] == status["user_id"]
    assert [e["event_type"] for e in own(data["events"])] == ["test_event"]
    assert data["analytics"]["total_events"] == 2  # with the session's start
    assert [e["app_name"] for e in data["audit_log"] if e["what"] == "consent"] == ["PEFT Studio"]


def test_delete_removes_everything_and_turns_telemetry_off(data_dir: Path) -> None:
    t = facade(data_dir)
    try:
        t.enable()
        run(t.track_event("test_event"))
        run(t.track_event("test_event"))
        assert run(t.get_analytics())["total_events"] == 3  # with the session's start
        report = run(t.delete_data())
        assert report["events_deleted"] == 3 and report["warnings"] == []
        assert t.is_enabled() is False
        assert t.get_consent_status()["user_id"] is None  # a new one only on the next "yes"
        run(t.track_event("after_delete"))
        data = t.export()
    finally:
        t.close()
    assert data["events"] == []
    assert [(e["what"], e["actor"]) for e in data["audit_log"]] == [("all data deleted", "api")]
    # The desktop app names who deleted everything: "PEFT Studio deleted all data".
    (entry,) = Store(data_dir).read().audit_log
    assert who(entry) == "PEFT Studio" and entry.app_name == "PEFT Studio"


def test_shutdown_records_the_end_of_the_session(data_dir: Path) -> None:
    facade(data_dir).enable()  # an earlier run said yes
    t = facade(data_dir)
    run(t.shutdown())
    types = [e.event_type for e in stored(data_dir)]
    assert types == ["session_started", "session_ended"]
    assert stored(data_dir)[-1].properties["duration_s"] >= 0


def test_reads_follow_what_other_processes_write(data_dir: Path) -> None:
    """Reads after the first reuse what they read (only appended bytes are parsed): events
    from another writer, and a delete by another front end, must still show at once."""
    reader = facade(data_dir)
    reader.enable()
    other = facade(data_dir)  # built after the "yes": a client learns of it when built
    try:
        run(reader.track_event("mine"))
        assert own_counts(run(reader.get_analytics())["event_counts"]) == {"mine": 1}
        run(other.track_event("theirs"))
        assert other.client.flush()
        counts = run(reader.get_analytics())["event_counts"]
        assert counts == {"mine": 1, "theirs": 1, "session_started": 2}  # both sessions' starts
        assert len(reader.export()["events"]) == 4
        other.delete()  # as the desktop app's "delete everything" would
        assert run(reader.get_analytics())["total_events"] == 0
        assert reader.export()["events"] == []
    finally:
        reader.close()
        other.close()


# ---------------------------------------------------------------------------- the event loop
def test_tracking_never_waits_for_the_store_and_reads_leave_the_loop_free(
    data_dir: Path,
) -> None:
    """Another process holding the store's lock (the desktop app writing) must not stall the
    host's loop: `track_*` only enqueue, and a read waits on a worker thread."""
    t = facade(data_dir)
    t.enable()
    held, release = threading.Event(), threading.Event()

    def hold_lock() -> None:
        with Store(data_dir).lock():
            held.set()
            release.wait(10)

    holder = threading.Thread(target=hold_lock)
    holder.start()
    held.wait(10)

    async def host() -> tuple[float, int, int]:
        start = time.perf_counter()
        await t.track_event("while_locked")
        await t.track_performance("save", 3.0)
        tracked = time.perf_counter() - start
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        task = asyncio.create_task(ticker())
        asyncio.get_running_loop().call_later(0.3, release.set)
        analytics = await t.get_analytics()
        task.cancel()
        return tracked, ticks, analytics["total_events"]

    try:
        tracked, ticks, total = run(host())
    finally:
        release.set()
        holder.join()
        t.close()
    assert tracked < 1.0  # blocked, it would have waited out the holder's 10 s
    assert ticks >= 10  # the loop kept running while the read waited for the lock
    assert total == 3  # and the read saw both events (and the session's start) once free


# ---------------------------------------------------------------------------- one per process
@pytest.fixture
def registry(data_dir: Path) -> Any:
    peft_studio.reset_telemetry()
    peft_studio.configure_telemetry(data_dir, environ={}, secret_store=MemorySecretStore())
    yield peft_studio
    peft_studio.reset_telemetry()


def test_get_telemetry_is_one_object_and_the_functions_use_it(
    registry: Any, data_dir: Path
) -> None:
    t = registry.get_telemetry()
    assert registry.get_telemetry() is t and isinstance(t, TelemetryService)
    assert t.config_dir == data_dir
    t.enable()
    run(registry.track_event("test_event", {"key": "value"}))
    try:
        raise ValueError("Test error")
    except ValueError as exc:
        run(registry.track_error(exc))
    run(registry.track_performance("test_metric", 100.0))
    counts = own_counts(run(t.get_analytics())["event_counts"])
    assert counts == {"test_event": 1, "error": 1, "performance": 1}
    with pytest.raises(RuntimeError, match="before the first get_telemetry"):
        registry.configure_telemetry(data_dir)
    registry.reset_telemetry()
    assert registry.get_telemetry() is not t  # a fresh one, on the default folder again


FORK_HOST = """
import asyncio, json, os, sys, threading, time
from peft_telemetry_gui.integrations import peft_studio as ps
ps.configure_telemetry(sys.argv[1], environ={})
t = ps.get_telemetry()
t.enable()
t.client.flush(10)
held = threading.Event()
def hold():  # another thread of the host is inside get_telemetry() when it forks
    with ps._registry._lock:
        held.set()
        time.sleep(60)
threading.Thread(target=hold, daemon=True).start()
held.wait()
pid = os.fork()
if pid == 0:
    asyncio.run(ps.track_event("from_child"))
    same = ps.get_telemetry() is t
    os._exit(0 if t.client.flush(10) and same else 3)
deadline = time.monotonic() + 20  # a child stuck on the inherited lock never ends
status = None
while time.monotonic() < deadline:
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        break
    time.sleep(0.02)
else:
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    status = "hung"
print(json.dumps({"child": status if status == "hung" else os.waitstatus_to_exitcode(status)}))
"""


def test_a_forked_child_keeps_the_facade_and_can_use_it(data_dir: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", FORK_HOST, str(data_dir)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == {"child": 0}
    assert "from_child" in [e.event_type for e in stored(data_dir)]


def test_importing_the_facade_loads_neither_fastapi_nor_pydantic() -> None:
    code = (
        "import sys, json\n"
        "import peft_telemetry_gui.integrations.peft_studio\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'fastapi', 'starlette', 'pydantic', 'uvicorn'})))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert json.loads(out.stdout) == []
