"""The Events table: the stored events, newest first, or the rows a filter job chose.

The model holds the document's own event list (no copy) and, while a filter or sort is set, a
list of row numbers into it computed on the page's worker (`event_filter.select_rows`). Showing
a new document or a new filter result is one `beginResetModel`/`endResetModel` on the GUI
thread; `data()` formats only the rows on screen. `sort()` computes nothing: it asks the page
(`sort_requested`) to have the worker do it.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import attrgetter
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal

from ..core.event_view import category_title
from ..core.i18n import N_, tr
from ..core.models import Event
from .table_models import event_summary, format_time

__all__ = ["EventsTableModel"]

_Index = QModelIndex | QPersistentModelIndex
_DISPLAY = Qt.ItemDataRole.DisplayRole
_ID = Qt.ItemDataRole.UserRole + 1  # the event id
_event_id = attrgetter("id")


class EventsTableModel(QAbstractTableModel):
    """Stored events, newest first (the order people read a log in), or a filter's rows."""

    #: The column titles in English (N_): `headerData` shows them translated.
    # Translators: "Type" is the column of event types (e.g. "training_completed")
    HEADERS = (N_("Time"), N_("Category"), N_("Type"), N_("Summary"))
    CATEGORY_COLUMN = 1
    #: column, descending: the view asked for a sort (the page runs it on its worker)
    sort_requested = Signal(int, bool)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._events: Sequence[Event] = ()
        self._rows: list[int] | None = None  # None: every event, newest first

    @property
    def events(self) -> Sequence[Event]:
        """The document's events in store order (oldest first), as given."""
        return self._events

    @property
    def rows(self) -> list[int] | None:
        """The filter's rows into `events` in display order (None: all, newest first). Replaced,
        never changed in place, so a worker may read the list it was handed."""
        return self._rows

    @property
    def total(self) -> int:
        return len(self._events)

    def set_events(self, events: Sequence[Event], rows: list[int] | None = None) -> None:
        """Show `events` (store order, not copied), all of them or the `rows` a filter chose."""
        self.beginResetModel()
        self._events = events
        self._rows = rows
        self.endResetModel()

    def source_index(self, row: int) -> int | None:
        """The position in `events` of the table's row `row`."""
        if not 0 <= row < self.rowCount():
            return None
        return self._rows[row] if self._rows is not None else len(self._events) - 1 - row

    def event_at(self, row: int) -> Event | None:
        source = self.source_index(row)
        return None if source is None else self._events[source]

    def row_of(self, event_id: str) -> int | None:
        """The table row showing `event_id`, if shown. Once per reload (to keep the selection):
        scans in C beat an index of 100 000 ids that the next reload throws away."""
        try:
            source = list(map(_event_id, self._events)).index(event_id)
            if self._rows is None:
                return len(self._events) - 1 - source
            return self._rows.index(source)
        except ValueError:
            return None

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid():
            return 0
        return len(self._rows) if self._rows is not None else len(self._events)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def data(self, index: _Index, role: int = _DISPLAY) -> Any:
        event = self.event_at(index.row()) if index.isValid() else None
        if event is None:
            return None
        if role in (_DISPLAY, Qt.ItemDataRole.ToolTipRole):
            col = index.column()
            if col == 0:
                return format_time(event.timestamp)
            if col == 1:
                return category_title(event.category)
            if col == 2:
                return event.event_type
            if col == 3:
                return event_summary(event)
        if role == _ID:
            return event.id
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:
        if role == _DISPLAY and orientation == Qt.Orientation.Horizontal:
            return tr(self.HEADERS[section]) if 0 <= section < len(self.HEADERS) else None
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.sort_requested.emit(column, order == Qt.SortOrder.DescendingOrder)
