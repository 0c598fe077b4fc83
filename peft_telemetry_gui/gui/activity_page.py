"""Activity: the consent audit log, so the user can see every change and who made it."""

from __future__ import annotations

from PySide6.QtWidgets import QHeaderView, QLabel, QStackedWidget, QTableView, QVBoxLayout, QWidget

from ..core.models import StoreDocument
from .state import AppState
from .table_models import AuditTableModel
from .widgets import EmptyState, heading, setup_table

__all__ = ["ActivityPage"]


class ActivityPage(QWidget):
    title = "Activity"

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.addWidget(heading("Activity"))
        intro = QLabel(
            "Every change to your telemetry choices, newest first: when, by what (this app, the "
            "peft-telemetry command or the host application's API), and the version of the "
            "\u201cwhat is collected\u201d text shown at the time."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.stack = QStackedWidget()
        layout.addWidget(self.stack, 1)
        self.empty = EmptyState(
            "No changes yet",
            "Nothing has been decided yet. Your choice on the Privacy page will be listed here.",
        )
        self.stack.addWidget(self.empty)
        self.model = AuditTableModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        setup_table(self.table, "Consent audit log")
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.stack.addWidget(self.table)
        state.document_changed.connect(self._on_document_changed)
        if state.document is not None:
            self._on_document_changed(state.document)

    def _on_document_changed(self, doc: StoreDocument) -> None:
        scroll = self.table.verticalScrollBar().value()
        self.model.set_entries(doc.audit_log)
        self.table.verticalScrollBar().setValue(scroll)
        self.stack.setCurrentIndex(1 if doc.audit_log else 0)
