"""`peft-telemetry serve`: a real server process on a free port, spoken to over real HTTP."""

from __future__ import annotations

import contextlib
import json
import selectors
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from peft_telemetry_gui.cli import main
from peft_telemetry_gui.core.store import Store

API = "/api/telemetry"
SERVE = (sys.executable, "-m", "peft_telemetry_gui.cli", "serve")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(data_dir: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*SERVE, "--data-dir", str(data_dir), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def first_line(proc: subprocess.Popen[str], timeout: float = 30.0) -> str:
    """The server's one line on stdout, or the reason it never came."""
    assert proc.stdout is not None
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        if not sel.select(timeout):
            proc.kill()
            pytest.fail(f"no output within {timeout}s: {proc.communicate()[1]}")
    return proc.stdout.readline()


def listening_addresses(port: int) -> set[str]:
    """Local addresses listening on `port`, from the kernel's own table (Linux)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for row in Path(table).read_text().splitlines()[1:]:
                local, state = row.split()[1], row.split()[3]
                address, _, hex_port = local.partition(":")
                if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                    found.add(address)
    return found


@pytest.fixture
def server(data_dir: Path) -> Iterator[tuple[subprocess.Popen[str], int]]:
    port = free_port()
    proc = serve(data_dir, "--port", str(port))
    try:
        yield proc, port
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def test_serve_answers_on_loopback_and_stops_cleanly(
    server: tuple[subprocess.Popen[str], int], data_dir: Path
) -> None:
    proc, port = server
    line = first_line(proc)
    assert line.startswith("Serving PEFT Studio's telemetry API for ")
    assert line.rstrip().endswith(f"on http://127.0.0.1:{port}/api/telemetry (Ctrl+C to stop)")
    base = f"http://127.0.0.1:{port}{API}"
    health = httpx.get(f"{base}/health", timeout=10)
    assert health.status_code == 200
    assert health.json()["status"] == "healthy" and health.json()["enabled"] is False
    assert listening_addresses(port) == {"0100007F"}  # 127.0.0.1 only, not every interface
    assert httpx.post(f"{base}/consent", json={"enabled": True}, timeout=10).status_code == 200
    got = httpx.post(f"{base}/events", json={"event_type": "from_http"}, timeout=10)
    assert got.status_code == 200
    proc.terminate()  # SIGTERM, as a service manager stops it
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert err == ""
    doc = Store(data_dir).read()
    assert [e.event_type for e in doc.events] == ["session_started", "from_http", "session_ended"]
    assert doc.audit_log[-1].app_name == "PEFT Studio"


def test_serve_says_in_one_line_when_the_port_is_taken(data_dir: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        done = subprocess.run(
            [*SERVE, "--port", str(port), "--data-dir", str(data_dir)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"peft-telemetry: error: cannot listen on 127.0.0.1:{port}: Address already in use"
    ]
    assert not data_dir.exists()  # refused before anything was opened


def test_serve_without_the_extra_says_how_to_get_it(data_dir: Path) -> None:
    code = (
        "import sys\n"
        "sys.modules['fastapi'] = None; sys.modules['uvicorn'] = None  # as if not installed\n"
        "from peft_telemetry_gui.cli import main\n"
        f"assert main(['status', '--data-dir', {str(data_dir)!r}]) == 0  # the rest needs none\n"
        f"sys.exit(main(['serve', '--data-dir', {str(data_dir)!r}]))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stdout.startswith("Telemetry: not decided yet")
    assert done.stderr.splitlines() == [
        "peft-telemetry: error: serve needs FastAPI and uvicorn, which come with the fastapi "
        "extra: pip install 'peft-telemetry-gui[fastapi]'"
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--port", "70000"], "'70000' is not a port (0 to 65535; 0: any free one)"),
        (["--host", " "], "--host is empty; give an address (or leave the option out)"),
    ],
)
def test_serve_refuses_bad_options(
    capsys: pytest.CaptureFixture[str], data_dir: Path, args: list[str], message: str
) -> None:
    assert main(["serve", "--data-dir", str(data_dir), *args]) == 2
    assert message in capsys.readouterr().err


def test_serve_is_a_listed_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "serve PEFT Studio's telemetry API" in capsys.readouterr().out


def test_port_zero_serves_on_a_port_it_names(data_dir: Path) -> None:
    proc = serve(data_dir, "--port", "0")
    try:
        line = first_line(proc)
        port = int(line.rsplit(":", 1)[1].split("/", 1)[0])
        body = httpx.get(f"http://127.0.0.1:{port}{API}/health", timeout=10).json()
        assert json.dumps(body) and body["status"] == "healthy"
        proc.send_signal(2)  # Ctrl+C
        proc.communicate(timeout=30)
        assert proc.returncode == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
