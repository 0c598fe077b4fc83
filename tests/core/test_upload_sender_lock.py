"""One sender per data folder, across processes: the host's worker, `upload send-now` and the
app's Send now all take the same lock, and a second sender says so instead of sending twice.

The other sender is always a real second process (`upload_other_sender.py`).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from upload_other_sender import other_sender
from upload_receiver import Action, Receiver

from peft_telemetry_gui import cli
from peft_telemetry_gui.core.secrets import MemorySecretStore
from peft_telemetry_gui.core.services.consent import set_consent
from peft_telemetry_gui.core.services.upload import enable_upload, send_now
from peft_telemetry_gui.core.store import Store
from peft_telemetry_gui.core.upload import (
    SenderBusyError,
    UploadWorker,
    read_queue,
    try_sender_lock,
)
from peft_telemetry_gui.core.upload.queue import append_locked


def _store(data_dir: Path, rx: Receiver, n: int = 3) -> Store:
    store = Store(data_dir)
    set_consent(store, enabled=True, actor="cli")
    enable_upload(store, rx.endpoint, actor="cli")
    events = [
        {
            "id": f"ev-{i}",
            "timestamp": "2026-03-01T12:00:00+00:00",
            "category": "usage",
            "event_type": "queued",
            "session_id": "s",
            "properties": {},
        }
        for i in range(n)
    ]
    store.update(lambda d: append_locked(store, events, d.anonymous_id))
    return store


def test_send_now_refuses_while_another_process_holds_the_lock(
    data_dir: Path, rx: Receiver
) -> None:
    store = _store(data_dir, rx)
    kwargs = {"secret_store": MemorySecretStore(), "environ": {}}
    with other_sender(data_dir, "hold"):
        assert try_sender_lock(data_dir) is None
        with pytest.raises(SenderBusyError, match="another program is sending right now"):
            send_now(store, **kwargs)  # type: ignore[arg-type]
        assert rx.requests == [] and len(read_queue(store)) == 3
    # released with the other process: now this one is the sender
    entries = send_now(store, **kwargs)  # type: ignore[arg-type]
    assert [e.outcome for e in entries] == ["delivered"]
    assert sorted(rx.delivered_event_ids()) == ["ev-0", "ev-1", "ev-2"]
    lock = try_sender_lock(data_dir)  # send_now let go of it afterwards
    assert lock is not None
    lock.release()


def test_a_host_apps_worker_is_the_one_sender_and_the_cli_says_so(
    data_dir: Path, rx: Receiver, capsys: pytest.CaptureFixture[str]
) -> None:
    store = _store(data_dir, rx)
    # Should the host's worker send while we look, it is told to back off for an hour.
    rx.then(Action(503, {"Retry-After": "3600"}))
    with other_sender(data_dir, "host"):
        # The CLI in this process: one line, exit 1, nothing sent.
        assert cli.main(["--data-dir", str(data_dir), "upload", "send-now"]) == 1
        out = capsys.readouterr().out
        assert out.strip().startswith("Another program is sending right now")
        # A worker here (the desktop app's, say) waits instead of sending too.
        worker = UploadWorker(store, flush_interval=0, poll_interval=0.02, environ={}).start()
        try:
            rx.wait_for(lambda: False, timeout=0.3)
            assert not worker.is_sender
        finally:
            worker.shutdown()
        assert rx.delivered() == []
    rx.script.clear()
    # The host is gone: the CLI now sends everything, the host's record included, once.
    assert cli.main(["--data-dir", str(data_dir), "upload", "send-now"]) == 0
    ids = rx.delivered_event_ids()
    assert len(ids) == len(set(ids)) == 4
    assert read_queue(store) == []
    # sent by this process, still named after the app that recorded it
    (host_record,) = [r for r in rx.delivered_records() if r["event_name"] == "from_the_host"]
    assert host_record["resource"]["service.name"] == "Host App"
