"""The documentation's code runs: every Python block of the integration guide, and the example
host app, each in a fresh interpreter, against a temporary data folder.

Why subprocesses: a block is read by a developer as a whole program (it builds its own client,
may fork, may call `sys.exit`), and a fresh interpreter is what they will paste it into. Why
the store is checked with `Store` for the example: its summary is a claim about what a user
will see, and only what is on disk can back it. Qt-free, so it also runs in `make test-noqt`.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from peft_telemetry_gui.core.store import Store

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "integration-guide.md"
EXAMPLE = ROOT / "examples" / "peft_studio_host.py"
EXAMPLE_APP = "PEFT Studio (example)"
#: A fenced block opened by exactly ```python at the start of a line, up to the closing fence.
_BLOCK = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
_TIMEOUT = 120


def python_blocks(text: str) -> list[tuple[int, str]]:
    """(line number, code) of every ```python block, so a failure names where it is."""
    return [(text.count("\n", 0, m.start()) + 1, m.group(1)) for m in _BLOCK.finditer(text)]


def _env(data_dir: Path, home: Path) -> dict[str, str]:
    """The environment a developer is told to use: a temporary store, secrets in a file (never
    the real keyring), no upload worker, no inherited opt-out that would make every call a
    no-op, no repo checkout on the path (the installed package is what they get)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DO_NOT_TRACK", "PEFT_TELEMETRY_DISABLED", "PYTHONPATH")
    }
    env.update(
        PEFT_TELEMETRY_DIR=str(data_dir),
        PEFT_TELEMETRY_SECRETS="file",
        PEFT_TELEMETRY_UPLOAD_WORKER="0",
        HOME=str(home),
        XDG_DATA_HOME=str(home / "xdg-data"),
        XDG_CONFIG_HOME=str(home / "xdg-config"),
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def _run(args: list[str], tmp_path: Path, data_dir: Path) -> subprocess.CompletedProcess[str]:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return subprocess.run(
        [sys.executable, *args],
        cwd=tmp_path,
        env=_env(data_dir, home),
        capture_output=True,
        text=True,
        timeout=_TIMEOUT,
        check=False,
    )


def _guide_blocks() -> list[tuple[int, str]]:
    """Empty when the guide is missing: `test_guide_has_blocks` then fails and says so."""
    return python_blocks(GUIDE.read_text(encoding="utf-8")) if GUIDE.exists() else []


def test_guide_has_blocks() -> None:
    """A guide whose blocks were all renamed to ```py would pass every other test vacuously."""
    assert len(python_blocks(GUIDE.read_text(encoding="utf-8"))) >= 8


@pytest.mark.parametrize(
    ("line", "code"),
    [pytest.param(line, code, id=f"line{line}") for line, code in _guide_blocks()],
)
def test_guide_block_runs(tmp_path: Path, line: int, code: str) -> None:
    script = tmp_path / "block.py"
    script.write_text(code, encoding="utf-8")
    done = _run([str(script)], tmp_path, tmp_path / "data")
    assert done.returncode == 0, (
        f"docs/integration-guide.md, block at line {line} exited {done.returncode}:\n"
        f"{done.stdout}\n{done.stderr}"
    )
    assert "Traceback" not in done.stderr, done.stderr


def _enable(tmp_path: Path, data_dir: Path) -> None:
    """The user's yes, as the example tells them to give it: the CLI (actor `cli`)."""
    done = _run(
        ["-m", "peft_telemetry_gui.cli", "--data-dir", str(data_dir), "enable"], tmp_path, data_dir
    )
    assert done.returncode == 0, done.stderr


def test_example_records_what_it_claims(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    _enable(tmp_path, data_dir)
    args = [str(EXAMPLE), "--data-dir", str(data_dir), "--steps", "12", "--delay", "0"]
    done = _run([*args, "--json"], tmp_path, data_dir)
    assert done.returncode == 0, done.stderr
    claims = json.loads(done.stdout.strip().splitlines()[-1])
    assert claims["sessions"] == 2 and claims["failures"] == 1 and claims["saved"]
    assert claims["dropped"] == 0 and claims["categories_off"] == []

    events = Store(data_dir).read().events
    started = [e for e in events if e.event_type == "session_started"]
    assert len(started) == claims["sessions"]
    assert all(e.properties["app_name"] == EXAMPLE_APP for e in started)
    assert len({e.session_id for e in events}) == claims["sessions"]
    assert sum(e.event_type == "session_ended" for e in events) == claims["sessions"]
    metrics = [e for e in events if e.metric_name is not None]
    assert len(metrics) == claims["metrics"]
    steps = [e for e in metrics if e.metric_name == "training_step_time"]
    assert len(steps) == claims["steps"] == 12 + 8  # the second run fails at step 8
    usage = [e for e in events if e.category == "usage"]
    assert len(usage) == claims["usage_events"] + 2 * claims["sessions"]
    errors = [e for e in events if e.category == "error"]
    assert len(errors) == claims["failures"]
    assert errors[0].error_type == "SimulatedOutOfMemory"
    assert errors[0].properties == {"phase": "training", "step": 8}
    # The message named a file under the home folder: stored with the folder removed.
    assert "[path]/support_tickets.jsonl" in (errors[0].error_message or "")
    assert str(tmp_path / "home") not in (errors[0].error_message or "")
    doc = Store(data_dir).read()
    assert EXAMPLE_APP in doc.catalogues  # declared, so the Privacy page shows it


def test_example_records_nothing_without_consent(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    done = _run(
        [str(EXAMPLE), "--data-dir", str(data_dir), "--steps", "3", "--delay", "0"],
        tmp_path,
        data_dir,
    )
    assert done.returncode == 0, done.stderr
    assert "peft-telemetry --data-dir" in done.stdout and " enable" in done.stdout
    doc = Store(data_dir).read()
    assert doc.events == []
    assert not doc.consent.decided  # the example never decides for the user
