"""A second, real process that is "the sender" for a data folder, for the sender-lock tests.

`python upload_other_sender.py hold DATA_DIR` takes the sender lock with the same function every
sender uses (`try_sender_lock`); `... host DATA_DIR` is a host app: a `TelemetryClient` whose
default upload sink starts the process's upload worker, which takes the lock itself. Either way
the child prints `READY` once it holds the lock and keeps it until its stdin is closed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["other_sender"]


@contextmanager
def other_sender(data_dir: Path, mode: str = "hold", timeout: float = 20.0) -> Iterator[int]:
    """Yields the child's pid once it holds the lock; the lock is released on exit."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(Path(__file__).resolve().parents[1]), env.get("PYTHONPATH")])
    )
    env["PEFT_TELEMETRY_UPLOAD_WORKER"] = "1"  # the host's worker must start in the child
    child = subprocess.Popen(
        [sys.executable, __file__, mode, str(data_dir)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline().strip()
        if line != "READY":
            child.kill()
            raise AssertionError(f"the other sender did not start: {line!r} {child.stderr.read()}")
        yield child.pid
    finally:
        if child.stdin is not None:
            child.stdin.close()
        try:
            child.wait(timeout)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        for stream in (child.stdout, child.stderr):
            if stream is not None:
                stream.close()


def _hold(data_dir: Path) -> None:
    from peft_telemetry_gui.core.upload.sender import try_sender_lock

    lock = try_sender_lock(data_dir)
    if lock is None:
        print("BUSY", flush=True)
        return
    print("READY", flush=True)
    sys.stdin.read()
    lock.release()


def _host(data_dir: Path) -> None:
    from peft_telemetry_gui import TelemetryClient
    from peft_telemetry_gui.core.secrets import MemorySecretStore
    from peft_telemetry_gui.core.upload.runtime import UploadRuntime

    runtime = UploadRuntime()  # injected, so this script can watch the host's worker
    client = TelemetryClient(
        upload_runtime=runtime,
        app_name="Host App",
        data_dir=data_dir,
        secret_store=MemorySecretStore(),
        flush_interval=0.05,
        start_session=False,
    )
    client.track_event("from_the_host")
    client.flush()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        worker = runtime.get_worker(data_dir)
        if worker is not None and worker.is_sender:
            print("READY", flush=True)
            break
        time.sleep(0.02)
    else:
        print("NO-WORKER", flush=True)
    sys.stdin.read()
    client.close()
    runtime.stop()  # the owner of an injected runtime stops it


if __name__ == "__main__":
    {"hold": _hold, "host": _host}[sys.argv[1]](Path(sys.argv[2]))
