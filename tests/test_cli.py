from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from peft_telemetry_gui.cli import main
from peft_telemetry_gui.core import analytics
from peft_telemetry_gui.core.store import Store


def run(capsys: pytest.CaptureFixture[str], data_dir: Path, *args: str) -> tuple[int, str, str]:
    code = main(["--data-dir", str(data_dir), *args])
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys: pytest.CaptureFixture[str], data_dir: Path, *args: str) -> object:
    code, out, err = run(capsys, data_dir, *args, "--json")
    assert code == 0, err
    return json.loads(out)


def test_status_json_shape_on_a_fresh_store(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    status = run_json(capsys, data_dir, "status")
    assert isinstance(status, dict)
    assert {
        "enabled",
        "decided",
        "categories",
        "upload_enabled",
        "anonymous_id",
        "data_dir",
        "event_count",
        "env_override",
    } <= set(status)
    assert status["enabled"] is False and status["decided"] is False
    assert status["data_dir"] == str(data_dir) and status["event_count"] == 0


def test_status_names_the_env_override(
    capsys: pytest.CaptureFixture[str], data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DO_NOT_TRACK", "1")
    assert run_json(capsys, data_dir, "status")["env_override"] == "DO_NOT_TRACK=1"  # type: ignore[index]
    code, out, _ = run(capsys, data_dir, "status")
    assert code == 0 and "overridden by DO_NOT_TRACK=1" in out


def test_enable_track_events_stats_round_trip(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    code, out, _ = run(capsys, data_dir, "enable", "--category", "usage", "--category", "error")
    assert code == 0 and "usage, error" in out
    status = run_json(capsys, data_dir, "status")
    assert status["categories"] == {  # type: ignore[index]
        "usage": True,
        "error": True,
        "performance": False,
        "system": False,
    }
    for i in range(3):
        code, _, err = run(
            capsys,
            data_dir,
            "track",
            "epoch_done",
            "--prop",
            f"epoch={i}",
            "--prop",
            "path=/home/bob/x.txt",
        )
        assert code == 0, err
    events = run_json(capsys, data_dir, "events", "--type", "epoch_done")
    assert [e["properties"]["epoch"] for e in events] == [0, 1, 2]  # type: ignore[index,union-attr]
    assert events[0]["properties"]["path"] == "[path]/x.txt"  # type: ignore[index]
    stats = run_json(capsys, data_dir, "stats")
    expected = analytics.compute(Store(data_dir).read().events).model_dump(mode="json")
    assert stats == expected
    assert {
        "total_events",
        "event_counts",
        "category_counts",
        "daily_counts",
        "sessions",
        "performance",
        "system_info",
    } <= set(stats)  # type: ignore[arg-type]
    code, out, _ = run(capsys, data_dir, "disable")
    assert code == 0
    code, out, _ = run(capsys, data_dir, "track", "ignored")
    assert code == 0 and "Not recorded" in out
    actors = {e.actor for e in Store(data_dir).read().audit_log}
    assert actors == {"cli"}


def test_stats_since_until_filter(capsys: pytest.CaptureFixture[str], data_dir: Path) -> None:
    run(capsys, data_dir, "enable")
    run(capsys, data_dir, "track", "x")
    assert run_json(capsys, data_dir, "stats", "--since", "2999-01-01")["total_events"] == 0  # type: ignore[index]
    assert run_json(capsys, data_dir, "stats", "--until", "2000-01-01")["total_events"] == 0  # type: ignore[index]
    assert run_json(capsys, data_dir, "stats", "--since", "2000-01-01")["total_events"] == 1  # type: ignore[index]


def test_export_and_delete(
    capsys: pytest.CaptureFixture[str], data_dir: Path, tmp_path: Path
) -> None:
    run(capsys, data_dir, "enable")
    run(capsys, data_dir, "track", "x")
    out_file = tmp_path / "out.csv"
    code, out, _ = run(capsys, data_dir, "export", "--output", str(out_file), "--format", "csv")
    assert code == 0 and str(out_file) in out and out_file.read_text().count("\n") == 2
    code, _, err = run(capsys, data_dir, "export", "--output", str(out_file))
    assert code == 1 and "already exists" in err
    code, _, err = run(capsys, data_dir, "delete")  # stdin is not a terminal under pytest
    assert code == 2 and "--yes" in err
    assert Store(data_dir).read().events
    code, out, _ = run(capsys, data_dir, "delete", "--yes")
    assert code == 0 and "Deleted 1 event and all history" in out
    assert Store(data_dir).read().events == []


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["events", "--since", "yesterday"], 2, "not a date"),
        (["enable", "--category", "location"], 2, "unknown category"),
        (["track", "x", "--prop", "novalue"], 2, "key=value"),
        (["export", "--output", "/nonexistent-dir/x.json"], 1, "does not exist"),
        (["frobnicate"], 2, "invalid choice"),
        (["export"], 2, "required"),
        (["track", "   "], 2, "the event name is empty"),
        (["track", "x", "--prop", "n=1e999"], 2, "--prop n: 1e999 is not a finite number"),
        (["stats", "--since", ""], 2, "--since is empty"),
        (["export", "--output", ""], 2, "--output is empty"),
    ],
)
def test_user_mistakes_give_one_line_and_no_traceback(
    data_dir: Path, args: list[str], code: int, message: str
) -> None:
    env = {**os.environ, "PEFT_TELEMETRY_SECRETS": "file"}
    proc = subprocess.run(
        [sys.executable, "-m", "peft_telemetry_gui.cli", "--data-dir", str(data_dir), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert proc.returncode == code, proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and message in proc.stderr


def test_corrupt_store_is_reported_once_and_kept_aside(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    data_dir.mkdir()
    (data_dir / "telemetry.json").write_text("{not json")
    code, out, err = run(capsys, data_dir, "status")
    assert code == 0
    assert "could not be read" in err and "telemetry.corrupt-" in err
    assert "moved to" in out
    assert len(list(data_dir.glob("telemetry.corrupt-*.json"))) == 1


def test_newer_schema_store_is_a_one_line_failure(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    data_dir.mkdir()
    (data_dir / "telemetry.json").write_text('{"schema_version": 99}')
    code, _, err = run(capsys, data_dir, "status")
    assert code == 1 and "newer version" in err and len(err.strip().splitlines()) == 1


def test_status_of_a_store_never_written_shows_no_made_up_id(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    assert run_json(capsys, data_dir, "status")["anonymous_id"] is None  # type: ignore[index]
    code, out, _ = run(capsys, data_dir, "status")
    assert code == 0
    assert "Anonymous id:  none (made only when you first turn telemetry on)" in out
    run(capsys, data_dir, "enable")
    first = run_json(capsys, data_dir, "status")["anonymous_id"]  # type: ignore[index]
    assert first and first == run_json(capsys, data_dir, "status")["anonymous_id"]  # type: ignore[index]


def test_no_anonymous_id_after_a_no_and_none_to_reset(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    assert run(capsys, data_dir, "disable")[0] == 0  # "don't allow", before any yes
    assert run_json(capsys, data_dir, "status")["anonymous_id"] is None  # type: ignore[index]
    assert "Anonymous id:  none" in run(capsys, data_dir, "status")[1]
    code, out, err = run(capsys, data_dir, "reset-id")
    assert (code, err) == (0, "")
    assert out.startswith("There is no anonymous id to reset")
    assert run_json(capsys, data_dir, "reset-id") == {"anonymous_id": None, "reset": False}
    assert [e.what for e in Store(data_dir).read().audit_log] == ["decision"]  # no reset logged


def test_status_prints_the_last_change_and_who_made_it(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    from datetime import UTC, datetime

    from peft_telemetry_gui import TelemetryClient
    from peft_telemetry_gui.core.secrets import MemorySecretStore

    run(capsys, data_dir, "enable", "--category", "error")
    with TelemetryClient(
        app_name="PEFT Studio",
        app_version="2.1",
        data_dir=data_dir,
        start_session=False,
        secret_store=MemorySecretStore(),
        environ={},
        clock=lambda: datetime(2026, 12, 1, 14, 2, tzinfo=UTC),
    ) as client:
        client.enable(categories={"usage": True})
    code, out, _ = run(capsys, data_dir, "status")
    assert code == 0
    assert "Last change: PEFT Studio turned on usage at 2026-12-01 14:02 UTC (host app)" in out
    last = run_json(capsys, data_dir, "status")["last_change"]  # type: ignore[index]
    assert {k: last[k] for k in ("at", "actor", "app_name", "what", "from", "to")} == {  # type: ignore[index]
        "at": "2026-12-01T14:02:00+00:00",
        "actor": "api",
        "app_name": "PEFT Studio",
        "what": "category:usage",
        "from": False,
        "to": True,
    }
    run(capsys, data_dir, "disable")
    last = run_json(capsys, data_dir, "status")["last_change"]  # type: ignore[index]
    assert (last["actor"], last["what"], last["to"], last["app_name"]) == (  # type: ignore[index]
        "cli",
        "consent",
        False,
        None,
    )
    assert "Last change: You turned off telemetry at " in run(capsys, data_dir, "status")[1]


def test_enable_without_category_keeps_the_earlier_choice(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    run(capsys, data_dir, "enable", "--category", "usage")
    run(capsys, data_dir, "disable")
    code, out, _ = run(capsys, data_dir, "enable")
    assert code == 0
    assert out.splitlines() == [
        "Telemetry on for: usage",
        "Still off: error, performance, system (choose with --category)",
    ]
    assert [c for c, on in Store(data_dir).read().consent.categories.items() if on] == ["usage"]


def test_disable_says_what_happens_to_what_is_already_stored(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    run(capsys, data_dir, "enable")
    run(capsys, data_dir, "track", "x")
    code, out, _ = run(capsys, data_dir, "disable")
    assert code == 0
    assert "1 event already stored stays on this computer until you delete them" in out
    assert "peft-telemetry delete" in out
    assert run_json(capsys, data_dir, "disable")["events_kept"] == 1  # type: ignore[index]


def test_a_reader_that_stops_early_gets_no_error_message(data_dir: Path) -> None:
    from datetime import UTC, datetime

    from peft_telemetry_gui.core.models import Event

    now = datetime(2026, 11, 23, 15, 30, tzinfo=UTC)
    many = [  # far more output than a pipe buffers, so `head` really closes it early
        Event(timestamp=now, category="usage", event_type=f"e{i}", session_id="s")
        for i in range(3000)
    ]
    Store(data_dir, max_events=5000, clock=lambda: now).update(lambda doc: doc.events.extend(many))
    env = {**os.environ, "PEFT_TELEMETRY_SECRETS": "file"}
    cmd = [sys.executable, "-m", "peft_telemetry_gui.cli", "--data-dir", str(data_dir)]
    proc = subprocess.run(
        f"{' '.join(cmd)} events | head -n 1",
        shell=True,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert len(proc.stdout.splitlines()) == 1
    assert "error" not in proc.stderr and "Traceback" not in proc.stderr


def test_an_empty_data_dir_never_means_the_real_store(data_dir: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "peft_telemetry_gui.cli", "--data-dir", "", "delete", "--yes"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PEFT_TELEMETRY_DIR": str(data_dir)},
    )
    assert proc.returncode == 2 and "--data-dir is empty" in proc.stderr
    assert not data_dir.exists()  # nothing was touched, not even the fallback folder


def _one_error_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("peft-telemetry: error: ") and "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["track", ""], "the event name is empty"),
        (["track", "   "], "the event name is empty"),
        (["track", "x", "--prop", "n=1e999"], "--prop n: 1e999 is not a finite number"),
        (["track", "x", "--prop", "n=-1e999"], "--prop n: -1e999 is not a finite number"),
        (["track", "x", "--prop", "ok=1", "--prop", "n=NaN"], "--prop n: NaN is not a finite"),
        (["track", "x", "--prop", "n=Infinity"], "--prop n: Infinity is not a finite number"),
        (["track", "x", "--prop", "n=-Infinity"], "--prop n: -Infinity is not a finite"),
        (["stats", "--since", ""], "--since is empty"),
        (["stats", "--until", " "], "--until is empty"),
        (["events", "--since", ""], "--since is empty"),
        (["events", "--until", ""], "--until is empty"),
        (["events", "--type", ""], "--type is empty"),
        (["export", "--output", ""], "--output is empty"),
        (["export", "--output", "x\x00.json"], "--output contains a NUL character"),
    ],
)
def test_each_mistake_is_one_usage_line_and_records_nothing(
    capsys: pytest.CaptureFixture[str], data_dir: Path, args: list[str], message: str
) -> None:
    run(capsys, data_dir, "enable")
    code, out, err = run(capsys, data_dir, *args)
    assert code == 2 and out == ""
    assert message in _one_error_line(err)
    assert Store(data_dir).read().events == []


def test_a_nul_in_the_data_dir_is_a_usage_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code = main(["--data-dir", f"{tmp_path}/a\x00b", "status"])
    _, err = capsys.readouterr()
    assert code == 2 and "--data-dir contains a NUL character" in _one_error_line(err)


def test_a_quoted_value_is_stored_as_the_text_inside(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    run(capsys, data_dir, "enable")
    code, _, err = run(
        capsys, data_dir, "track", "x", "--prop", 'n="NaN"', "--prop", 'v="1"', "--prop", "f=1.5"
    )
    assert code == 0, err
    (event,) = Store(data_dir).read().events
    assert event.properties == {"n": "NaN", "v": "1", "f": 1.5}


@pytest.mark.parametrize("value", ["2", "true", "yes", "anything"])
def test_any_do_not_track_value_stops_the_cli_recording(
    capsys: pytest.CaptureFixture[str],
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    value: str,
) -> None:
    run(capsys, data_dir, "enable")
    monkeypatch.setenv("DO_NOT_TRACK", value)
    assert run_json(capsys, data_dir, "status")["env_override"] == f"DO_NOT_TRACK={value}"  # type: ignore[index]
    code, out, _ = run(capsys, data_dir, "track", "x")
    assert code == 0 and f"Not recorded: DO_NOT_TRACK={value} is set" in out
    assert Store(data_dir).read().events == []


@pytest.fixture
def read_only_data_dir(tmpfs: Any) -> Iterator[Path]:
    """A real read-only filesystem (root ignores a folder's mode bits, not a ro mount)."""
    mnt = tmpfs("1m", mode="0755")
    data = mnt / "data"
    assert main(["--data-dir", str(data), "enable"]) == 0
    tmpfs.read_only(mnt)
    yield data


def test_a_store_that_cannot_be_written_is_one_line_naming_the_cause(
    read_only_data_dir: Path,
) -> None:
    env = {**os.environ, "PEFT_TELEMETRY_SECRETS": "file"}
    cmd = [sys.executable, "-m", "peft_telemetry_gui.cli", "--data-dir", str(read_only_data_dir)]
    proc = subprocess.run([*cmd, "track", "x"], capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 1
    line = _one_error_line(proc.stderr)
    assert "could not be saved" in line and "Read-only file system" in line


def _pending_store(data_dir: Path) -> None:
    """Consent given with a catalogue of one event; the app then declared a second one."""
    from datetime import UTC, datetime

    from peft_telemetry_gui.core.catalogue import parse_catalogue, stored_record
    from peft_telemetry_gui.core.services.consent import set_consent

    now = datetime(2026, 11, 23, 15, 30, tzinfo=UTC)
    v1 = {"version": "1", "events": {"a": {"category": "usage", "description": "Event A"}}}
    v2 = {
        "version": "2",
        "events": {
            **v1["events"],
            "merge_done": {"category": "usage", "description": "That adapters were merged"},
        },
    }
    store = Store(data_dir, clock=lambda: now)

    def declare(catalogue: dict[str, object]) -> None:
        record = stored_record(parse_catalogue(catalogue), app_version="2.1", now=now)
        store.update(lambda doc: doc.catalogues.__setitem__("PEFT Studio", record))

    declare(v1)
    set_consent(store, enabled=True, actor="cli")
    declare(v2)


def test_status_shows_pending_review_and_enable_accepts_it(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    _pending_store(data_dir)
    code, out, _ = run(capsys, data_dir, "status")
    assert code == 0
    assert "Pending review" in out
    assert "PEFT Studio: merge_done (Usage): That adapters were merged" in out
    payload = run_json(capsys, data_dir, "status")
    assert payload["pending_review"] == [
        {
            "app": "PEFT Studio",
            "event": "merge_done",
            "property": "",
            "category": "usage",
            "description": "That adapters were merged",
        }
    ]
    code, out, _ = run(capsys, data_dir, "enable")
    assert code == 0 and "Accepted: PEFT Studio: merge_done" in out
    assert run_json(capsys, data_dir, "status")["pending_review"] == []
    last = Store(data_dir).read().audit_log[-1]
    assert (last.what, last.actor, last.to_value) == ("review", "cli", "accepted")
    code, out, _ = run(capsys, data_dir, "status")
    assert "Pending review" not in out
