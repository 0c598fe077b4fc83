"""Reliability under real processes, real files and real failures (no mocks of the store).

Helper processes live in `_workers.py` next to this file. Every test uses its own `tmp_path`.
"""

from __future__ import annotations

import json
import math
import os
import queue
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from peft_telemetry_gui.core.client import TelemetryClient
from peft_telemetry_gui.core.models import SCHEMA_VERSION, Event, StoreDocument
from peft_telemetry_gui.core.scrub import ScrubLimits
from peft_telemetry_gui.core.secrets import MemorySecretStore
from peft_telemetry_gui.core.services.consent import set_consent
from peft_telemetry_gui.core.store import NewerSchemaError, Store, StoreError, raw_document

REPO = Path(__file__).resolve().parents[2]
WORKERS = Path(__file__).with_name("_workers.py")
TMP_GLOB = ".telemetry.json.tmp-*"


# ------------------------------------------------------------------------------ helpers
class Worker:
    """A `_workers.py` subprocess whose stdout lines arrive on a queue (no pipe deadlocks)."""

    def __init__(self, tmp_path: Path, mode: str, *args: object, stdin: bool = False) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
        env["PEFT_TELEMETRY_SECRETS"] = "file"
        for name in ("DO_NOT_TRACK", "PEFT_TELEMETRY_DISABLED", "PEFT_TELEMETRY_DIR"):
            env.pop(name, None)
        # stderr goes to a file: a chatty child (retry warnings) must never block on a pipe.
        self.stderr_path = tmp_path / f"{mode}-{time.monotonic_ns()}.stderr"
        self._stderr = self.stderr_path.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, str(WORKERS), mode, *map(str, args)],
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            env=env,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def line(self, timeout: float = 30.0) -> str:
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no output in {timeout} s; stderr: {self.stderr()}") from None
        if line is None:
            raise AssertionError(f"worker exited early; stderr: {self.stderr()}")
        return line

    def send(self, text: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()

    def finish(self, timeout: float = 60.0) -> list[str]:
        """Wait for exit (rc 0) and return the remaining stdout lines."""
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        rc = self.proc.wait(timeout)
        out: list[str] = []
        while (line := self.lines.get(timeout=10)) is not None:
            out.append(line)
        self._stderr.close()
        assert rc == 0, f"worker failed with {rc}; stderr: {self.stderr()}"
        return out

    def stderr(self) -> str:
        if not self._stderr.closed:
            self._stderr.flush()
        return self.stderr_path.read_text(errors="replace")[-3000:]

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self._stderr.close()


def _enable(data_dir: Path, **store_kwargs: Any) -> Store:
    store = Store(data_dir, **store_kwargs)
    set_consent(store, enabled=True, actor="api")
    return store


def _client(data_dir: Path, **kwargs: Any) -> TelemetryClient:
    kwargs.setdefault("start_session", False)
    kwargs.setdefault("flush_interval", 0.02)
    return TelemetryClient(
        "reliability", data_dir, secret_store=MemorySecretStore(), environ={}, **kwargs
    )


def _add_events(store: Store, n: int, event_type: str = "seed") -> None:
    # The wall clock on purpose: these stores are then written by clients and child processes
    # that prune by retention against the real clock. Only counts and bytes are checked.
    now = datetime.now(UTC)

    def add(doc: StoreDocument) -> None:
        for i in range(n):
            doc.events.append(
                Event(
                    timestamp=now + timedelta(microseconds=i),
                    category="usage",
                    event_type=event_type,
                    session_id="seed-session",
                    properties={"i": i},
                )
            )

    store.update(add)


def _reject_constant(name: str) -> float:
    raise ValueError(f"non-standard JSON constant {name} in the store")


def _strict_load(path: Path) -> dict[str, Any]:
    """What any other JSON consumer sees: must parse, and without NaN/Infinity extensions.
    The store is its head plus the segments it names (docs/store.md, "Layout"): read whole."""
    if path.name == "telemetry.json":
        return raw_document(path.parent, parse_constant=_reject_constant)
    return json.loads(path.read_bytes(), parse_constant=_reject_constant)


def _store_bytes(data: Path) -> bytes:
    """Every byte the store keeps: the head and its segment files."""
    files = [data / "telemetry.json", *sorted(data.glob("telemetry.events-*.jsonl"))]
    return b"".join(p.read_bytes() for p in files)


def _no_quarantine(store: Store, doc: StoreDocument) -> None:
    assert not store.quarantine_log, store.quarantine_log
    assert not doc.quarantined, doc.quarantined
    assert not store.quarantined_files(), store.quarantined_files()


# ------------------------------------------------------------------------------ 1. concurrency
def test_four_processes_write_at_once_while_a_reader_polls(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _enable(data, max_events=5000)
    path = data / "telemetry.json"
    go = tmp_path / "go"
    writers = [Worker(tmp_path, "writer", data, f"w{k}", 500, go) for k in range(4)]
    try:
        for w in writers:
            assert w.line() == "READY"

        stop = threading.Event()
        reads = 0
        sizes: set[int] = set()
        bad: list[str] = []

        def reader() -> None:
            nonlocal reads
            while not stop.is_set():
                # The head and every segment range it names, lock-free, as any JSON consumer.
                try:
                    sizes.add(len(raw_document(path.parent)["events"]))
                except (ValueError, OSError) as exc:
                    bad.append(f"{type(exc).__name__}: {exc}")
                reads += 1

        thread = threading.Thread(target=reader)
        thread.start()
        go.touch()
        try:
            results = [json.loads(w.finish()[-1]) for w in writers]
        finally:
            stop.set()
            thread.join()
    finally:
        for w in writers:
            w.kill()

    assert not bad, bad[:5]
    assert reads > 100, f"only {reads} reads: the reader did not overlap the writers"
    assert len(sizes) > 4, f"reader saw only {sorted(sizes)} event counts: no overlap"
    assert all(r == {"flushed": True, "dropped": 0} for r in results), results

    store = Store(data, max_events=5000)
    doc = store.read()
    _no_quarantine(store, doc)
    stress = [e for e in doc.events if e.event_type == "stress"]
    assert len(stress) == 2000
    assert len({e.id for e in stress}) == 2000
    assert Counter(e.properties["writer"] for e in stress) == {f"w{k}": 500 for k in range(4)}
    for k in range(4):
        seqs = sorted(e.properties["seq"] for e in stress if e.properties["writer"] == f"w{k}")
        assert seqs == list(range(500))
    assert doc.redactions.get("email") == 2000  # one per event, none lost or double-counted
    assert not list(data.glob(TMP_GLOB))


def test_concurrent_writers_at_the_cap_lose_no_update(tmp_path: Path) -> None:
    """At the event cap every document has about the same size, so the writer cache's
    (inode, size, mtime) key is at its weakest; the redaction counter, which pruning never
    shrinks, must still count every event of every process exactly once."""
    data = tmp_path / "data"
    _enable(data, max_events=30)
    go = tmp_path / "go"
    writers = [Worker(tmp_path, "writer", data, f"w{k}", 400, go, 30) for k in range(4)]
    try:
        for w in writers:
            assert w.line() == "READY"
        go.touch()
        results = [json.loads(w.finish()[-1]) for w in writers]
    finally:
        for w in writers:
            w.kill()
    assert all(r == {"flushed": True, "dropped": 0} for r in results), results
    doc = Store(data, max_events=30).read()
    assert len(doc.events) == 30
    assert doc.redactions.get("email") == 1600, doc.redactions


# ------------------------------------------------------------------------------ 2. SIGKILL
@pytest.mark.timeout(90)
def test_sigkill_at_random_moments_never_loses_a_flushed_event(tmp_path: Path) -> None:
    # ~6-10 s: 50 kill iterations of 20-200 ms each plus a full re-read of the store after
    # every kill; children are forked from a warm zygote to avoid 50 interpreter start-ups.
    data = tmp_path / "data"
    _enable(data)
    path = data / "telemetry.json"
    rng = random.Random(20261123)
    durable: dict[int, int] = {}  # iteration -> events 0..n-1 were reported durable
    killed_mid_write = 0
    zygote = Worker(tmp_path, "zygote", stdin=True)
    try:
        assert zygote.line() == "ZYGOTE"
        for it in range(50):
            zygote.send(f"fork {data} {it}")
            start = zygote.line()
            assert start.startswith("START "), start
            pid = int(start.split()[1])
            # One flush first, however slow the machine: the kill must land among flushes
            # (a loaded machine made few, and the test then proved little).
            first = zygote.line()
            assert first == f"D {it} 5", first
            durable[it] = 5
            time.sleep(rng.uniform(0.02, 0.2))
            os.kill(pid, signal.SIGKILL)
            while True:
                line = zygote.line()
                kind, *rest = line.split()
                if kind == "D":
                    assert int(rest[0]) == it
                    durable[it] = int(rest[1])
                    continue
                assert kind == "EXIT", line
                status = int(rest[1])
                assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, line
                break

            leftovers = list(data.glob(TMP_GLOB))
            if leftovers:
                killed_mid_write += 1
                for tmp in leftovers:  # a crash leftover; a later test documents the cleanup
                    tmp.unlink()
            _strict_load(path)
            store = Store(data, max_events=1_000_000)
            doc = store.read()
            _no_quarantine(store, doc)
            stored = {(e.properties["it"], e.properties["seq"]) for e in doc.events}
            for done_it, n in durable.items():
                missing = [s for s in range(n) if (done_it, s) not in stored]
                assert not missing, f"kill {it}: iteration {done_it} lost flushed {missing[:10]}"
    finally:
        zygote.kill()

    ids = [e.id for e in doc.events]
    assert len(ids) == len(set(ids))
    assert sum(durable.values()) >= 250, durable  # a flush per kill at least (see above)
    print(f"{killed_mid_write}/50 kills left a temp file behind (killed mid-write)")


def test_temp_files_left_by_a_crashed_writer_are_cleaned_up(tmp_path: Path) -> None:
    """A writer SIGKILLed between creating its temp file and os.replace leaves the temp file;
    nothing ever removes it, so every crash leaks up to a full copy of the store (0600, with
    all the events) in the data folder, and `delete` will not know about it either."""
    data = tmp_path / "data"
    store = _enable(data)
    _add_events(store, 10)
    stale = data / ".telemetry.json.tmp-999999-deadbeef"
    stale.write_bytes(store.path.read_bytes()[:100])
    old = time.time() - 3600  # the sweep compares file ages with the real clock
    os.utime(stale, (old, old))
    _add_events(store, 1)  # any later successful write is a natural moment to sweep
    assert not stale.exists(), "stale temp file from a crashed writer was never cleaned up"


# ------------------------------------------------------------------------------ 3. consent
def _wait_for(predicate: Any, timeout: float = 15.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def _ticks(data: Path) -> list[Event]:
    return [e for e in Store(data, max_events=100_000).read().events if e.event_type == "tick"]


def test_revocation_by_another_process_drops_everything_recorded_after_it(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    _enable(data)
    stop = tmp_path / "stop"
    host = Worker(tmp_path, "host", data, stop)
    try:
        assert host.line() == "READY"
        _wait_for(lambda: len(_ticks(data)) >= 50, what="the host to store 50 events")
        revoked = set_consent(Store(data), enabled=False, actor="cli")
        assert revoked.changed_at is not None
        cutoff = revoked.changed_at
        time.sleep(0.4)  # the host keeps tracking (~1 event/ms) and flushing (every 5 ms)
        stop.touch()
        result = json.loads(host.finish()[-1])
    finally:
        host.kill()

    doc = Store(data, max_events=100_000).read()
    assert not doc.consent.enabled
    late = [e for e in doc.events if e.timestamp >= cutoff]
    assert not late, f"{len(late)} events at/after the revocation were stored: {late[:3]}"
    before = [e for e in doc.events if e.event_type == "tick"]
    assert len(before) >= 50
    assert result["sent"] > len(before) + 20, result  # the host really kept calling after T


def test_revoke_then_reenable_by_another_process_drops_the_gap(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first_id = _enable(data).read().anonymous_id
    stop = tmp_path / "stop"
    host = Worker(tmp_path, "host", data, stop)
    try:
        assert host.line() == "READY"
        _wait_for(lambda: len(_ticks(data)) >= 20, what="the host to store events")
        off = set_consent(Store(data), enabled=False, actor="gui").changed_at
        time.sleep(0.2)
        on = set_consent(Store(data), enabled=True, actor="gui").changed_at
        assert off is not None and on is not None
        _wait_for(
            lambda: any(e.timestamp >= on for e in _ticks(data)),
            what="the host to pick up the re-enabled consent",
        )
        stop.touch()
        host.finish()
    finally:
        host.kill()

    doc = Store(data, max_events=100_000).read()
    gap = [e for e in doc.events if off <= e.timestamp < on]
    assert not gap, f"{len(gap)} events recorded while consent was off were stored"
    assert any(e.timestamp < off for e in doc.events)
    assert any(e.timestamp >= on for e in doc.events)
    assert doc.anonymous_id != first_id  # re-enabling after an opt-out starts a new id


# ------------------------------------------------------------------------------ other hosts
def test_host_that_exits_without_close_still_persists_via_atexit(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _enable(data)
    host = Worker(tmp_path, "atexit_host", data, 25)
    assert host.finish() == ["BYE"]
    events = [e for e in Store(data).read().events if e.event_type == "atexit"]
    assert sorted(e.properties["i"] for e in events) == list(range(25))


def test_store_locked_by_a_stuck_process_never_blocks_the_host(tmp_path: Path) -> None:
    data = tmp_path / "data"
    store = _enable(data)
    release = tmp_path / "release"
    holder = Worker(tmp_path, "hold_lock", store.lock_path, release)
    client = _client(data, max_events=100_000, max_pending=5000, flush_interval=0.05)
    try:
        assert holder.line() == "LOCKED"
        assert client.flush(timeout=10) is True  # the writer has read consent (no lock needed)
        start = time.perf_counter()
        for i in range(20_000):
            client.track_event("load", {"i": i})
        host_time = time.perf_counter() - start
        t0 = time.perf_counter()
        assert client.flush(timeout=0.5) is False
        assert time.perf_counter() - t0 < 2.0
        release.touch()
        assert holder.finish()[-1] == "RELEASED"
        assert client.flush(timeout=30) is True
    finally:
        holder.kill()
        client.close()
    stored = [e for e in Store(data, max_events=100_000).read().events if e.event_type == "load"]
    # 20 000 calls against a bounded queue: the overflow is counted, nothing vanishes silently.
    assert client.dropped > 0
    assert len(stored) + client.dropped == 20_000, (len(stored), client.dropped)
    assert host_time < 2.0, f"20 000 calls took {host_time:.2f} s while the store was locked"


# ------------------------------------------------------------------------------ 4. bad files
def _valid_doc_bytes(tmp_path: Path) -> bytes:
    seed = tmp_path / "seed"
    store = _enable(seed)
    _add_events(store, 30)
    # The whole document in one file (schema 2's layout, still read): its events are in it.
    return json.dumps(raw_document(seed), separators=(",", ":")).encode()


CORRUPT_CASES: dict[str, Any] = {
    "empty": lambda valid: b"",
    "truncated": lambda valid: valid[: len(valid) // 2],
    "garbage": lambda valid: bytes(random.Random(7).randrange(256) for _ in range(4096)),
    "nul-bytes": lambda valid: b"\x00" * 512,
    "events-not-a-list": lambda valid: b'{"schema_version":1,"events":"nope"}',
    "json-list": lambda valid: b"[1, 2, 3]",
    "json-null": lambda valid: b"null",
    "version-is-a-string": lambda valid: b'{"schema_version":"1","events":[]}',
    "one-bad-event": lambda valid: valid.replace(b'"category":"usage"', b'"category":"x"', 1),
}


@pytest.mark.parametrize("case", list(CORRUPT_CASES))
def test_unreadable_store_is_moved_aside_byte_for_byte_and_reported(
    tmp_path: Path, case: str
) -> None:
    bad = CORRUPT_CASES[case](_valid_doc_bytes(tmp_path))
    data = tmp_path / "data"
    data.mkdir()
    path = data / "telemetry.json"
    path.write_bytes(bad)

    store = Store(data)
    doc = store.read()
    assert len(store.quarantine_log) == 1
    notice = store.quarantine_log[0]
    assert doc.quarantined == [notice]
    moved = Path(notice.moved_to)
    assert moved.parent == data and moved.name.startswith("telemetry.corrupt-")
    assert moved.read_bytes() == bad, "the original bytes must be preserved exactly"
    assert notice.reason.strip(), "the report must say what was wrong"
    # A fresh store: nothing invented, consent not assumed, the notice persisted for other UIs.
    assert doc.events == [] and not doc.consent.decided and not doc.consent.enabled
    on_disk = _strict_load(path)
    assert on_disk["quarantined"][0]["moved_to"] == str(moved)
    # Reading again does not quarantine again.
    again = Store(data)
    assert again.read().quarantined == [notice] and not again.quarantine_log
    assert store.quarantined_files() == [moved]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b'{"schema_version":1,"events":"nope"}', "events"),
        (b'{"schema_version":1,"consent":{"enabled":"maybe"}}', "consent.enabled"),
    ],
    ids=["events", "consent.enabled"],
)
def test_quarantine_reason_names_the_invalid_field(
    tmp_path: Path, content: bytes, expected: str
) -> None:
    """The reason kept for a validation failure is only pydantic's first line ("1 validation
    error for StoreDocument"), which names neither the field nor the problem."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "telemetry.json").write_bytes(content)
    store = Store(data)
    store.read()
    reason = store.quarantine_log[0].reason
    assert expected in reason, f"reason {reason!r} does not name the field {expected!r}"


def test_two_corruptions_in_the_same_second_keep_both_files(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    fixed = datetime(2026, 11, 23, 8, 0, 0, tzinfo=UTC)
    path = data / "telemetry.json"
    originals = [b"{broken one", b"{broken two"]
    for content in originals:
        path.write_bytes(content)
        Store(data, clock=lambda: fixed).read()
    kept = sorted(p.read_bytes() for p in data.glob("telemetry.corrupt-*.json"))
    assert kept == sorted(originals)


def test_corrupt_store_found_by_a_client_is_quarantined_and_the_client_keeps_working(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    path = data / "telemetry.json"
    path.write_bytes(b'{"schema_version": 1, "events": [')
    client = _client(data)
    try:
        client.track_event("before-decision", {})
        assert client.flush(timeout=10) is True  # consent undecided: nothing to write, no error
        assert client.enable() is True
        client.track_event("after", {"ok": True})
        assert client.flush(timeout=10) is True
    finally:
        client.close()
    [moved] = Store(data).quarantined_files()
    assert moved.read_bytes() == b'{"schema_version": 1, "events": ['
    doc = Store(data).read()
    assert [e.event_type for e in doc.events] == ["after"]
    assert doc.quarantined and doc.quarantined[0].moved_to == str(moved)


def test_newer_schema_is_refused_everywhere_and_left_untouched(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    path = data / "telemetry.json"
    newer = json.dumps(
        {"schema_version": 99, "events": [], "future_field": {"x": 1}}, indent=1
    ).encode()
    path.write_bytes(newer)
    before = path.stat()

    with pytest.raises(NewerSchemaError, match=r"newer version.*schema 99"):
        Store(data).read()
    with pytest.raises(NewerSchemaError, match="upgrade"):
        Store(data).update(lambda doc: None)
    with pytest.raises(StoreError):
        set_consent(Store(data), enabled=True, actor="api")

    client = _client(data)
    try:
        client.track_event("x", {"a": 1})
        assert client.enable() is False
        assert client.flush(timeout=5) is False
    finally:
        client.close(timeout=5)

    assert path.read_bytes() == newer
    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert not Store(data).quarantined_files()
    assert not list(data.glob(TMP_GLOB))


def test_legacy_v0_store_is_migrated_without_losing_events(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    path = data / "telemetry.json"
    recent = "2026-11-22T15:30:00Z"
    legacy = {
        "enabled": True,
        "user_id": "machine-derived-id",
        "events": [
            {"event_type": "x", "timestamp": "2026-01-01T00:00:00Z"},
            {"name": "y", "timestamp": recent, "properties": {"k": 1}},
            "not-an-event",
        ],
    }
    path.write_bytes(json.dumps(legacy).encode())

    store = Store(data, retention_days=3650, clock=lambda: datetime(2026, 11, 23, tzinfo=UTC))
    doc = store.read()
    _no_quarantine(store, doc)
    assert doc.schema_version == SCHEMA_VERSION  # 3: limits, rollups, segments (issue 11)
    assert doc.consent.decided and doc.consent.enabled
    assert doc.anonymous_id != "machine-derived-id"
    assert [e.event_type for e in doc.events] == ["x", "y"]
    assert doc.events[0].timestamp == datetime(2026, 1, 1, tzinfo=UTC)
    assert doc.events[1].properties == {"k": 1}
    assert all(e.category == "usage" and e.id for e in doc.events)
    assert path.read_bytes() == json.dumps(legacy).encode(), "a read must not rewrite"

    store.update(lambda d: None)  # the first write persists the migrated document
    on_disk = _strict_load(path)
    assert on_disk["schema_version"] == SCHEMA_VERSION
    assert [e["event_type"] for e in on_disk["events"]] == ["x", "y"]
    assert "user_id" not in on_disk


def test_legacy_event_ids_are_stable_until_the_first_write(tmp_path: Path) -> None:
    """`_migrate_v0` gives id-less legacy events `secrets.token_hex(16)`: a fresh random id on
    every read until something writes, so the GUI, `events --json` and an export made from the
    same unmigrated store disagree about which event is which (and the ids are not uuids)."""
    data = tmp_path / "data"
    data.mkdir()
    legacy = {"enabled": True, "events": [{"event_type": "x", "timestamp": "2026-11-01T00:00:00Z"}]}
    (data / "telemetry.json").write_text(json.dumps(legacy))
    first = Store(data).read().events[0].id
    second = Store(data).read().events[0].id
    assert first == second, "legacy event id changes on every read"


# ------------------------------------------------------------------------------ 5. read-only
def test_data_dir_under_a_regular_file_gives_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file, not a folder")
    data = blocker / "data"
    with pytest.raises(StoreError, match="Not a directory") as info:
        Store(data).update(lambda doc: None)
    assert str(data) in str(info.value)
    client = _client(data)
    try:
        client.track_event("x", {"a": 1})
        client.track_error(ValueError("boom"))
        client.track_performance("m", 1.0)
        assert client.enable() is False
        assert client.flush(timeout=5) is False
    finally:
        client.close(timeout=5)
    assert blocker.read_text() == "a file, not a folder"


@pytest.mark.parametrize("lock_file_exists", [True, False])
def test_read_only_data_dir(tmp_path: Path, immutable: Any, lock_file_exists: bool) -> None:
    data = tmp_path / "data"
    store = _enable(data)
    _add_events(store, 5)
    original = store.path.read_bytes()
    if not lock_file_exists:
        store.lock_path.unlink()
    immutable(data)

    with pytest.raises(
        StoreError, match=r"cannot write .*telemetry\.json: Operation not permitted"
    ):
        Store(data).update(lambda doc: None)
    assert len(Store(data).read().events) == 5  # existing events stay readable

    client = _client(data)
    try:
        start = time.perf_counter()
        for i in range(10):
            client.track_event("ro", {"i": i})
        client.track_error(OSError("read-only"))
        client.track_performance("m", 2.0)
        assert time.perf_counter() - start < 0.5
        assert client.flush(timeout=5) is False
        assert store.path.read_bytes() == original
        assert not list(data.glob(TMP_GLOB))

        immutable.unlock(data)  # the folder becomes writable again: nothing was lost
        assert client.flush(timeout=10) is True
    finally:
        client.close()
    doc = Store(data).read()
    assert sorted(e.properties["i"] for e in doc.events if e.event_type == "ro") == list(range(10))
    assert len([e for e in doc.events if e.event_type == "seed"]) == 5


# ------------------------------------------------------------------------------ 6. disk full
@pytest.mark.parametrize("how", ["store", "client"])
def test_disk_full_keeps_the_previous_store_intact(tmp_path: Path, how: str) -> None:
    data = tmp_path / "data"
    store = _enable(data)
    _add_events(store, 20)
    original = store.path.read_bytes()
    limit = len(original) + 2000  # 40 events of ~300 bytes cannot fit under this

    worker = Worker(tmp_path, "disk_full", data, limit, how)
    result = json.loads(worker.finish()[-1])
    if how == "store":
        assert result["type"] == "StoreError"
        assert "the disk is full" in result["error"], result
        assert str(store.path) in result["error"]
    else:
        assert result == {"flushed": False, "raised": None}
        assert "the disk is full" in worker.stderr()  # the warning the host's log shows

    assert store.path.read_bytes() == original
    doc = Store(data).read()
    assert len(doc.events) == 20 and doc.consent.enabled
    assert not list(data.glob(TMP_GLOB)), "temp file left behind after a failed write"


# ------------------------------------------------------------------------------ 7. hostile input
class _RaisingStr:
    def __str__(self) -> str:
        raise RuntimeError("no str for you")

    __repr__ = __str__


class _ItemsRaises(dict):  # type: ignore[type-arg]
    def items(self) -> Any:
        raise RuntimeError("items() exploded")


class _KeyRaises:
    def __hash__(self) -> int:
        return 1

    def __str__(self) -> str:
        raise RuntimeError("key str exploded")


def _hostile_properties() -> dict[str, Any]:
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(1000):
        node["d"] = {}
        node = node["d"]
    deep_list: list[Any] = []
    lnode = deep_list
    for _ in range(1000):
        lnode.append([])
        lnode = lnode[0]
    cyclic: dict[str, Any] = {"name": "cycle"}
    cyclic["self"] = cyclic
    cyclic_list: list[Any] = [1]
    cyclic_list.append(cyclic_list)
    return {
        "huge-string": {"s": "a" * 10_000_000},
        "huge-unicode": {"s": "é" * 5_000_000},
        "huge-key": {"k" * 10_000_000: 1},
        "deep-dict": deep,
        "deep-list": {"l": deep_list},
        "cyclic-dict": cyclic,
        "cyclic-list": {"l": cyclic_list},
        "bytes": {"b": b"\x00\xff" * 1000, "ba": bytearray(b"xyz"), "mv": memoryview(b"abc")},
        "nan-inf": {"nan": math.nan, "inf": math.inf, "ninf": -math.inf, "big": 10**5000},
        "many-keys": {f"k{i}": i for i in range(100_000)},
        "raising-str": {"v": _RaisingStr(), "nested": [_RaisingStr()]},
        "non-str-keys": {1: "a", 2.5: "b", None: "c", (1, 2): "d", False: "e", _KeyRaises(): "f"},
        "items-raises": _ItemsRaises(a=1),
        "raising-str-as-props": _RaisingStr(),
        "not-a-mapping": ["a", "list"],
        "huge-list": {"l": list(range(1_000_000))},
        "many-big-values": {f"k{i}": "v" * 5000 for i in range(500)},
        "set-and-objects": {"s": {1, 2, 3}, "o": object(), "t": (1, (2, (3,)))},
    }


# Everything an event holds besides `properties`, measured as json.dumps does:
# id and session_id are uuid4 strings (36), the ISO timestamp ~32, category <= 11,
# event_type <= 100 characters (ASCII here), plus the six keys, quotes and separators (~90):
# ~300 bytes. 512 leaves room without hiding a real overrun of the 16 KiB property budget.
ENVELOPE = 512


def test_hostile_properties_never_raise_stay_bounded_and_keep_the_store_valid(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    _enable(data)
    limit = ScrubLimits().max_event_bytes
    cases = _hostile_properties()
    client = _client(data)
    slow: dict[str, float] = {}
    try:
        for name, props in cases.items():
            start = time.perf_counter()
            client.track_event(name, props)  # must not raise
            took = time.perf_counter() - start
            if took > 0.1:
                slow[name] = took
        client.track_event("after-the-storm", {"ok": True})
        assert client.flush(timeout=60) is True
    finally:
        client.close()
    assert not slow, f"host-side calls took too long: {slow}"

    store = Store(data)
    raw = _store_bytes(data)
    on_disk = _strict_load(store.path)
    doc = store.read()
    _no_quarantine(store, doc)
    by_type = {e["event_type"]: e for e in on_disk["events"]}
    assert "after-the-storm" in by_type, "the writer did not survive the hostile input"
    # Everything but the un-iterable mapping is stored (scrubbed, bounded, maybe emptied).
    assert set(cases) - {"items-raises"} <= set(by_type), sorted(set(cases) - set(by_type))
    for event in on_disk["events"]:
        props_size = len(json.dumps(event["properties"]))
        assert props_size <= limit, (event["event_type"], props_size)
        assert len(json.dumps(event)) <= limit + ENVELOPE, event["event_type"]
    assert len(raw) < 40 * (limit + ENVELOPE)
    assert by_type["nan-inf"]["properties"]["nan"] is None
    assert by_type["nan-inf"]["properties"]["big"] is None
    assert "\x00\xff" not in raw.decode()


class _SurrogateError(Exception):
    pass


_SurrogateError.__qualname__ = "Surrogate\ud800Error"  # `type()` itself refuses such a name


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda c: c.track_event("lone \ud800 surrogate", {}), id="event_type"),
        pytest.param(lambda c: c.track_performance("metric\udfff", 1.0), id="metric_name"),
        pytest.param(lambda c: c.track_performance("m", 1.0, unit="\ud83d"), id="unit"),
        pytest.param(lambda c: c.track_error(_SurrogateError("x")), id="error_type"),
    ],
)
def test_unencodable_names_do_not_kill_the_writer(tmp_path: Path, call: Any) -> None:
    """Properties and messages are surrogate-safe (the scrubber fixes them), but event_type,
    metric_name, unit and error_type reach `model_dump_json` raw: a lone surrogate raises
    PydanticSerializationError inside Store.update, `_drain` only catches StoreError, and the
    writer thread dies, so every later event of the process is silently lost."""
    data = tmp_path / "data"
    _enable(data)
    client = _client(data)
    try:
        call(client)  # never raises into the host
        assert client.flush(timeout=1) in (True, False)
        client.track_event("later", {"n": 1})
        assert client.flush(timeout=2) is True, "the writer thread died"
    finally:
        client.close(timeout=1)
    events = Store(data).read().events
    assert "later" in [e.event_type for e in events]
    _strict_load(data / "telemetry.json")
