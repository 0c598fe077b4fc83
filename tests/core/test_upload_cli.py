"""`peft-telemetry upload ...` / `token ...` against a real receiver on 127.0.0.1."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from upload_receiver import Receiver

from peft_telemetry_gui import cli
from peft_telemetry_gui.core.store import Store
from peft_telemetry_gui.core.upload import read_deletion_requests, read_queue

pytestmark = pytest.mark.usefixtures("no_upload_worker")


def _run(data_dir: Path, *argv: str) -> int:
    return cli.main(["--data-dir", str(data_dir), *argv])


def test_enable_send_now_status_and_disable(
    data_dir: Path, rx: Receiver, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(data_dir, "upload", "enable", "--endpoint", rx.endpoint) == 2
    assert "turn it on first" in capsys.readouterr().err
    assert _run(data_dir, "enable") == 0
    assert _run(data_dir, "upload", "enable", "--endpoint", "http://example.com") == 2
    assert "only allowed to this computer" in capsys.readouterr().err
    assert _run(data_dir, "upload", "enable", "--endpoint", rx.endpoint) == 0
    assert _run(data_dir, "track", "cli_event", "--prop", "k=v") == 0
    capsys.readouterr()
    assert _run(data_dir, "upload", "preview", "--json") == 0
    preview = json.loads(capsys.readouterr().out)
    assert preview["kind"] == "events" and preview["records"] >= 1
    assert _run(data_dir, "upload", "send-now") == 0
    assert "delivered" in capsys.readouterr().out
    assert any(r["event_name"] == "cli_event" for r in rx.delivered_records())
    assert _run(data_dir, "upload", "status", "--json") == 0
    status = json.loads(capsys.readouterr().out)
    assert status["upload_enabled"] and status["queued"] == 0
    assert status["history"][-1]["outcome"] == "delivered"
    assert _run(data_dir, "upload", "disable") == 0
    assert _run(data_dir, "track", "after_disable") == 0
    assert read_queue(Store(data_dir)) == []


def test_token_is_read_from_stdin_never_argv(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for argv in (["tok_ON_ARGV"], ["tok_ON_ARGV", "more"], ["--token", "tok_ON_ARGV"],
                 ["--token=tok_ON_ARGV"]):  # fmt: skip
        monkeypatch.setattr("sys.stdin", io.StringIO("tok_NOT_READ\n"))
        assert _run(data_dir, "token", "set", *argv) == 2
        captured = capsys.readouterr()
        err = captured.err
        assert err.count("\n") == 1 and "unrecognized arguments" not in err, err
        assert "never taken from the command line" in err
        assert "prompt" in err and "standard input" in err
        assert "tok_ON_ARGV" not in err + captured.out  # a secret is not echoed back
        assert not data_dir.exists()  # refused before anything was read or written
    monkeypatch.setattr("sys.stdin", io.StringIO("tok_FROM_STDIN\n"))
    # tests run without a keyring: a plain one-line refusal, exit 1, nothing written
    assert _run(data_dir, "token", "set") == 1
    err = capsys.readouterr().err
    assert "No keyring backend" in err and "tok_FROM_STDIN" not in err
    assert not data_dir.exists() or all(
        b"tok_FROM_STDIN" not in p.read_bytes() for p in data_dir.iterdir() if p.is_file()
    )


def _deletion_records(rx: Receiver) -> list[dict[str, object]]:
    return [r for r in rx.delivered_records() if r["event_name"] == "deletion_request"]


def test_delete_delivers_the_deletion_request_right_away(
    data_dir: Path, rx: Receiver, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(data_dir, "enable") == 0
    assert _run(data_dir, "upload", "enable", "--endpoint", rx.endpoint) == 0
    old_id = Store(data_dir).read().anonymous_id
    capsys.readouterr()
    assert _run(data_dir, "delete", "--yes") == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1] == "The deletion request for your previous anonymous id was delivered."
    (record,) = _deletion_records(rx)
    assert record["attributes"]["enduser.pseudo.id"] == old_id
    assert read_deletion_requests(Store(data_dir)) == []
    # nothing to tell the collector the second time: no extra line, no request
    assert _run(data_dir, "delete", "--yes", "--json") == 0
    assert json.loads(capsys.readouterr().out)["deletion_request"] is None
    assert len(rx.requests) == 1


def test_delete_says_when_the_deletion_request_waits_for_a_retry(
    data_dir: Path, rx: Receiver, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(data_dir, "enable") == 0
    assert _run(data_dir, "upload", "enable", "--endpoint", rx.endpoint) == 0
    rx.stop()  # the collector is down
    capsys.readouterr()
    assert _run(data_dir, "delete", "--yes") == 0  # deleting locally still succeeded
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("The deletion request could not be delivered yet (could not reach")
    assert "will be retried" in last
    (pending,) = read_deletion_requests(Store(data_dir))
    rx.start()
    assert _run(data_dir, "upload", "send-now") == 0
    assert len(_deletion_records(rx)) == 1
    assert read_deletion_requests(Store(data_dir)) == []
    assert pending.attempts == 1  # the attempt made right after the deletion
