"""Upload under faults and hostile input (issue 8): torn upload files, look-alike loopback
names, odd `Retry-After` values, `DO_NOT_TRACK`, and one-line CLI errors.

Everything runs for real: the CLI in-process (`cli.main`), files truncated on disk mid-JSON, and
the scripted OTLP receiver on 127.0.0.1 (`rx`). Proxy, TLS and the OTLP variables are in
`test_upload_network.py`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from upload_receiver import Action, Receiver

from peft_telemetry_gui import cli
from peft_telemetry_gui.core.services.upload import (
    deliver_deletion_requests,
    request_send_now,
    send_now,
)
from peft_telemetry_gui.core.store import Store
from peft_telemetry_gui.core.upload import (
    EndpointError,
    UploadWorker,
    parse_retry_after,
    read_deletion_requests,
    read_queue,
    resolve_logs_url,
    validate_endpoint,
)
from peft_telemetry_gui.core.upload.runtime import UploadRuntime

pytestmark = [pytest.mark.faults, pytest.mark.usefixtures("no_upload_worker")]

STATE = "upload-state.json"
DELETION = "upload-deletion-request.json"
DELETION_COPY = "upload-deletion-request.copy.json"


def _cli(data_dir: Path, *argv: str) -> int:
    return cli.main(["--data-dir", str(data_dir), *argv])


def _ok(data_dir: Path, *argv: str) -> None:
    assert _cli(data_dir, *argv) == 0, argv


def _cut(path: Path, at: int) -> bytes:
    """Truncate `path` to its first `at` bytes (a torn write): returns what is left."""
    data = path.read_bytes()
    assert 0 < at < len(data)
    path.write_bytes(data[:at])
    return data[:at]


def _erased(rx: Receiver) -> set[str]:
    return {
        r["attributes"]["enduser.pseudo.id"]
        for r in rx.delivered_records()
        if r["event_name"] == "deletion_request"
    }


def _erased_once_delivered(data_dir: Path, rx: Receiver) -> set[str]:
    """What the collector was asked to erase once no request is pending. The CLI's delete waits
    3 s for its requests; a loaded machine can miss that, and the rest stays pending for the
    next sender, which this is (bounded: at most 10 tries)."""
    store = Store(data_dir)
    for _ in range(10):
        if not read_deletion_requests(store):
            break
        deliver_deletion_requests(store)
    return _erased(rx)


def _two_ids_delivered(data_dir: Path, rx: Receiver) -> tuple[str, str]:
    """Records delivered under two anonymous ids (a reset in between); upload switched off,
    so a later deletion cannot fall back on "the current id while upload is on"."""
    _ok(data_dir, "enable")
    _ok(data_dir, "upload", "enable", "--endpoint", rx.endpoint)
    first = Store(data_dir).read().anonymous_id
    _ok(data_dir, "track", "under_a")
    _ok(data_dir, "upload", "send-now")
    _ok(data_dir, "reset-id")
    second = Store(data_dir).read().anonymous_id
    _ok(data_dir, "track", "under_b")
    _ok(data_dir, "upload", "send-now")
    ids = {r["attributes"]["enduser.pseudo.id"] for r in rx.delivered_records()}
    assert ids == {first, second} and first != second
    _ok(data_dir, "upload", "disable")
    return first, second


# ------------------------------------------------------------------ torn upload-state.json
@pytest.mark.parametrize("fraction", [0.05, 0.4, 0.8, 0.99])
def test_a_torn_upload_state_still_erases_every_id_that_was_ever_delivered(
    data_dir: Path, rx: Receiver, fraction: float, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = _two_ids_delivered(data_dir, rx)
    state = data_dir / STATE
    _cut(state, max(1, int(len(state.read_bytes()) * fraction)))
    capsys.readouterr()
    _ok(data_dir, "delete", "--yes")
    assert "2 deletion requests" in capsys.readouterr().out
    assert _erased_once_delivered(data_dir, rx) == {first, second}


def test_a_torn_state_from_a_version_without_the_id_log_is_salvaged_up_to_the_cut(
    data_dir: Path, rx: Receiver
) -> None:
    first, second = _two_ids_delivered(data_dir, rx)
    (data_dir / "upload-sent-ids.log").unlink(missing_ok=True)  # as an older version left it
    state = data_dir / STATE
    text = state.read_text()
    end = text.index("]", text.index('"sent_anonymous_ids"'))
    _cut(state, end)  # the list's closing bracket and everything after it are gone
    _ok(data_dir, "delete", "--yes")
    assert _erased_once_delivered(data_dir, rx) == {first, second}


def test_a_torn_state_cut_before_the_ids_still_erases_the_current_id(
    data_dir: Path, rx: Receiver
) -> None:
    """Without the log (an older version) and cut before the list, the earlier id is gone
    from the disk; the current one is still asked to be erased, upload off or not."""
    _first, second = _two_ids_delivered(data_dir, rx)
    (data_dir / "upload-sent-ids.log").unlink(missing_ok=True)
    _cut(data_dir / STATE, 3)
    _ok(data_dir, "delete", "--yes")
    assert _erased_once_delivered(data_dir, rx) == {second}


def test_a_torn_state_is_kept_aside_and_reported_in_one_line(
    data_dir: Path, rx: Receiver, capsys: pytest.CaptureFixture[str]
) -> None:
    _ok(data_dir, "enable")
    _ok(data_dir, "upload", "enable", "--endpoint", rx.endpoint)
    _ok(data_dir, "track", "one")
    _ok(data_dir, "upload", "send-now")
    torn = _cut(data_dir / STATE, 40)
    _ok(data_dir, "track", "two")
    capsys.readouterr()
    for argv in (["upload", "status"], ["upload", "preview"]):
        _ok(data_dir, *argv)
        err = capsys.readouterr().err
        assert "<class" not in err and err.count("\n") <= 1, err
    _ok(data_dir, "upload", "send-now")  # writes the history: the damaged file goes aside
    err = capsys.readouterr().err
    assert "<class" not in err and err.count("\n") <= 1, err
    (kept,) = data_dir.glob("upload-state.corrupt-*.json")
    assert kept.read_bytes() == torn
    assert _cli(data_dir, "upload", "status", "--json") == 0
    status = json.loads(capsys.readouterr().out)
    assert "damaged" in status["last_error"] and kept.name in status["last_error"]
    assert status["history"][-1]["outcome"] == "delivered"  # a new history goes on


# ------------------------------------------------------------------ torn deletion requests
def _pending_deletions(data_dir: Path, rx: Receiver) -> tuple[str, str]:
    """Two deletion requests left pending: the collector was down during "delete"."""
    first, second = _two_ids_delivered(data_dir, rx)
    rx.stop()
    assert _cli(data_dir, "delete", "--yes") == 0
    assert {r.anonymous_id for r in read_deletion_requests(Store(data_dir))} == {first, second}
    rx.start()
    return first, second


@pytest.mark.parametrize("fraction", [0.02, 0.3, 0.6, 0.97])
def test_a_torn_deletion_file_still_sends_every_erase_request(
    data_dir: Path, rx: Receiver, fraction: float
) -> None:
    first, second = _pending_deletions(data_dir, rx)
    main = data_dir / DELETION
    _cut(main, max(1, int(len(main.read_bytes()) * fraction)))
    assert _cli(data_dir, "upload", "send-now") == 0
    assert _erased(rx) == {first, second}
    assert read_deletion_requests(Store(data_dir)) == []
    assert not main.exists()
    assert len(list(data_dir.glob("upload-deletion-request.corrupt-*.json"))) == 1


def test_a_deletion_file_without_its_copy_recovers_the_request_the_cut_went_through(
    data_dir: Path, rx: Receiver
) -> None:
    first, second = _pending_deletions(data_dir, rx)
    (data_dir / DELETION_COPY).unlink(missing_ok=True)  # as an older version left it: one file only
    main = data_dir / DELETION
    text = main.read_text()
    at = text.index(second)
    # Cut right after the second request's anonymous id: its address is gone (the saved
    # endpoint takes its place), the first request is complete.
    if text.index(first) > at:
        first, second = second, first
        at = text.index(second)
    _cut(main, at + len(second) + 1)
    assert _cli(data_dir, "upload", "send-now") == 0
    assert _erased(rx) == {first, second}


def test_a_deletion_file_torn_beyond_recovery_is_kept_and_reported(
    data_dir: Path, rx: Receiver, capsys: pytest.CaptureFixture[str]
) -> None:
    _pending_deletions(data_dir, rx)
    (data_dir / DELETION_COPY).unlink(missing_ok=True)
    torn = _cut(data_dir / DELETION, 12)  # not even the first anonymous id is complete
    capsys.readouterr()
    assert _cli(data_dir, "upload", "status", "--json") == 0
    status = json.loads(capsys.readouterr().out)
    assert status["deletion_problem"] and "damaged" in status["deletion_problem"]
    _cli(data_dir, "upload", "send-now")
    assert (data_dir / DELETION).read_bytes() == torn  # never removed unread


# ------------------------------------------------------------------ loopback
@pytest.mark.parametrize(
    "url",
    [
        "http://foo.localhost:4318",
        "http://localhost.:4318",
        "http://LOCALHOST.",
        "http://localhost.example.com",
        "http://127.0.0.1.nip.io",
        "http://[::ffff:127.0.0.1]:4318",
        "http://127.1",
        "http://0x7f000001",
    ],
)
def test_plain_http_to_anything_but_a_literal_loopback_is_refused(url: str) -> None:
    with pytest.raises(EndpointError, match="only allowed to this computer"):
        validate_endpoint(url)
    with pytest.raises(EndpointError):
        resolve_logs_url(None, {"OTEL_EXPORTER_OTLP_ENDPOINT": url})
    assert validate_endpoint(url.replace("http://", "https://", 1))  # https goes anywhere


@pytest.mark.parametrize(
    "url", ["http://localhost:4318", "http://LocalHost", "http://127.0.0.1", "http://127.9.8.7",
            "http://[::1]:4318"],
)  # fmt: skip
def test_plain_http_to_a_literal_loopback_is_accepted(url: str) -> None:
    assert validate_endpoint(url) == url


def test_the_cli_refuses_a_look_alike_loopback_in_one_line(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _ok(data_dir, "enable")
    capsys.readouterr()
    assert _cli(data_dir, "upload", "enable", "--endpoint", "http://foo.localhost:4318") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "use https for foo.localhost" in err


# ------------------------------------------------------------------ Retry-After
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        (" 7 ", 7.0),
        ("0", 0.0),
        ("Sun, 01 Mar 2026 12:00:30 GMT", 30.0),
        ("Sun, 01 Mar 2026 11:00:00 GMT", 0.0),  # in the past: at once
        ("\u00b2", None),  # superscript two: str.isdigit() says yes, float() says no
        ("\u0661\u0662", None),  # Arabic-Indic digits: float() would accept them
        ("\uff11\uff12", None),  # fullwidth digits
        ("Sun, 0\u00b2 Mar 2026 12:00:30 GMT", None),
        ("Sun, \u0660\u0661 Mar 2026 12:00:30 GMT", None),
        ("1.5", None),
        ("-1", None),
        ("1e3", None),
        ("12345678901", None),  # unbounded digit strings are not a delay
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_is_parsed_strictly(value: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value, NOW) == seconds


def _queued(data_dir: Path, rx: Receiver, n: int = 1) -> Store:
    _ok(data_dir, "enable")
    _ok(data_dir, "upload", "enable", "--endpoint", rx.endpoint)
    for i in range(n):
        _ok(data_dir, "track", f"event_{i}")
    return Store(data_dir)


def test_a_non_ascii_retry_after_from_a_real_server_means_normal_backoff_and_breaker(
    data_dir: Path, rx: Receiver
) -> None:
    store = _queued(data_dir, rx)
    rx.default = Action(503, {"Retry-After": "\u00b2"})
    worker = UploadWorker(store, environ={}, timeout=2.0, backoff_base=1.0, breaker_threshold=3)
    try:
        first = worker.step(force=True)
        assert first.failed and 0 <= first.delay <= 1.0  # full jitter of the first backoff
        assert worker.live_state()[0] == "backing_off"
        assert "temporarily unavailable (HTTP 503)" in worker.requests[-1].message
        for _ in range(2):
            worker.step(force=True)
        assert worker.circuit_open  # three failures in a row opened the breaker
        rx.default = Action(200)
        assert worker.step(force=True).sent == 1
    finally:
        worker.shutdown()
    assert read_queue(store) == []


def test_send_now_reports_a_non_ascii_retry_after_as_a_retry_not_a_crash(
    data_dir: Path, rx: Receiver, capsys: pytest.CaptureFixture[str]
) -> None:
    _queued(data_dir, rx)
    rx.then(Action(429, {"Retry-After": "\u00b3"}))  # latin-1: what http.server can send
    capsys.readouterr()
    assert _cli(data_dir, "upload", "send-now") == 1
    captured = capsys.readouterr()
    assert "unexpected error" not in captured.err and captured.err == ""
    assert "asked us to slow down (HTTP 429)" in captured.out
    assert len(read_queue(Store(data_dir))) == 1  # kept for the next try


# ------------------------------------------------------------------ DO_NOT_TRACK
def test_do_not_track_keeps_every_event_on_the_machine_from_the_cli(
    data_dir: Path,
    rx: Receiver,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    store = _queued(data_dir, rx, n=3)
    monkeypatch.setenv("DO_NOT_TRACK", "1")
    capsys.readouterr()
    assert _cli(data_dir, "upload", "send-now") == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "DO_NOT_TRACK=1" in err and "no events" in err
    assert rx.requests == []
    assert len(read_queue(store)) == 3  # not discarded: another program may send them
    assert _cli(data_dir, "upload", "status", "--json") == 0
    status = json.loads(capsys.readouterr().out)
    assert status["blocked_by"] == "DO_NOT_TRACK=1" and "DO_NOT_TRACK=1" in status["state_text"]


def test_do_not_track_still_sends_the_deletion_requests(
    data_dir: Path,
    rx: Receiver,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    first, second = _pending_deletions(data_dir, rx)
    _ok(data_dir, "enable")
    _ok(data_dir, "upload", "enable", "--endpoint", rx.endpoint)
    _ok(data_dir, "track", "after_delete")  # an event that must stay here
    monkeypatch.setenv("DO_NOT_TRACK", "1")
    before = len(rx.requests)
    capsys.readouterr()
    assert _cli(data_dir, "upload", "send-now") == 1
    captured = capsys.readouterr()
    assert "DO_NOT_TRACK=1" in captured.err and "deletion_request" in captured.out
    assert _erased(rx) == {first, second}
    sent = [r["event_name"] for req in rx.requests[before:] for r in req.records]
    assert set(sent) == {"deletion_request"}
    assert [r.event["event_type"] for r in read_queue(Store(data_dir))] == ["after_delete"]


def _runtime_blocked(store: Store, environ: dict[str, Any]) -> str:
    return request_send_now(store, UploadRuntime(autostart=False), environ=environ).kind


def test_a_worker_whose_environment_says_do_not_track_sends_no_events(
    data_dir: Path, rx: Receiver
) -> None:
    store = _queued(data_dir, rx, n=2)
    blocked = {"DO_NOT_TRACK": "1"}
    worker = UploadWorker(store, environ=blocked, timeout=2.0)
    try:
        result = worker.step(force=True)
    finally:
        worker.shutdown()
    assert result.requests == 0 and rx.requests == []
    assert worker.live_state()[0] == "off"
    assert _runtime_blocked(store, blocked) == "blocked"
    with pytest.raises(Exception, match="DO_NOT_TRACK=1"):
        send_now(store, environ=blocked)
    assert rx.requests == [] and len(read_queue(store)) == 2
    assert _runtime_blocked(store, {}) == "sent" and len(rx.delivered_records()) == 2


# ------------------------------------------------------------------ one-line CLI failures
@pytest.mark.parametrize("value", ["nan", "inf", "0", "-3", "soon"])
def test_send_now_refuses_a_timeout_that_is_no_timeout_in_one_line(
    data_dir: Path, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _cli(data_dir, "upload", "send-now", "--timeout", value) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and "<class" not in err


def test_a_data_folder_that_cannot_hold_the_sender_lock_is_not_called_busy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file where the folder belongs used to read as "another program is sending right
    now", sending the user after a program that does not exist."""
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("not a folder")
    assert _cli(not_a_folder, "upload", "send-now") == 1
    captured = capsys.readouterr()
    assert "another program" not in (captured.out + captured.err).lower()
    assert captured.err.count("\n") == 1 and str(not_a_folder) in captured.err


@pytest.mark.parametrize("name", [STATE, DELETION, "upload-queue.jsonl", "upload-sent-ids.log"])
def test_a_fifo_in_place_of_an_upload_file_hangs_no_command(
    data_dir: Path, rx: Receiver, name: str
) -> None:
    """Read in a real subprocess: a hang there is a timeout here, not a stuck test run."""
    _queued(data_dir, rx)
    target = data_dir / name
    target.unlink(missing_ok=True)
    os.mkfifo(target)
    for argv in (["upload", "status"], ["upload", "send-now"], ["delete", "--yes"]):
        done = subprocess.run(
            [sys.executable, "-m", "peft_telemetry_gui.cli", "--data-dir", str(data_dir), *argv],
            capture_output=True,
            text=True,
            timeout=30,
            env={**os.environ, "PEFT_TELEMETRY_UPLOAD_WORKER": "0"},
        )
        assert done.returncode in (0, 1), done.stderr
        assert "Traceback" not in done.stderr and done.stderr.count("\n") <= 1, done.stderr
