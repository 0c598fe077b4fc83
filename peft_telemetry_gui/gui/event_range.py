"""The Events page's date range: All time, the last 24 hours, 7 or 30 days, or From/To.

It only says which bounds the user chose (`bounds(now)`); the page's worker filter applies them
with the text and the category, so "N of M events" counts all three. The presets count back
from the app's clock at each filter run, so a live store keeps showing "the last 24 hours".
The From/To edits are shown only for a custom range (greyed dates that do not apply would
mislead), and a custom range starts as the data's span, ending now: nothing recorded so far is
hidden until the user narrows it. Until the user edits a date, From/To keep following the span
(it may arrive after Custom was chosen, and a live store keeps growing).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from PySide6.QtCore import QDateTime, Signal
from PySide6.QtWidgets import QComboBox, QDateTimeEdit, QHBoxLayout, QLabel, QWidget

from ..core.i18n import N_, tr

__all__ = ["RANGES", "EventRangeBox"]

#: (label in English, shown translated; how far back, None: all time). Custom is the last
#: item of the combo.
RANGES: tuple[tuple[str, timedelta | None], ...] = (
    (N_("All time"), None),
    (N_("Last 24 hours"), timedelta(hours=24)),
    (N_("Last 7 days"), timedelta(days=7)),
    (N_("Last 30 days"), timedelta(days=30)),
)
_CUSTOM = N_("Custom range")
_FORMAT = "yyyy-MM-dd HH:mm:ss"


def _to_qt(moment: datetime) -> QDateTime:
    return QDateTime.fromMSecsSinceEpoch(int(moment.timestamp() * 1000))


def _from_qt(value: QDateTime) -> datetime:
    return datetime.fromtimestamp(value.toMSecsSinceEpoch() / 1000, UTC)


class EventRangeBox(QWidget):
    """A range combo and, for a custom range, From and To (both included, to the second)."""

    changed = Signal()

    def __init__(self, clock: Callable[[], datetime], parent: QWidget | None = None) -> None:
        """`clock`: the app's now (a custom range's first To)."""
        super().__init__(parent)
        self._clock = clock
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.combo = QComboBox()
        self.combo.setAccessibleName(tr("Show events from"))
        for label, _back in RANGES:
            self.combo.addItem(tr(label))
        self.combo.addItem(tr(_CUSTOM))
        layout.addWidget(self.combo)
        # Translators: the start of a custom date range ("From … To …")
        self.from_label = QLabel(tr("From"))
        self.from_edit = self._edit(tr("Events from (included)"))
        # Translators: the end of a custom date range ("From … To …")
        self.to_label = QLabel(tr("To"))
        self.to_edit = self._edit(tr("Events to (included)"))
        for widget in (self.from_label, self.from_edit, self.to_label, self.to_edit):
            layout.addWidget(widget)
        self._span: tuple[datetime | None, datetime | None] = (None, None)
        self._edited = False  # the user chose From/To: the span no longer moves them
        self.combo.currentIndexChanged.connect(self._on_choice)
        self._show_edits(False)

    def _edit(self, name: str) -> QDateTimeEdit:
        edit = QDateTimeEdit()
        edit.setDisplayFormat(_FORMAT)
        edit.setCalendarPopup(True)
        edit.setAccessibleName(name)
        edit.dateTimeChanged.connect(lambda _v: self._on_edited())
        return edit

    @property
    def custom(self) -> bool:
        return self.combo.currentIndex() == len(RANGES)

    def set_span(self, oldest: datetime | None, newest: datetime | None) -> None:
        """The stored events' span: what a custom range starts as (and follows, until the
        user edits a date)."""
        self._span = (oldest, newest)
        if self.custom and not self._edited and self._default_dates():
            self.changed.emit()

    def choose_custom(self, since: datetime, until: datetime) -> None:
        """Set a custom range (what the user does with the edits; tests and the CLI's twin)."""
        self._edited = True
        self.from_edit.blockSignals(True)
        self.from_edit.setDateTime(_to_qt(since))
        self.from_edit.blockSignals(False)
        self.to_edit.setDateTime(_to_qt(until))
        self.combo.setCurrentIndex(len(RANGES))

    def bounds(self, now: datetime) -> tuple[datetime | None, datetime | None]:
        """(since, until) for the filter; None is an open side."""
        if self.custom:
            until = _from_qt(self.to_edit.dateTime()) + timedelta(milliseconds=999)
            return _from_qt(self.from_edit.dateTime()), until
        back = RANGES[self.combo.currentIndex()][1]
        return (None, None) if back is None else (now - back, None)

    def describe(self) -> str:
        """The range in words, for an export's status message."""
        if not self.custom:
            return self.combo.currentText()
        return tr("{start} to {end}").format(start=self.from_edit.text(), end=self.to_edit.text())

    def _show_edits(self, shown: bool) -> None:
        for widget in (self.from_label, self.from_edit, self.to_label, self.to_edit):
            widget.setVisible(shown)

    def _default_dates(self) -> bool:
        """From the oldest event to now (or the newest, if later); whether that moved a date."""
        oldest, newest = self._span
        now = self._clock()
        end = max(newest, now) if newest is not None else now
        start = oldest if oldest is not None else end - timedelta(days=7)
        moved = False
        for edit, moment in ((self.from_edit, start), (self.to_edit, end)):
            value = _to_qt(moment.replace(microsecond=0))
            if edit.dateTime() != value:
                edit.blockSignals(True)
                edit.setDateTime(value)
                edit.blockSignals(False)
                moved = True
        return moved

    def _on_choice(self, _index: int) -> None:
        custom = self.custom
        if custom and not self._edited:
            self._default_dates()
        self._show_edits(custom)
        self.changed.emit()

    def _on_edited(self) -> None:
        if self.custom:
            self._edited = True
            self.changed.emit()
