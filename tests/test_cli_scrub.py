"""`peft-telemetry scrub`: the rule tester in a terminal. Needs no store, writes nothing.

A few cases run the real command in a child process (stdin, a terminal, exit codes, no files
created); the rest call `main` in-process. Secret-looking values are generated (seeded) or
obviously fake. Marker assertions follow the grammar (``[class]`` or ``[class:kind]``).
"""

from __future__ import annotations

import io
import json
import os
import random
import string
import subprocess
import sys
from pathlib import Path

import pytest

from peft_telemetry_gui.cli import main
from peft_telemetry_gui.core.scrub.explain import label_of

RNG = random.Random(1010)
AWS_ID = "AKIA" + "".join(RNG.choice(string.ascii_uppercase + "234567") for _ in range(16))
EMAIL = "carol.doe@example.com"
FAKE_KEY = "fake-" + "".join(RNG.choice(string.ascii_lowercase) for _ in range(20))


def scrubbed_section(out: str) -> str:
    """The lines between "Scrubbed:" and the blank line before the table."""
    return out.split("Scrubbed:\n", 1)[1].split("\n\n", 1)[0]


def rules_in_table(out: str) -> set[str]:
    """Rule classes in the table (the header, then one row each until the summary line)."""
    table = out.split("Scrubbed:\n", 1)[1].split("\n\n", 1)[1].splitlines()
    assert table[0].split()[:3] == ["rule", "what", "it"]
    rows = [line for line in table[1:] if not line.startswith("Read as")]
    return {line.split()[0].partition(":")[0] for line in rows}


def child(
    tmp_path: Path, *args: str, stdin: bytes | int | None = None
) -> subprocess.CompletedProcess[bytes]:
    """The real command, with a home, data folder and working folder it may not write to."""
    for name in ("home", "xdg", "work"):
        (tmp_path / name).mkdir(exist_ok=True)
    env = dict(os.environ)
    env.update(  # the installed package, as test_cli.py runs it (in make test-noqt: the wheel)
        HOME=str(tmp_path / "home"),
        XDG_DATA_HOME=str(tmp_path / "xdg" / "data"),
        XDG_CONFIG_HOME=str(tmp_path / "xdg" / "config"),
        PEFT_TELEMETRY_DIR=str(tmp_path / "data"),
        PYTHONDONTWRITEBYTECODE="1",
    )
    kwargs: dict = {"input": stdin} if isinstance(stdin, bytes) else {"stdin": stdin}
    return subprocess.run(
        [sys.executable, "-m", "peft_telemetry_gui.cli", "scrub", *args],
        capture_output=True,
        cwd=tmp_path / "work",
        env=env,
        timeout=60,
        check=False,
        **kwargs,
    )


def assert_nothing_written(tmp_path: Path) -> None:
    assert not (tmp_path / "data").exists()
    written = [p for d in ("home", "xdg", "work") for p in (tmp_path / d).rglob("*")]
    assert written == []


# ------------------------------------------------------------------------- child process


def test_text_argument_shows_scrubbed_text_and_rules(tmp_path: Path) -> None:
    proc = child(tmp_path, f"mail {EMAIL} key {AWS_ID} now")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.decode()
    scrubbed = scrubbed_section(out)
    assert out.startswith("Read as free text")
    assert EMAIL not in scrubbed and AWS_ID not in scrubbed
    assert scrubbed.strip().startswith("mail [email] key [token")
    assert rules_in_table(out) == {"email", "token"}
    # Given back to the person who typed it: that is the point of the tool.
    assert EMAIL in out and AWS_ID in out
    summary = out.rstrip().splitlines()[-1]
    assert summary.startswith("Read as free text: removed 1 e-mail address, 1 ")
    assert proc.stderr == b""
    assert_nothing_written(tmp_path)


def test_json_on_stdin_is_properties(tmp_path: Path) -> None:
    event = {"dataset_path": "/srv/u/proj/train.jsonl", "api_key": FAKE_KEY, "epochs": 3}
    proc = child(tmp_path, "--json", stdin=json.dumps(event).encode() + b"\n")
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    assert payload["input"] == "properties"
    assert payload["scrubbed"]["api_key"] == "[redacted]" and payload["scrubbed"]["epochs"] == 3
    found = {(f["rule"].partition(":")[0], f["where"]): f["removed"] for f in payload["findings"]}
    assert found[("sensitive_key", "api_key")] == FAKE_KEY
    assert ("path", "dataset_path") in found
    assert payload["counts"]["sensitive_key"] == 1
    assert_nothing_written(tmp_path)


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_no_input_on_a_terminal_is_a_usage_error(tmp_path: Path) -> None:
    import pty

    leader, follower = pty.openpty()
    try:
        proc = child(tmp_path, stdin=follower)
    finally:
        os.close(follower)
        os.close(leader)
    assert proc.returncode == 2
    assert proc.stdout == b""
    lines = proc.stderr.decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith("peft-telemetry: error: give the text")


def test_stdin_that_is_not_text_is_a_usage_error(tmp_path: Path) -> None:
    proc = child(tmp_path, "-", stdin=b"caf\xe9 \xff\xfe")
    assert proc.returncode == 2
    lines = proc.stderr.decode().splitlines()
    assert lines == [
        "peft-telemetry: error: standard input is not UTF-8 text (byte 3 cannot be decoded)"
    ]
    assert_nothing_written(tmp_path)


# ------------------------------------------------------------------------- in-process


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_nothing_found_still_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "scrub", "learning rate 2e-4, rank 16, data/train.jsonl")
    assert (code, err) == (0, "")
    assert scrubbed_section(out) == "  learning rate 2e-4, rank 16, data/train.jsonl"
    assert out.splitlines()[-1] == "Read as free text: nothing removed."


def test_unreadable_stdin_is_one_line_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    """Under pytest stdin cannot be read (or, with -s, it is a terminal): either way, exit 2."""
    code, out, err = run(capsys, "scrub")
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and err.startswith("peft-telemetry: error: ")
    assert "standard input" in err or "give the text" in err


def test_dash_reads_stdin(capsys: pytest.CaptureFixture[str], monkeypatch) -> None:
    stdin = io.TextIOWrapper(io.BytesIO(b'{"password": "hunter2-fake"}\n'), encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", stdin)
    code, out, _ = run(capsys, "--json", "scrub", "-")
    payload = json.loads(out)
    assert code == 0 and payload["scrubbed"] == {"password": "[redacted]"}
    assert payload["findings"] == [
        {
            "rule": "sensitive_key",
            "label": label_of("sensitive_key"),
            "removed": "hunter2-fake",
            "where": "password",
            "in_key": False,
        }
    ]


def test_output_is_inert_on_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "scrub", f"{EMAIL}\x1b[2J\u202e line one\nline two")
    assert code == 0
    assert "\x1b" not in out and "\u202e" not in out
    # Multi-line text keeps its lines, each indented under "Scrubbed:".
    assert scrubbed_section(out).splitlines() == [
        "  [email]\\x1b[2J\\u202e line one",
        "  line two",
    ]


def test_long_removals_are_elided_in_the_table_not_in_json(
    capsys: pytest.CaptureFixture[str],
) -> None:
    secret = "fake" + "".join(RNG.choice(string.ascii_lowercase) for _ in range(196))
    event = json.dumps({"client_secret": secret})
    code, out, _ = run(capsys, "scrub", event)
    assert code == 0 and secret not in out
    row = next(line for line in out.splitlines() if line.startswith("sensitive_key"))
    shown = row.split()[-1]
    assert len(shown) == 60 and "…" in shown
    assert shown.startswith(secret[:29]) and shown.endswith(secret[-30:])
    code, out, _ = run(capsys, "scrub", "--json", event)
    assert json.loads(out)["findings"][0]["removed"] == secret


def test_properties_table_has_a_where_column(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "scrub", json.dumps({"run": {"owner": EMAIL}, "user_id": 12}))
    assert code == 0 and out.startswith("Read as event properties")
    table = out.split("\n\n", 1)[1].splitlines()
    assert table[0].split() == ["rule", "what", "it", "is", "where", "removed"]
    assert any(line.split()[0] == "email" and "run.owner" in line for line in table)
    assert "pseudonyms" in out  # identifiers are shown with a throwaway key, and it says so


def test_too_long_input_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "scrub", "x" * 1_000_001)
    assert code == 2 and out == ""
    assert err.startswith("peft-telemetry: error: the input is longer than 1,000,000")
