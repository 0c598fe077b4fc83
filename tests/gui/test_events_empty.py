"""Issue 12, "Empty states": the Events page says what is true when nothing is stored (it said
"Turn on telemetry" while telemetry was on), in the dashboard's words."""

from __future__ import annotations

from peft_telemetry_gui.core.services.consent import set_consent
from peft_telemetry_gui.core.store import Store


def test_nothing_stored_says_off_or_nothing_yet(qtbot, make_window, store: Store) -> None:
    set_consent(store, enabled=True, actor="cli")
    window = make_window(store)
    window.show_page("events")
    page = window.pages["events"]
    qtbot.waitUntil(lambda: page.empty.title.text() == "Nothing recorded yet", timeout=5000)
    assert "Telemetry is on" in page.empty.body.text()
    assert "`" not in page.empty.body.text()
    window.pages["privacy"].master.click()  # off
    qtbot.waitUntil(lambda: page.empty.title.text() == "Telemetry is off", timeout=10_000)
    assert "Privacy" in page.empty.body.text()
