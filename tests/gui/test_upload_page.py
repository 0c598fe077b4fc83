"""Upload page: status, history, Preview, Send now (off the GUI thread), the switch."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QTimer
from upload_receiver import Action, Receiver

from peft_telemetry_gui.core.consent import set_consent
from peft_telemetry_gui.core.store import Store
from peft_telemetry_gui.core.upload import enable_upload, read_queue, stop_workers
from peft_telemetry_gui.core.upload.history import HistoryEntry, update_state
from peft_telemetry_gui.core.upload.queue import append_locked


@pytest.fixture(autouse=True)
def _no_auto_worker(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("PEFT_TELEMETRY_UPLOAD_WORKER", "0")
    yield
    stop_workers(2.0)


@pytest.fixture
def rx() -> Iterator[Receiver]:
    with Receiver() as receiver:
        yield receiver


def _queue(store: Store, n: int) -> None:
    events = [
        {
            "id": f"ev-{i}",
            "timestamp": "2026-03-01T12:00:00+00:00",
            "category": "usage",
            "event_type": "training_started",
            "session_id": "s",
            "properties": {"algorithm": "lora"},
        }
        for i in range(n)
    ]
    store.update(lambda d: append_locked(store, events, d.anonymous_id))


def _page(qtbot, make_window, store):
    window = make_window(store)
    page = window.pages["upload"]
    window.show_page("upload")
    return page


def test_page_shows_queue_history_and_the_exact_preview(
    qtbot,
    make_window,
    store: Store,
    rx: Receiver,
) -> None:
    set_consent(store, enabled=True, actor="cli")
    enable_upload(store, rx.endpoint, actor="cli")
    _queue(store, 3)
    entry = HistoryEntry(
        at=store.clock(), records=7, bytes=512, status=503, outcome="retry", message="busy"
    )
    update_state(store, lambda s: s.record(entry))
    page = _page(qtbot, make_window, store)
    try:
        qtbot.waitUntil(lambda: page.queued_label.text().startswith("3 records"), timeout=5000)
        assert page.enabled_box.isChecked()
        assert page.history_model.rowCount() == 1
        assert page.history_model.index(0, 5).data() == "failed, will retry"
        assert "No keyring backend" in page.token_note.text()  # tests run without a keyring
        with qtbot.waitSignal(page.preview_ready, timeout=5000) as blocker:
            page.preview_button.click()
        text = blocker.args[0]
        assert text.startswith(f"POST {rx.endpoint}/v1/logs")
        assert '"eventName": "training_started"' in text
        assert all(f'"stringValue": "ev-{i}"' in text for i in range(3))
        assert page.preview_text.toPlainText() == text
        assert rx.requests == []  # previewing sends nothing
    finally:
        page.shutdown()


def test_send_now_does_not_block_the_event_loop(
    qtbot,
    make_window,
    store: Store,
    rx: Receiver,
) -> None:
    set_consent(store, enabled=True, actor="cli")
    enable_upload(store, rx.endpoint, actor="cli")
    _queue(store, 5)
    rx.then(Action(delay=1.0))  # a slow collector (within the 10 s client timeout)
    page = _page(qtbot, make_window, store)
    try:
        qtbot.waitUntil(lambda: page.send_button.isEnabled(), timeout=5000)
        ticks: list[float] = []
        timer = QTimer()
        timer.setInterval(20)
        timer.timeout.connect(lambda: ticks.append(time.monotonic()))
        timer.start()
        started = time.monotonic()
        page.send_button.click()
        assert time.monotonic() - started < 0.2  # the click returned at once
        qtbot.waitUntil(lambda: len(rx.requests) == 1, timeout=5000)
        during = len(ticks)
        qtbot.waitUntil(lambda: read_queue(store) == [], timeout=5000)
        timer.stop()
        assert len(ticks) - during >= 10  # the loop kept running while the request waited
        qtbot.waitUntil(lambda: page.history_model.rowCount() == 1, timeout=5000)
        assert page.history_model.index(0, 5).data() == "delivered"
        qtbot.waitUntil(lambda: page.queued_label.text().startswith("0 records"), timeout=5000)
        assert page.error_label.text() == "none"
    finally:
        page.shutdown()


def test_switch_and_endpoint_field_turn_upload_on_and_off(
    qtbot,
    make_window,
    store: Store,
) -> None:
    set_consent(store, enabled=True, actor="cli")
    page = _page(qtbot, make_window, store)
    try:
        qtbot.waitUntil(lambda: page.status is not None, timeout=5000)
        assert not page.enabled_box.isChecked()
        page.endpoint_edit.setText("http://collector.example.com")
        with qtbot.waitSignal(page.action_finished, timeout=5000) as blocker:
            page.enabled_box.click()
        assert "only allowed to this computer" in blocker.args[0]
        assert not store.read().consent.upload_enabled
        qtbot.waitUntil(lambda: not page.enabled_box.isChecked(), timeout=5000)
        page.endpoint_edit.setText("https://collector.example.com")
        with qtbot.waitSignal(page.action_finished, timeout=5000):
            page.enabled_box.click()
        doc = store.read()
        assert doc.consent.upload_enabled and doc.upload.endpoint == page.endpoint_edit.text()
        assert doc.audit_log[-1].actor == "gui"
        with qtbot.waitSignal(page.action_finished, timeout=5000) as blocker:
            page.enabled_box.click()
        assert "Upload is off" in blocker.args[0]
        assert not store.read().consent.upload_enabled
    finally:
        page.shutdown()
