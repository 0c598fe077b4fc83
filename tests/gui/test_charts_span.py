"""Issue 12: drag across Events over time to pick a span; releasing applies it as the custom
range (the picker shows it, the cards and charts follow), Clear selection goes back, and the
page says so with `span_selected`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QScrollArea

from peft_telemetry_gui.core import analytics
from peft_telemetry_gui.core.models import Event
from peft_telemetry_gui.core.store import Store
from peft_telemetry_gui.gui.state import TimeRange

TICK = timedelta(microseconds=1)


def _fill(store: Store, now: datetime) -> list[Event]:
    """Events spread over the last 40 hours, one every 50 minutes, two categories."""
    events = [
        Event(
            timestamp=now - timedelta(hours=40) + timedelta(minutes=50 * i),
            category="error" if i % 4 == 0 else "usage",
            event_type="crashed" if i % 4 == 0 else "opened",
            session_id=f"s{i // 6}",
        )
        for i in range(48)
    ]
    store.update(lambda doc: doc.events.extend(events))
    return events


def _shown(edit) -> datetime:
    return datetime.fromtimestamp(edit.dateTime().toSecsSinceEpoch(), tz=UTC)


def _page(qtbot, make_window, store: Store):
    window = make_window(store)
    screen = QApplication.primaryScreen().availableGeometry()
    window.setGeometry(screen.x(), screen.y(), min(1000, screen.width()), screen.height())
    window.show_page("dashboard")
    qtbot.waitExposed(window)
    page = window.pages["dashboard"]
    page.findChild(QScrollArea).ensureWidgetVisible(page.timeline)
    QApplication.processEvents()
    return window, page


def _at(plot, x: float) -> QPoint:
    """Viewport pixel of view x, halfway up the bars."""
    view = plot.getViewBox()
    y = sum(view.viewRange()[1]) / 2
    return plot.mapFromScene(view.mapViewToScene(QPointF(x, y)))


def _mouse(widget, kind: QEvent.Type, pos: QPoint, buttons: Qt.MouseButton) -> None:
    button = Qt.MouseButton.LeftButton
    event = QMouseEvent(
        kind,
        QPointF(pos),
        QPointF(widget.mapToGlobal(pos)),
        button,
        buttons,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(widget, event)


def _drag(qtbot, plot, x_from: float, x_to: float) -> None:
    """Press, move in steps, release: how a person drags across the chart (pyqtgraph drops
    moves closer than 10 ms apart, its `mouseRateLimit`)."""
    viewport = plot.viewport()
    start, end = _at(plot, x_from), _at(plot, x_to)
    held = Qt.MouseButton.LeftButton
    _mouse(viewport, QEvent.Type.MouseButtonPress, start, held)
    for k in range(1, 6):
        qtbot.wait(20)
        step = start + (end - start) * (k / 5)
        _mouse(viewport, QEvent.Type.MouseMove, step, held)
    _mouse(viewport, QEvent.Type.MouseButtonRelease, end, Qt.MouseButton.NoButton)


def _counts(page) -> dict[str, str]:
    return {name: card.value.text() for name, card in page.cards.items()}


def test_dragging_across_the_timeline_applies_that_span_everywhere(
    qtbot, make_window, demo_store
) -> None:
    window, page = _page(qtbot, make_window, demo_store)
    state = window.state
    assert state.time_range == TimeRange("all")
    total = page.cards["events"].value.text()
    buckets = state.dashboard.buckets
    assert buckets.size == "day" and len(buckets.starts) > 20
    first, last = buckets.starts[10], buckets.starts[14]
    spans = []
    page.span_selected.connect(spans.append)
    with qtbot.waitSignal(
        state.analytics_changed,
        timeout=5000,
        check_params_cb=lambda d: d.time_range.preset == "custom",
    ):
        # From the left part of day 10's bar to the right part of day 14's.
        _drag(qtbot, page.timeline.plot, first.timestamp() - 20_000, last.timestamp() + 30_000)
    end = last + timedelta(days=1) - TICK
    assert spans == [(first, end)]
    assert state.time_range == TimeRange("custom", since=first, until=end)
    # The picker shows it (the boxes hold minutes: the end rounds up to the next midnight).
    assert page.preset.currentData() == "custom"
    assert _shown(page.since_edit) == first
    assert _shown(page.until_edit) == last + timedelta(days=1)
    # Every card and chart follows: the figures of those five days, as the CLI computes them.
    doc = state.document
    expected = analytics.compute_with_rollups(doc.events, doc.rollups, first, end).analytics
    assert 0 < expected.total_events < int(total.replace(",", ""))
    assert page.cards["events"].value.text() == f"{expected.total_events:,}"
    assert page.cards["sessions"].value.text() == f"{expected.sessions.count:,}"
    assert page.cards["errors"].value.text() == f"{expected.error_count:,}"
    assert state.dashboard.buckets.starts == [first + timedelta(days=i) for i in range(5)]
    rows = page.breakdown.table_model.rows()
    assert [r[0] for r in rows] == list(expected.event_counts)
    # A visible way back.
    assert page.span_bar.isVisibleTo(page)
    assert page.clear_span_button.text() == "Clear selection"
    assert "Showing the span selected on Events over time" in page.span_label.text()
    cleared = []
    page.span_cleared.connect(lambda: cleared.append(True))
    with qtbot.waitSignal(
        state.analytics_changed,
        timeout=5000,
        check_params_cb=lambda d: d.time_range.preset == "all",
    ):
        page.clear_span_button.click()
    assert cleared == [True]
    assert page.preset.currentData() == "all" and not page.since_edit.isEnabled()
    assert page.cards["events"].value.text() == total
    assert not page.span_bar.isVisibleTo(page)


def test_setting_the_region_applies_it_and_clear_goes_back_to_the_range_before(
    qtbot, make_window, store, pinned_now
) -> None:
    _fill(store, pinned_now)
    window, page = _page(qtbot, make_window, store)
    state = window.state
    hours = TimeRange("custom", since=pinned_now - timedelta(hours=20), until=pinned_now)
    with qtbot.waitSignal(state.analytics_changed, timeout=5000):
        page.range_bar.set_range(hours)
    buckets = state.dashboard.buckets
    assert buckets.size == "hour"
    a, b = buckets.starts[2], buckets.starts[3]
    region = page.timeline.region
    with qtbot.waitSignal(
        state.analytics_changed,
        timeout=5000,
        check_params_cb=lambda d: d.time_range.since == a,
    ):
        region.setRegion((a.timestamp() - 1800, b.timestamp() + 1800))  # emits its finish
    assert state.time_range == TimeRange("custom", since=a, until=b + timedelta(hours=1) - TICK)
    assert state.dashboard.buckets.starts == [a, b]
    assert page.cards["events"].value.text() == str(sum(buckets.counts[2:4]))
    # A second span inside the first: Clear still goes back to the range before both.
    with qtbot.waitSignal(
        state.analytics_changed,
        timeout=5000,
        check_params_cb=lambda d: d.time_range.since == b,
    ):
        page.timeline.region.setRegion((b.timestamp() - 1800, b.timestamp() + 1800))
    with qtbot.waitSignal(state.analytics_changed, timeout=5000):
        page.clear_span()
    assert state.time_range == hours and page.preset.currentData() == "custom"
    assert _shown(page.since_edit) == hours.since.replace(second=0)
    # Picking another preset while a span is shown forgets it.
    with qtbot.waitSignal(state.analytics_changed, timeout=5000):
        page.timeline.region.setRegion((a.timestamp() - 1800, a.timestamp() + 1800))
    assert page.span_bar.isVisibleTo(page)
    with qtbot.waitSignal(state.analytics_changed, timeout=5000):
        page.preset.setCurrentIndex(page.preset.findData("7d"))
    assert not page.span_bar.isVisibleTo(page)
