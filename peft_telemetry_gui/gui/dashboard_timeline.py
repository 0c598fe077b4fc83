"""Events over time: one bar per period, stacked by category, each category in its own fixed
colour with a legend; a crosshair naming the period under the mouse; a left drag picks a span.

The bars are centred on the tick that names their period (ticks at period starts, on a date
axis). Everything here works on the buckets (at most a few hundred), never on events, so a
store of 100 000 events costs the GUI thread no more than one of ten.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtGui import QColor, QFontMetrics, QPalette
from PySide6.QtWidgets import QWidget

from ..core.analytics import TimeBuckets
from ..core.chart_data import format_instant
from ..core.i18n import N_, tr
from .chart_axes import make_count_plot
from .chart_colors import series_color
from .chart_crosshair import Crosshair
from .chart_redraw import RedrawnPanel
from .chart_span import SpanViewBox, span_region
from .widgets import palette_color

__all__ = ["TimelinePanel", "bucket_label", "series_label"]

_TICK = timedelta(microseconds=1)

#: What the legend, the table and the crosshair call a series; the series keep their
#: categories' names (colours and counts are looked up by them).
_SERIES_LABELS = {
    # Translators: the one series of Events over time when it is not split by category
    "Events": N_("Events"),
    # Translators: a category of events, as the legend of Events over time names it
    "usage": N_("usage"),
    # Translators: a category of events, as the legend of Events over time names it
    "error": N_("error"),
    # Translators: a category of events, as the legend of Events over time names it
    "performance": N_("performance"),
    # Translators: a category of events, as the legend of Events over time names it
    "system": N_("system"),
}

#: Months as the time axis abbreviates them (not the C library's, which are English).
_MONTHS = (
    # Translators: a month, abbreviated on a chart's time axis ("03 Jan")
    N_("Jan"),
    # Translators: a month, abbreviated on a chart's time axis ("03 Feb")
    N_("Feb"),
    # Translators: a month, abbreviated on a chart's time axis ("03 Mar")
    N_("Mar"),
    # Translators: a month, abbreviated on a chart's time axis ("03 Apr")
    N_("Apr"),
    # Translators: the month May, abbreviated on a chart's time axis ("03 May")
    N_("May"),
    # Translators: a month, abbreviated on a chart's time axis ("03 Jun")
    N_("Jun"),
    # Translators: a month, abbreviated on a chart's time axis ("03 Jul")
    N_("Jul"),
    # Translators: a month, abbreviated on a chart's time axis ("03 Aug")
    N_("Aug"),
    # Translators: a month, abbreviated on a chart's time axis ("03 Sep")
    N_("Sep"),
    # Translators: a month, abbreviated on a chart's time axis ("03 Oct")
    N_("Oct"),
    # Translators: a month, abbreviated on a chart's time axis ("03 Nov")
    N_("Nov"),
    # Translators: a month, abbreviated on a chart's time axis ("03 Dec")
    N_("Dec"),
)


def series_label(name: str) -> str:
    """A series as the user reads it: a category's label, or the name itself."""
    return tr(_SERIES_LABELS[name]) if name in _SERIES_LABELS else name


def bucket_label(start: datetime, size: str) -> str:
    """A period's start as the table shows it: hours in local time (to the minute, for zones
    half an hour off UTC), days as the UTC days they are (rollups count UTC days)."""
    if size == "hour":
        return start.astimezone().strftime("%Y-%m-%d %H:%M")
    return start.astimezone(UTC).date().isoformat()


def _short_label(start: datetime, size: str, with_day: bool) -> str:
    """The axis's shorter form of `bucket_label`."""
    moment = start.astimezone() if size == "hour" else start.astimezone(UTC)
    if size == "hour" and not with_day:
        return moment.strftime("%H:%M")
    # Translators: a day on a chart's time axis: {day} is two digits, {month} abbreviated
    day = tr("{day} {month}").format(day=f"{moment.day:02d}", month=tr(_MONTHS[moment.month - 1]))
    return f"{day} {moment:%H:%M}" if size == "hour" else day


class TimelinePanel(RedrawnPanel):
    """Events per day or per hour, split by category when the split is known."""

    #: The span picked by dragging, as whole periods: its first start and its last instant.
    span_chosen = Signal(object, object)

    def __init__(self, parent: QWidget | None = None) -> None:
        view = SpanViewBox()
        plot = make_count_plot("left", date_axis=True, view_box=view)
        super().__init__(
            tr("Events over time"), plot, (tr("Period starting"), tr("Events")), parent
        )
        self.view = view
        self.plot.setLabel("left", tr("Events"))
        # A caption, not a tooltip: one popping up over the bars would hide the crosshair.
        self.set_caption(tr("Drag across the bars to show only that span."))
        self.bars: list[pg.BarGraphItem] = []
        self.legend: pg.LegendItem | None = None
        self._legend_color: QColor | None = None
        self._buckets: TimeBuckets | None = None
        self._series: dict[str, list[int]] = {}
        self._dragging = False
        self.crosshair = Crosshair(self.plot, self.point_at)
        self.saving.exporting.connect(self.crosshair.hide)
        self.region = span_region(series_color("Events"))
        self.plot.addItem(self.region, ignoreBounds=True)
        self.region.sigRegionChangeFinished.connect(self._on_region_finished)
        view.span_dragged.connect(self._on_dragged)
        view.sigResized.connect(self._fit_ticks)
        view.sigResized.connect(self._fit_legend)

    def draw(self, buckets: TimeBuckets, series: dict[str, list[int]] | None = None) -> None:
        """`series`: each category's counts per bucket (`DashboardData.series`); one series
        called Events when absent."""
        self.remember(buckets, series)
        plot = self.plot
        self.crosshair.hide()
        self.region.hide()
        self._buckets = buckets
        self._series = dict(series) if series else {"Events": list(buckets.counts)}
        if not buckets.starts:
            self._series = {}
        # A series' bar item is kept across refreshes (and so its legend entry): building
        # them and the legend's labels again cost half of each redraw.
        kept = {bar.series_name: bar for bar in self.bars}
        for name in set(kept) - set(self._series):
            plot.removeItem(kept.pop(name))
        self.bars = []
        step = self._step()
        xs = [s.timestamp() for s in buckets.starts]
        bottom = [0] * len(xs)
        background = palette_color(QPalette.ColorRole.Base, plot)
        for name, counts in self._series.items():
            color = series_color(name, background)
            options = {
                "x": xs,
                "y0": list(bottom),
                "height": counts,
                "width": step * 0.8,
                "brush": pg.mkBrush(color),
                "pen": pg.mkPen(color),
            }
            bar = kept.get(name)
            if bar is None:
                bar = pg.BarGraphItem(**options)
                bar.series_name = name
                plot.addItem(bar)
            else:
                bar.setOpts(**options)
            self.bars.append(bar)
            bottom = [a + b for a, b in zip(bottom, counts, strict=True)]
        self._show_legend()
        if not buckets.starts:
            self.set_rows([], tr("No events over time."), (tr("Period starting"), tr("Events")))
            return
        hourly = buckets.size == "hour"
        plot.setLabel("bottom", tr("Hour starting") if hourly else tr("Day (UTC)"))
        plot.setXRange(xs[0] - step * 0.6, xs[-1] + step * 0.6, padding=0)
        plot.setYRange(0, max(buckets.counts) * 1.1 or 1, padding=0)
        self._fit_ticks()
        names = list(self._series) if len(self._series) > 1 else []
        rows = [
            (bucket_label(s, buckets.size), f"{c:,}", *(f"{self._series[n][i]:,}" for n in names))
            for i, (s, c) in enumerate(zip(buckets.starts, buckets.counts, strict=True))
        ]
        # Translators: a name (a metric, a category, a period) and its count
        item = tr("{name}: {count}")
        periods = "; ".join(item.format(name=r[0], count=r[1]) for r in rows if r[1] != "0")
        # Translators: a screen reader's description of the chart; {list} is its periods
        described = tr("Events per hour: {list}") if hourly else tr("Events per day: {list}")
        self.set_rows(
            rows,
            described.format(list=periods),
            (tr("Period starting"), tr("Events"), *map(series_label, names)),
        )

    def _step(self) -> int:
        return 3600 if self._buckets is not None and self._buckets.size == "hour" else 86400

    def _show_legend(self) -> None:
        """A legend only when there is more than one series, in one row above the view."""
        names = list(self._series) if len(self._series) > 1 else []
        if not names:
            if self.legend is not None:
                self.legend.clear()
                self.legend.hide()
            return
        if self.legend is None:
            # In the row above the view (where a title would go; this chart has none), not
            # over the bars: there it hid the tallest bars and the crosshair's label.
            self.legend = pg.LegendItem()
            item = self.plot.getPlotItem()
            item.layout.removeItem(item.titleLabel)
            item.titleLabel.hide()
            item.layout.addItem(self.legend, 0, 1)
        legend = self.legend
        color = palette_color(QPalette.ColorRole.Text, self)
        labels = [series_label(name) for name in names]
        shown = [(sample.item, label.text) for sample, label in legend.items]
        if shown != list(zip(self.bars, labels, strict=True)) or self._legend_color != color:
            legend.clear()
            legend.setLabelTextColor(color)
            for bar, label in zip(self.bars, labels, strict=True):
                legend.addItem(bar, label)
            self._legend_color = color
            self._fit_legend()
        legend.show()

    def _fit_legend(self) -> None:
        """As many entries in a row as fit the chart's width, the rest on further rows: a
        narrow window cuts none off."""
        legend = self.legend
        if legend is None or not legend.items:
            return
        metrics = QFontMetrics(self.font())
        # An entry: its 20-pixel sample, the name, and the gaps pyqtgraph leaves around them.
        widest = max(metrics.horizontalAdvance(label.text) for _s, label in legend.items) + 48
        fit = max(1, int(self.plot.getPlotItem().width() - 16) // widest)
        legend.setColumnCount(min(fit, len(legend.items)))

    def legend_names(self) -> list[str]:
        """The series the legend lists, in its order (empty when it is hidden)."""
        if self.legend is None or not self.legend.isVisible():
            return []
        return [label.text for _sample, label in self.legend.items]

    # ----------------------------------------------------------------- hover
    def point_at(self, x: float) -> tuple[float, str] | None:
        """The period under `x` (arithmetic, the bars being evenly spaced): its start with
        its zone, its count, and when split each series that has events in it."""
        buckets = self._buckets
        if buckets is None or not buckets.starts:
            return None
        i = math.floor((x - buckets.starts[0].timestamp()) / self._step() + 0.5)
        if not 0 <= i < len(buckets.starts):
            return None
        start = buckets.starts[i]
        lines = [
            format_instant(start, buckets.size),
            # Translators: the count of the period under the mouse on Events over time
            tr("Events: {count}").format(count=f"{buckets.counts[i]:,}"),
        ]
        if len(self._series) > 1:
            # Translators: a name (a metric, a category, a period) and its count
            item = tr("{name}: {count}")
            lines += [
                item.format(name=series_label(n), count=f"{counts[i]:,}")
                for n, counts in self._series.items()
                if counts[i]
            ]
        return start.timestamp(), "\n".join(lines)

    # ----------------------------------------------------------------- span
    def _bounds(self, lo: float, hi: float) -> tuple[int, int] | None:
        """The first and last period whose bar the span [lo, hi] covers (more than half)."""
        buckets = self._buckets
        if buckets is None or not buckets.starts:
            return None
        x0, step, n = buckets.starts[0].timestamp(), self._step(), len(buckets.starts)
        a = min(max(math.floor((lo - x0) / step + 0.5), 0), n - 1)
        b = min(max(math.ceil((hi - x0) / step - 0.5), 0), n - 1)
        return a, max(a, b)

    def _on_dragged(self, lo: float, hi: float, finished: bool) -> None:
        found = self._bounds(lo, hi)
        if found is None:
            return
        a, b = found
        starts, step = self._buckets.starts, self._step()
        self._dragging = True  # `setRegion` reports a finish of its own: not yet
        self.crosshair.hide()
        self.region.setRegion((starts[a].timestamp() - step / 2, starts[b].timestamp() + step / 2))
        self.region.show()
        if finished:
            self._dragging = False
            self._on_region_finished()

    def _on_region_finished(self) -> None:
        """The region's periods as a span: from the first one's start to just before the
        period after the last (bounds are inclusive), so whole days stay whole."""
        if self._dragging:
            return
        found = self._bounds(*self.region.getRegion())
        if found is None:
            return
        a, b = found
        starts = self._buckets.starts
        end = starts[b] + timedelta(seconds=self._step()) - _TICK
        self.span_chosen.emit(starts[a], end)

    # ----------------------------------------------------------------- ticks
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
