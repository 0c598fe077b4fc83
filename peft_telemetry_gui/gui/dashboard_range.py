"""The dashboard's range picker: a preset, or a custom From/To that applies only on Apply.

A custom range is a question the user is still typing: applying it on the first pick (with
whatever the boxes held) hid everything recorded since the app started. So picking "Custom
range" fills the boxes with the data's span, ending now, and waits for Apply; under a preset
the greyed boxes show the range actually in force.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PySide6.QtCore import QDateTime
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..core.i18n import tr
from .dashboard_model import DashboardData, in_force
from .state import PRESETS, AppState, TimeRange

__all__ = ["RangeBar", "custom_default", "minute_up"]


def _to_qdatetime(moment: datetime) -> QDateTime:
    return QDateTime.fromSecsSinceEpoch(int(moment.timestamp()))


def _from_qdatetime(value: QDateTime) -> datetime:
    return datetime.fromtimestamp(value.toSecsSinceEpoch(), tz=UTC)


def minute_up(moment: datetime) -> datetime:
    """The boxes show minutes: round the end up so the last second's events stay in."""
    floor = moment.replace(second=0, microsecond=0)
    return floor if floor == moment else floor + timedelta(minutes=1)


def custom_default(data: DashboardData | None, now: datetime) -> tuple[datetime, datetime]:
    """The data's span: from the start (local time) of the oldest stored event's day to now."""
    first = data.data_since if data is not None and data.data_since is not None else now
    local = first.astimezone()
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return start.astimezone(UTC), minute_up(now)


class RangeBar(QWidget):
    """Preset combo, From/To and Apply, talking to the view-model's `set_time_range`."""

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        # Two rows, right-aligned: the preset, then the custom dates, so the page still fits
        # 800 pixels across beside the sidebar.
        rows = QVBoxLayout(self)
        rows.setContentsMargins(0, 0, 0, 0)
        row, dates = QHBoxLayout(), QHBoxLayout()
        for line in (row, dates):
            line.addStretch(1)
            rows.addLayout(line)
        # Translators: the label of the dashboard's date range picker (Alt+R in English)
        range_label = QLabel(tr("&Range:"))
        row.addWidget(range_label)
        self.preset = QComboBox()
        self.preset.setAccessibleName(tr("Date range"))
        range_label.setBuddy(self.preset)  # Alt+R
        for key, (label, _delta) in PRESETS.items():
            self.preset.addItem(tr(label), key)
        self.preset.setCurrentIndex(list(PRESETS).index(state.time_range.preset))
        self.preset.currentIndexChanged.connect(self._on_preset_changed)
        row.addWidget(self.preset)
        # Translators: the start of a custom date range ("From [date] to [date]")
        self.since_edit = self._edit(tr("From"))
        # Translators: the end of a custom date range, as a screen reader names its box
        self.until_edit = self._edit(tr("To"))
        self.apply_button = QPushButton(tr("Apply"))
        self.apply_button.setAccessibleName(tr("Apply custom range"))
        self.apply_button.setToolTip(tr("Show the figures for the From and To above"))
        self.apply_button.clicked.connect(self.apply_custom)
        # Translators: between the two dates of a custom range ("From [date] to [date]")
        between = tr("to")
        for label, widget in ((tr("From"), self.since_edit), (between, self.until_edit)):
            dates.addWidget(QLabel(label))
            dates.addWidget(widget)
        dates.addWidget(self.apply_button)
        current = state.time_range
        if current.preset == "custom" and current.since and current.until:
            self._show(current.since, current.until)
        else:
            self._show(*custom_default(state.dashboard, state.clock()))
        self._set_custom_enabled(current.preset == "custom")
        state.analytics_changed.connect(self._on_analytics_changed)
        if state.dashboard is not None:
            self._on_analytics_changed(state.dashboard)

    def _edit(self, name: str) -> QDateTimeEdit:
        edit = QDateTimeEdit()
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("yyyy-MM-dd HH:mm")
        edit.setAccessibleName(name)
        return edit

    def _show(self, since: datetime, until: datetime) -> None:
        self.since_edit.setDateTime(_to_qdatetime(since))
        self.until_edit.setDateTime(_to_qdatetime(minute_up(until)))

    def _set_custom_enabled(self, on: bool) -> None:
        for widget in (self.since_edit, self.until_edit, self.apply_button):
            widget.setEnabled(on)

    def _on_preset_changed(self, _index: int) -> None:
        key = self.preset.currentData()
        custom = key == "custom"
        self._set_custom_enabled(custom)
        if custom:  # the boxes get a useful start; nothing changes until Apply
            self._show(*custom_default(self.state.dashboard, self.state.clock()))
            self.since_edit.setFocus()
        else:
            self.state.set_time_range(TimeRange(preset=key))

    def show_all_time(self) -> None:
        """The way out of an empty range: pick "All time" (applied as any pick is)."""
        index = self.preset.findData("all")
        if self.preset.currentIndex() != index:
            self.preset.setCurrentIndex(index)
        else:  # already picked, but the range in force was set another way
            self.state.set_time_range(TimeRange(preset="all"))

    def set_range(self, time_range: TimeRange) -> None:
        """Show `time_range` in the picker and apply it: a span picked on a chart, or the range
        in force before one (the preset's own handler would refill the custom boxes)."""
        self.preset.blockSignals(True)
        self.preset.setCurrentIndex(list(PRESETS).index(time_range.preset))
        self.preset.blockSignals(False)
        custom = time_range.preset == "custom"
        self._set_custom_enabled(custom)
        if custom and time_range.since is not None and time_range.until is not None:
            self._show(time_range.since, time_range.until)
        self.state.set_time_range(time_range)

    def apply_span(self, since: datetime, until: datetime) -> TimeRange:
        """`since` to `until` as the custom range in force; returns it."""
        chosen = TimeRange(preset="custom", since=since, until=until)
        self.set_range(chosen)
        return chosen

    def apply_custom(self) -> None:
        since = _from_qdatetime(self.since_edit.dateTime())
        until = _from_qdatetime(self.until_edit.dateTime())
        if until < since:  # typed the wrong way round: the intent is still clear
            since, until = until, since
        self.state.set_time_range(TimeRange(preset="custom", since=since, until=until))

    def _on_analytics_changed(self, data: DashboardData) -> None:
        """Under a preset the greyed boxes say what the preset means now; a custom range the
        user may be typing is left alone."""
        if self.preset.currentData() == "custom":
            return
        since, until = in_force(data)
        now = data.now or self.state.clock()
        self._show(since or now, until or now)
