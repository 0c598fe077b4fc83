"""The user's choices win, in the app (issue 9, part 1): another process's consent change shows
as a notice on the Privacy page with Undo; no id before a yes; withdrawal says what stays.

A real store, a real second process (or a second `Store` object, as another process would
have), real widgets.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from peft_telemetry_gui.core.services.consent import record_decision, set_consent
from peft_telemetry_gui.core.store import Store

#: When the host process changes consent, on its own pinned clock.
HOST_AT = datetime(2026, 11, 23, 15, 45, tzinfo=UTC)

HOST = textwrap.dedent(
    """
    import sys
    from datetime import datetime
    from peft_telemetry_gui import TelemetryClient

    at = datetime.fromisoformat(sys.argv[2])
    with TelemetryClient(app_name="PEFT Studio", app_version="2.1", data_dir=sys.argv[1],
                         start_session=False, environ={}, clock=lambda: at) as client:
        assert client.enable(categories={"performance": True})
    """
)


def _wait_idle(qtbot, window) -> None:
    qtbot.waitUntil(lambda: not window.state.is_busy(), timeout=5000)


def _local(at: datetime) -> str:
    return at.astimezone().strftime("%H:%M")


def test_a_host_turning_a_category_on_shows_a_notice_and_undo_reverts_it(
    qtbot, make_window, store, child_env
) -> None:
    set_consent(store, enabled=True, actor="gui", categories={"performance": False})
    window = make_window(store)
    page = window.pages["privacy"]
    assert not page.notice.isVisible()

    subprocess.run(
        [sys.executable, "-c", HOST, str(store.data_dir), HOST_AT.isoformat()],
        env=child_env,
        check=True,
        timeout=60,
    )
    qtbot.waitUntil(page.notice.isVisible, timeout=10_000)
    assert page.notice.text() == f"PEFT Studio turned on Performance at {_local(HOST_AT)}."
    assert page.undo_button.isVisible()
    assert page.category_boxes["performance"].isChecked()  # the page shows the new state too

    page.undo_button.click()
    assert not page.notice.isVisible()
    _wait_idle(qtbot, window)
    doc = store.read()
    assert doc.consent.categories["performance"] is False and doc.consent.enabled
    last = doc.audit_log[-1]
    assert (last.actor, last.method, last.what, last.to_value) == (
        "gui",
        "privacy_page",
        "category:performance",
        False,
    )
    assert sum(e.actor == "gui" for e in doc.audit_log[-2:]) == 1  # one change, one entry
    # The reload that shows the undo (the app's own entry) brings no notice back.
    qtbot.waitUntil(lambda: not page.category_boxes["performance"].isChecked(), timeout=5000)
    assert not page.notice.isVisible()


def test_a_cli_change_is_named_and_can_be_dismissed(qtbot, make_window, store) -> None:
    set_consent(store, enabled=True, actor="gui")
    window = make_window(store)
    page = window.pages["privacy"]
    at = HOST_AT + timedelta(minutes=5)
    set_consent(Store(store.data_dir, clock=lambda: at), enabled=False, actor="cli")
    qtbot.waitUntil(page.notice.isVisible, timeout=10_000)
    assert page.notice.text() == f"You turned off telemetry from the command line at {_local(at)}."
    page.notice.close_button.click()
    assert not page.notice.isVisible()
    assert not window.state.is_busy()  # dismissing writes nothing
    assert store.read().consent.enabled is False


def test_the_apps_own_changes_show_no_notice(qtbot, make_window, store) -> None:
    set_consent(store, enabled=True, actor="gui")
    window = make_window(store)
    page = window.pages["privacy"]
    page.category_boxes["system"].click()
    _wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: not window.state.document.consent.categories["system"])
    assert not page.notice.isVisible() and window.state.consent_notice == ()


def test_the_id_is_none_before_a_decision_and_after_dont_allow(
    qtbot, make_window, tmp_path
) -> None:
    undecided = Store(tmp_path / "fresh")
    window = make_window(undecided, ask_first_run=True)
    page = window.pages["privacy"]
    assert page.anonymous_id.text() == ""
    assert page.anonymous_id.placeholderText().startswith("None")
    assert not page.copy_button.isEnabled() and not page.reset_button.isEnabled()

    window.first_run_dialog.deny_button.click()
    qtbot.waitUntil(lambda: undecided.read().consent.decided, timeout=5000)
    _wait_idle(qtbot, window)
    assert undecided.read().anonymous_id == ""
    assert page.anonymous_id.text() == "" and not page.reset_button.isEnabled()

    page.master.click()  # the first yes makes the id
    _wait_idle(qtbot, window)
    made = undecided.read().anonymous_id
    assert made
    qtbot.waitUntil(lambda: page.anonymous_id.text() == made, timeout=5000)
    assert page.copy_button.isEnabled() and page.reset_button.isEnabled()


def test_off_says_what_stays_and_delete_all_is_one_click_away(
    qtbot, make_window, demo_store
) -> None:
    set_consent(demo_store, enabled=False, actor="gui")
    count = len(demo_store.read().events)
    window = make_window(demo_store)
    page = window.pages["privacy"]
    assert page.status.text().startswith("Off: nothing more is recorded.")
    assert f"The {count:,} events already stored stay on this computer" in page.status.text()
    assert "Delete all" in page.status.text()
    assert page.delete_button.isVisible()

    seen: list[str] = []

    def confirm() -> None:  # the window's own confirmation, answered "Delete all"
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox)
        seen.append(box.windowTitle())
        next(b for b in box.buttons() if b.text() == "Delete all").click()

    QTimer.singleShot(100, confirm)
    page.delete_button.click()
    assert seen == ["Delete all telemetry data?"]
    qtbot.waitUntil(lambda: demo_store.read().events == [], timeout=10_000)
    _wait_idle(qtbot, window)
    assert demo_store.read().anonymous_id == ""
    qtbot.waitUntil(lambda: "Nothing recorded earlier is stored" in page.status.text())


def test_on_and_undecided_show_no_delete_button_next_to_the_status(
    qtbot, make_window, tmp_path
) -> None:
    on = Store(tmp_path / "on")
    record_decision(on, accepted=True, actor="gui")
    page = make_window(on).pages["privacy"]
    assert page.status.text().startswith("On:") and not page.delete_button.isVisible()
