from __future__ import annotations

import asyncio
import json
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from peft_telemetry_gui import TelemetryClient
from peft_telemetry_gui.core.secrets import MemorySecretStore
from peft_telemetry_gui.core.services.consent import set_consent
from peft_telemetry_gui.core.store import Store

PROPS = {
    "algorithm": "lora",
    "rank": 16,
    "dataset_path": "/home/alice/data/train.jsonl",
    "contact": "alice@example.com",
    "user_id": "alice-42",
}


def _client(data_dir: Path, **kwargs: object) -> TelemetryClient:
    kwargs.setdefault("secret_store", MemorySecretStore())
    kwargs.setdefault("environ", {})
    return TelemetryClient(app_name="Test App", data_dir=data_dir, **kwargs)  # type: ignore[arg-type]


def _types(data_dir: Path) -> list[str]:
    return [e.event_type for e in Store(data_dir).read().events]


def test_nothing_is_recorded_without_consent(data_dir: Path) -> None:
    with _client(data_dir) as client:
        client.track_event("training_started", PROPS)
        client.track_performance("save", 12.0)
        assert client.flush()
    assert Store(data_dir).read().events == []


def test_recorded_events_are_scrubbed_before_they_touch_disk(data_dir: Path) -> None:
    set_consent(Store(data_dir), enabled=True, actor="cli")
    with _client(data_dir) as client:
        client.track_event("training_started", PROPS)
        assert client.flush()
    text = Store(data_dir).path.read_text()
    assert "alice" not in text and "/home/" not in text
    event = next(e for e in Store(data_dir).read().events if e.event_type == "training_started")
    assert event.properties["dataset_path"] == "[path]/train.jsonl"
    assert event.properties["contact"] == "[email]"
    assert event.properties["user_id"].startswith("hmac:")
    assert event.properties["algorithm"] == "lora" and event.properties["rank"] == 16
    redactions = Store(data_dir).read().redactions
    assert redactions["email"] >= 1 and redactions["path"] >= 1


def test_session_started_carries_system_info_and_session_ended_its_duration(
    data_dir: Path,
) -> None:
    set_consent(Store(data_dir), enabled=True, actor="cli")
    with _client(data_dir, app_version="1.2.3"):
        pass
    events = Store(data_dir).read().events
    assert [e.event_type for e in events] == ["session_started", "session_ended"]
    system = events[0].properties["system"]
    assert set(system) == {"os", "os_version", "python", "cpu_count", "memory_gb"}
    assert events[1].properties["duration_s"] >= 0
    assert events[0].session_id == events[1].session_id


def test_a_yes_after_the_client_was_built_starts_the_session_then(data_dir: Path) -> None:
    """A host asks its user after building its client (or the user says yes in the app): the
    session used to have an end and no start, hence no system information and no session in
    the dashboard's counts."""
    with _client(data_dir, app_version="2.0") as client:
        client.track_event("before_any_yes")  # dropped: nothing is recorded without consent
        assert client.enable()
        client.track_event("after_the_yes")
        client.track_event("later")
    events = Store(data_dir).read().events
    assert [e.event_type for e in events] == [
        "session_started",
        "after_the_yes",
        "later",
        "session_ended",
    ]
    assert set(events[0].properties["system"]) >= {"os", "python"}
    assert events[0].properties["app_version"] == "2.0"
    assert len({e.session_id for e in events}) == 1


def test_a_yes_from_another_process_starts_the_session_at_the_next_call(data_dir: Path) -> None:
    Store(data_dir)  # nothing decided yet
    with _client(data_dir, flush_interval=0.05) as client:
        set_consent(Store(data_dir), enabled=True, actor="cli")  # the desktop app, say
        deadline = time.monotonic() + 10
        while "probe" not in _types(data_dir) and time.monotonic() < deadline:
            client.track_event("probe")  # dropped until the yes reaches the client
            client.flush(1)
            time.sleep(0.02)
    types = _types(data_dir)
    assert types[:2] == ["session_started", "probe"] and types[-1] == "session_ended"
    assert types.count("session_started") == 1


def test_no_session_events_while_consent_never_came(data_dir: Path) -> None:
    with _client(data_dir) as client:
        client.track_event("nothing")
    assert not (data_dir / "telemetry.json").exists() or _types(data_dir) == []


def test_system_info_is_left_out_when_that_category_is_off(data_dir: Path) -> None:
    set_consent(Store(data_dir), enabled=True, actor="cli", categories={"system": False})
    with _client(data_dir):
        pass
    started = Store(data_dir).read().events[0]
    assert started.event_type == "session_started" and "system" not in started.properties


def test_error_has_type_scrubbed_message_and_frames_without_folders(data_dir: Path) -> None:
    set_consent(Store(data_dir), enabled=True, actor="cli")
    with _client(data_dir, start_session=False) as client:
        try:
            open("/home/alice/secret-project/weights.bin")  # noqa: SIM115
        except OSError as exc:
            client.track_error(exc, {"phase": "training"})
    event = Store(data_dir).read().events[0]
    assert event.error_type == "FileNotFoundError"
    assert "alice" not in (event.error_message or "")
    assert "weights.bin" in (event.error_message or "")
    assert event.stack and all(frame.count(":") == 2 for frame in event.stack)
    assert all("/" not in frame for frame in event.stack)
    assert event.stack[-1].startswith("tests.core.test_client:") or "test_client" in event.stack[-1]


def test_timer_records_milliseconds_even_when_the_block_raises(data_dir: Path) -> None:
    set_consent(Store(data_dir), enabled=True, actor="cli")
    with _client(data_dir, start_session=False) as client:
        with client.timer("checkpoint_save"):
            pass
        with pytest.raises(KeyError), client.timer("failing_step"):
            raise KeyError("x")
    metrics = {e.metric_name: e for e in Store(data_dir).read().events}
    assert set(metrics) == {"checkpoint_save", "failing_step"}
    assert metrics["checkpoint_save"].unit == "ms"


def test_category_switch_filters_events(data_dir: Path) -> None:
    set_consent(Store(data_dir), enabled=True, actor="cli", categories={"performance": False})
    with _client(data_dir, start_session=False) as client:
        client.track_performance("save", 1.0)
        client.track_event("clicked")
    assert _types(data_dir) == ["clicked"]


def test_disable_drops_unflushed_events_and_enable_starts_a_new_id(data_dir: Path) -> None:
    with _client(data_dir, start_session=False, flush_interval=60) as client:
        client.enable()
        first_id = Store(data_dir).read().anonymous_id
        client.track_event("before_opt_out")
        client.disable()
        client.track_event("while_off")
        client.enable()
        client.track_event("after_opt_in")
    assert _types(data_dir) == ["after_opt_in"]
    doc = Store(data_dir).read()
    assert doc.anonymous_id != first_id
    assert [(e.actor, e.what) for e in doc.audit_log][-2:] == [
        ("api", "consent"),
        ("api", "consent"),
    ]


@pytest.mark.parametrize("value", ["1", "2", "true", "anything"])
def test_env_override_makes_every_call_a_no_op(data_dir: Path, value: str) -> None:
    set_consent(Store(data_dir), enabled=True, actor="cli")
    with _client(data_dir, environ={"DO_NOT_TRACK": value}) as client:
        assert client.env_override == f"DO_NOT_TRACK={value}"
        client.track_event("x")
        assert client.enable() is False
    assert Store(data_dir).read().events == []


def test_sampling_rate_zero_records_nothing_of_that_category(data_dir: Path) -> None:
    from peft_telemetry_gui.core.services.consent import set_sampling

    store = Store(data_dir)
    set_consent(store, enabled=True, actor="cli")
    set_sampling(store, category="performance", rate=0.0, actor="cli")
    with _client(data_dir, start_session=False) as client:
        client.flush()  # the writer has read consent (sampling) by now
        for _ in range(50):
            client.track_performance("x", 1.0)
        client.track_event("kept")
    assert _types(data_dir) == ["kept"]


def test_events_past_the_cap_keep_the_newest(data_dir: Path) -> None:
    set_consent(Store(data_dir), enabled=True, actor="cli")
    with _client(data_dir, max_events=10, start_session=False) as client:
        for i in range(25):
            client.track_event("e", {"i": i})
    assert [e.properties["i"] for e in Store(data_dir).read().events] == list(range(15, 25))


def test_calls_from_many_threads_and_asyncio_are_all_stored(data_dir: Path) -> None:
    set_consent(Store(data_dir), enabled=True, actor="cli")
    client = _client(data_dir, start_session=False, max_events=5000)

    def worker(n: int) -> None:
        for i in range(200):
            client.track_event("thread", {"n": n, "i": i})

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()

    async def coroutine() -> None:
        for i in range(200):
            client.track_event("async", {"i": i})
            await asyncio.sleep(0)

    asyncio.run(coroutine())
    for t in threads:
        t.join()
    assert client.flush()
    client.close()
    types = _types(data_dir)
    assert types.count("thread") == 800 and types.count("async") == 200


def test_bad_arguments_never_raise_into_the_host(data_dir: Path) -> None:
    set_consent(Store(data_dir), enabled=True, actor="cli")

    class Evil:
        def __str__(self) -> str:
            raise RuntimeError("no")

    with _client(data_dir, start_session=False) as client:
        client.track_event(Evil(), {"x": Evil()})  # type: ignore[arg-type]
        client.track_event("ok", "not a mapping")  # type: ignore[arg-type]
        client.track_performance("nan", float("nan"))
        client.track_performance("text", "fast")  # type: ignore[arg-type]
        client.track_error("not an exception")  # type: ignore[arg-type]
        client.track_event("fine")
    json.loads(Store(data_dir).path.read_text())
    assert "fine" in _types(data_dir)


def test_unwritable_store_never_raises_and_flush_reports_failure(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with _client(blocker / "data", start_session=False) as client:
        assert client.enable() is False
        client.track_event("x")
        # consent could not be read, so the event waits in memory; flush says it is not on disk
        assert client.flush(timeout=5) is False


def test_close_is_idempotent_and_calls_after_close_are_ignored(data_dir: Path) -> None:
    set_consent(Store(data_dir), enabled=True, actor="cli")
    client = _client(data_dir, start_session=False)
    client.close()
    client.close()
    client.track_event("late")
    assert Store(data_dir).read().events == []


def test_old_events_are_pruned_by_retention(data_dir: Path) -> None:
    clock_now = [datetime(2026, 11, 23, 15, 30, tzinfo=UTC)]
    # Consent given on the same clock: an event stamped before consent would never be stored.
    set_consent(Store(data_dir, clock=lambda: clock_now[0]), enabled=True, actor="cli")
    client = _client(data_dir, start_session=False, retention_days=1, clock=lambda: clock_now[0])
    client.track_event("old")
    client.flush()
    clock_now[0] += timedelta(days=2)
    client.track_event("new")
    client.close()
    assert _types(data_dir) == ["new"]


def test_host_sampling_rate_keeps_roughly_that_share(data_dir: Path) -> None:
    set_consent(Store(data_dir), enabled=True, actor="cli")
    with _client(data_dir, start_session=False, sampling={"performance": 0.2}) as client:
        for _ in range(2000):
            client.track_performance("step", 1.0)
        client.track_event("kept")
    types = _types(data_dir)
    assert "kept" in types
    assert 250 < types.count("performance") < 550  # 400 expected; far outside by chance: ~1e-9


def test_writer_survives_a_malformed_legacy_store(data_dir: Path) -> None:
    data_dir.mkdir()
    (data_dir / "telemetry.json").write_text('{"enabled": true, "events": 5}')
    with _client(data_dir, start_session=False) as client:
        assert client.flush() is True  # the file was set aside; consent is undecided again
        assert client.enable() is True
        client.track_event("after")
        assert client.flush() is True
    assert _types(data_dir) == ["after"]
    assert Store(data_dir).read().quarantined


def test_units_and_metric_names_are_scrubbed_too(data_dir: Path) -> None:
    set_consent(Store(data_dir), enabled=True, actor="cli")
    with _client(data_dir, start_session=False) as client:
        client.track_performance("load /home/alice/data/train.jsonl", 1.0, unit="alice@example.com")
    event = Store(data_dir).read().events[0]
    assert "alice" not in (event.metric_name or "") and "alice" not in (event.unit or "")
    assert event.metric_name == "load [path]/train.jsonl"


def test_bad_settings_from_the_host_fall_back_instead_of_raising(data_dir: Path) -> None:
    set_consent(Store(data_dir), enabled=True, actor="cli")
    with _client(
        data_dir,
        start_session=False,
        max_events="1k",  # type: ignore[arg-type]
        retention_days=None,  # type: ignore[arg-type]
        sampling={"usage": "often", "performance": None, "error": 2},  # type: ignore[dict-item]
    ) as client:
        assert client.store.max_events == 1000 and client.store.retention_days == 90
        client.track_event("kept")
    assert _types(data_dir) == ["kept"]
