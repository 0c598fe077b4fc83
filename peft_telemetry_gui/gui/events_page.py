"""Events: every stored record, and the selected one exactly as it sits in the store.

At 100 000 events nothing per row may run on the GUI thread: a filter (text, category) or a
sort is computed on this page's own one-thread pool (`event_filter.select_rows`), 200 ms after
the last keystroke, and the GUI thread only swaps the resulting row list in. Every change bumps
a sequence number and a result for an older one is dropped, so a slow early result never
replaces a newer one. With no filter and no sort a reload swaps in the document's own event
list (no copy, no per-row call).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, QThreadPool, QTimer
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSplitter,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ..core.models import CATEGORIES, Event, StoreDocument
from .dashboard_page import EMPTY_TEXT
from .event_filter import FilterSpec, SearchIndex, select_rows
from .events_model import EventsTableModel
from .jobs import JobRunner
from .state import AppState
from .widgets import EmptyState, heading, setup_table

__all__ = ["DEBOUNCE_MS", "EventsPage"]

#: The pause after the last keystroke before the text filter runs.
DEBOUNCE_MS = 200


class EventsPage(QWidget):
    title = "Events"

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        top = QHBoxLayout()
        top.addWidget(heading("Events"), 1)
        self.count_label = QLabel()
        top.addWidget(self.count_label)
        layout.addLayout(top)

        filters = QHBoxLayout()
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Filter by text (type, values, …)")
        self.filter_edit.setAccessibleName("Filter events by text")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self._on_text_filter)
        filters.addWidget(self.filter_edit, 1)
        self.category_combo = QComboBox()
        self.category_combo.setAccessibleName("Filter events by category")
        self.category_combo.addItem("All categories", None)
        for name in CATEGORIES:
            self.category_combo.addItem(name.title(), name)
        self.category_combo.currentIndexChanged.connect(self._on_category_filter)
        filters.addWidget(self.category_combo)
        layout.addLayout(filters)

        self.model = EventsTableModel(self)
        self.model.sort_requested.connect(self._on_sort_requested)
        # Pool before runner: on teardown the pool waits for a running job before the runner
        # (and the signals object the job reports to) goes.
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._jobs = JobRunner(self, on_error=self._on_job_error, user_errors=())
        self._index = SearchIndex()  # worker-side: touched by the pool's one thread only
        self._spec = FilterSpec()
        self._seq = 0  # bumped by every change: only a result for the latest one is shown
        self._shown = FilterSpec()  # the filter the rows on screen were computed for
        self._first_rows = True
        self._warmed: Sequence[Event] | None = None  # the events the search texts were asked for
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(DEBOUNCE_MS)
        self._debounce.timeout.connect(self.flush_filter)

        self.stack = QStackedWidget()
        layout.addWidget(self.stack, 1)
        self.empty = EmptyState("No events yet", EMPTY_TEXT)
        self.stack.addWidget(self.empty)

        splitter = QSplitter(Qt.Orientation.Vertical)
        self.table = QTableView()
        self.table.setModel(self.model)
        setup_table(self.table, "Stored events")
        # Source order (newest first) until the user clicks a header: no sort cost per reload.
        self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.table.setSortingEnabled(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        metrics = self.table.fontMetrics()
        header.resizeSection(0, metrics.horizontalAdvance("2026-11-23 23:59:59") + 24)
        header.resizeSection(1, metrics.horizontalAdvance("performance") + 24)
        header.resizeSection(2, metrics.horizontalAdvance("training_completed") + 32)
        self.table.selectionModel().currentRowChanged.connect(self._on_current_changed)
        splitter.addWidget(self.table)

        details = QWidget()
        dl = QVBoxLayout(details)
        dl.setContentsMargins(0, 4, 0, 0)
        dl.addWidget(QLabel("Selected event, exactly as stored:"))
        self.details = QPlainTextEdit()
        self.details.setReadOnly(True)
        self.details.setAccessibleName("Selected event as stored")
        self.details.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.details.setPlaceholderText("Select an event to see its stored record.")
        dl.addWidget(self.details)
        splitter.addWidget(details)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        self.stack.addWidget(splitter)

        state.document_changed.connect(self._on_document_changed)
        if state.document is not None:
            self._on_document_changed(state.document)

    # ----------------------------------------------------------------- helpers
    @property
    def pending(self) -> bool:
        """A filter is waiting for its pause to end or for its job."""
        return self._debounce.isActive() or self._jobs.pending > 0

    def selected_event(self) -> Event | None:
        index = self.table.currentIndex()
        return self.model.event_at(index.row()) if index.isValid() else None

    def select_event(self, event_id: str) -> bool:
        row = self.model.row_of(event_id)
        if row is None:
            return False
        self.table.selectionModel().setCurrentIndex(
            self.model.index(row, 0),
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        return True

    def flush_filter(self) -> None:
        """Filter now rather than after the pause (the debounce timer ends here)."""
        self._debounce.stop()
        self._request(self._latest_events())

    def stop_own_work(self) -> None:
        """Deliver nothing more and let a running filter job end (`MainWindow.shutdown`)."""
        self._debounce.stop()
        self._jobs.close()
        self._pool.clear()
        self._pool.waitForDone(3000)

    def _latest_events(self) -> Sequence[Event]:
        """The newest document's events: a filter always runs on those, never on a list a
        job in flight is about to replace."""
        doc = self.state.document
        return doc.events if doc is not None else self.model.events

    # ----------------------------------------------------------------- applying
    def _request(self, events: Sequence[Event]) -> None:
        """Show `events` under the current filter: at once when there is nothing to compute,
        else from a job on the worker. Either way an older job's result no longer counts."""
        self._seq += 1
        spec = self._spec
        if not spec.active:
            self._show(events, None, spec, keep_scroll=events is not self.model.events)
            return
        if self._jobs.closed:
            return
        seq, index = self._seq, self._index
        self._jobs.submit(
            self._pool,
            lambda: select_rows(events, index, spec),
            lambda rows: self._on_rows(seq, events, rows, spec),
        )

    def _on_rows(
        self, seq: int, events: Sequence[Event], rows: list[int] | None, spec: FilterSpec
    ) -> None:
        if seq != self._seq:
            return  # typed over, or a newer document: its own result is on the way
        self._show(events, rows, spec, keep_scroll=events is not self.model.events)

    def _show(
        self,
        events: Sequence[Event],
        rows: list[int] | None,
        spec: FilterSpec,
        *,
        keep_scroll: bool,
    ) -> None:
        """Swap the rows in, keeping the selected event (by id) only while it is still shown.
        A reload keeps the scroll position; a new filter scrolls to the selection (or top)."""
        selected = self.selected_event()
        scroll = self.table.verticalScrollBar().value()
        self.model.set_events(events, rows)
        self._shown = spec
        restored = selected is not None and self.select_event(selected.id)
        if selected is None and self._first_rows and self.model.rowCount():
            self.table.selectRow(0)  # first load: the newest record, so the pane explains itself
            restored = True
        if self.model.total:
            self._first_rows = False
        if keep_scroll:
            self.table.verticalScrollBar().setValue(scroll)
        elif restored:
            self.table.scrollTo(self.table.currentIndex())
        else:
            self.table.scrollToTop()
        if not restored:
            self.details.setPlainText("")
        self._update_count()

    def _update_count(self) -> None:
        n = self.model.total
        if self._shown.filtering:
            self.count_label.setText(f"{self.model.rowCount():,} of {n:,} events")
        else:
            self.count_label.setText(f"{n:,} stored event{'s' if n != 1 else ''}")
        self.stack.setCurrentIndex(1 if n else 0)

    # ----------------------------------------------------------------- slots
    def _on_document_changed(self, doc: StoreDocument) -> None:
        self._request(doc.events)

    def _on_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        event = self.model.event_at(current.row()) if current.isValid() else None
        if event is None:
            self.details.setPlainText("")
            return
        self.details.setPlainText(json.dumps(event.stored_dict(), indent=2, ensure_ascii=False))

    def _on_text_filter(self, text: str) -> None:
        self._spec = replace(self._spec, text=text)
        if not self._spec.needle:  # cleared: nothing to compute, show it at once
            self.flush_filter()
        else:
            self._seq += 1  # a job already on its way is for an older text
            self._debounce.start()
            self._warm_up()

    def _warm_up(self) -> None:
        """At the first key, have the worker build the search texts (about 1 s at 100 000
        events) while the user is still typing, rather than after the pause."""
        events, index = self._latest_events(), self._index
        if events is not self._warmed and not self._jobs.closed:
            self._warmed = events
            self._jobs.submit(self._pool, lambda: index.texts_for(events) and None)

    def _on_category_filter(self, _index: int) -> None:
        self._spec = replace(self._spec, category=self.category_combo.currentData())
        self.flush_filter()

    def _on_sort_requested(self, column: int, descending: bool) -> None:
        spec = replace(self._spec, sort_column=column, descending=descending)
        if spec != self._spec:  # the view also calls sort() when sorting is switched on
            self._spec = spec
            self.flush_filter()

    def _on_job_error(self, message: str) -> None:
        self.count_label.setText(f"Filter failed: {message}")
