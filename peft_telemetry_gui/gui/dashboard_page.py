"""Dashboard: the figures of `analytics.compute` for a date range, as cards, charts and tables.

Nothing here counts: every number shown comes from the `DashboardData` the view-model computed
on its worker (`analytics.compute_with_rollups` given the document: every event recorded, not
only the raw events kept), so the dashboard always equals `peft-telemetry stats` for the same
range.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyqtgraph as pg
from PySide6.QtCore import QDateTime, QEvent, Qt
from PySide6.QtGui import QFontMetrics, QPalette
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ..core.analytics import Analytics, TimeBuckets
from .dashboard_model import kept_sentence
from .state import PRESETS, AppState, DashboardData, MetricHistogram, TimeRange
from .table_models import PerformanceTableModel, format_number
from .widgets import Card, ChartPanel, EmptyState, heading, make_plot, palette_color, setup_table

__all__ = ["DashboardPage", "format_duration"]

EMPTY_TEXT = (
    "No events yet. Turn on telemetry on the Privacy page, or run "
    "`peft-telemetry track demo_event`."
)


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, s = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {s} s"
    hours, m = divmod(minutes, 60)
    return f"{hours} h {m} min"


def _to_qdatetime(moment: datetime) -> QDateTime:
    return QDateTime.fromSecsSinceEpoch(int(moment.timestamp()))


def _from_qdatetime(value: QDateTime) -> datetime:
    return datetime.fromtimestamp(value.toSecsSinceEpoch(), tz=UTC)


class DashboardPage(QWidget):
    title = "Dashboard"

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self._selected_metric: str | None = None
        self._data: DashboardData | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)

        top = QHBoxLayout()
        top.addWidget(heading("Dashboard"), 1)
        range_label = QLabel("&Range:")
        top.addWidget(range_label)
        self.preset = QComboBox()
        self.preset.setAccessibleName("Date range")
        range_label.setBuddy(self.preset)  # Alt+R
        for key, (label, _delta) in PRESETS.items():
            self.preset.addItem(label, key)
        self.preset.setCurrentIndex(list(PRESETS).index(state.time_range.preset))
        self.preset.currentIndexChanged.connect(self._on_preset_changed)
        top.addWidget(self.preset)
        now = state.clock()  # the injected clock: tests and the demo pin it
        self.since_edit = QDateTimeEdit(_to_qdatetime(now - timedelta(days=7)))
        self.since_edit.setCalendarPopup(True)
        self.since_edit.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.since_edit.setAccessibleName("From")
        self.until_edit = QDateTimeEdit(_to_qdatetime(now))
        self.until_edit.setCalendarPopup(True)
        self.until_edit.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.until_edit.setAccessibleName("To")
        self.apply_button = QPushButton("Apply")
        self.apply_button.setAccessibleName("Apply custom range")
        self.apply_button.clicked.connect(self._apply_custom)
        for label, widget in (("From", self.since_edit), ("to", self.until_edit)):
            top.addWidget(QLabel(label))
            top.addWidget(widget)
        top.addWidget(self.apply_button)
        layout.addLayout(top)
        self._set_custom_enabled(state.time_range.preset == "custom")

        self.cards = {
            "events": Card("Events"),
            "sessions": Card("Sessions"),
            "mean_session": Card("Mean session length"),
            "event_types": Card("Event types"),
            "errors": Card("Errors"),
        }
        cards = QHBoxLayout()
        for card in self.cards.values():
            cards.addWidget(card)
        layout.addLayout(cards)
        # What the raw events are, next to counts that cover more than them (issue 11).
        self.kept = QLabel("")
        self.kept.setWordWrap(True)
        self.kept.setAccessibleName("Raw events kept")
        self.kept.setVisible(False)
        layout.addWidget(self.kept)

        self.stack = QStackedWidget()
        layout.addWidget(self.stack, 1)
        self.empty = EmptyState("Nothing in this range", EMPTY_TEXT)
        self.stack.addWidget(self.empty)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        content = QWidget()
        scroll.setWidget(content)
        self.stack.addWidget(scroll)
        grid = QGridLayout(content)
        grid.setContentsMargins(0, 4, 0, 0)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)

        self.breakdown = ChartPanel("Event breakdown", make_plot(), ("Event type", "Count", "%"))
        self._breakdown_bars: pg.BarGraphItem | None = None
        self._breakdown_labels: list[pg.TextItem] = []
        self.timeline = ChartPanel(
            "Events over time", make_plot(date_axis=True), ("Period starting", "Events")
        )
        # Heights in lines of text, not pixels: they scale with the font and the screen.
        line = self.fontMetrics().height()
        for panel in (self.breakdown, self.timeline):
            panel.setMaximumHeight(line * 21)
        grid.addWidget(self.breakdown, 0, 0)
        grid.addWidget(self.timeline, 0, 1)

        perf_box = QGroupBox("Performance")
        pl = QVBoxLayout(perf_box)
        self.perf_model = PerformanceTableModel(self)
        self.perf_table = QTableView()
        self.perf_table.setModel(self.perf_model)
        setup_table(self.perf_table, "Performance metrics")
        header = self.perf_table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.perf_table.setMinimumHeight(line * 9)
        self.perf_table.setMaximumHeight(line * 12)
        self.perf_table.selectionModel().currentRowChanged.connect(self._on_metric_selected)
        pl.addWidget(self.perf_table)
        self.perf_empty = QLabel("No performance metrics in this range.")
        pl.addWidget(self.perf_empty)
        grid.addWidget(perf_box, 1, 0, 1, 2)
        self.histogram = ChartPanel("Distribution", make_plot(), ("From", "To", "Count"))
        self.histogram.setMaximumHeight(line * 19)
        grid.addWidget(self.histogram, 2, 0)

        system_box = QGroupBox("System (latest session in range)")
        self.system_form = QFormLayout(system_box)
        grid.addWidget(system_box, 2, 1, Qt.AlignmentFlag.AlignTop)

        state.analytics_changed.connect(self._on_analytics_changed)
        if state.dashboard is not None:
            self._on_analytics_changed(state.dashboard)

    def changeEvent(self, event: QEvent) -> None:
        """Bars, labels and titles take their colours from the palette when drawn: draw them
        again when the system switches between light and dark."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and self._data is not None:
            self._on_analytics_changed(self._data)

    # ----------------------------------------------------------------- range
    def _set_custom_enabled(self, on: bool) -> None:
        for widget in (self.since_edit, self.until_edit, self.apply_button):
            widget.setEnabled(on)

    def _on_preset_changed(self, _index: int) -> None:
        key = self.preset.currentData()
        self._set_custom_enabled(key == "custom")
        if key == "custom":
            self._apply_custom()
        else:
            self.state.set_time_range(TimeRange(preset=key))

    def _apply_custom(self) -> None:
        self.state.set_time_range(
            TimeRange(
                preset="custom",
                since=_from_qdatetime(self.since_edit.dateTime()),
                until=_from_qdatetime(self.until_edit.dateTime()),
            )
        )

    # ----------------------------------------------------------------- data
    def _on_analytics_changed(self, data: DashboardData) -> None:
        self._data = data
        a = data.analytics
        self.cards["events"].set_value(format_number(a.total_events))
        self.cards["sessions"].set_value(format_number(a.sessions.count))
        self.cards["mean_session"].set_value(format_duration(a.sessions.mean_duration_s))
        self.cards["event_types"].set_value(format_number(len(a.event_counts)))
        self.cards["errors"].set_value(format_number(a.error_count))
        sentence = kept_sentence(data) if a.total_events else ""
        self.kept.setText(sentence)
        self.kept.setVisible(bool(sentence))
        if a.total_events == 0:
            self.stack.setCurrentIndex(0)
            self.empty.title.setText(
                "No events yet"
                if self.state.document is not None and not self.state.document.events
                else "Nothing in this range"
            )
            return
        self.stack.setCurrentIndex(1)
        self._draw_breakdown(a)
        self._draw_timeline(data.buckets)
        self._fill_performance(a)
        self._fill_system(a)

    def _bar_brush(self) -> pg.QtGui.QBrush:
        return pg.mkBrush(palette_color(QPalette.ColorRole.Highlight, self))

    def _draw_breakdown(self, a: Analytics) -> None:
        # Items are reused across refreshes: rebuilding a bar and a text item per type on every
        # external write cost ~40 ms at 100 000 events, mostly pen and font set-up.
        plot = self.breakdown.plot
        names = list(a.event_counts)
        counts = [a.event_counts[n] for n in names]
        total = a.total_events or 1
        ys = list(range(len(names)))
        options = {"x0": 0, "y": ys, "height": 0.7, "width": counts, "brush": self._bar_brush()}
        if self._breakdown_bars is None:
            self._breakdown_bars = pg.BarGraphItem(**options)
            plot.addItem(self._breakdown_bars)
        else:
            self._breakdown_bars.setOpts(**options)
        fg = palette_color(QPalette.ColorRole.Text, self)
        labels = self._breakdown_labels
        while len(labels) < len(names):
            labels.append(pg.TextItem("", color=fg, anchor=(0, 0.5)))
            plot.addItem(labels[-1])
        for extra in labels[len(names) :]:
            plot.removeItem(extra)
        del labels[len(names) :]
        rows = []
        for label, y, name, count in zip(labels, ys, names, counts, strict=True):
            pct = 100.0 * count / total
            label.setText(f" {count:,} ({pct:.1f}%)", color=fg)
            label.setPos(count, y)
            rows.append((name, f"{count:,}", f"{pct:.1f}"))
        axis = plot.getAxis("left")
        axis.setTicks([[(y, n) for y, n in zip(ys, names, strict=True)]])
        # pyqtgraph does not widen the axis for text ticks: without this only short names show.
        metrics = QFontMetrics(axis.style.get("tickFont") or self.font())
        axis.setWidth(max((metrics.horizontalAdvance(n) for n in names), default=0) + 16)
        plot.invertY(True)
        plot.setXRange(0, max(counts) * 1.3, padding=0)
        plot.setYRange(-0.6, len(names) - 0.4, padding=0)
        self.breakdown.set_rows(
            rows,
            "Events by type: " + "; ".join(f"{n} {c} ({p}%)" for n, c, p in rows),
        )

    def _draw_timeline(self, buckets: TimeBuckets) -> None:
        plot = self.timeline.plot
        plot.clear()
        if not buckets.starts:
            self.timeline.set_rows([], "No events over time.")
            return
        step = 3600 if buckets.size == "hour" else 86400
        xs = [s.timestamp() + step / 2 for s in buckets.starts]
        plot.addItem(
            pg.BarGraphItem(x=xs, height=buckets.counts, width=step * 0.8, brush=self._bar_brush())
        )
        plot.setXRange(xs[0] - step, xs[-1] + step, padding=0)
        plot.setYRange(0, max(buckets.counts) * 1.1 or 1, padding=0)
        fmt = "%Y-%m-%d %H:00" if buckets.size == "hour" else "%Y-%m-%d"
        rows = [
            (s.astimezone().strftime(fmt), f"{c:,}")
            for s, c in zip(buckets.starts, buckets.counts, strict=True)
        ]
        self.timeline.set_rows(
            rows,
            f"Events per {buckets.size}: " + "; ".join(f"{t}: {c}" for t, c in rows if c != "0"),
        )

    def _fill_performance(self, a: Analytics) -> None:
        self.perf_model.set_metrics(a.performance)
        has = bool(a.performance)
        self.perf_table.setVisible(has)
        self.perf_empty.setVisible(not has)
        keep = self._selected_metric if self._selected_metric in a.performance else None
        if keep is None and a.performance:
            keep = next(iter(a.performance))
        self._selected_metric = keep
        row = self.perf_model.row_of(keep) if keep else None
        if row is not None:
            self.perf_table.selectRow(row)
        self._draw_histogram()

    def _on_metric_selected(self, current: object, _previous: object) -> None:
        row = current.row() if hasattr(current, "row") else -1
        name = self.perf_model.metric_at(row)
        if name is not None and name != self._selected_metric:
            self._selected_metric = name
            self._draw_histogram()

    def _draw_histogram(self) -> None:
        plot = self.histogram.plot
        plot.clear()
        name = self._selected_metric
        hist: MetricHistogram | None = None
        if self._data is not None and name is not None:
            hist = self._data.histograms.get(name)
        if hist is None:
            self.histogram.set_rows([], "No metric selected.")
            plot.setTitle(None)
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
        fg = palette_color(QPalette.ColorRole.Text, self)
        plot.setTitle(f"{name}{unit}", color=fg)
        rows = [
            (format_number(lo, 2), format_number(hi, 2), str(c))
            for lo, hi, c in zip(hist.edges, hist.edges[1:], hist.counts, strict=False)
        ]
        self.histogram.set_rows(
            rows,
            f"Distribution of {name}{unit}: "
            + "; ".join(f"{lo} to {hi}: {c}" for lo, hi, c in rows if c != "0"),
        )

    def _fill_system(self, a: Analytics) -> None:
        while self.system_form.rowCount():
            self.system_form.removeRow(0)
        info = a.system_info or {}
        if not info:
            self.system_form.addRow(QLabel("No system information in this range."))
            return
        titles = {
            "os": "Operating system",
            "os_version": "OS version",
            "python": "Python",
            "cpu_count": "CPU cores",
            "memory_gb": "Memory (GB)",
        }
        for key, value in info.items():
            label = QLabel("–" if value is None else str(value))
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setAccessibleName(f"{titles.get(key, key)}: {value}")
            self.system_form.addRow(titles.get(key, key) + ":", label)
