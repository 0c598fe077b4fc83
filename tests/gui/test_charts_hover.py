"""Issue 12, charts you can read: a hover crosshair naming the period (with its zone), the
value and the series; a date axis on Events over time; each category stacked in its own fixed
colour, kept across refreshes and ranges; a legend only when there is more than one series."""

from __future__ import annotations

from datetime import datetime, timedelta

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QColor, QMouseEvent
from PySide6.QtWidgets import QApplication, QScrollArea

from peft_telemetry_gui.core.models import Event
from peft_telemetry_gui.core.store import Store
from peft_telemetry_gui.gui.chart_colors import series_color
from peft_telemetry_gui.gui.state import TimeRange


def _fill(store: Store, now: datetime) -> None:
    """Hour -5: 2 usage + 1 error; hour -3: 1 usage; hour -2: 1 error; a metric at hour -1
    (values 1 to 5 ms)."""
    base = now.replace(minute=0, second=0, microsecond=0)

    def at(hours: int, minute: int) -> datetime:
        return base - timedelta(hours=hours) + timedelta(minutes=minute)

    def event(when: datetime, category: str, name: str, **fields: object) -> Event:
        return Event(timestamp=when, category=category, event_type=name, session_id="s", **fields)

    events = [
        event(at(5, 5), "usage", "opened"),
        event(at(5, 10), "error", "crashed", error_type="ValueError"),
        event(at(5, 20), "usage", "saved"),
        event(at(3, 1), "usage", "opened"),
        event(at(2, 30), "error", "crashed", error_type="ValueError"),
    ]
    events += [
        event(at(1, i), "performance", "performance", metric_name="step_time", value=v, unit="ms")
        for i, v in enumerate([1.0, 2.0, 3.0, 3.5, 5.0])
    ]
    store.update(lambda doc: doc.events.extend(events))


def _apply(qtbot, state, time_range: TimeRange) -> None:
    with qtbot.waitSignal(
        state.analytics_changed, timeout=5000, check_params_cb=lambda d: d.time_range == time_range
    ):
        state.set_time_range(time_range)


def _dashboard(qtbot, make_window, store: Store, now: datetime):
    window = make_window(store)
    screen = QApplication.primaryScreen().availableGeometry()  # all of it on screen
    window.setGeometry(screen.x(), screen.y(), min(1100, screen.width()), screen.height())
    window.show_page("dashboard")
    qtbot.waitExposed(window)
    hours = TimeRange("custom", since=now - timedelta(hours=6), until=now)
    _apply(qtbot, window.state, hours)
    QApplication.processEvents()
    return window, window.pages["dashboard"]


def _hover(qtbot, plot, x: float, y: float) -> None:
    """The mouse to view point (x, y), as Qt delivers it (scrolled into sight first)."""
    scroll = next(w for w in _ancestors(plot) if isinstance(w, QScrollArea))

    def where():
        return plot.mapFromScene(plot.plotItem.vb.mapViewToScene(QPointF(x, y)))

    inside = plot.mapTo(scroll.widget(), where())
    scroll.ensureVisible(inside.x(), inside.y(), 20, 20)
    QApplication.processEvents()
    # Sent to the chart itself: the window system would hand it to whatever window is under
    # that screen point (a tooltip left by another test, say).
    pos = QPointF(where())
    viewport = plot.viewport()
    move = QMouseEvent(
        QEvent.Type.MouseMove,
        pos,
        viewport.mapToGlobal(pos),
        Qt.MouseButton.NoButton,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(viewport, move)


def _ancestors(widget):
    while widget is not None:
        yield widget
        widget = widget.parentWidget()


def _zone(moment: datetime) -> str:
    local = moment.astimezone()
    return f"{local:%Y-%m-%d %H:%M} {local.tzname() or local.strftime('UTC%z')}"


def test_hovering_a_period_shows_its_time_value_and_series(
    qtbot, make_window, store, pinned_now
) -> None:
    _fill(store, pinned_now)
    window, page = _dashboard(qtbot, make_window, store, pinned_now)
    buckets = window.state.dashboard.buckets
    assert buckets.size == "hour"
    start = pinned_now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=5)
    i = buckets.starts.index(start)
    assert buckets.counts[i] == 3
    panel = page.timeline
    _hover(qtbot, panel.plot, start.timestamp() + 600, 0.5)  # a little right of the centre
    qtbot.waitUntil(lambda: panel.crosshair.text() != "", timeout=2000)
    assert panel.crosshair.text() == f"{_zone(start)}\nEvents: 3\nusage: 2\nerror: 1"
    assert panel.crosshair.line.isVisible() and panel.crosshair.line.value() == start.timestamp()
    # Another period: the line and the label follow.
    later = start + timedelta(hours=3)
    _hover(qtbot, panel.plot, later.timestamp(), 0.2)
    qtbot.waitUntil(lambda: panel.crosshair.text().startswith(_zone(later)), timeout=2000)
    assert panel.crosshair.text() == f"{_zone(later)}\nEvents: 1\nerror: 1"
    assert panel.crosshair.line.value() == later.timestamp()


def test_hovering_the_distribution_names_the_bin_and_the_metric(
    qtbot, make_window, store, pinned_now
) -> None:
    _fill(store, pinned_now)
    window, page = _dashboard(qtbot, make_window, store, pinned_now)
    hist = window.state.dashboard.histograms["step_time"]
    panel = page.histogram
    k = next(j for j in range(len(hist.counts)) if hist.edges[j] <= 3.0 < hist.edges[j + 1])
    _hover(qtbot, panel.plot, 3.0, 0.5)
    qtbot.waitUntil(lambda: panel.crosshair.text() != "", timeout=2000)
    lo, hi = hist.edges[k], hist.edges[k + 1]
    assert panel.crosshair.text() == f"{lo:.2f} to {hi:.2f} ms\nstep_time: {hist.counts[k]}"
    assert hist.counts[k] == 1
    assert panel.crosshair.line.value() == (lo + hi) / 2


def test_events_over_time_has_a_date_axis(qtbot, make_window, store, pinned_now) -> None:
    _fill(store, pinned_now)
    _w, page = _dashboard(qtbot, make_window, store, pinned_now)
    axis = page.timeline.plot.getAxis("bottom")
    assert isinstance(axis, pg.DateAxisItem)
    labels = [label for value, label in axis._tickLevels[0] if label]
    assert labels and all(":" in label for label in labels)  # hours, by the clock


def _colours(panel) -> dict[str, tuple[str, str]]:
    return {
        bar.series_name: (bar.opts["pen"].color().name(), bar.opts["brush"].color().name())
        for bar in panel.bars
    }


def test_each_series_keeps_its_colour_and_the_legend_lists_them(
    qtbot, make_window, store, pinned_now
) -> None:
    _fill(store, pinned_now)
    window, page = _dashboard(qtbot, make_window, store, pinned_now)
    panel = page.timeline
    first = _colours(panel)
    assert list(first) == ["usage", "error", "performance"]
    assert first["error"] == (QColor("#D55E00").name(),) * 2
    assert len(set(first.values())) == 3  # told apart
    assert panel.legend_names() == ["usage", "error", "performance"]
    # Another range: usage drops out, error moves to the front, and keeps its colour.
    late = TimeRange("custom", since=pinned_now - timedelta(hours=2, minutes=30), until=pinned_now)
    _apply(qtbot, window.state, late)
    second = _colours(panel)
    assert list(second) == ["error", "performance"]
    assert second["error"] == first["error"] and second["performance"] == first["performance"]
    assert panel.legend_names() == ["error", "performance"]
    # One series: no legend.
    only = TimeRange(
        "custom",
        since=pinned_now - timedelta(hours=3, minutes=30),
        until=pinned_now - timedelta(hours=3),
    )
    _apply(qtbot, window.state, only)
    assert list(_colours(panel)) == ["usage"]
    assert panel.legend_names() == []
    assert series_color("usage").name() == first["usage"][0]


def test_series_colours_depend_on_the_name_alone() -> None:
    names = ["checkout", "render", "sync", "usage", "error"]
    assert [series_color(n).name() for n in names] == [
        series_color(n).name() for n in reversed(names)
    ][::-1]
    assert series_color("error") == QColor("#D55E00")
    assert series_color("performance") != series_color("error")


def test_every_series_colour_stands_out_from_light_and_dark_chart_backgrounds() -> None:
    """WCAG 1.4.11 (3:1 for graphics): orange and sky blue were 2.3:1 on white, the blue
    3.5:1 on a dark base; each keeps its hue and is only darkened or lightened."""
    from peft_telemetry_gui.gui.buttons import contrast_ratio
    from peft_telemetry_gui.gui.chart_colors import MIN_GRAPHIC_CONTRAST, SERIES_COLORS

    names = ["usage", "error", "performance", "system"] + [f"metric-{i}" for i in range(40)]
    assert {series_color(n).name().upper() for n in names} == set(SERIES_COLORS)
    for background in ("#ffffff", "#f0f0f0", "#171717", "#303134", "#000000"):
        base = QColor(background)
        for name in names:
            plain, fitted = series_color(name), series_color(name, base)
            assert contrast_ratio(fitted, base) >= MIN_GRAPHIC_CONTRAST, (name, background)
            if plain.hslSaturationF() > 0.05:  # grey has no hue to keep
                assert abs(fitted.hslHueF() - plain.hslHueF()) < 0.02, (name, background)
