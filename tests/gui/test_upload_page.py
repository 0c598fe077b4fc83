"""Upload page: status, history, Preview, Send now (off the GUI thread), the switch."""

from __future__ import annotations

import gc
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, Qt, QTimer
from upload_other_sender import other_sender
from upload_receiver import Action, Receiver

from peft_telemetry_gui.core.services.consent import set_consent
from peft_telemetry_gui.core.services.upload import enable_upload
from peft_telemetry_gui.core.store import Store
from peft_telemetry_gui.core.upload import read_queue
from peft_telemetry_gui.core.upload.history import HistoryEntry, update_state
from peft_telemetry_gui.core.upload.queue import append_locked
from peft_telemetry_gui.gui import jobs

pytestmark = pytest.mark.usefixtures("no_upload_worker")


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
    """The Upload page, with no upload worker in this process: the tests send themselves."""
    window = make_window(store, autostart_upload_worker=False)
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
        assert (doc.audit_log[-1].actor, doc.audit_log[-1].method) == ("gui", "upload_page")
        with qtbot.waitSignal(page.action_finished, timeout=5000) as blocker:
            page.enabled_box.click()
        assert "Upload is off" in blocker.args[0]
        doc = store.read()
        assert not doc.consent.upload_enabled
        assert doc.audit_log[-1].method == "upload_page"  # the Activity page says where
    finally:
        page.shutdown()


def test_send_now_says_so_when_another_program_is_sending(
    qtbot,
    make_window,
    store: Store,
    rx: Receiver,
) -> None:
    set_consent(store, enabled=True, actor="cli")
    enable_upload(store, rx.endpoint, actor="cli")
    _queue(store, 2)
    page = _page(qtbot, make_window, store)
    try:
        qtbot.waitUntil(lambda: page.send_button.isEnabled(), timeout=5000)
        with other_sender(store.data_dir, "hold"):
            with qtbot.waitSignal(page.action_finished, timeout=5000) as blocker:
                page.send_button.click()
            assert blocker.args[0].startswith("Another program is sending right now")
            assert page.message_label.text() == blocker.args[0]
            assert rx.requests == [] and len(read_queue(store)) == 2
        with qtbot.waitSignal(page.action_finished, timeout=5000) as blocker:
            page.send_button.click()  # the other program is gone: this one sends
        assert blocker.args[0].startswith("Sent 2 records")
        assert sorted(rx.delivered_event_ids()) == ["ev-0", "ev-1"]
    finally:
        page.shutdown()


def test_task_signals_are_only_ever_destroyed_on_the_gui_thread(
    qtbot,
    make_window,
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The pool releases a finished task on its own thread; a QObject the task owned would be
    destroyed there (undefined behaviour, a Qt abort in the other pages' jobs)."""
    threads: list[str] = []

    class Probe(jobs._JobSignals):
        def __init__(self, *args: object) -> None:
            super().__init__(*args)
            self.destroyed.connect(
                lambda *_: threads.append(threading.current_thread().name),
                Qt.ConnectionType.DirectConnection,
            )

    class LingeringTask(jobs._Job):
        def run(self) -> None:
            super().run()
            # The GUI thread handles the result before the pool lets go of the task (as it
            # often does anyway): the pool thread then holds the last reference.
            time.sleep(0.03)

    monkeypatch.setattr(jobs, "_JobSignals", Probe)
    monkeypatch.setattr(jobs, "_Job", LingeringTask)
    set_consent(store, enabled=True, actor="cli")
    page = _page(qtbot, make_window, store)
    for _ in range(20):
        with qtbot.waitSignal(page.status_changed, timeout=5000):
            page.refresh()
    qtbot.wait(100)
    page.shutdown()
    for _ in range(3):
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        QCoreApplication.processEvents()
        gc.collect()
    assert set(threads) == {threading.main_thread().name}
    assert len(threads) >= 20  # and none is left for a garbage collector on some other thread


def test_closing_the_window_while_a_request_is_in_flight_is_clean(
    store: Store, rx: Receiver, tmp_path: Path, child_env: dict[str, str]
) -> None:
    """A real app process: Send now, then the window closes while the collector is still
    answering (1 s). Nothing may crash, abort or print a Qt warning, no signals object may die
    on a pool thread, and the request still completes (once)."""
    set_consent(store, enabled=True, actor="cli")
    enable_upload(store, rx.endpoint, actor="cli")
    _queue(store, 3)
    rx.then(Action(delay=1.0))
    script = tmp_path / "close_while_sending.py"
    script.write_text(_CLOSE_WHILE_SENDING)
    in_flight = tmp_path / "in-flight"
    env = {**child_env, "QT_QPA_PLATFORM": "offscreen"}
    child = subprocess.Popen(
        [sys.executable, str(script), str(store.data_dir), str(in_flight)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert rx.wait_for(lambda: len(rx.requests) == 1, timeout=20)
        in_flight.touch()  # the request is in flight: now the child closes its window
        out, err = child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    assert child.returncode == 0, err
    assert "CLOSED" in out and "QUEUE 0" in out, out + err
    assert "QT-MESSAGE" not in err and "Traceback" not in err, err
    assert "SIGNALS-DESTROYED-OFF-GUI-THREAD" not in out, out
    assert len(rx.requests) == 1 and len(rx.delivered()) == 1


# The app process for the test above: no pytest in there, so Qt messages are printed and
# checked by the parent, and a crash shows as a non-zero exit instead of killing the run.
_CLOSE_WHILE_SENDING = """
import gc
import sys
import threading
import time
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent, Qt, QtMsgType, qInstallMessageHandler
from PySide6.QtWidgets import QApplication

from peft_telemetry_gui.core.store import Store
from peft_telemetry_gui.core.upload import read_queue
from peft_telemetry_gui.gui import jobs
from peft_telemetry_gui.gui.main_window import MainWindow
from peft_telemetry_gui.gui.state import AppState


def on_message(kind, context, text):
    if kind != QtMsgType.QtDebugMsg and "propagateSizeHints" not in text:
        print(f"QT-MESSAGE {kind.name}: {text}", file=sys.stderr, flush=True)


class Probe(jobs._JobSignals):
    def __init__(self, *args):
        super().__init__(*args)
        self.destroyed.connect(self._check, Qt.ConnectionType.DirectConnection)

    @staticmethod
    def _check(*_):
        if threading.current_thread() is not threading.main_thread():
            print("SIGNALS-DESTROYED-OFF-GUI-THREAD", flush=True)


class Lingering(jobs._Job):
    def run(self):
        super().run()
        time.sleep(0.05)  # the pool holds the task a little after the result is delivered


def pump(seconds, until=lambda: False):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        QApplication.processEvents()
        if until():
            return True
        time.sleep(0.01)
    return until()


qInstallMessageHandler(on_message)
jobs._JobSignals = Probe
jobs._Job = Lingering
app = QApplication([])
store = Store(Path(sys.argv[1]))
state = AppState(store, autostart_upload_worker=False)
window = MainWindow(state, remember_geometry=False, ask_first_run=False)
window.show()
state.start()
page = window.pages["upload"]
window.show_page("upload")
assert pump(10, page.send_button.isEnabled), "Send now never became available"
page.send_button.click()
assert pump(10, Path(sys.argv[2]).exists), "the request never reached the collector"
window.close()
state.shutdown()
window.deleteLater()
state.deleteLater()
del page, window, state
QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
gc.collect()
print("CLOSED", flush=True)
pump(2.0)
gc.collect()
pump(0.2)
print("QUEUE", len(read_queue(store)), flush=True)
"""


def _upload_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "peft-telemetry-upload"]


def test_the_app_keeps_the_upload_worker_running_while_it_is_open(
    qtbot, make_window, store: Store, rx: Receiver
) -> None:
    """With `autostart_upload_worker` (the app's choice, made from its environment), queued
    records are delivered with nobody pressing Send now; shutting the state down stops the
    worker. The flag is injected: the PEFT_TELEMETRY_UPLOAD_WORKER=0 of this module's fixture
    is not what the view-model reads."""
    set_consent(store, enabled=True, actor="cli")
    enable_upload(store, rx.endpoint, actor="cli")
    _queue(store, 2)
    window = make_window(store, autostart_upload_worker=True)
    page = window.pages["upload"]
    window.show_page("upload")
    try:
        qtbot.waitUntil(lambda: _upload_threads() != [], timeout=5000)
        delivered = lambda: sorted(rx.delivered_event_ids()) == ["ev-0", "ev-1"]  # noqa: E731
        qtbot.waitUntil(delivered, timeout=15_000)  # no Send now: the worker's own batch
        qtbot.waitUntil(lambda: page.history_model.rowCount() == 1, timeout=5000)
        assert page.history_model.index(0, 5).data() == "delivered"
    finally:
        window.state.shutdown()
    assert _upload_threads() == []


def test_the_upload_page_shows_what_its_model_already_knows(
    qtbot, make_state, store: Store
) -> None:
    """The model belongs to the state and outlives any page: a page made later starts from the
    model's latest status instead of blank labels, and no page is needed to use the model."""
    from peft_telemetry_gui.gui.upload_page import UploadPage

    set_consent(store, enabled=True, actor="cli")
    state = make_state(store, autostart_upload_worker=False)
    model = state.upload
    with qtbot.waitSignal(model.status_changed, timeout=5000):
        model.refresh()
    assert state.upload is model and not model.status.upload_enabled
    page = UploadPage(state)
    qtbot.addWidget(page)
    assert page.status is model.status
    assert page.state_label.text() == "Upload is off."
    assert page.queued_label.text().startswith("0 records")


def test_delete_all_in_the_app_tells_the_collector_and_says_so(
    qtbot, monkeypatch: pytest.MonkeyPatch, make_window, store: Store, rx: Receiver
) -> None:
    from peft_telemetry_gui.gui.main_window import MainWindow

    set_consent(store, enabled=True, actor="cli")
    enable_upload(store, rx.endpoint, actor="cli")
    old_id = store.read().anonymous_id
    window = make_window(store)
    monkeypatch.setattr(MainWindow, "confirm_delete", lambda self: True)
    with qtbot.waitSignal(window.state.delete_finished, timeout=15_000) as finished:
        window.delete_button.click()
    report = finished.args[0]
    assert report.deletion_request == "delivered", report.deletion_message
    deletions = [r for r in rx.delivered_records() if r["event_name"] == "deletion_request"]
    assert [d["attributes"]["enduser.pseudo.id"] for d in deletions] == [old_id]
    qtbot.waitUntil(lambda: window.last_message is not None, timeout=5000)
    assert report.deletion_message in window.last_message.text()


# ---------------------------------------------------------------- issue 12: no dead ends


def test_the_switch_cannot_be_ticked_while_telemetry_is_off(
    qtbot, make_window, store: Store
) -> None:
    """Off (and saying why, and where to change it) until telemetry is on; then offered."""
    page = _page(qtbot, make_window, store)
    try:
        qtbot.waitUntil(lambda: page.status is not None, timeout=5000)
        assert not page.enabled_box.isEnabled()
        assert page.switch_note.isVisibleTo(page)
        note = page.switch_note.text()
        assert note.startswith("Telemetry is off") and "Privacy page" in note
        qtbot.mouseClick(page.enabled_box, Qt.MouseButton.LeftButton)
        qtbot.wait(200)
        assert not page.enabled_box.isChecked() and not store.read().consent.upload_enabled
        page.state.set_enabled(True)  # as the Privacy page does
        qtbot.waitUntil(page.enabled_box.isEnabled, timeout=5000)
        assert not page.switch_note.isVisibleTo(page) and page.switch_note.text() == ""
    finally:
        page.shutdown()


def test_an_endpoint_refusal_is_a_sentence_beside_the_field(
    qtbot, make_window, store: Store
) -> None:
    set_consent(store, enabled=True, actor="cli")
    page = _page(qtbot, make_window, store)
    try:
        qtbot.waitUntil(page.enabled_box.isEnabled, timeout=5000)
        page.endpoint_edit.setText("http://collector.example.com")
        with qtbot.waitSignal(page.action_finished, timeout=5000):
            page.enabled_box.click()
        qtbot.waitUntil(lambda: not page.enabled_box.isChecked(), timeout=5000)
        qtbot.wait(100)  # the refresh after the refusal has been shown
        note = page.endpoint_note.text()
        assert note.startswith("Plain http is only allowed to this computer"), note
        assert note.endswith(".")
        assert page.message_label.text() == ""  # not repeated in the Status box far below
        qtbot.keyClicks(page.endpoint_edit, "x")  # editing the refused text: the hint is back
        assert page.endpoint_note.text().startswith("Use https; plain http")
    finally:
        page.shutdown()


def test_a_refusal_for_the_switch_is_a_sentence_beside_the_switch(
    qtbot, make_window, store: Store
) -> None:
    """Telemetry turned off elsewhere an instant before the switch is used: the core's
    refusal (a lower-case clause) is shown next to the switch as a sentence."""
    set_consent(store, enabled=True, actor="cli")
    page = _page(qtbot, make_window, store)
    try:
        qtbot.waitUntil(page.enabled_box.isEnabled, timeout=5000)
        set_consent(store, enabled=False, actor="cli")  # behind the page's back
        with qtbot.waitSignal(page.action_finished, timeout=5000) as blocker:
            page.model.set_enabled(True, "https://collector.example.com")
        assert blocker.args[0].startswith("Telemetry is off: turn it on first")
        assert blocker.args[0].endswith(".")
        assert page.switch_note.text().startswith(blocker.args[0])
        assert page.message_label.text() == ""
    finally:
        page.shutdown()


def test_the_keyring_note_says_nothing_was_refused_before_a_save(
    qtbot, make_window, store: Store
) -> None:
    """Tests run without a keyring: before anyone tried, the note says what will happen."""
    set_consent(store, enabled=True, actor="cli")
    page = _page(qtbot, make_window, store)
    try:
        qtbot.waitUntil(lambda: page.token_note.text() != "", timeout=5000)
        note = page.token_note.text()
        assert "No keyring backend" in note and "not saved" not in note
        assert not page.token_save.isEnabled()
        with qtbot.waitSignal(page.action_finished, timeout=5000):
            page.model.save_token("fake-token-for-tests")  # a save tried (say, from a script)
        qtbot.waitUntil(lambda: "was not saved" in page.token_note.text(), timeout=5000)
        assert page.token_note.text().count("No keyring backend") == 1
    finally:
        page.shutdown()
