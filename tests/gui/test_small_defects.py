"""Issue 12, "Small": first-run focus, Activity times with their zone (each test asserts what a
user sees or does, and fails on the code before the fix)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo

import pytest
from PySide6.QtCore import Qt

from peft_telemetry_gui.core.services.consent import set_consent
from peft_telemetry_gui.gui.first_run import FirstRunDialog
from peft_telemetry_gui.gui.table_models import format_time


def _shown_dialog(qtbot) -> FirstRunDialog:
    dialog = FirstRunDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def test_first_run_focus_starts_on_a_default_button_with_a_focus_ring(qtbot) -> None:
    dialog = _shown_dialog(qtbot)
    focused = dialog.focusWidget()
    assert focused is dialog.details_button
    assert not focused.isFlat() and focused.isDefault()  # drawn as a button, ring and all
    assert not (dialog.allow_button.isDefault() or dialog.deny_button.isDefault())
    with qtbot.waitSignal(dialog.details_requested, timeout=1000):
        qtbot.keyClick(focused, Qt.Key.Key_Return)  # the highlighted, neutral choice
    assert dialog.choice is None and not dialog.isVisible()


def test_first_run_enter_on_an_answer_the_user_moved_to_chooses_it(qtbot) -> None:
    dialog = _shown_dialog(qtbot)
    dialog.deny_button.setFocus(Qt.FocusReason.TabFocusReason)
    with qtbot.waitSignal(dialog.decided, timeout=1000) as blocker:
        qtbot.keyClick(dialog.deny_button, Qt.Key.Key_Enter)
    assert blocker.args == [False] and dialog.choice is False


# ----------------------------------------------------------------- Activity times
_ZONE = re.compile(r"(?:[A-Z]{2,5}|UTC[+-]\d\d:\d\d)")


def test_activity_times_show_their_zone_and_the_exact_instant_on_hover(make_window, store) -> None:
    set_consent(store, enabled=True, actor="cli")
    window = make_window(store)
    model = window.pages["activity"].model
    assert model.headerData(1, Qt.Orientation.Horizontal) == "Time"
    entry = store.read().audit_log[-1]  # newest first: row 0
    shown = model.index(0, 1).data()
    local = entry.at.astimezone()
    day_and_time, _, zone = shown.rpartition(" ")
    assert day_and_time == local.strftime("%Y-%m-%d %H:%M:%S")
    assert _ZONE.fullmatch(zone), shown  # this machine's zone, whatever it is
    tooltip = model.index(0, 1).data(Qt.ItemDataRole.ToolTipRole)
    assert tooltip == entry.at.astimezone(UTC).isoformat()
    assert datetime.fromisoformat(tooltip) == entry.at


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        (UTC, "2026-11-23 09:00:00 UTC"),
        (timezone(timedelta(hours=1), "CET"), "2026-11-23 10:00:00 CET"),
        (timezone(timedelta(hours=5, minutes=30)), "2026-11-23 14:30:00 UTC+05:30"),
        (timezone(timedelta(hours=-3), "-03"), "2026-11-23 06:00:00 UTC-03:00"),
        (timezone(timedelta(hours=1), "W. Europe Standard Time"), "2026-11-23 10:00:00 UTC+01:00"),
    ],
)
def test_times_name_their_zone_briefly(zone: tzinfo, expected: str) -> None:
    """An abbreviation where the zone has a short one, else the offset; never a long name."""
    assert format_time(datetime(2026, 11, 23, 9, 0, tzinfo=UTC), zone) == expected
