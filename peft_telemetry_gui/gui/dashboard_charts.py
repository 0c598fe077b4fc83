"""The dashboard's three charts, each a `ChartPanel` that draws one part of `DashboardData`.

Drawing only: the numbers come computed. What is decided here is how they stay readable: axis
titles, whole-number ticks on counts, long names cut with the full name on hover, value labels
kept inside the view, and the time bars centred on the tick that names their period.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPointF
from PySide6.QtGui import QFontMetrics, QPalette
from PySide6.QtWidgets import QWidget

from ..core.analytics import Analytics, MetricHistogram, TimeBuckets
from .chart_axes import elide, make_count_plot
from .table_models import format_number
from .widgets import ChartPanel, palette_color

__all__ = ["BreakdownPanel", "HistogramPanel", "TimelinePanel", "bucket_label"]

#: Longest name label on an axis, in average characters; the rest goes in the tooltip.
NAME_CHARS = 24
#: Pixels between a value label and the view's right edge.
_EDGE = 6


def bucket_label(start: datetime, size: str) -> str:
    """A period's start as the table shows it: hours in local time (to the minute, for zones
    half an hour off UTC), days as the UTC days they are (rollups count UTC days)."""
    if size == "hour":
        return start.astimezone().strftime("%Y-%m-%d %H:%M")
    return start.astimezone(UTC).date().isoformat()


def _short_label(start: datetime, size: str, with_day: bool) -> str:
    """The axis's shorter form of `bucket_label`."""
    if size == "hour":
        return start.astimezone().strftime("%d %b %H:%M" if with_day else "%H:%M")
    return start.astimezone(UTC).strftime("%d %b")


class _Redrawn(ChartPanel):
    """Bars, labels and titles take their colours from the palette when drawn: draw them
    again when the system switches between light and dark (this panel's palette, which Qt
    updates after its parents', so a parent cannot do it for us)."""

    _last: tuple[object, ...] | None = None

    def remember(self, *args: object) -> None:
        self._last = args

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and self._last is not None:
            self.draw(*self._last)  # each subclass's own draw, with what it drew last


class BreakdownPanel(_Redrawn):
    """Events by type: horizontal bars, the count and share at each bar's end."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            "Event breakdown", make_count_plot("bottom"), ("Event type", "Count", "%"), parent
        )
        self.plot.setLabel("bottom", "Events")
        self.plot.setLabel("left", "Event type")
        self.bars: pg.BarGraphItem | None = None
        self.value_labels: list[pg.TextItem] = []
        self._names: list[str] = []
        self._counts: list[int] = []
        self._total = 1
        self.plot.getViewBox().sigResized.connect(self._on_resized)
        self.plot.scene().sigMouseMoved.connect(self.hover)

    def draw(self, a: Analytics) -> None:
        self.remember(a)
        # Items are reused across refreshes: rebuilding a bar and a text item per type on every
        # external write cost ~40 ms at 100 000 events, mostly pen and font set-up.
        plot = self.plot
        names = list(a.event_counts)
        counts = [a.event_counts[n] for n in names]
        self._names, self._counts, self._total = names, counts, a.total_events or 1
        ys = list(range(len(names)))
        brush = pg.mkBrush(palette_color(QPalette.ColorRole.Highlight, self))
        options = {"x0": 0, "y": ys, "height": 0.7, "width": counts, "brush": brush}
        if self.bars is None:
            self.bars = pg.BarGraphItem(**options)
            plot.addItem(self.bars)
        else:
            self.bars.setOpts(**options)
        fg = palette_color(QPalette.ColorRole.Text, self)
        labels = self.value_labels
        while len(labels) < len(names):
            labels.append(pg.TextItem("", color=fg, anchor=(0, 0.5)))
            plot.addItem(labels[-1])
        for extra in labels[len(names) :]:
            plot.removeItem(extra)
        del labels[len(names) :]
        rows = []
        for label, y, name, count in zip(labels, ys, names, counts, strict=True):
            pct = 100.0 * count / self._total
            label.setText(f" {count:,} ({pct:.1f}%)", color=fg)
            label.setPos(count, y)
            rows.append((name, f"{count:,}", f"{pct:.1f}"))
        self._name_ticks()
        plot.invertY(True)
        plot.setYRange(-0.6, len(names) - 0.4, padding=0)
        self.fit_range()
        self.set_rows(
            rows,
            "Events by type: " + "; ".join(f"{n} {c} ({p}%)" for n, c, p in rows),
        )

    def _name_ticks(self) -> None:
        """The names on the axis, cut to at most a third of the chart's width (and
        `NAME_CHARS`): a long name must leave the bars their room."""
        axis = self.plot.getAxis("left")
        metrics = QFontMetrics(axis.style.get("tickFont") or self.font())
        limit = min(metrics.averageCharWidth() * NAME_CHARS, self.plot.width() // 3)
        limit = max(limit, metrics.averageCharWidth() * 4)
        shown = [elide(n, metrics, limit) for n in self._names]
        axis.setTicks([list(enumerate(shown))])
        # pyqtgraph does not widen the axis for text ticks: without this only short names show.
        title = axis.label.boundingRect().height() if axis.label.isVisible() else 0
        axis.setWidth(int(max(map(metrics.horizontalAdvance, shown), default=0) + 16 + title))

    def _on_resized(self) -> None:
        if self._names:
            self._name_ticks()
        self.fit_range()

    def fit_range(self) -> None:
        """Wide enough that the longest bar's label ends inside the view: label widths are
        pixels, the range is counts, so the range follows the view's width."""
        if not self._counts:
            return
        width = self.plot.getViewBox().width()
        top = max(self._counts) * 1.05
        for label, count in zip(self.value_labels, self._counts, strict=True):
            room = width - label.textItem.boundingRect().width() - _EDGE
            # Labels wider than most of the view cannot fit beside any bar: keep bars readable.
            room = max(room, width * 0.25)
            if width > 0:
                top = max(top, count * width / room)
        self.plot.setXRange(0, top, padding=0)

    def hover(self, pos: QPointF) -> None:
        """The full name, count and share of the bar under the mouse, as the tooltip of the
        view and the name axis: Qt asks the scene's items, not the plot widget, for it."""
        view = self.plot.getViewBox()
        row = round(view.mapSceneToView(pos).y())
        tip = ""
        if self._names and 0 <= row < len(self._names):
            count = self._counts[row]
            tip = f"{self._names[row]}: {count:,} ({100.0 * count / self._total:.1f}%)"
        for target in (view, self.plot.getAxis("left"), self.plot):
            target.setToolTip(tip)


class TimelinePanel(_Redrawn):
    """Events per day or per hour: one bar per period, centred on its tick; ticks at the start
    of each period, labelled as in the table."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            "Events over time", make_count_plot("left"), ("Period starting", "Events"), parent
        )
        self.plot.setLabel("left", "Events")
        self.bars: pg.BarGraphItem | None = None
        self._buckets: TimeBuckets | None = None
        self.plot.getViewBox().sigResized.connect(self._fit_ticks)

    def draw(self, buckets: TimeBuckets) -> None:
        self.remember(buckets)
        plot = self.plot
        plot.clear()
        self.bars = None
        self._buckets = buckets
        if not buckets.starts:
            self.set_rows([], "No events over time.")
            return
        step = 3600 if buckets.size == "hour" else 86400
        xs = [s.timestamp() for s in buckets.starts]
        brush = pg.mkBrush(palette_color(QPalette.ColorRole.Highlight, self))
        self.bars = pg.BarGraphItem(x=xs, height=buckets.counts, width=step * 0.8, brush=brush)
        plot.addItem(self.bars)
        plot.setLabel("bottom", "Hour starting" if buckets.size == "hour" else "Day (UTC)")
        plot.setXRange(xs[0] - step * 0.6, xs[-1] + step * 0.6, padding=0)
        plot.setYRange(0, max(buckets.counts) * 1.1 or 1, padding=0)
        self._fit_ticks()
        rows = [
            (bucket_label(s, buckets.size), f"{c:,}")
            for s, c in zip(buckets.starts, buckets.counts, strict=True)
        ]
        self.set_rows(
            rows,
            f"Events per {buckets.size}: " + "; ".join(f"{t}: {c}" for t, c in rows if c != "0"),
        )

    def _fit_ticks(self) -> None:
        """A labelled tick every few periods, as many as fit the axis's width; an unlabelled
        one at every other period start."""
        buckets = self._buckets
        if buckets is None or not buckets.starts:
            return
        axis = self.plot.getAxis("bottom")
        metrics = QFontMetrics(axis.style.get("tickFont") or self.font())
        size = buckets.size
        widest = metrics.horizontalAdvance(_short_label(buckets.starts[0], size, True))
        fit = max(1, int(max(axis.width(), 1) // (widest + metrics.averageCharWidth() * 3)))
        stride = max(1, math.ceil(len(buckets.starts) / fit))
        major, minor = [], []
        last_day = None
        for i, start in enumerate(buckets.starts):
            if i % stride:
                minor.append((start.timestamp(), ""))
                continue
            day = start.astimezone().date() if size == "hour" else None
            major.append((start.timestamp(), _short_label(start, size, day != last_day)))
            last_day = day
        axis.setTicks([major, minor])


class HistogramPanel(_Redrawn):
    """The distribution of the metric selected in the performance table; the caption says so."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Distribution", make_count_plot("left"), ("From", "To", "Count"), parent)
        self.plot.setLabel("left", "Count")
        self.set_caption("Select a row in Performance above to see its distribution.")

    def draw(self, name: str | None, hist: MetricHistogram | None) -> None:
        self.remember(name, hist)
        plot = self.plot
        plot.clear()
        if name is None or hist is None:
            self.set_rows([], "No metric selected.")
            plot.setTitle(None)
            plot.setLabel("bottom", "Value")
            self.set_caption("Select a row in Performance above to see its distribution.")
            return
        color = palette_color(QPalette.ColorRole.Highlight, self)
        plot.plot(
            hist.edges,
            hist.counts,
            stepMode="center",
            fillLevel=0,
            brush=pg.mkBrush(color),
            pen=pg.mkPen(color),
        )
        unit = f" ({hist.unit})" if hist.unit else ""
        metrics = QFontMetrics(self.font())
        short = elide(name, metrics, metrics.averageCharWidth() * NAME_CHARS)
        fg = palette_color(QPalette.ColorRole.Text, self)
        plot.setTitle(f"{short}{unit}", color=fg)
        plot.setLabel("bottom", f"Value{unit}")
        plot.setToolTip(f"{name}{unit}")
        self.set_caption(f"Distribution of {short}{unit}: select a row above for another metric.")
        self.caption.setToolTip(f"{name}{unit}")
        rows = [
            (format_number(lo, 2), format_number(hi, 2), str(c))
            for lo, hi, c in zip(hist.edges, hist.edges[1:], hist.counts, strict=False)
        ]
        self.set_rows(
            rows,
            f"Distribution of {name}{unit}: "
            + "; ".join(f"{lo} to {hi}: {c}" for lo, hi, c in rows if c != "0"),
        )
