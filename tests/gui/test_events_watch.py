"""Issue 12, "Watch from now": only what is recorded from this moment on, live, kept across
reloads and page switches, cleared with one click. A real store written by another writer
while the window watches; the app's clock is the store's (pinned, moving on in real time)."""

from __future__ import annotations

from datetime import timedelta

from peft_telemetry_gui.core.models import Event
from peft_telemetry_gui.core.services.consent import set_consent
from peft_telemetry_gui.core.store import Store


def _settle(qtbot, page) -> None:
    qtbot.waitUntil(lambda: not page.pending, timeout=5000)


def _types(page) -> list[str]:
    return [page.model.event_at(r).event_type for r in range(page.model.rowCount())]


def _append(store: Store, *types: str, ago: timedelta = timedelta(0)) -> None:
    at = store.clock() - ago
    events = [
        Event(timestamp=at, category="usage", event_type=name, session_id="s") for name in types
    ]
    store.update(lambda doc: doc.events.extend(events))


def test_watch_from_now_shows_only_what_arrives_and_one_click_clears_it(
    qtbot, make_window, store: Store
) -> None:
    set_consent(store, enabled=True, actor="cli")
    _append(store, "older_a", "older_b", ago=timedelta(minutes=5))
    window = make_window(store)
    window.show_page("events")
    page = window.pages["events"]
    _settle(qtbot, page)
    assert sorted(_types(page)) == ["older_a", "older_b"]

    page.watch.button.click()
    assert page.watch.button.text() == "Stop watching" and page.watch.label.isVisible()
    qtbot.waitUntil(lambda: _types(page) == [], timeout=5000)
    assert "0 of 2" in page.count_label.text()

    # Another process records while the user watches: it shows up, and only it.
    _append(store, "clicked_train")
    qtbot.waitUntil(lambda: _types(page) == ["clicked_train"], timeout=10_000)
    # A reload and a trip to another page keep the watch.
    window.state.reload(force=True)
    window.show_page("dashboard")
    window.show_page("events")
    _append(store, "clicked_export")
    qtbot.waitUntil(lambda: _types(page) == ["clicked_export", "clicked_train"], timeout=10_000)
    assert page.watch.since is not None

    page.watch.button.click()  # one click: everything again
    qtbot.waitUntil(lambda: len(_types(page)) == 4, timeout=5000)
    assert page.watch.button.text() == "Watch from now" and not page.watch.label.isVisible()
    assert page.watch.since is None
