"""The Privacy page's "Keep at most N raw events and D days" (issue 11, part 1).

Real widgets, a real store in tmp_path, a host that really wrote it (`TelemetryClient`), and
the conftest's pinned clock: the limits live in the document, the app never changes them as a
side effect, and the user's change is audited, pruned at once and said in numbers.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

import pytest
from PySide6.QtCore import Qt

from peft_telemetry_gui.core import analytics
from peft_telemetry_gui.core.client import TelemetryClient
from peft_telemetry_gui.core.secrets import MemorySecretStore
from peft_telemetry_gui.core.services.consent import set_consent
from peft_telemetry_gui.core.store import Store


def _host(store: Store, now: datetime, count: int, **limits: int) -> None:
    """A host app recording `count` events one second apart, ending an hour before `now`."""
    ticks = itertools.count()
    start = now - timedelta(hours=1, seconds=count)
    with TelemetryClient(
        "Big Host",
        store.data_dir,
        clock=lambda: start + timedelta(seconds=next(ticks)),
        secret_store=MemorySecretStore(),
        environ={},
        start_session=False,
        **limits,  # type: ignore[arg-type]
    ) as client:
        for i in range(count):
            client.track_event("step", {"i": i})


def _consented(store: Store, now: datetime) -> None:
    set_consent(
        Store(store.data_dir, clock=lambda: now - timedelta(hours=2)), enabled=True, actor="cli"
    )


def _type(qtbot, field, text: str) -> None:
    """As a user would: focus, select what is there, type over it."""
    field.setFocus()
    field.selectAll()
    qtbot.keyClicks(field, text)


def _total_events(store: Store) -> int:
    doc = store.read()
    return analytics.compute_with_rollups(doc.events, doc.rollups).analytics.total_events


def test_the_box_shows_the_stored_limits_in_plain_words(make_window, store, pinned_now) -> None:
    _consented(store, pinned_now)
    _host(store, pinned_now, 10, max_events=5000, retention_days=30)
    box = make_window(store).pages["privacy"].limits
    assert (box.max_field.text(), box.days_field.text()) == ("5,000", "30")
    assert box.explain.text() == (
        "Daily counts and statistics are kept for the 30 days even when raw events are removed."
    )
    assert box.stored.text().startswith("Stored now: 10 raw events. Limits set by a host app;")
    assert box.max_field.accessibleName() == "Maximum raw events to keep"
    assert box.days_field.accessibleName() == "Days to keep"
    assert box.apply_button.accessibleName() == "Apply how much is kept"
    assert box.preview.isHidden() and box.status.isHidden()


def test_apply_stores_audits_prunes_at_once_and_says_how_many(
    qtbot, make_window, store, pinned_now
) -> None:
    _consented(store, pinned_now)
    _host(store, pinned_now, 3000, max_events=5000)
    window = make_window(store)
    box = window.pages["privacy"].limits
    _type(qtbot, box.max_field, "1,000")
    # Told before anything is deleted.
    assert box.preview.text() == ("Applying removes 2,000 older raw events; daily counts are kept.")
    assert len(store.read().events) == 3000
    qtbot.keyClick(box.max_field, Qt.Key.Key_Return)  # the keyboard way to Apply
    qtbot.waitUntil(lambda: box.status.text().startswith("Saved."), timeout=10_000)
    assert box.status.text() == "Saved. Removed 2,000 older raw events; daily counts are kept."

    doc = store.read()
    assert len(doc.events) == 1000
    assert (doc.limits.max_events, doc.limits.retention_days) == (1000, None)
    assert doc.limits.user_chosen == ["max_events"]  # only the field changed becomes the user's
    assert _total_events(store) == 3000  # the counts cover what was removed
    entry = doc.audit_log[-1]
    assert (entry.actor, entry.method, entry.what, entry.from_value, entry.to_value) == (
        "gui",
        "privacy_page",
        "max_events",
        5000,
        1000,
    )
    activity = window.page("activity")
    qtbot.waitUntil(lambda: activity.model.rowCount() == len(doc.audit_log), timeout=5000)
    newest = [activity.model.index(0, c).data() for c in range(activity.model.columnCount())]
    # In words on the page; the stored name (what the ledger and `receipt --verify` cite) in
    # the tooltip.
    assert newest[2:7] == ["gui", newest[3], "Raw events kept (at most)", "5000", "1000"]
    tooltip = activity.model.index(0, 4).data(Qt.ItemDataRole.ToolTipRole)
    assert tooltip == "max_events"
    assert newest[3]  # the method is named ("Privacy page")
    qtbot.waitUntil(lambda: "Stored now: 1,000 raw events" in box.stored.text(), timeout=5000)
    assert "Limits set by you;" in box.stored.text()
    assert box.max_field.text() == "1,000"


@pytest.mark.parametrize(
    ("max_text", "days_text", "max_error", "days_error"),
    [
        ("0", "90", "Keep between 1 and 1,000,000 raw events; 0 is not allowed.", ""),
        ("1,000", "4000", "", "Keep between 1 and 3,650 days; 4,000 is not allowed."),
        ("lots", "-3", "Enter a whole number of raw events, from 1 to 1,000,000.", "Enter"),
    ],
)
def test_a_value_out_of_range_is_refused_next_to_the_field(
    qtbot, make_window, store, pinned_now, max_text, days_text, max_error, days_error
) -> None:
    _consented(store, pinned_now)
    _host(store, pinned_now, 50, max_events=2000)
    box = make_window(store).pages["privacy"].limits
    before = store.path.read_bytes()
    _type(qtbot, box.max_field, max_text)
    _type(qtbot, box.days_field, days_text)
    box.apply_button.click()
    for label, expected, field in (
        (box.max_error, max_error, box.max_field),
        (box.days_error, days_error, box.days_field),
    ):
        assert label.text().startswith(expected) and label.isVisible() == bool(expected)
        assert field.accessibleDescription() == label.text()  # read out with the field
    assert box.status.text() == "Not saved: correct the value marked above."
    assert not box.model.busy
    qtbot.wait(200)
    assert store.path.read_bytes() == before  # nothing written, not even an audit entry


def test_a_hosts_larger_store_is_not_cut_by_opening_the_app_or_toggling_consent(
    qtbot, make_window, store, pinned_now
) -> None:
    _consented(store, pinned_now)
    _host(store, pinned_now, 3000, max_events=100_000)
    window = make_window(store)  # the app's own Store: default limits (1000)
    page = window.pages["privacy"]
    assert page.limits.max_field.text() == "100,000"
    for _ in range(2):  # off, then on again: two consent writes by the app
        page.master.click()
        qtbot.waitUntil(lambda: not window.state.is_busy(), timeout=5000)
    doc = Store(store.data_dir).read()
    assert doc.consent.enabled is True
    assert len(doc.events) == 3000
    assert doc.limits.max_events == 100_000
    assert [e.actor for e in doc.audit_log if e.what == "max_events"] == ["api"]


def test_a_host_changing_the_limits_is_said_in_words(qtbot, make_window, store, pinned_now) -> None:
    _consented(store, pinned_now)
    window = make_window(store)
    page = window.pages["privacy"]
    assert page.limits.max_field.text() == "1,000"  # the default, nothing stored yet
    assert "Limits set by the defaults;" in page.limits.stored.text()
    _host(store, pinned_now, 5, max_events=100_000, retention_days=30)
    window.state.reload()
    qtbot.waitUntil(lambda: page.notice.isVisible(), timeout=5000)
    assert "Big Host set the store to keep at most 100,000 raw events, for 30 days" in (
        page.notice.label.text()
    )
    assert not page.undo_button.isVisible()  # limits are changed here, not undone
    qtbot.waitUntil(lambda: page.limits.max_field.text() == "100,000", timeout=5000)
    assert page.limits.days_field.text() == "30"


def test_apply_runs_on_a_worker_and_the_button_waits_for_it(
    qtbot, make_window, tmp_path, pinned_now
) -> None:
    store = Store(tmp_path / "data", clock=lambda: pinned_now, lock_timeout=20)
    _consented(store, pinned_now)
    _host(store, pinned_now, 300, max_events=1000)
    box = make_window(store).pages["privacy"].limits
    _type(qtbot, box.max_field, "100")
    with Store(store.data_dir).lock():  # another process holds the store: the write waits
        # Had the write run on this (the GUI) thread, click() would only return once the lock
        # timed out (20 s), with the write failed: it returns at once, the write pending.
        box.apply_button.click()
        assert not box.apply_button.isEnabled()
        assert box.status.text() == "Saving…"
        qtbot.wait(400)  # the event loop runs meanwhile
        assert not box.apply_button.isEnabled()
        assert len(store.read().events) == 300
    qtbot.waitUntil(lambda: box.apply_button.isEnabled(), timeout=10_000)
    assert box.status.text() == "Saved. Removed 200 older raw events; daily counts are kept."
    assert len(store.read().events) == 100


def test_an_unwritable_data_folder_is_said_and_never_claims_saved(
    qtbot, make_window, store, pinned_now, immutable
) -> None:
    _consented(store, pinned_now)
    _host(store, pinned_now, 40, max_events=2000)
    box = make_window(store).pages["privacy"].limits
    before = store.path.read_bytes()
    immutable(store.data_dir)
    _type(qtbot, box.days_field, "7")
    box.apply_button.click()
    qtbot.waitUntil(lambda: box.status.text().startswith("Not saved"), timeout=10_000)
    assert "Operation not permitted" in box.status.text()
    assert "Saved" not in box.status.text()
    # The next read finds the folder read-only: the box is greyed out, the window says why.
    window = box.window()
    qtbot.waitUntil(lambda: "read-only" in window.access_banner.text(), timeout=10_000)
    assert not box.isEnabled()
    assert box.days_field.text() == "7"  # what the user typed stays, to try again
    assert store.path.read_bytes() == before
    immutable.unlock(store.data_dir)
    qtbot.waitUntil(lambda: box.apply_button.isEnabled(), timeout=10_000)
    assert not window.access_banner.isVisible()
    box.apply_button.click()
    qtbot.waitUntil(lambda: box.status.text().startswith("Saved"), timeout=10_000)


def test_a_german_user_types_and_reads_thousands_with_dots(monkeypatch) -> None:
    """Issue 13: in German "1.000" is a thousand and "1,000" is one."""
    from peft_telemetry_gui.gui.limits_texts import parse_limit

    monkeypatch.setenv("PEFT_TELEMETRY_LANGUAGE", "de")
    assert parse_limit("5.000", (1, 10**9), "raw events") == 5000
    assert parse_limit("5 000", (1, 10**9), "raw events") == 5000
    monkeypatch.setenv("PEFT_TELEMETRY_LANGUAGE", "en")
    assert parse_limit("5,000", (1, 10**9), "raw events") == 5000
    assert isinstance(parse_limit("5.000", (1, 10**9), "raw events"), str)  # 5.0: refused
