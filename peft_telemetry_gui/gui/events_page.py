"""Events: every stored record, and the selected one exactly as it sits in `telemetry.json`.

Filtering is Qt's own proxy filtering (a category proxy feeding a text/sort proxy), so with no
filter set a reload of 100 000 events costs no per-row Python calls.
"""

from __future__ import annotations

import json
import re

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QSortFilterProxyModel, Qt
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
from .state import AppState
from .table_models import SORT_ROLE, EventsTableModel
from .widgets import EmptyState, heading, setup_table

__all__ = ["EventsPage"]


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
        self.category_proxy = QSortFilterProxyModel(self)
        self.category_proxy.setSourceModel(self.model)
        self.category_proxy.setFilterKeyColumn(EventsTableModel.CATEGORY_COLUMN)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.category_proxy)
        self.proxy.setFilterKeyColumn(-1)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.proxy.setSortRole(SORT_ROLE)

        self.stack = QStackedWidget()
        layout.addWidget(self.stack, 1)
        self.empty = EmptyState("No events yet", EMPTY_TEXT)
        self.stack.addWidget(self.empty)

        splitter = QSplitter(Qt.Orientation.Vertical)
        self.table = QTableView()
        self.table.setModel(self.proxy)
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
    def selected_event(self) -> Event | None:
        index = self.table.currentIndex()
        if not index.isValid():
            return None
        source = self.category_proxy.mapToSource(self.proxy.mapToSource(index))
        return self.model.event_at(source.row())

    def select_event(self, event_id: str) -> bool:
        row = self.model.row_of(event_id)
        if row is None:
            return False
        index = self.proxy.mapFromSource(
            self.category_proxy.mapFromSource(self.model.index(row, 0))
        )
        if not index.isValid():
            return False
        self.table.selectionModel().setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        return True

    # ----------------------------------------------------------------- slots
    def _on_document_changed(self, doc: StoreDocument) -> None:
        # Keep what the user was looking at: the selected event (by id) and the scroll position.
        selected = self.selected_event()
        scroll = self.table.verticalScrollBar().value()
        self.model.set_events(doc.events)
        restored = selected is not None and self.select_event(selected.id)
        if selected is None and doc.events and self.proxy.rowCount():
            # First load: show one record, so the pane explains itself.
            self.table.selectRow(0)
            restored = True
        self.table.verticalScrollBar().setValue(scroll)
        if not restored:
            self.details.setPlainText("")
        n = len(doc.events)
        self.count_label.setText(f"{n:,} stored event{'s' if n != 1 else ''}")
        self.stack.setCurrentIndex(1 if n else 0)

    def _on_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        event = self.selected_event() if current.isValid() else None
        if event is None:
            self.details.setPlainText("")
            return
        self.details.setPlainText(json.dumps(event.stored_dict(), indent=2, ensure_ascii=False))

    def _on_text_filter(self, text: str) -> None:
        self.proxy.setFilterFixedString(text)

    def _on_category_filter(self, _index: int) -> None:
        name = self.category_combo.currentData()
        self.category_proxy.setFilterRegularExpression(
            "" if name is None else f"^{re.escape(name)}$"
        )
