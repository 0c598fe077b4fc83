"""Events: every stored record, and the selected one exactly as it sits in the store.

At 100 000 events nothing per row may run on the GUI thread: a filter (text over every field,
category, date range) or a sort is computed on this page's own one-thread pool
(`event_filter.select_rows`), 200 ms after the last keystroke, and the GUI thread only swaps
the resulting row list in. Every change bumps a sequence number and a result for an older one
is dropped, so a slow early result never replaces a newer one. With no filter and no sort a
reload swaps in the document's own event list (no copy, no per-row call).

The detail pane follows the *selected* row (not Qt's current index, which focus alone moves
without selecting anything), so it never shows an event the table does not highlight. Whatever
must look at every event to explain one (which app started each session, the catalogues, the
data's span for a custom range) is one job per document on the same worker
(`event_view.ExplainContext.build`), asked for only while the readable view or a custom range
is shown; explaining the selected event is then a few lookups.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtCore import QItemSelection, QItemSelectionModel, Qt, QThreadPool, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ..core.consent import collection_text
from ..core.event_view import (
    CATEGORY_TITLES,
    ContextBuilder,
    EventExportFormat,
    ExplainContext,
    category_title,
    explain,
)
from ..core.i18n import N_, tr
from ..core.models import CATEGORIES, Event, StoreDocument
from .a11y import ReadablePlaceholder
from .dashboard_model import no_events_message
from .event_detail import EventDetail
from .event_export import EventExporter, ask_export_target
from .event_filter import FilterSpec, SearchIndex, select_rows
from .event_range import EventRangeBox
from .event_table import EventsTable
from .event_texts import count_text, exporting_text, looking_up
from .event_upload import UploadLines
from .event_watch import WatchBar, later_of
from .events_model import EventsTableModel
from .jobs import JobRunner
from .state import AppState
from .table_models import format_time
from .widgets import EmptyState, heading, setup_table

__all__ = ["DEBOUNCE_MS", "EventsPage"]

#: The pause after the last keystroke before the text filter runs.
DEBOUNCE_MS = 200


class EventsPage(QWidget):
    title = N_("Events")

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        top = QHBoxLayout()
        top.addWidget(heading(tr("Events")), 1)
        self.count_label = QLabel()
        top.addWidget(self.count_label)
        layout.addLayout(top)

        filters = QHBoxLayout()
        self.filter_edit = QLineEdit()
        ReadablePlaceholder(self.filter_edit)  # Qt's own is 4:1 on white, 1.1:1 on dark
        self.filter_edit.setPlaceholderText(tr("Search every field (type, properties, errors, …)"))
        self.filter_edit.setAccessibleName(tr("Filter events by text"))
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self._on_text_filter)
        filters.addWidget(self.filter_edit, 1)
        self.category_combo = QComboBox()
        self.category_combo.setAccessibleName(tr("Filter events by category"))
        self.category_combo.addItem(tr("All categories"), None)
        for name in CATEGORIES:
            self.category_combo.addItem(category_title(name), name)
        self.category_combo.currentIndexChanged.connect(self._on_category_filter)
        filters.addWidget(self.category_combo)
        layout.addLayout(filters)
        # A row of its own: with From/To shown it would not fit beside the search at 800 px.
        when = QHBoxLayout()
        self.range_box = EventRangeBox(state.clock)
        self.range_box.changed.connect(self._on_range_changed)
        when.addWidget(self.range_box)
        when.addStretch(1)
        self.watch = WatchBar(state.clock)
        self.watch.changed.connect(self._on_range_changed)
        when.addWidget(self.watch)
        self.export_button = QPushButton(tr("Export shown…"))
        self.export_button.setToolTip(tr("Save the events the table shows, as JSON or CSV"))
        self.export_button.setAccessibleName(tr("Export shown events"))
        self.export_button.clicked.connect(self._on_export_clicked)
        when.addWidget(self.export_button)
        layout.addLayout(when)
        self.export_status = QLabel()
        self.export_status.setWordWrap(True)
        self.export_status.setVisible(False)
        layout.addWidget(self.export_status)
        self.exporter = EventExporter(self)
        self.exporter.finished.connect(self._on_export_finished)

        self.model = EventsTableModel(self)
        self.model.sort_requested.connect(self._on_sort_requested)
        # Pool before runner: on teardown the pool waits for a running job before the runner
        # (and the signals object the job reports to) goes.
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._jobs = JobRunner(self, on_error=self._on_job_error, user_errors=())
        self._index = SearchIndex()  # worker-side: touched by the pool's one thread only
        self._contexts = ContextBuilder()  # worker-side too
        self.uploads = UploadLines(state.store, self._pool, self._jobs, self)
        self.uploads.ready.connect(lambda _id: self._show_selected())
        self._spec = FilterSpec()
        self._seq = 0  # bumped by every change: only a result for the latest one is shown
        self._shown = FilterSpec()  # the filter the rows on screen were computed for
        self._context: ExplainContext | None = None  # the latest computed (None: none yet)
        self._context_doc: StoreDocument | None = None  # the document it was last asked for
        self._warmed: Sequence[Event] | None = None  # the events the search texts were asked for
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(DEBOUNCE_MS)
        self._debounce.timeout.connect(self.flush_filter)

        self.stack = QStackedWidget()
        layout.addWidget(self.stack, 1)
        first = no_events_message(False)  # until the first document says which is true
        self.empty = EmptyState(first.title, first.body)
        self.stack.addWidget(self.empty)

        splitter = QSplitter(Qt.Orientation.Vertical)
        self.table = EventsTable()
        self.table.setModel(self.model)
        setup_table(self.table, tr("Stored events"))
        self.table.setAccessibleDescription(
            tr(
                "Newest first: time, category, type and summary; "
                "the selected event is shown in full"
            )
        )
        # Source order (newest first) until the user clicks a header: no sort cost per reload.
        self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.table.setSortingEnabled(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        metrics = self.table.fontMetrics()
        # As long as the longest time the column shows, zone included (a UTC offset at worst).
        sample = format_time(datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC))
        header.resizeSection(0, metrics.horizontalAdvance(f"{sample}+00:00") + 24)
        labels = [category_title(name) for name in CATEGORY_TITLES]
        header.resizeSection(1, max(map(metrics.horizontalAdvance, labels)) + 24)
        header.resizeSection(2, metrics.horizontalAdvance("training_completed") + 32)
        self.table.selectionModel().selectionChanged.connect(self._on_selection_changed)
        splitter.addWidget(self.table)

        self.detail = EventDetail()
        self.details = self.detail.raw  # the stored record, verbatim
        self.table.copy_requested.connect(self.detail.copy_json)
        self.detail.mode_changed.connect(self._ensure_context)
        self.detail.mode_changed.connect(lambda _mode: self._show_selected())
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        self.stack.addWidget(splitter)

        state.document_changed.connect(self._on_document_changed)
        if state.document is not None:
            self._on_document_changed(state.document)

    # ----------------------------------------------------------------- helpers
    @property
    def pending(self) -> bool:
        """A filter (or a document's explaining context, or an export) is waiting for its
        pause to end or for its job."""
        return self._debounce.isActive() or self._jobs.pending > 0 or self.exporter.pending

    def selected_event(self) -> Event | None:
        """The highlighted row's event: Qt's current index alone (moved by focus, or left on a
        row ctrl-clicked off) is not a selection."""
        rows = self.table.selectionModel().selectedRows()
        return self.model.event_at(rows[0].row()) if rows else None

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
        """Deliver nothing more and let a running filter job (or export) end
        (`MainWindow.shutdown`)."""
        self._debounce.stop()
        self._jobs.close()
        self._pool.clear()
        self._pool.waitForDone(3000)
        self.exporter.stop()

    def export_shown(self, path: Path, fmt: EventExportFormat) -> None:
        """Write what the table shows now, in its order, to `path` (on the exporter's worker)."""
        self.export_status.setText(exporting_text(self.model.rowCount()))
        self.export_status.setVisible(True)
        self.exporter.export(self.model.events, self.model.rows, Path(path), fmt)

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
        since, until = self.range_box.bounds(self.state.clock())  # presets roll with time
        since = later_of(since, self.watch.since)
        self._spec = replace(self._spec, since=since, until=until)
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
        A reload keeps the scroll position; a new filter scrolls to the selection (or top).
        The first events a page gets (at start, or after everything was deleted) show the
        newest selected, at the top."""
        selected = self.selected_event()
        scroll = self.table.verticalScrollBar().value()
        first_events = self.model.total == 0
        self.model.set_events(events, rows)
        self._shown = spec
        self.detail.set_needle(spec.needle)
        restored = selected is not None and self.select_event(selected.id)
        if selected is None and first_events and self.model.rowCount():
            self.table.selectRow(0)  # the newest record, so the pane explains itself
            self.table.scrollToTop()
            restored = True
        elif keep_scroll:
            self.table.verticalScrollBar().setValue(scroll)
        elif restored:
            self.table.scrollTo(self.table.currentIndex())
        else:
            self.table.scrollToTop()
        if not restored and self.selected_event() is None:
            self.detail.clear()  # a reset drops the selection without a signal
        self._update_count()

    def _update_count(self) -> None:
        n = self.model.total
        self.count_label.setText(count_text(self.model.rowCount(), n, self._shown.filtering))
        self.stack.setCurrentIndex(1 if n else 0)
        self.export_button.setEnabled(self.model.rowCount() > 0)  # nothing shown, nothing to save

    # ----------------------------------------------------------------- slots
    def _on_document_changed(self, doc: StoreDocument) -> None:
        self.uploads.forget()
        if not doc.events:  # what is true: off, or on with nothing recorded yet
            message = no_events_message(doc.consent.enabled)
            self.empty.set_message(message.title, message.body)
        self._request(doc.events)
        self._ensure_context()

    def _ensure_context(self) -> None:
        """Have the worker compute the newest document's context, if something shown needs it
        (the readable view, a custom range) and it was not asked for yet: in the raw view a
        reload costs nothing more than before."""
        doc = self.state.document
        if doc is None or doc is self._context_doc or self._jobs.closed:
            return
        if self.detail.mode != "readable" and not self.range_box.custom:
            return
        self._context_doc = doc
        texts: Mapping[str, str] = self._context.category_texts if self._context else {}
        builder = self._contexts
        self._jobs.submit(
            self._pool,
            lambda: builder.build(doc, texts or collection_text().categories),
            self._on_context,
        )

    def _on_context(self, context: ExplainContext) -> None:
        # One worker thread, jobs in order: the last one done is for the newest document asked.
        self._context = context
        self.range_box.set_span(context.oldest, context.newest)
        self._show_selected()

    def _on_selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        self._show_selected()

    def _show_selected(self) -> None:
        event = self.selected_event()
        if event is None:
            self.detail.clear()
        else:
            context = self._context
            upload = None
            if self.detail.mode == "readable":
                selected = lambda: getattr(self.selected_event(), "id", None)  # noqa: E731
                upload = self.uploads.line(event, self.state.document, selected)
            explanation = explain(event, context) if context else looking_up()
            self.detail.show_event(event, explanation, upload)

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

    def _on_range_changed(self) -> None:
        # Like a keystroke: edits of From/To come in bursts. `_request` reads the bounds.
        self._ensure_context()  # a custom range follows the data's span
        self._seq += 1
        self._debounce.start()

    def _on_export_clicked(self) -> None:
        if (target := ask_export_target(self)) is not None:
            self.export_shown(*target)

    def _on_export_finished(self, _ok: bool, message: str) -> None:
        self.export_status.setText(message)
        self.export_status.setVisible(True)

    def _on_category_filter(self, _index: int) -> None:
        self._spec = replace(self._spec, category=self.category_combo.currentData())
        self.flush_filter()

    def _on_sort_requested(self, column: int, descending: bool) -> None:
        spec = replace(self._spec, sort_column=column, descending=descending)
        if spec != self._spec:  # the view also calls sort() when sorting is switched on
            self._spec = spec
            self.flush_filter()

    def _on_job_error(self, message: str) -> None:
        self.count_label.setText(tr("Filter failed: {message}").format(message=message))
