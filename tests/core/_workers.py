"""Helper processes for the reliability tests: `python _workers.py MODE ARGS...`.

Each mode is a small, real host of the library. They print machine-readable lines on stdout
(JSON or `KEY value` lines) and never use mocks: real files, real locks, real fsyncs.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import sys
import time
from pathlib import Path

# Importable both as `tests.core._workers` and as a script run with the repo on PYTHONPATH.
from peft_telemetry_gui.core.client import TelemetryClient
from peft_telemetry_gui.core.models import Event
from peft_telemetry_gui.core.secrets import MemorySecretStore
from peft_telemetry_gui.core.store import Store, StoreError


def _say(line: str) -> None:
    """One line straight to fd 1: atomic for short lines, no buffer to lose on SIGKILL."""
    os.write(1, (line + "\n").encode())


def _client(data_dir: str, max_events: int, **kwargs: object) -> TelemetryClient:
    return TelemetryClient(
        "reliability",
        data_dir,
        max_events=max_events,
        secret_store=MemorySecretStore(),
        start_session=False,
        **kwargs,  # type: ignore[arg-type]
    )


# ------------------------------------------------------------------------------ writer
def writer(data_dir: str, tag: str, count: str, go_file: str, cap: str = "5000") -> None:
    """Wait for the start signal, track `count` events, flush, report.

    Each event carries one e-mail address, so the store's redaction counter must grow by
    exactly `count` per writer even when the event cap prunes the events themselves.
    """
    client = _client(data_dir, int(cap), flush_interval=0.02, flush_batch=20)
    go = Path(go_file)
    _say("READY")
    deadline = time.monotonic() + 30
    while not go.exists() and time.monotonic() < deadline:
        time.sleep(0.001)
    for seq in range(int(count)):
        client.track_event("stress", {"writer": tag, "seq": seq, "to": "x@example.com"})
        if seq % 50 == 49:
            time.sleep(0.002)  # let the writer thread and the other processes interleave
    ok = client.flush(timeout=60)
    client.close()
    _say(json.dumps({"flushed": ok, "dropped": client.dropped}))


# ------------------------------------------------------------------------------ kill -9
def _durable_child(data_dir: str, iteration: int) -> None:
    client = _client(data_dir, 1_000_000, flush_interval=0.01)
    _say(f"START {os.getpid()}")
    seq = 0
    while True:
        for _ in range(5):
            client.track_event("durable", {"it": iteration, "seq": seq})
            seq += 1
        if client.flush(timeout=30):
            _say(f"D {iteration} {seq}")  # events 0..seq-1 of this iteration are on disk


def zygote() -> None:
    """Imports everything once, then forks one durable writer per `fork DIR N` command.

    Forking from a warm process keeps each kill iteration at ~0.1 s instead of paying the
    interpreter and pydantic start-up 50 times. After a child dies the zygote writes
    `EXIT pid status`: every line the child wrote is in the pipe before that one.
    """
    _say("ZYGOTE")
    for line in sys.stdin:
        parts = line.split()
        if not parts or parts[0] != "fork":
            break
        data_dir, iteration = parts[1], int(parts[2])
        pid = os.fork()
        if pid == 0:
            try:
                _durable_child(data_dir, iteration)
            finally:
                os._exit(3)
        _, status = os.waitpid(pid, 0)
        _say(f"EXIT {pid} {status}")


# ------------------------------------------------------------------------------ consent
def host(data_dir: str, stop_file: str) -> None:
    """Track an event about every millisecond until `stop_file` appears, then close."""
    client = _client(data_dir, 100_000, flush_interval=0.005)
    stop = Path(stop_file)
    _say("READY")
    sent = 0
    deadline = time.monotonic() + 20
    while not stop.exists() and time.monotonic() < deadline:
        client.track_event("tick", {"seq": sent})
        sent += 1
        time.sleep(0.001)
    client.close()
    _say(json.dumps({"sent": sent, "dropped": client.dropped}))


# ------------------------------------------------------------------------------ disk full
def _limit_file_size(limit: int) -> None:
    # A real EFBIG from os.write once a file would grow past `limit` bytes.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def disk_full(data_dir: str, limit: str, how: str) -> None:
    from datetime import UTC, datetime

    store = Store(Path(data_dir), max_events=10_000)
    _limit_file_size(int(limit))
    padding = "x" * 200
    if how == "store":

        def add(doc: object) -> None:
            for i in range(40):
                doc.events.append(  # type: ignore[attr-defined]
                    Event(
                        timestamp=datetime.now(UTC),  # the write fails anyway: never kept
                        category="usage",
                        event_type="grow",
                        session_id="s",
                        properties={"i": i, "pad": padding},
                    )
                )

        try:
            store.update(add)
        except StoreError as exc:
            _say(json.dumps({"error": str(exc), "type": type(exc).__name__}))
            return
        _say(json.dumps({"error": None}))
        return
    client = _client(data_dir, 10_000, flush_interval=0.01)
    raised = None
    try:
        for i in range(40):
            client.track_event("grow", {"i": i, "pad": padding})
    except Exception as exc:  # the test asserts this never happens
        raised = repr(exc)
    ok = client.flush(timeout=10)
    client.close(timeout=5)
    _say(json.dumps({"flushed": ok, "raised": raised}))


# ------------------------------------------------------------------------------ misc hosts
def atexit_host(data_dir: str, count: str) -> None:
    """Tracks and returns without flush() or close(): the atexit hook must persist."""
    client = _client(data_dir, 1000, flush_interval=60)
    for i in range(int(count)):
        client.track_event("atexit", {"i": i})
    _say("BYE")


def hold_lock(lock_path: str, release_file: str) -> None:
    """Hold the store's lock (like a stuck writer) until `release_file` appears."""
    from filelock import FileLock

    release = Path(release_file)
    with FileLock(lock_path):
        _say("LOCKED")
        deadline = time.monotonic() + 60
        while not release.exists() and time.monotonic() < deadline:
            time.sleep(0.005)
    _say("RELEASED")


# ------------------------------------------------------------------------------ store faults
def slow_category_off(data_dir: str, go_file: str) -> None:
    """One transaction that holds the lock (in `mutate`) until `go_file` appears: switches the
    performance category off, as the app would, and reports how often `mutate` ran."""
    from peft_telemetry_gui.core.consent import apply_consent

    store = Store(Path(data_dir))
    go = Path(go_file)
    runs = 0

    def mutate(doc: object) -> None:
        nonlocal runs
        runs += 1
        apply_consent(
            doc,  # type: ignore[arg-type]
            store.clock(),
            enabled=None,
            actor="gui",
            categories={"performance": False},
        )
        _say("IN_MUTATE")
        deadline = time.monotonic() + 30
        while not go.exists() and time.monotonic() < deadline:
            time.sleep(0.005)

    try:
        store.update(mutate)
    except StoreError as exc:
        _say(json.dumps({"error": str(exc), "runs": runs}))
        return
    _say(json.dumps({"error": None, "runs": runs}))


def killed_mid_write(target: str, what: str, limit: str, source: str = "") -> None:
    """Die by SIGXFSZ inside a real write once a file would pass `limit` bytes: a writer
    killed between creating its temp file and the swap, with nothing of ours to clean up."""
    signal.signal(signal.SIGXFSZ, signal.SIG_DFL)  # CPython ignores it; the kernel kills
    resource.setrlimit(resource.RLIMIT_FSIZE, (int(limit), int(limit)))
    path = Path(target)
    _say(f"PID {os.getpid()}")
    if what == "store":
        from datetime import UTC, datetime

        store = Store(path, max_events=10_000)

        def grow(doc: object) -> None:
            for i in range(200):
                doc.events.append(  # type: ignore[attr-defined]
                    Event(
                        timestamp=datetime(2030, 1, 1, tzinfo=UTC),
                        category="usage",
                        event_type="grow",
                        session_id="s",
                        properties={"i": i, "pad": "x" * 500},
                    )
                )

        store.update(grow)
    elif what == "head":  # the store's head alone grows: killed writing its temp copy
        store = Store(path, max_events=10_000)

        def grow_head(doc: object) -> None:
            doc.redactions.update({f"pad-{i}": 1 for i in range(5000)})  # type: ignore[attr-defined]

        store.update(grow_head)
    elif what == "secrets":
        from peft_telemetry_gui.core.secrets import FileSecretStore

        FileSecretStore(path / "secrets.json").set("hmac-key", "ab" * 32)
    elif what == "export":
        from peft_telemetry_gui.core.export import export_data

        export_data(Store(Path(source)).read(), path, "json")
    _say("SURVIVED")  # the test fails on this: the limit was meant to kill us mid-write


def fifo_host(data_dir: str) -> None:
    """A host app whose store path is a FIFO: every call must return, none may raise."""
    import logging

    logging.basicConfig(level=logging.WARNING, format="LOG %(message)s")
    client = _client(data_dir, 1000, flush_interval=0.01)
    raised = None
    try:
        client.track_event("x", {"a": 1})
        enabled = client.enable()
        flushed = client.flush(timeout=5)
    except Exception as exc:  # the test asserts this never happens
        raised, enabled, flushed = repr(exc), None, None
    client.close(timeout=5)
    _say(json.dumps({"raised": raised, "enabled": enabled, "flushed": flushed}))


def cli_peak_memory(report: str, *argv: str) -> None:
    """Run one CLI command in this process, then write its peak RSS (VmHWM, this process's own
    memory since exec: `ru_maxrss` would include the parent's, inherited across exec)."""
    from peft_telemetry_gui.cli import main

    code = main(list(argv))
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            Path(report).write_text(line.split()[1])  # KiB
    sys.exit(code)


MODES = {
    "cli_peak_memory": cli_peak_memory,
    "slow_category_off": slow_category_off,
    "killed_mid_write": killed_mid_write,
    "fifo_host": fifo_host,
    "writer": writer,
    "zygote": zygote,
    "host": host,
    "disk_full": disk_full,
    "atexit_host": atexit_host,
    "hold_lock": hold_lock,
}

if __name__ == "__main__":
    MODES[sys.argv[1]](*sys.argv[2:])
