"""Two of the dashboard's charts (the breakdown and the distribution; events over time is
`dashboard_timeline`), each a `ChartPanel` that draws one part of `DashboardData`.

Drawing only: the numbers come computed. What is decided here is how they stay readable: axis
titles, whole-number ticks on counts, long names cut with the full name on hover, value labels
kept inside the view, and a crosshair naming the bin under the mouse.
"""

from __future__ import annotations

import bisect

import pyqtgraph as pg
from PySide6.QtCore import QPointF
from PySide6.QtGui import QFontMetrics, QPalette
from PySide6.QtWidgets import QWidget

from ..core.analytics import Analytics, MetricHistogram
from ..core.i18n import number, tr
from .chart_axes import elide, make_count_plot
from .chart_colors import series_color
from .chart_crosshair import Crosshair
from .chart_redraw import RedrawnPanel
from .dashboard_timeline import TimelinePanel, bucket_label
from .table_models import format_number
from .widgets import palette_color

__all__ = ["BreakdownPanel", "HistogramPanel", "TimelinePanel", "bucket_label"]

#: Longest name label on an axis, in average characters; the rest goes in the tooltip.
NAME_CHARS = 24
#: Pixels between a value label and the view's right edge.
_EDGE = 6


class BreakdownPanel(RedrawnPanel):
    """Events by type: horizontal bars, the count and share at each bar's end."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            tr("Event breakdown"),
            make_count_plot("bottom"),
            (tr("Event type"), tr("Count"), "%"),
            parent,
        )
        self.plot.setLabel("bottom", tr("Events"))
        self.plot.setLabel("left", tr("Event type"))
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
            label.setText(f" {number(count, ',')} ({number(pct, '.1f')}%)", color=fg)
            label.setPos(count, y)
            rows.append((name, number(count, ","), number(pct, ".1f")))
        self._name_ticks()
        plot.invertY(True)
        plot.setYRange(-0.6, len(names) - 0.4, padding=0)
        self.fit_range()
        self.set_rows(
            rows,
            # Translators: a screen reader's description; {list}: "opened 12 (40.0%); …"
            tr("Events by type: {list}").format(
                list="; ".join(f"{n} {c} ({p}%)" for n, c, p in rows)
            ),
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
            # Translators: the tooltip of a bar: an event type, its count and its share
            tip = tr("{name}: {count} ({share}%)").format(
                name=self._names[row],
                count=number(count, ","),
                share=number(100.0 * count / self._total, ".1f"),
            )
        for target in (view, self.plot.getAxis("left"), self.plot):
            target.setToolTip(tip)


class HistogramPanel(RedrawnPanel):
    """The distribution of the metric selected in the performance table; the caption says so.
    Its colour is the metric's own (`series_color`), the same whichever row was picked before."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            tr("Distribution"),
            make_count_plot("left"),
            # Translators: the columns of a histogram's bins: lower bound, upper bound, count
            (tr("From"), tr("To"), tr("Count")),
            parent,
        )
        self.plot.setLabel("left", tr("Count"))
        self.set_caption(tr("Select a row in Performance above to see its distribution."))
        self.curve: pg.PlotDataItem | None = None
        self._name: str | None = None
        self._hist: MetricHistogram | None = None
        self.crosshair = Crosshair(self.plot, self.point_at)
        self.saving.exporting.connect(self.crosshair.hide)

    def draw(self, name: str | None, hist: MetricHistogram | None) -> None:
        self.remember(name, hist)
        plot = self.plot
        # Not `plot.clear()`: the crosshair's items stay.
        if self.curve is not None:
            plot.removeItem(self.curve)
            self.curve = None
        self.crosshair.hide()
        self._name, self._hist = name, hist
        if name is None or hist is None:
            self.set_rows([], tr("No metric selected."))
            plot.setTitle(None)
            plot.setLabel("bottom", tr("Value"))
            self.set_caption(tr("Select a row in Performance above to see its distribution."))
            return
        color = series_color(name, palette_color(QPalette.ColorRole.Base, plot))
        self.curve = plot.plot(
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
        if hist.unit:
            # Translators: the histogram's axis title; {unit} is the metric's unit, as "ms"
            plot.setLabel("bottom", tr("Value ({unit})").format(unit=hist.unit))
        else:
            plot.setLabel("bottom", tr("Value"))
        # On the title only: a tooltip over the bars would cover the crosshair's label.
        plot.getPlotItem().titleLabel.setToolTip(f"{name}{unit}")
        # Translators: {metric} is a metric's name, with its unit when it has one
        caption = tr("Distribution of {metric}: select a row above for another metric.")
        self.set_caption(caption.format(metric=f"{short}{unit}"))
        self.caption.setToolTip(f"{name}{unit}")
        rows = [
            (format_number(lo, 2), format_number(hi, 2), str(c))
            for lo, hi, c in zip(hist.edges, hist.edges[1:], hist.counts, strict=False)
        ]
        # Translators: one bin of a histogram, as a screen reader reads it
        bin_text = tr("{low} to {high}: {count}")
        bins = "; ".join(
            bin_text.format(low=lo, high=hi, count=c) for lo, hi, c in rows if c != "0"
        )
        self.set_rows(
            rows,
            # Translators: a screen reader's description of the histogram; {bins} lists its bins
            tr("Distribution of {metric}: {bins}").format(metric=f"{name}{unit}", bins=bins),
        )

    def point_at(self, x: float) -> tuple[float, str] | None:
        """The bin under `x` (one bisection): its bounds, its count and the metric's name."""
        hist, name = self._hist, self._name
        if hist is None or name is None or not hist.counts:
            return None
        i = bisect.bisect_right(hist.edges, x) - 1
        if not 0 <= i < len(hist.counts):
            return None
        lo, hi = hist.edges[i], hist.edges[i + 1]
        unit = f" {hist.unit}" if hist.unit else ""
        short = elide(name, QFontMetrics(self.font()), self.plot.width() // 2)
        # Translators: the bounds of the histogram bin under the mouse
        bounds = tr("{low} to {high}").format(low=format_number(lo, 2), high=format_number(hi, 2))
        # Translators: a name (a metric, a category, a period) and its count
        count = tr("{name}: {count}").format(name=short, count=f"{hist.counts[i]:,}")
        text = f"{bounds}{unit}\n{count}"
        return (lo + hi) / 2, text
