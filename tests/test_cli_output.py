"""Stored names and values come from host apps and from files anyone can edit: the CLI shows them,
it never lets them drive the terminal or forge a line. `--json` stays exact JSON."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from peft_telemetry_gui.cli import main
from peft_telemetry_gui.core.models import Event, QuarantineNotice
from peft_telemetry_gui.core.store import Store, raw_document

REPO = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 11, 23, 15, 30, tzinfo=UTC)
HOSTILE = "a\x1b[2J\rFAKE 2026-01-01 usage forged\n\u202eevil\u2028x\x9b31m\x7f\u2066"
#: Anything a terminal would act on rather than show (what the CLI must never print raw).
RAW_CONTROL = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


def _hostile_events() -> list[Event]:
    return [
        Event(
            timestamp=NOW,
            category="usage",
            event_type=f"type {HOSTILE}",
            session_id="s1",
            properties={f"key {HOSTILE}": f"value {HOSTILE}", "n": 1},
        ),
        Event(
            timestamp=NOW,
            category="performance",
            event_type="performance",
            session_id="s1",
            metric_name=f"metric {HOSTILE}",
            value=2.5,
            unit=f"ms {HOSTILE}",
        ),
        Event(
            timestamp=NOW,
            category="error",
            event_type="error",
            session_id="s1",
            error_type=f"Err {HOSTILE}",
            error_message=f"message {HOSTILE}",
        ),
    ]


@pytest.fixture
def hostile_store(data_dir: Path) -> Path:
    def fill(doc: object) -> None:
        doc.events.extend(_hostile_events())  # type: ignore[attr-defined]
        doc.redactions[f"counter {HOSTILE}"] = 3  # type: ignore[attr-defined]
        doc.quarantined.append(  # type: ignore[attr-defined]
            QuarantineNotice(at=NOW, moved_to=f"/x/{HOSTILE}.json", reason=f"why {HOSTILE}")
        )

    Store(data_dir, clock=lambda: NOW).update(fill)
    return data_dir


def _run(capsys: pytest.CaptureFixture[str], data_dir: Path, *args: str) -> tuple[str, str]:
    code = main(["--data-dir", str(data_dir), *args])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out, err


def _assert_inert(text: str) -> list[str]:
    lines = text.splitlines()  # splits on \r, \x1c-\x1e, \x85, U+2028/9 too
    assert lines == (text.rstrip("\n").split("\n") if text else [])
    for line in lines:
        assert not RAW_CONTROL.search(line), repr(line)
    return lines


def test_events_prints_one_inert_line_per_record(
    capsys: pytest.CaptureFixture[str], hostile_store: Path
) -> None:
    out, err = _run(capsys, hostile_store, "events")
    lines = _assert_inert(out)
    assert len(lines) == 3
    assert all(line.startswith("2026-11-23 15:30:00  ") for line in lines)
    assert "\\x1b[2J" in lines[0] and "\\r" in lines[0] and "\\n" in lines[0]
    assert "\\u202e" in lines[0] and "\\u2028" in lines[0] and "\\x9b" in lines[0]
    assert _assert_inert(err) == []


def test_stats_prints_stored_names_inert(
    capsys: pytest.CaptureFixture[str], hostile_store: Path
) -> None:
    out, _ = _run(capsys, hostile_store, "stats")
    lines = _assert_inert(out)
    by_type = lines[lines.index("By type:") + 1 : lines.index("By category:")]
    assert len(by_type) == 3 and any("type a\\x1b[2J\\r" in line for line in by_type)
    metric = [line for line in lines if "metric a" in line]
    assert len(metric) == 1 and metric[0].rstrip().endswith("\\u2066")  # the unit, escaped


def test_status_prints_stored_counter_names_and_notices_inert(
    capsys: pytest.CaptureFixture[str], hostile_store: Path
) -> None:
    out, _ = _run(capsys, hostile_store, "status")
    lines = _assert_inert(out)
    scrubbed = [line for line in lines if line.startswith("Removed so far by scrubbing:")]
    assert len(scrubbed) == 1 and "3 counter a\\x1b[2J" in scrubbed[0]
    notes = [line for line in lines if line.startswith("Note: an unreadable store")]
    assert len(notes) == 1 and "why a\\x1b" in notes[0]


@pytest.mark.parametrize("command", ["events", "stats", "status"])
def test_json_stays_exact_and_inert(
    capsys: pytest.CaptureFixture[str], hostile_store: Path, command: str
) -> None:
    out, _ = _run(capsys, hostile_store, command, "--json")
    for line in out.splitlines():
        assert not RAW_CONTROL.search(line), repr(line)
    parsed = json.loads(out)
    if command == "events":
        stored = [e.stored_dict() for e in Store(hostile_store).read().events]
        assert parsed == json.loads(json.dumps(stored, default=str))
        assert parsed[0]["event_type"] == f"type {HOSTILE}"  # every character, back exactly
        assert parsed[0]["properties"][f"key {HOSTILE}"] == f"value {HOSTILE}"
    elif command == "status":
        assert parsed["redactions"] == {f"counter {HOSTILE}": 3}
    else:
        assert parsed["event_counts"][f"type {HOSTILE}"] == 1


def test_a_lone_surrogate_in_a_hand_edited_store_is_shown_not_fatal(data_dir: Path) -> None:
    Store(data_dir, clock=lambda: NOW).update(
        lambda doc: doc.events.append(
            Event(timestamp=NOW, category="usage", event_type="aSURROGATEb", session_id="s")
        )
    )
    path = data_dir / "telemetry.json"
    whole = json.dumps(raw_document(data_dir))  # the store in one file, as a hand edit leaves it
    path.write_text(whole.replace("SURROGATE", "\\ud800"))
    env = {**os.environ, "PEFT_TELEMETRY_SECRETS": "file", "PYTHONPATH": str(REPO)}
    base = [sys.executable, "-m", "peft_telemetry_gui.cli", "--data-dir", str(data_dir)]
    human = subprocess.run([*base, "events"], capture_output=True, timeout=60, env=env, cwd=REPO)
    assert human.returncode == 0, human.stderr
    assert b"a\\ud800b" in human.stdout and human.stderr == b""
    machine = subprocess.run(
        [*base, "events", "--json"], capture_output=True, timeout=60, env=env, cwd=REPO
    )
    assert machine.returncode == 0, machine.stderr
    assert json.loads(machine.stdout)[0]["event_type"] == "a\ud800b"


def test_an_error_naming_a_path_with_a_newline_is_still_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    odd = tmp_path / "two\nlines\x1b[2J"
    odd.write_text("a file, not a folder")
    code = main(["--data-dir", str(odd), "status"])
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    assert len(_assert_inert(err)) == 1 and "two\\nlines\\x1b[2J" in err


def test_a_store_set_aside_is_reported_in_exactly_one_line(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o700)  # private: no "open to others" warning beside the one we test
    (data_dir / "telemetry.json").write_text("{broken")
    proc = subprocess.run(
        [sys.executable, "-m", "peft_telemetry_gui.cli", "--data-dir", str(data_dir), "status"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith("peft-telemetry: warning: ") and "telemetry.corrupt-" in line
