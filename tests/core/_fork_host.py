"""Host processes for the client fault tests: `python _fork_host.py MODE DATA_DIR ...`.

Real hosts of the library, driven by `test_client_faults.py`; each prints one JSON line on
stdout at the end and nothing is mocked.

- `fork DATA_DIR N`: the host keeps a background thread tracking (so its writer is busy in
  `Store.update`) and forks N children one after the other; each child calls `enable()`, tracks
  three events and flushes, then `os._exit`s. A child that has not ended within its deadline is
  killed and counted as hung.
- `fork-upload DATA_DIR ENDPOINT`: the same with upload on and the host's upload worker running:
  the child records, closes and exits within its deadline.
- `fork-early DATA_DIR`: one fork right after the client is built, while its writer thread
  may still be importing (the child's first import would then wait on a lock nobody holds).
- `fork-exit DATA_DIR`: the child ends with `sys.exit(0)`; its own `atexit` hook tracks three
  events when no thread may start any more, and the client's inherited hook must still write
  them (on the exiting thread).
- `exit DATA_DIR`: a host with upload on tracks five events and returns without `close()`: the
  client's own `atexit` hook must finish the job. Where Python still lets an `atexit` handler
  start a thread (3.11, 3.13), a hook registered after the client makes `Thread.start` refuse as
  3.12.0-3.12.1 do ("can't create new thread at interpreter shutdown").
"""

from __future__ import annotations

import atexit
import itertools
import json
import os
import signal
import sys
import threading
import time

from peft_telemetry_gui.core.client import TelemetryClient
from peft_telemetry_gui.core.secrets import MemorySecretStore

CHILD_DEADLINE = 3.0


def _say(payload: object) -> None:
    os.write(1, (json.dumps(payload) + "\n").encode())


def _client(data_dir: str, **kwargs: object) -> TelemetryClient:
    kwargs.setdefault("environ", {"PEFT_TELEMETRY_UPLOAD_WORKER": "0"})
    return TelemetryClient(  # type: ignore[arg-type]
        "Fork Host",
        data_dir,
        max_events=1_000_000,
        secret_store=MemorySecretStore(),
        start_session=False,
        **kwargs,
    )


def _wait_child(pid: int, deadline: float) -> int | None:
    """The child's exit code, or None when it had to be killed (a hang)."""
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return None
        time.sleep(0.005)  # polling a child's exit, with a deadline


def _child(client: TelemetryClient, index: int, *, close: bool) -> None:
    """Runs in the forked child; never returns."""
    code = 1
    try:
        enabled = client.enable()
        for j in range(3):
            client.track_event("child", {"fork": index, "j": j})
        flushed = client.flush(CHILD_DEADLINE)
        if close:
            client.close(CHILD_DEADLINE)
        code = 0 if enabled and flushed else 3
    finally:
        os._exit(code)


def fork_many(data_dir: str, forks: int, *, upload: str | None = None) -> None:
    environ = {"PEFT_TELEMETRY_UPLOAD_WORKER": "1" if upload else "0"}
    client = _client(data_dir, flush_interval=0.005, flush_batch=5, environ=environ)
    client.enable()
    client.flush()  # the writer has started: see `fork_early` for a fork before that
    stop = threading.Event()
    seq = itertools.count()
    tracked = [0]

    def busy() -> None:
        while not stop.is_set():
            client.track_event("parent", {"seq": next(seq)})
            tracked[0] += 1
            time.sleep(0.002)  # pacing the load, not synchronisation

    thread = threading.Thread(target=busy, daemon=True)
    thread.start()
    codes: list[int | None] = []
    try:
        for index in range(forks):
            time.sleep(0.01)  # let the writer get back into a write between two forks
            pid = os.fork()
            if pid == 0:
                _child(client, index, close=upload is not None)
            codes.append(_wait_child(pid, time.monotonic() + CHILD_DEADLINE + 2))
            if codes.count(None) >= 3:
                break  # the verdict is in: do not wait out every hung child
    finally:
        stop.set()
        thread.join()
    flushed = client.flush(30)
    dropped = client.dropped
    client.close()
    _say({"codes": codes, "tracked": tracked[0], "dropped": dropped, "flushed": flushed})


def _no_thread_at_exit() -> None:
    """Registered after the client, so it runs before the client's own hook (last in, first
    out): from then on `Thread.start` refuses, as on Python 3.12.0-3.12.1."""
    if sys.version_info[:2] == (3, 12):
        return  # the real thing

    def as_on_312() -> None:
        def start(self: threading.Thread) -> None:
            raise RuntimeError("can't create new thread at interpreter shutdown")

        threading.Thread.start = start  # type: ignore[method-assign]

    atexit.register(as_on_312)


def fork_early(data_dir: str) -> None:
    client = _client(data_dir)
    pid = os.fork()
    if pid == 0:
        _child(client, 0, close=False)
    code = _wait_child(pid, time.monotonic() + CHILD_DEADLINE + 2)
    client.close()
    _say({"codes": [code]})


def fork_exit(data_dir: str) -> None:
    client = _client(data_dir)
    client.enable()
    client.track_event("parent", {"seq": 0})
    client.flush()  # the writer has started: see `fork_early` for a fork before that
    pid = os.fork()
    if pid == 0:

        def track_at_exit() -> None:
            for j in range(3):
                client.track_event("child", {"fork": 0, "j": j})

        # Last in, first out: Thread.start refuses, then the events, then the client's hook.
        atexit.register(track_at_exit)
        _no_thread_at_exit()
        sys.exit(0)  # unwinds to the interpreter's exit: atexit hooks run in the child
    code = _wait_child(pid, time.monotonic() + CHILD_DEADLINE + 2)
    client.close()
    _say({"codes": [code]})


def exit_without_close(data_dir: str) -> None:
    client = _client(data_dir, environ={"PEFT_TELEMETRY_UPLOAD_WORKER": "1"})
    _no_thread_at_exit()
    for i in range(5):
        client.track_event("at_exit", {"i": i})
    _say({"tracked": 5})


def main(argv: list[str]) -> None:
    mode, data_dir, *rest = argv
    if mode == "fork":
        fork_many(data_dir, int(rest[0]))
    elif mode == "fork-upload":
        fork_many(data_dir, 3, upload=rest[0])
    elif mode == "fork-early":
        fork_early(data_dir)
    elif mode == "fork-exit":
        fork_exit(data_dir)
    elif mode == "exit":
        exit_without_close(data_dir)
    else:
        raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main(sys.argv[1:])
