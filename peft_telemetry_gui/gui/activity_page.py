"""Activity: the consent audit log, so the user can see every change and who made it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ..core.i18n import N_, tr, trn
from ..core.models import StoreDocument
from .state import AppState
from .table_models import AuditTableModel
from .widgets import EmptyState, heading, setup_table

__all__ = ["ActivityPage"]


class ActivityPage(QWidget):
    title = N_("Activity")

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self._has_entries = False
        self._saving = False  # a receipt write is on the way: its error is ours to show
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.addWidget(heading(tr("Activity")))
        intro = QLabel(
            tr(
                "Every change to your telemetry choices, newest first: its number in the ledger "
                "(each entry is chained to the one before, so an edit shows), when, by what (this "
                "app, the peft-telemetry command or the host application's API) and how, and the "
                "version of the \u201cwhat is collected\u201d text shown at the time."
            )
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        row = QHBoxLayout()
        self.receipt_button = QPushButton(tr("&Export receipt…"))
        self.receipt_button.setAccessibleName(tr("Export receipt of your consent"))
        self.receipt_button.setToolTip(
            tr(
                "Save a consent receipt (Kantara v1.1 shape) with this log attached as a hash "
                "chain; check it later with 'peft-telemetry receipt --verify FILE'"
            )
        )
        self.receipt_button.setEnabled(False)  # until the log has an entry to give a receipt for
        self.receipt_button.clicked.connect(self.export_receipt)
        self.receipt_status = QLabel("")
        self.receipt_status.setWordWrap(True)
        row.addWidget(self.receipt_button)
        row.addWidget(self.receipt_status, 1)
        layout.addLayout(row)
        self.stack = QStackedWidget()
        layout.addWidget(self.stack, 1)
        self.empty = EmptyState(
            tr("No changes yet"),
            tr(
                "Nothing has been decided yet. Your choice on the Privacy page will be listed here."
            ),
        )
        self.empty.action.setAccessibleDescription(tr("Nothing to do until a choice is made"))
        self.stack.addWidget(self.empty)
        self.model = AuditTableModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        setup_table(self.table, tr("Consent audit log"))
        self.table.setAccessibleDescription(
            tr(
                "One row per change of your telemetry choices, newest first: number, when, "
                "by what, how, what changed and the text version shown"
            )
        )
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.stack.addWidget(self.table)
        state.document_changed.connect(self._on_document_changed)
        state.receipt_exported.connect(self._on_receipt_exported)
        state.busy_changed.connect(self._on_busy_changed)
        state.error.connect(self._on_error)
        if state.document is not None:
            self._on_document_changed(state.document)

    def _on_document_changed(self, doc: StoreDocument) -> None:
        scroll = self.table.verticalScrollBar().value()
        self.model.set_entries(doc.audit_log)
        self.table.verticalScrollBar().setValue(scroll)
        self.stack.setCurrentIndex(1 if doc.audit_log else 0)
        self._has_entries = bool(doc.audit_log)
        self.receipt_button.setEnabled(self._has_entries and not self.state.is_busy())

    def _on_busy_changed(self, busy: bool) -> None:
        self.receipt_button.setEnabled(self._has_entries and not busy)

    def export_receipt(self) -> None:
        """Ask where (the dialog confirms overwriting), then write on the state's write pool."""
        path, _chosen = QFileDialog.getSaveFileName(
            self,
            tr("Export consent receipt"),
            str(Path.home() / "peft-telemetry-receipt.json"),
            "JSON (*.json)",
        )
        if not path:
            return
        confirmed = True  # the dialog asked before choosing an existing file
        if not path.lower().endswith(".json"):
            path += ".json"
            confirmed = False  # a name the dialog never saw: never replace a file under it
        self._saving = True
        self.receipt_status.setText(tr("Saving the receipt…"))
        self.state.export_receipt(Path(path), overwrite=confirmed)

    def _on_error(self, message: str) -> None:
        if self._saving:
            self._saving = False
            self.receipt_status.setText(
                tr("The receipt was not saved: {message}").format(message=message)
            )

    def _on_receipt_exported(self, result: Any) -> None:  # core.receipt.ReceiptResult
        self._saving = False
        self.receipt_status.setText(
            trn(
                "Receipt with {entries} entry saved to {path}. It is self-attested: made on "
                "this computer, it shows edits made without recomputing its hash chain.",
                "Receipt with {entries} entries saved to {path}. It is self-attested: made on "
                "this computer, it shows edits made without recomputing its hash chain.",
                result.entries,
            ).format(entries=result.entries, path=result.path)
        )
