"""Privacy page and first-run dialog: every choice lands in the store with actor "gui"."""

from __future__ import annotations

from PySide6.QtCore import Qt

from peft_telemetry_gui.core.consent import collection_text
from peft_telemetry_gui.core.models import CATEGORIES
from peft_telemetry_gui.core.services.consent import set_consent


def _wait_idle(qtbot, window) -> None:
    qtbot.waitUntil(lambda: not window.state.is_busy(), timeout=5000)


def test_master_switch_writes_store_and_audit_log(qtbot, make_window, store) -> None:
    set_consent(store, enabled=True, actor="cli")
    window = make_window(store)
    page = window.pages["privacy"]
    assert page.master.isChecked()

    # Keyboard, as a user without a mouse would: focus the switch, press Space.
    page.master.setFocus()
    qtbot.keyClick(page.master, Qt.Key.Key_Space)
    assert window.state.is_busy()
    _wait_idle(qtbot, window)
    doc = store.read()
    assert doc.consent.enabled is False
    last = doc.audit_log[-1]
    assert (last.actor, last.what, last.from_value, last.to_value) == (
        "gui",
        "consent",
        True,
        False,
    )
    assert last.text_version == collection_text().version
    qtbot.waitUntil(lambda: not page.category_boxes["usage"].isEnabled(), timeout=2000)


def test_category_switch_writes_store(qtbot, make_window, store) -> None:
    set_consent(store, enabled=True, actor="cli")
    window = make_window(store)
    page = window.pages["privacy"]
    page.category_boxes["performance"].click()
    _wait_idle(qtbot, window)
    doc = store.read()
    assert doc.consent.enabled is True
    assert doc.consent.categories["performance"] is False
    entry = doc.audit_log[-1]
    assert (entry.actor, entry.what, entry.to_value) == ("gui", "category:performance", False)
    # The page reflects the stored state after the reload.
    qtbot.waitUntil(lambda: window.state.document.consent.categories["performance"] is False)
    assert not page.category_boxes["performance"].isChecked()


def test_turning_back_on_keeps_chosen_categories(qtbot, make_window, store) -> None:
    set_consent(store, enabled=False, actor="cli", categories={"system": False})
    window = make_window(store)
    window.pages["privacy"].master.click()
    _wait_idle(qtbot, window)
    consent = store.read().consent
    assert consent.enabled and consent.categories["system"] is False


def test_texts_come_from_collection_file(make_window, store) -> None:
    page = make_window(store).pages["privacy"]
    text = collection_text()
    for name in CATEGORIES:
        assert page.category_boxes[name].accessibleDescription() == text.categories[name]
    for item in text.never_collected:
        assert item in page.never_collected.text()
    for item in text.guarantees:
        assert item in page.guarantees.text()


def test_reset_id_and_redaction_report(qtbot, make_window, demo_store) -> None:
    window = make_window(demo_store)
    page = window.pages["privacy"]
    old = page.anonymous_id.text()
    assert old == demo_store.read().anonymous_id
    assert page.redactions.text().startswith("Removed so far: ")
    assert "12" in page.redactions.text()
    page.reset_button.click()
    qtbot.waitUntil(lambda: page.anonymous_id.text() != old, timeout=5000)
    assert demo_store.read().audit_log[-1].what == "anonymous_id"
    assert demo_store.read().audit_log[-1].actor == "gui"


def test_env_override_banner(monkeypatch, make_window, store) -> None:
    monkeypatch.setenv("DO_NOT_TRACK", "1")
    page = make_window(store).pages["privacy"]
    assert page.env_banner.isVisible()
    assert "DO_NOT_TRACK=1" in page.env_banner.text()


def test_first_run_dialog_only_when_undecided(qtbot, make_window, tmp_path) -> None:
    from peft_telemetry_gui.core.store import Store

    undecided = Store(tmp_path / "a")
    window = make_window(undecided, ask_first_run=True)
    dialog = window.first_run_dialog
    assert dialog is not None and dialog.isVisible()
    allow, deny = dialog.allow_button, dialog.deny_button
    # Equal weight: same size, no default, no focus on either answer.
    assert allow.size() == deny.size()
    assert allow.styleSheet() == deny.styleSheet() == ""
    assert not (allow.isDefault() or deny.isDefault() or allow.autoDefault() or deny.autoDefault())
    assert not allow.hasFocus() and not deny.hasFocus()
    qtbot.mouseClick(deny, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: undecided.read().consent.decided, timeout=5000)
    consent = undecided.read().consent
    assert consent.decided and not consent.enabled
    assert undecided.read().audit_log[0].actor == "gui"

    decided = Store(tmp_path / "b")
    set_consent(decided, enabled=True, actor="cli")
    assert make_window(decided, ask_first_run=True).first_run_dialog is None


def test_first_run_allow_and_close_without_choosing(qtbot, make_window, tmp_path) -> None:
    from peft_telemetry_gui.core.store import Store

    closed = Store(tmp_path / "closed")
    window = make_window(closed, ask_first_run=True)
    window.first_run_dialog.reject()  # Esc or the window's close button
    qtbot.wait(200)
    assert not window.state.is_busy()
    assert not closed.path.exists() or not closed.read().consent.decided

    allowed = Store(tmp_path / "allowed")
    window = make_window(allowed, ask_first_run=True)
    window.first_run_dialog.allow_button.click()
    qtbot.waitUntil(lambda: allowed.read().consent.enabled, timeout=5000)
    assert all(allowed.read().consent.categories.values())


def test_first_run_details_opens_privacy_page(make_window, tmp_path) -> None:
    from peft_telemetry_gui.core.store import Store

    window = make_window(Store(tmp_path / "d"), ask_first_run=True)
    window.show_page("events")
    window.first_run_dialog.details_button.click()
    assert window.current_page() == "privacy"
