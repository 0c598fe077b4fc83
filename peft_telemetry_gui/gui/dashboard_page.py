"""Dashboard: the figures of `analytics.compute` for a date range, as cards, charts and tables.

Nothing here counts: every number shown comes from the `DashboardData` the view-model computed
on its worker (`analytics.compute_with_rollups` given the document: every event recorded, not
only the raw events kept), so the dashboard always equals `peft-telemetry stats` for the same
range.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ..core.analytics import Analytics
from ..core.i18n import N_, tr, trn
from .dashboard_charts import BreakdownPanel, HistogramPanel
from .dashboard_model import empty_message, kept_sentence
from .dashboard_range import RangeBar, minute_up
from .dashboard_tables import DashboardPerformanceModel, fit_performance_columns
from .dashboard_timeline import TimelinePanel
from .state import AppState, DashboardData, MetricHistogram, TimeRange
from .table_models import format_number
from .widgets import Card, EmptyState, heading, setup_table

__all__ = ["EMPTY_TEXT", "DashboardPage", "format_duration"]

#: Where events come from, for pages with nothing to show (the Events page uses it too).
#: Marked only: shown through `tr`.
EMPTY_TEXT = N_(
    "Turn on telemetry on the Privacy page, or run peft-telemetry track demo_event in a "
    "terminal to record a test event."
)

#: The system information the System box lists, by its key in `system_info`.
_SYSTEM_TITLES = {
    "os": N_("Operating system"),
    "os_version": N_("OS version"),
    "python": "Python",
    "cpu_count": N_("CPU cores"),
    "memory_gb": N_("Memory (GB)"),
}


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    seconds = round(seconds)
    if seconds < 60:
        # Translators: a duration in seconds, on the Mean session length card
        return tr("{seconds} s").format(seconds=seconds)
    minutes, s = divmod(seconds, 60)
    if minutes < 60:
        # Translators: a duration in minutes and seconds, on the Mean session length card
        return tr("{minutes} min {seconds} s").format(minutes=minutes, seconds=s)
    hours, m = divmod(minutes, 60)
    # Translators: a duration in hours and minutes, on the Mean session length card
    return tr("{hours} h {minutes} min").format(hours=hours, minutes=m)


class DashboardPage(QWidget):
    """Cards, charts and tables of one range. Dragging across Events over time narrows the
    range to that span (every card, chart and table follows); Clear selection goes back."""

    title = N_("Dashboard")

    #: A span picked on Events over time and now in force: (start, end), aware datetimes.
    span_selected = Signal(object)
    #: The span was cleared: the range before it is in force again.
    span_cleared = Signal()

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self._selected_metric: str | None = None
        self._data: DashboardData | None = None
        self._span: TimeRange | None = None  # the span in force, while it is
        self._before_span: TimeRange | None = None  # what Clear selection goes back to
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)

        top = QHBoxLayout()
        top.addWidget(heading(tr("Dashboard")), 1)
        self.range_bar = RangeBar(state)
        # The picker's parts, by the names tests and keyboard paths have always used.
        self.preset = self.range_bar.preset
        self.since_edit = self.range_bar.since_edit
        self.until_edit = self.range_bar.until_edit
        self.apply_button = self.range_bar.apply_button
        top.addWidget(self.range_bar)
        layout.addLayout(top)

        self.cards = {
            "events": Card(tr("Events")),
            "sessions": Card(tr("Sessions")),
            "mean_session": Card(tr("Mean session length")),
            "event_types": Card(tr("Event types")),
            "errors": Card(tr("Errors")),
        }
        cards = QHBoxLayout()
        for card in self.cards.values():
            cards.addWidget(card)
        layout.addLayout(cards)
        # What the raw events are, next to counts that cover more than them (issue 11).
        self.kept = QLabel("")
        self.kept.setWordWrap(True)
        self.kept.setAccessibleName(tr("Raw events kept"))
        self.kept.setVisible(False)
        layout.addWidget(self.kept)
        self.span_bar = QWidget()
        span_row = QHBoxLayout(self.span_bar)
        span_row.setContentsMargins(0, 0, 0, 0)
        self.span_label = QLabel("")
        self.span_label.setWordWrap(True)
        self.span_label.setTextFormat(Qt.TextFormat.PlainText)
        span_row.addWidget(self.span_label, 1)
        self.clear_span_button = QPushButton(tr("Clear selection"))
        self.clear_span_button.setAccessibleName(
            tr("Clear selection of a span on Events over time")
        )
        self.clear_span_button.setToolTip(tr("Go back to the range shown before the selection"))
        self.clear_span_button.clicked.connect(self.clear_span)
        span_row.addWidget(self.clear_span_button)
        self.span_bar.setVisible(False)
        layout.addWidget(self.span_bar)

        self.stack = QStackedWidget()
        layout.addWidget(self.stack, 1)
        self.empty = EmptyState(tr("Nothing recorded yet"), tr(EMPTY_TEXT))
        self.empty.action.clicked.connect(self.range_bar.show_all_time)
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

        self.breakdown = BreakdownPanel()
        self.timeline = TimelinePanel()
        self.timeline.span_chosen.connect(self.select_span)
        # Heights in lines of text, not pixels: they scale with the font and the screen.
        line = self.fontMetrics().height()
        for panel in (self.breakdown, self.timeline):
            panel.setMaximumHeight(line * 21)
        grid.addWidget(self.breakdown, 0, 0)
        grid.addWidget(self.timeline, 0, 1)

        perf_box = QGroupBox(tr("Performance"))
        pl = QVBoxLayout(perf_box)
        self.perf_model = DashboardPerformanceModel(self)
        self.perf_table = QTableView()
        self.perf_table.setModel(self.perf_model)
        setup_table(self.perf_table, tr("Performance metrics"))
        fit_performance_columns(self.perf_table)
        self.perf_table.setMinimumHeight(line * 9)
        self.perf_table.setMaximumHeight(line * 12)
        self.perf_table.selectionModel().currentRowChanged.connect(self._on_metric_selected)
        pl.addWidget(self.perf_table)
        self.perf_empty = QLabel(tr("No performance metrics in this range."))
        pl.addWidget(self.perf_empty)
        grid.addWidget(perf_box, 1, 0, 1, 2)
        self.histogram = HistogramPanel()
        self.histogram.setMaximumHeight(line * 19)
        grid.addWidget(self.histogram, 2, 0)

        system_box = QGroupBox(tr("System (latest session in range)"))
        self.system_form = QFormLayout(system_box)
        grid.addWidget(system_box, 2, 1, Qt.AlignmentFlag.AlignTop)

        state.analytics_changed.connect(self._on_analytics_changed)
        if state.dashboard is not None:
            self._on_analytics_changed(state.dashboard)

    # ----------------------------------------------------------------- data
    def _on_analytics_changed(self, data: DashboardData) -> None:
        self._data = data
        if self._span is not None and self.state.time_range != self._span:
            self._forget_span()  # another range was picked since
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
            doc = self.state.document
            message = empty_message(doc is not None and doc.consent.enabled, data)
            self.empty.set_message(
                message.title,
                message.body,
                tr("Show all time") if message.offer_all_time else None,
            )
            self.stack.setCurrentIndex(0)
            return
        self.stack.setCurrentIndex(1)
        self.breakdown.draw(a)
        self.timeline.draw(data.buckets, data.series)
        self._fill_performance(a)
        self._fill_system(a)

    # ----------------------------------------------------------------- span
    def select_span(self, start: datetime, end: datetime) -> None:
        """Show only [start, end] everywhere: the range picker shows it as a custom range."""
        if self._span is None or self.state.time_range != self._span:
            self._before_span = self.state.time_range
        self._span = self.range_bar.apply_span(start, end)
        since = start.astimezone().strftime("%Y-%m-%d %H:%M")
        until = minute_up(end).astimezone().strftime("%Y-%m-%d %H:%M")  # as the To box
        self.span_label.setText(
            tr("Showing the span selected on Events over time: {since} to {until}.").format(
                since=since, until=until
            )
        )
        self.span_bar.setVisible(True)
        self.span_selected.emit((start, end))

    def clear_span(self) -> None:
        """Back to the range in force before the first span was picked."""
        previous = self._before_span or TimeRange()
        self._forget_span()
        self.range_bar.set_range(previous)
        self.span_cleared.emit()

    def _forget_span(self) -> None:
        self._span = self._before_span = None
        self.span_bar.setVisible(False)

    def _fill_performance(self, a: Analytics) -> None:
        self.perf_model.set_metrics(a.performance)
        n = len(a.performance)
        self.perf_table.setAccessibleDescription(
            trn(
                "Count, mean, min, max, p50 and p95 of {n} metric in this range",
                "Count, mean, min, max, p50 and p95 of {n} metrics in this range",
                n,
            ).format(n=n)
        )
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
        name = self._selected_metric
        hist: MetricHistogram | None = None
        if self._data is not None and name is not None:
            hist = self._data.histograms.get(name)
        self.histogram.draw(name if hist is not None else None, hist)

    def _fill_system(self, a: Analytics) -> None:
        while self.system_form.rowCount():
            self.system_form.removeRow(0)
        info = a.system_info or {}
        if not info:
            self.system_form.addRow(QLabel(tr("No system information in this range.")))
            return
        for key, value in info.items():
            title = tr(_SYSTEM_TITLES[key]) if key in _SYSTEM_TITLES else key
            label = QLabel("–" if value is None else str(value))
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            # Translators: a name and its value, as a screen reader reads a line of the System box
            label.setAccessibleName(tr("{name}: {value}").format(name=title, value=value))
            # Translators: the label before a value in the System box
            self.system_form.addRow(tr("{name}:").format(name=title), label)
