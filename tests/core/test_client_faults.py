"""The client inside hostile or careless host processes: fork, interpreter exit, wrong settings,
a seeded `random`, a user who never agreed, slow host objects (issue 8, "Host processes").

Multi-process cases run real hosts (`_fork_host.py`) in subprocesses; nothing is mocked.
"""

from __future__ import annotations

import json
import logging
import os
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from peft_telemetry_gui import TelemetryClient
from peft_telemetry_gui.core.secrets import MemorySecretStore
from peft_telemetry_gui.core.services.consent import set_consent
from peft_telemetry_gui.core.services.upload import enable_upload
from peft_telemetry_gui.core.store import Store
from peft_telemetry_gui.core.upload.files import QUEUE_FILE
from peft_telemetry_gui.core.upload.runtime import UploadRuntime

pytestmark = pytest.mark.faults

REPO = Path(__file__).resolve().parents[2]
HOST = Path(__file__).with_name("_fork_host.py")
LOGGER = "peft_telemetry_gui.core.client"


def _client(data_dir: Path, **kwargs: Any) -> TelemetryClient:
    kwargs.setdefault("secret_store", MemorySecretStore())
    kwargs.setdefault("environ", {})
    kwargs.setdefault("start_session", False)
    return TelemetryClient(app_name="Fault App", data_dir=data_dir, **kwargs)


def _host(mode: str, *args: object, timeout: float = 120) -> tuple[dict[str, Any], str]:
    """Runs `_fork_host.py MODE ...`; its JSON line and its stderr."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    env["PYTHONWARNINGS"] = "ignore::DeprecationWarning"  # 3.12+: fork() with threads
    done = subprocess.run(
        [sys.executable, str(HOST), mode, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1]), done.stderr


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER and r.levelno >= 30]


# ------------------------------------------------------------------------------ fork()
@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_children_forked_while_the_writer_works_never_hang_and_keep_their_events(
    data_dir: Path,
) -> None:
    result, stderr = _host("fork", data_dir, 30)
    codes = result["codes"]
    assert None not in codes, f"hung children (killed): {codes}"
    assert codes == [0] * 30, f"children whose enable() or flush() failed: {codes}\n{stderr}"
    events = Store(data_dir).read().events
    children = Counter(e.properties["fork"] for e in events if e.event_type == "child")
    assert children == dict.fromkeys(range(30), 3)
    seqs = [e.properties["seq"] for e in events if e.event_type == "parent"]
    assert len(seqs) == len(set(seqs)), "a parent event was stored twice"
    assert len(seqs) == result["tracked"] - result["dropped"]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_fork_right_after_construction_never_hangs_and_never_loses_silently(
    tmp_path: Path,
) -> None:
    """The writer may still be importing: the child records, or says once that it cannot."""
    for attempt in range(3):
        data = tmp_path / f"data-{attempt}"
        result, stderr = _host("fork-early", data)
        assert result["codes"] != [None], "the child hung"
        stored = [e.event_type for e in Store(data).read().events]
        if result["codes"] == [0]:
            assert stored == ["child"] * 3
        else:
            assert "telemetry is off in this forked process" in stderr
            assert stored == []


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_that_just_exits_still_writes_what_it_tracked(data_dir: Path) -> None:
    """Its events come from its own atexit hook, when no thread may start any more."""
    result, stderr = _host("fork-exit", data_dir)
    assert result["codes"] == [0], stderr
    assert sorted(e.event_type for e in Store(data_dir).read().events) == ["child"] * 3 + ["parent"]
    assert "Traceback" not in stderr


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_children_of_an_uploading_host_queue_their_events_and_close_in_time(
    data_dir: Path, rx: Any
) -> None:
    store = Store(data_dir)
    set_consent(store, enabled=True, actor="cli")
    enable_upload(store, rx.endpoint, actor="cli")
    result, stderr = _host("fork-upload", data_dir, rx.endpoint)
    assert result["codes"] == [0, 0, 0], stderr
    child_ids = {e.id for e in store.read().events if e.event_type == "child"}
    assert len(child_ids) == 9
    queue = data_dir / QUEUE_FILE
    queued = {
        json.loads(line)["event"]["id"]
        for line in (queue.read_text().splitlines() if queue.exists() else [])
        if line.strip()
    }
    assert child_ids <= queued | set(rx.delivered_event_ids())


# ------------------------------------------------------------------------------ exit
def test_a_host_that_exits_without_close_leaves_no_traceback_and_queues_its_events(
    data_dir: Path, rx: Any
) -> None:
    store = Store(data_dir)
    set_consent(store, enabled=True, actor="cli")
    enable_upload(store, rx.endpoint, actor="cli")
    result, stderr = _host("exit", data_dir)
    assert result == {"tracked": 5}
    assert "Traceback" not in stderr and "RuntimeError" not in stderr, stderr
    stored = [e for e in store.read().events if e.event_type == "at_exit"]
    assert sorted(e.properties["i"] for e in stored) == [0, 1, 2, 3, 4]
    queued = {json.loads(line)["event"]["id"] for line in (data_dir / QUEUE_FILE).open()}
    assert {e.id for e in stored} <= queued | set(rx.delivered_event_ids())


def test_a_stopped_runtime_starts_no_worker(data_dir: Path) -> None:
    runtime = UploadRuntime()
    runtime.stop()
    assert runtime.ensure_worker(Store(data_dir)) is None


# ------------------------------------------------------------------------------ settings
NAIVE = datetime(2031, 5, 6, 7, 8, 9)


def _raising_clock() -> datetime:
    raise OSError("clock unavailable")


def _naive_clock() -> datetime:
    return NAIVE


@pytest.mark.parametrize(
    "setting",
    [
        {"flush_interval": "2"},
        {"flush_interval": float("inf")},
        {"flush_batch": None},
        {"max_pending": "many"},
        {"environ": []},
        {"clock": _raising_clock},
        {"clock": _naive_clock},
        {"clock": lambda: 1_700_000_000.0},
    ],
    ids=lambda s: "-".join(f"{k}={v!r}"[:40] for k, v in s.items()),
)
def test_a_setting_the_host_got_wrong_loses_nothing_and_warns_once(
    data_dir: Path, caplog: pytest.LogCaptureFixture, setting: dict[str, Any]
) -> None:
    consent_given = datetime(2020, 1, 1, tzinfo=UTC)  # before any stamp, the fallback's too
    set_consent(Store(data_dir, clock=lambda: consent_given), enabled=True, actor="cli")
    caplog.set_level(logging.WARNING, logger=LOGGER)
    client = _client(data_dir, **setting)
    for i in range(50):
        client.track_event("e", {"i": i})
    assert client.flush(10) is True
    client.close()
    events = Store(data_dir).read().events
    assert sorted(e.properties["i"] for e in events) == list(range(50))
    assert all(e.timestamp.tzinfo is not None for e in events)
    if setting.get("clock") is _naive_clock:
        assert {e.timestamp for e in events} == {NAIVE.replace(tzinfo=UTC)}
    assert len(_warnings(caplog)) == 1, _warnings(caplog)


def test_a_wrong_timeout_or_scrub_limits_never_raises(data_dir: Path) -> None:
    set_consent(Store(data_dir), enabled=True, actor="cli")
    client = _client(data_dir, scrub_limits={"max_event_bytes": 10})
    client.track_event("kept")
    assert client.flush("5") is True  # type: ignore[arg-type]
    client.close(timeout=[])  # type: ignore[arg-type]
    assert [e.event_type for e in Store(data_dir).read().events] == ["kept"]


# ------------------------------------------------------------------------------ random
def test_sampling_leaves_the_hosts_seeded_random_sequence_alone(data_dir: Path) -> None:
    set_consent(Store(data_dir), enabled=True, actor="cli")
    random.seed(1)
    expected = [random.random() for _ in range(3)]
    with _client(data_dir, sampling={"usage": 0.5, "performance": 0.3}) as client:
        client.flush()
        random.seed(1)
        for i in range(500):
            client.track_event("sampled", {"i": i})
            client.track_performance("step", 1.0)
        after = [random.random() for _ in range(3)]
    assert after == expected


def test_an_injected_rng_makes_sampling_reproducible(tmp_path: Path) -> None:
    kept = []
    for run in range(2):
        data = tmp_path / f"data-{run}"
        set_consent(Store(data), enabled=True, actor="cli")
        with _client(data, sampling={"usage": 0.5}, rng=random.Random(7)) as client:
            for i in range(200):
                client.track_event("sampled", {"i": i})
        kept.append([e.properties["i"] for e in Store(data).read().events])
    assert kept[0] == kept[1] and 50 < len(kept[0]) < 150


# ------------------------------------------------------------------------------ consent
class SlowKeyring(MemorySecretStore):
    """A keyring whose first answer takes as long as the test wants (a real one: 0.2-1.8 s)."""

    def __init__(self) -> None:
        super().__init__()
        self.asked = threading.Event()
        self.answer = threading.Event()

    def get(self, name: str) -> str | None:
        self.asked.set()
        self.answer.wait(10)
        return super().get(name)


@pytest.mark.parametrize("stored", ["never asked", "declined", "turned off"])
def test_without_consent_nothing_is_held_in_memory_from_the_first_call(
    data_dir: Path, stored: str
) -> None:
    if stored == "declined":
        set_consent(Store(data_dir), enabled=False, actor="cli")
    elif stored == "turned off":
        set_consent(Store(data_dir), enabled=True, actor="cli")
        set_consent(Store(data_dir), enabled=False, actor="cli")
    keyring = SlowKeyring()
    client = _client(data_dir, secret_store=keyring, start_session=True, flush_interval=60)
    try:
        for i in range(1000):
            client.track_event("e", {"i": i})
            client.track_performance("p", 1.0)
        assert len(client._intake.queue) == 0
        assert client.flush(10) is True
        assert not keyring.asked.is_set(), "the keyring was probed for a user who said no"
    finally:
        keyring.answer.set()
        client.close()
    assert Store(data_dir).read().events == []


def test_with_consent_the_first_events_are_kept_and_scrubbed(data_dir: Path) -> None:
    set_consent(Store(data_dir), enabled=True, actor="cli", categories={"performance": False})
    keyring = SlowKeyring()
    keyring.answer.set()
    with _client(data_dir, secret_store=keyring) as client:
        client.track_performance("off", 1.0)  # known off from the first call
        client.track_event("kept", {"user_id": "alice"})
        assert len(client._intake.queue) == 1
    (event,) = Store(data_dir).read().events
    assert event.event_type == "kept" and event.properties["user_id"].startswith("hmac:")


def test_consent_is_read_from_the_head_of_the_store_as_store_writes_it(tmp_path: Path) -> None:
    from peft_telemetry_gui.core.client.peek import peek_consent

    store = Store(tmp_path / "data")
    assert peek_consent(store.path) is not None and not peek_consent(store.path).allowed
    set_consent(store, enabled=True, actor="cli", categories={"error": False})
    known = peek_consent(store.path)
    assert known is not None and known.allowed == {"usage", "performance", "system"}
    set_consent(store, enabled=False, actor="cli")
    assert peek_consent(store.path) == peek_consent(tmp_path / "absent" / "telemetry.json")
    odd = tmp_path / "odd.json"
    odd.write_text('{"consent": {"enabled": false}, "schema_version": 1}')
    assert peek_consent(odd) is None  # not the layout Store writes: the writer decides


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_in_place_of_the_store_never_blocks_the_host(tmp_path: Path) -> None:
    from peft_telemetry_gui.core.client.peek import peek_consent

    fifo = tmp_path / "telemetry.json"
    os.mkfifo(fifo)
    start = time.perf_counter()
    assert peek_consent(fifo) is None
    assert time.perf_counter() - start < 1.0


# ------------------------------------------------------------------------------ slow objects
class Slow:
    """A host object whose conversions take 0.2 s (a lazy tensor, a remote proxy)."""

    def __str__(self) -> str:
        time.sleep(0.2)
        return "slow-value"

    def __float__(self) -> float:
        time.sleep(0.2)
        return 12.5


class SlowError(Exception):
    def __str__(self) -> str:
        time.sleep(0.2)
        return "slow message"


def _timed(call: Any, *args: Any, **kwargs: Any) -> float:
    start = time.perf_counter()
    call(*args, **kwargs)
    return time.perf_counter() - start


def test_slow_host_objects_never_hold_up_the_hosts_thread(data_dir: Path) -> None:
    set_consent(Store(data_dir), enabled=True, actor="cli")
    with _client(data_dir) as client:
        client.flush()
        took = [
            _timed(client.track_event, Slow(), {"value": Slow(), "nested": [Slow()]}),
            _timed(client.track_performance, Slow(), Slow(), Slow(), {"value": Slow()}),
            _timed(client.track_error, SlowError()),
        ]
        assert max(took) < 0.05, took
        assert client.flush(30) is True
    events = {e.category: e for e in Store(data_dir).read().events}
    usage, perf, error = events["usage"], events["performance"], events["error"]
    assert usage.event_type == "slow-value"
    assert usage.properties == {"value": "slow-value", "nested": ["slow-value"]}
    assert (perf.metric_name, perf.value, perf.unit) == ("slow-value", 12.5, "slow-value")
    assert error.error_type.endswith("SlowError") and error.error_message == "slow message"
