"""Upload: the optional second consent, where data goes, what left the machine and when.

Widgets and formatting only. Everything the page shows comes from its view-model,
`UploadModel` (`state.upload`), which does every upload read and action on its own worker
thread; the page forwards clicks to it and formats what it reports, so the GUI thread only
ever paints.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from .state import AppState
from .table_models import HistoryTableModel, format_time
from .widgets import heading, setup_table

if TYPE_CHECKING:
    from .upload_model import UploadStatus

__all__ = ["HistoryTableModel", "UploadPage"]

_DROP_WORDS = {
    "full": "queue full",
    "expired": "older than 7 days",
    "rejected": "refused by the collector",
    "too_large": "too large",
}


class UploadPage(QWidget):
    title = "Upload"

    #: Emitted on the GUI thread once a status refresh is shown (tests and the app listen).
    status_changed = Signal(object)  # UploadStatus
    preview_ready = Signal(str)
    action_finished = Signal(str)  # what was done (or why it failed), in words

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.model = model = state.upload

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.addWidget(heading("Upload"))
        intro = QLabel(
            "Optional: also send the events recorded on this computer to your team's "
            "OpenTelemetry collector. Off unless you switch it on; turning it off (or turning "
            "telemetry off) discards anything not yet sent."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)

        # --- settings
        settings_box = QGroupBox("Destination")
        form = QFormLayout(settings_box)
        self.enabled_box = QCheckBox("Send telemetry to this collector")
        self.enabled_box.setAccessibleName("Upload switch")
        self.enabled_box.clicked.connect(self._on_switch)
        self.endpoint_edit = QLineEdit()
        self.endpoint_edit.setPlaceholderText("https://collector.example.com")
        self.endpoint_edit.setAccessibleName("Collector endpoint")
        self.endpoint_note = QLabel("")
        self.endpoint_note.setWordWrap(True)
        form.addRow(self.enabled_box)
        form.addRow("Endpoint:", self.endpoint_edit)
        form.addRow("", self.endpoint_note)
        self.token_edit = QLineEdit()
        self.token_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.token_edit.setPlaceholderText("paste a token (kept in the system keyring)")
        self.token_edit.setAccessibleName("Upload token")
        self.token_save = QPushButton("Save token")
        self.token_save.clicked.connect(self._on_save_token)
        self.token_clear = QPushButton("Clear token")
        self.token_clear.clicked.connect(self._on_clear_token)
        token_row = QHBoxLayout()
        token_row.addWidget(self.token_edit, 1)
        token_row.addWidget(self.token_save)
        token_row.addWidget(self.token_clear)
        form.addRow("Token:", token_row)
        self.token_note = QLabel("")
        self.token_note.setWordWrap(True)
        form.addRow("", self.token_note)
        layout.addWidget(settings_box)

        # --- status
        status_box = QGroupBox("Status")
        status_form = QFormLayout(status_box)
        self.state_label = QLabel("–")
        self.state_label.setWordWrap(True)
        self.queued_label = QLabel("–")
        self.drops_label = QLabel("–")
        self.drops_label.setWordWrap(True)
        self.success_label = QLabel("–")
        self.error_label = QLabel("–")
        self.error_label.setWordWrap(True)
        for text, label in (
            ("State:", self.state_label),
            ("Waiting to be sent:", self.queued_label),
            ("Not sent (dropped):", self.drops_label),
            ("Last delivered:", self.success_label),
            ("Last problem:", self.error_label),
        ):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            status_form.addRow(text, label)
        buttons = QHBoxLayout()
        self.send_button = QPushButton("Send now")
        self.send_button.clicked.connect(self.send_now)
        self.preview_button = QPushButton("Preview next batch")
        self.preview_button.clicked.connect(self.preview)
        buttons.addWidget(self.send_button)
        buttons.addWidget(self.preview_button)
        buttons.addStretch(1)
        status_form.addRow(buttons)
        self.message_label = QLabel("")
        self.message_label.setWordWrap(True)
        status_form.addRow(self.message_label)
        layout.addWidget(status_box)

        # --- history + preview
        splitter = QSplitter(Qt.Orientation.Vertical)
        self.history_model = HistoryTableModel(self)
        self.history_view = QTableView()
        self.history_view.setModel(self.history_model)
        setup_table(self.history_view, "Upload history")
        self.history_view.horizontalHeader().setStretchLastSection(True)
        self.preview_text = QPlainTextEdit()
        self.preview_text.setReadOnly(True)
        self.preview_text.setAccessibleName("Preview of the next upload")
        self.preview_text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.preview_text.setPlaceholderText(
            "Press “Preview next batch” to see exactly what would be sent, before it is sent."
        )
        splitter.addWidget(self.history_view)
        splitter.addWidget(self.preview_text)
        layout.addWidget(splitter, 1)

        # Bound slots only: Qt drops these connections when the page dies, while the model
        # (owned by the state) lives on. A lambda here would outlive the page.
        model.status_changed.connect(self._on_status_changed)
        model.token_state_changed.connect(self._on_token_state_changed)
        model.message.connect(self._on_message)
        model.preview_ready.connect(self._on_preview_ready)
        if model.token_state is not None:
            self._on_token_state_changed(model.token_state)
        if model.status is not None:
            self._on_status_changed(model.status)

    # ------------------------------------------------------------------ the model's work
    @property
    def status(self) -> UploadStatus | None:
        """The latest status shown."""
        return self.model.status

    def is_busy(self) -> bool:
        return self.model.is_busy()

    def refresh(self) -> None:
        self.model.refresh()

    def shutdown(self, timeout_ms: int = 3000) -> None:
        """Stop the upload work behind this page (see `UploadModel.shutdown`); the app does
        this through `AppState.shutdown`. Safe to call twice."""
        self.model.shutdown(timeout_ms)

    # ------------------------------------------------------------------ intent
    def _on_switch(self, checked: bool) -> None:
        self.model.set_enabled(checked, self.endpoint_edit.text().strip() or None)

    def _on_save_token(self) -> None:
        token = self.token_edit.text()
        self.token_edit.clear()  # never kept in the widget longer than needed
        self.model.save_token(token)

    def _on_clear_token(self) -> None:
        self.model.clear_token()

    def send_now(self) -> None:
        """Returns at once; `action_finished` says what happened."""
        self.message_label.setText("Sending…")
        self.model.send_now()

    def preview(self) -> None:
        self.model.preview()

    # ------------------------------------------------------------------ formatting
    def _on_message(self, text: str) -> None:
        self.message_label.setText(text)
        self.action_finished.emit(text)

    def _on_preview_ready(self, text: str) -> None:
        self.preview_text.setPlainText(text)
        self.preview_ready.emit(text)

    def _on_token_state_changed(self, token_state: str) -> None:
        if token_state in ("set", "not set"):
            self.token_note.setText(f"Token {token_state} (stored in the system keyring).")
            self.token_save.setEnabled(True)
            self.token_clear.setEnabled(token_state == "set")
        else:  # why the keyring cannot be used
            self.token_note.setText(token_state)
            self.token_save.setEnabled(False)
            self.token_clear.setEnabled(False)

    def _on_status_changed(self, status: UploadStatus) -> None:
        self.enabled_box.setChecked(status.upload_enabled)
        if not self.endpoint_edit.hasFocus() and not self.endpoint_edit.text():
            self.endpoint_edit.setText(self.model.saved_endpoint or "")
        if status.endpoint_source and status.endpoint_source != "settings":
            self.endpoint_note.setText(
                f"Sending to {status.endpoint} (set by {status.endpoint_source}, which "
                "overrides the field above)."
            )
        elif status.endpoint_problem:
            self.endpoint_note.setText(status.endpoint_problem)
        else:
            self.endpoint_note.setText(
                "https only; plain http is allowed to this computer (localhost)."
            )
        self.state_label.setText(status.describe())
        size = status.queued_bytes / 1024
        self.queued_label.setText(f"{status.queued:,} records ({size:,.1f} KiB)")
        if status.drops_total:
            parts = ", ".join(
                f"{n:,} {_DROP_WORDS.get(reason, reason)}" for reason, n in status.drops.items()
            )
            self.drops_label.setText(f"{status.drops_total:,} records: {parts}")
        else:
            self.drops_label.setText("none")
        self.success_label.setText(format_time(status.last_success) or "never")
        if status.last_error and (
            status.last_success is None
            or (status.last_error_at is not None and status.last_error_at >= status.last_success)
        ):
            self.error_label.setText(f"{status.last_error} ({format_time(status.last_error_at)})")
        else:
            self.error_label.setText("none")
        self.send_button.setEnabled(self.model.can_send_now)
        self.history_model.set_entries(status.history)
        self.status_changed.emit(status)
