"""Issue 12: the dashboard's charts read well: long names cut with the full name on hover, axis
titles, whole-number ticks on counts, time bars on their ticks, value labels inside the view,
the table twin's headers whole, and a caption naming what drives the Distribution chart."""

from __future__ import annotations

from datetime import datetime, timedelta

import pyqtgraph as pg
import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import QApplication, QLabel, QToolTip

from peft_telemetry_gui.core import analytics
from peft_telemetry_gui.core.models import Event
from peft_telemetry_gui.core.store import Store
from peft_telemetry_gui.gui.dashboard_model import DashboardData
from peft_telemetry_gui.gui.state import TimeRange

LONG_TYPE = "checkout_flow_" + "step_" * 17 + "x"  # 100 characters
LONG_METRIC = "render_time_of_" + "panel_" * 13 + "abcdefg"  # 100 characters


def _fill(store: Store, now: datetime) -> None:
    """A few usage events (one type with a 100-character name) and two metrics, in the last
    20 hours."""
    assert len(LONG_TYPE) == len(LONG_METRIC) == 100

    def at(i: int) -> datetime:
        return now - timedelta(hours=20) + timedelta(minutes=37 * i)

    def usage(i: int, name: str) -> Event:
        return Event(timestamp=at(i), category="usage", event_type=name, session_id="s")

    def metric(i: int, name: str, value: float, unit: str) -> Event:
        return Event(
            timestamp=at(i),
            category="performance",
            event_type="performance",
            session_id="s",
            metric_name=name,
            value=value,
            unit=unit,
        )

    events = [usage(0, "opened"), usage(1, "opened"), usage(2, "opened")]
    events += [usage(3, LONG_TYPE), usage(4, LONG_TYPE)]
    events += [metric(5 + i, "step_time", float(i + 1), "ms") for i in range(5)]
    events += [metric(10 + i, LONG_METRIC, 0.5 * (i + 1), "s") for i in range(3)]
    store.update(lambda doc: doc.events.extend(events))


def _window(make_window, store: Store, qtbot):
    window = make_window(store)
    window.resize(800, 600)
    window.show_page("dashboard")
    qtbot.waitExposed(window)
    QApplication.processEvents()
    return window, window.pages["dashboard"]


def _items(plot, kind) -> list:
    """The chart's items of one kind, as drawn (bars, value labels)."""
    return [item for item in plot.getPlotItem().items if isinstance(item, kind)]


def _caption(panel) -> QLabel:
    """The label under the chart's title that says what it shows."""
    found = [w for w in panel.findChildren(QLabel) if w.text().startswith("Distribution of")]
    assert len(found) == 1, [w.text() for w in panel.findChildren(QLabel)]
    return found[0]


def _axis_ticks(plot, side: str) -> list[float]:
    """The tick values the axis draws for the range the view shows now."""
    axis = plot.getAxis(side)
    view = plot.getViewBox().viewRange()[0 if side in ("bottom", "top") else 1]
    length = axis.width() if side in ("bottom", "top") else axis.height()
    if getattr(axis, "_tickLevels", None) is not None:
        return [v for level in axis._tickLevels for v, _label in level]
    return [v for _spacing, values in axis.tickValues(view[0], view[1], length) for v in values]


# Showing the tooltip window: offscreen cannot raise it, and says so.
@pytest.mark.qt_log_ignore("does not support propagateSizeHints", "does not support raise")
def test_long_names_are_cut_with_the_full_name_in_a_tooltip(
    qtbot, make_window, store, pinned_now
) -> None:
    _fill(store, pinned_now)
    window, page = _window(make_window, store, qtbot)
    # Breakdown: the axis label is cut, the chart keeps its room, hovering gives the name.
    plot = page.breakdown.plot
    names = list(window.state.dashboard.analytics.event_counts)
    row = names.index(LONG_TYPE)
    labels = dict(plot.getAxis("left")._tickLevels[0])
    shown = labels[row]
    assert len(shown) < len(LONG_TYPE) and shown.endswith("…")
    assert LONG_TYPE.startswith(shown[:-1])
    assert plot.getAxis("left").width() < plot.width() / 2
    view = plot.getViewBox()
    where = plot.mapFromScene(view.mapViewToScene(QPointF(0.5, row)))
    qtbot.mouseMove(plot.viewport(), where)
    qtbot.waitUntil(lambda: LONG_TYPE in view.toolTip(), timeout=2000)
    # What Qt shows: the tooltip the scene finds under the mouse.
    global_pos = plot.viewport().mapToGlobal(where)
    QApplication.sendEvent(plot.viewport(), QHelpEvent(QEvent.Type.ToolTip, where, global_pos))
    assert QToolTip.text().startswith(f"{LONG_TYPE}: 2 (")
    QToolTip.hideText()
    # The table twin: the same name whole in the cell's tooltip.
    twin = page.breakdown.table_model
    index = twin.index(row, 0)
    assert twin.data(index, Qt.ItemDataRole.ToolTipRole) == LONG_TYPE
    # Performance: the name whole in the tooltip.
    model = page.perf_model
    tip = model.data(model.index(model.row_of(LONG_METRIC), 0), Qt.ItemDataRole.ToolTipRole)
    assert tip == LONG_METRIC


def test_a_long_metric_name_leaves_the_columns_on_screen_at_800_pixels(
    qtbot, make_window, store, pinned_now
) -> None:
    _fill(store, pinned_now)
    window, page = _window(make_window, store, qtbot)
    assert window.width() <= 800
    table, model = page.perf_table, page.perf_model
    assert table.columnWidth(0) < table.fontMetrics().horizontalAdvance(LONG_METRIC)
    header = table.horizontalHeader()
    for column in range(model.columnCount()):
        right = header.sectionViewportPosition(column) + header.sectionSize(column)
        assert header.sectionViewportPosition(column) >= 0 and right <= header.viewport().width()
        assert header.sectionSize(column) >= header.sectionSizeHint(column) or column == 0
    assert table.horizontalScrollBar().maximum() == 0


def test_every_chart_has_axis_titles(qtbot, make_window, store, pinned_now) -> None:
    _fill(store, pinned_now)
    _w, page = _window(make_window, store, qtbot)
    titles = {
        name: (panel.plot.getAxis("left").labelText, panel.plot.getAxis("bottom").labelText)
        for name, panel in (
            ("breakdown", page.breakdown),
            ("timeline", page.timeline),
            ("histogram", page.histogram),
        )
    }
    assert titles == {
        "breakdown": ("Event type", "Events"),
        "timeline": ("Events", "Day (UTC)"),  # all time: whole days come from the rollups
        "histogram": ("Count", "Value (s)"),  # the first metric is selected
    }
    for panel in (page.breakdown, page.timeline, page.histogram):
        for side in ("left", "bottom"):
            axis = panel.plot.getAxis(side)
            assert axis.label.isVisible() and "x1e" not in axis.labelString()


def test_count_axes_have_whole_number_ticks(qtbot, make_window, store, pinned_now) -> None:
    # Few events: pyqtgraph alone would tick counts of 1 to 5 at halves.
    _fill(store, pinned_now)
    _w, page = _window(make_window, store, qtbot)
    for plot, side in (
        (page.breakdown.plot, "bottom"),
        (page.timeline.plot, "left"),
        (page.histogram.plot, "left"),
    ):
        ticks = _axis_ticks(plot, side)
        assert ticks, side
        assert all(float(v).is_integer() for v in ticks), (side, ticks)


def _bars_on_ticks(page, buckets) -> None:
    stacked = _items(page.timeline.plot, pg.BarGraphItem)  # one per category, stacked
    assert stacked
    xs = [float(x) for x in stacked[0].opts["x"]]
    assert xs == [s.timestamp() for s in buckets.starts]  # a bar's centre: its period's start
    assert all([float(x) for x in bars.opts["x"]] == xs for bars in stacked)
    levels = page.timeline.plot.getAxis("bottom")._tickLevels
    ticks = sorted(v for level in levels for v, _label in level)
    assert ticks == xs  # a tick at every bar, and no tick between bars
    labelled = [v for v, label in levels[0] if label]
    assert labelled and set(labelled) <= set(xs)
    rows = page.timeline.table_model.rows()
    # Hours in local time, to the minute (some zones are half an hour off); days are UTC days.
    expected = [
        s.astimezone().strftime("%Y-%m-%d %H:%M")
        if buckets.size == "hour"
        else s.date().isoformat()
        for s in buckets.starts
    ]
    assert [r[0] for r in rows] == expected


def test_day_bars_are_centred_on_their_day_ticks(qtbot, make_window, demo_store) -> None:
    window, page = _window(make_window, demo_store, qtbot)
    buckets = window.state.dashboard.buckets
    assert buckets.size == "day" and len(buckets.starts) > 20
    _bars_on_ticks(page, buckets)


def test_hour_bars_are_centred_on_their_hour_ticks(qtbot, make_window, store, pinned_now) -> None:
    _fill(store, pinned_now)
    window, page = _window(make_window, store, qtbot)
    state = window.state
    hours = TimeRange("custom", since=pinned_now - timedelta(hours=21), until=pinned_now)
    with qtbot.waitSignal(
        state.analytics_changed, timeout=5000, check_params_cb=lambda d: d.time_range == hours
    ):
        state.set_time_range(hours)
    buckets = state.dashboard.buckets
    assert buckets.size == "hour"
    _bars_on_ticks(page, buckets)
    assert page.timeline.plot.getAxis("bottom").labelText == "Hour starting"


def test_period_starting_is_shown_whole_in_the_table(qtbot, make_window, demo_store) -> None:
    _w, page = _window(make_window, demo_store, qtbot)
    page.timeline.toggle.click()
    table = page.timeline.table
    assert page.timeline.stack.currentWidget() is table
    header = table.horizontalHeader()
    text = table.model().headerData(0, Qt.Orientation.Horizontal)
    assert text == "Period starting"
    needed = header.fontMetrics().horizontalAdvance(text)
    assert table.columnWidth(0) >= header.sectionSizeHint(0) > needed


def test_caption_says_the_selected_row_drives_the_distribution(
    qtbot, make_window, store, pinned_now
) -> None:
    _fill(store, pinned_now)
    _w, page = _window(make_window, store, qtbot)
    page.perf_table.selectRow(page.perf_model.row_of("step_time"))
    caption = _caption(page.histogram)
    assert caption.isVisibleTo(page)
    assert caption.text().startswith("Distribution of step_time (ms): select a row above")
    page.perf_table.selectRow(page.perf_model.row_of(LONG_METRIC))
    assert caption.text().startswith("Distribution of render_time_of_")
    assert caption.text().endswith("select a row above for another metric.")
    assert caption.toolTip() == f"{LONG_METRIC} (s)"
    assert page.histogram.plot.getAxis("bottom").labelText == "Value (s)"


def _labels_inside(plot, labels) -> None:
    """Each value label's box (its anchor point in the view, its width in pixels) lies in the
    view's box, and so in the part of the chart on screen."""
    QApplication.processEvents()
    view = plot.getViewBox()
    box = view.sceneBoundingRect()
    edge = min(box.right(), plot.viewport().width())
    for label in labels:
        width = label.textItem.boundingRect().width()
        left = view.mapViewToScene(label.pos()).x() - label.anchor.x() * width
        assert box.left() <= left and left + width <= edge, (left, width, box, edge)


def test_value_labels_stay_inside_the_view(qtbot, make_window, store, pinned_now) -> None:
    event = Event(timestamp=pinned_now, category="usage", event_type="opened", session_id="s")
    store.update(lambda doc: doc.events.append(event))
    window, page = _window(make_window, store, qtbot)
    counts = {"opened": 33_333, "saved": 33_333, "closed": 33_334}
    figures = analytics.Analytics(total_events=100_000, event_counts=counts)
    data = DashboardData(
        time_range=TimeRange("all"),
        analytics=figures,
        buckets=window.state.dashboard.buckets,
    )
    page._on_analytics_changed(data)
    QApplication.processEvents()
    plot = page.breakdown.plot
    labels = _items(plot, pg.TextItem)
    texts = [label.textItem.toPlainText() for label in labels]
    assert texts == [" 33,333 (33.3%)", " 33,333 (33.3%)", " 33,334 (33.3%)"]
    _labels_inside(plot, labels)
    # Narrower still: the range follows the view's width.
    window.resize(window.minimumSizeHint().width(), 600)
    QApplication.processEvents()
    _labels_inside(plot, labels)
