"""Upload: the optional second consent, where data goes, what left the machine and when.

Everything that touches the network, the keyring or the disk runs on this page's own
`QThreadPool` (one thread, so actions stay ordered); results come back as queued signals. The
GUI thread only ever paints. While the app is open and upload is on, the page keeps the
process's upload worker running, so queued records are delivered without a host app.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QThreadPool,
    QTimer,
    Signal,
)
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

from ..core.upload import history as upload_history
from ..core.upload import settings as upload_settings
from .jobs import JobRunner
from .state import AppState
from .table_models import format_time
from .widgets import heading, setup_table

__all__ = ["HistoryTableModel", "UploadPage"]

log = logging.getLogger(__name__)

_Index = QModelIndex | QPersistentModelIndex

_DROP_WORDS = {
    "full": "queue full",
    "expired": "older than 7 days",
    "rejected": "refused by the collector",
    "too_large": "too large",
}


class HistoryTableModel(QAbstractTableModel):
    """Every request, newest first: what left the machine and when."""

    COLUMNS = ("When", "What", "Records", "Bytes", "HTTP", "Result", "Details")

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[upload_history.HistoryEntry] = []

    def set_entries(self, entries: list[upload_history.HistoryEntry]) -> None:
        rows = list(reversed(entries))
        if rows == self._rows:
            return
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.COLUMNS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role not in (
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.ToolTipRole,
        ):
            return None
        entry = self._rows[index.row()]
        column = index.column()
        if column == 0:
            return format_time(entry.at)
        if column == 1:
            return "deletion request" if entry.kind == "deletion_request" else "events"
        if column == 2:
            return f"{entry.records:,}"
        if column == 3:
            return f"{entry.bytes:,}"
        if column == 4:
            return "–" if entry.status is None else str(entry.status)
        if column == 5:
            return {
                "delivered": "delivered",
                "partial": f"partly rejected ({entry.rejected})",
                "rejected": "refused (not retried)",
                "retry": "failed, will retry",
                "failed": "gave up",
            }.get(entry.outcome, entry.outcome)
        return entry.message


def _autostart_worker() -> bool:
    return os.environ.get("PEFT_TELEMETRY_UPLOAD_WORKER", "1").strip().lower() not in (
        "0",
        "false",
        "no",
    )


class UploadPage(QWidget):
    title = "Upload"

    #: Emitted on the GUI thread after each status refresh (tests and the window listen).
    status_changed = Signal(object)  # exporter.UploadStatus
    preview_ready = Signal(str)
    action_finished = Signal(str)  # what was done, in words

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.store = state.store
        self.status = None
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._jobs = JobRunner(
            self,
            on_error=self._on_task_error,
            user_errors=(upload_settings.UploadError, ValueError),
        )
        self._refreshing = False
        self._token_text: str | None = None

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

        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()
        state.document_changed.connect(lambda _doc: self.refresh())
        self.destroyed.connect(self._pool.clear)
        QTimer.singleShot(0, self.refresh)

    # ------------------------------------------------------------------ plumbing
    def _run(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None] | None = None,
        *,
        refresh: bool = False,
    ) -> None:
        self._jobs.submit(
            self._pool, fn, on_done, on_settled=self._refresh_settled if refresh else None
        )

    def _refresh_settled(self) -> None:
        self._refreshing = False

    def _on_task_error(self, message: str) -> None:
        self.message_label.setText(message)
        self.action_finished.emit(message)
        self.refresh()

    def is_busy(self) -> bool:
        return self._jobs.pending > 0

    def shutdown(self, timeout_ms: int = 3000) -> None:
        """Stop refreshing, drop tasks not started yet, wait for the running one (a request in
        flight is bounded by the HTTP timeout). Safe to call twice."""
        self._jobs.close()
        self._timer.stop()
        self._pool.clear()
        self._pool.waitForDone(timeout_ms)

    # ------------------------------------------------------------------ status
    def refresh(self) -> None:
        if self._refreshing or self._jobs.closed:
            return
        self._refreshing = True
        store = self.store
        token_text = self._token_text

        def work() -> tuple[Any, str]:
            from ..core.upload import exporter

            worker = exporter.get_worker(store.data_dir)
            status = exporter.upload_status(store, worker)
            if (
                (status.upload_enabled or status.deletion_pending)
                and _autostart_worker()
                and (worker is None or not worker.running)
            ):
                worker = exporter.ensure_worker(store)
                status = exporter.upload_status(store, worker)
            # The keyring is asked once and after token actions, not on every tick.
            return status, token_text or upload_settings.token_state(store.data_dir)

        def done(result: tuple[Any, str]) -> None:
            self._apply(*result)

        self._run(work, done, refresh=True)

    def _apply(self, status: Any, token_text: str) -> None:
        self.status = status
        self._token_text = token_text
        self.enabled_box.setChecked(status.upload_enabled)
        if not self.endpoint_edit.hasFocus() and not self.endpoint_edit.text():
            saved = self.state.document.upload.endpoint if self.state.document else None
            self.endpoint_edit.setText(saved or "")
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
        if token_text in ("set", "not set"):
            self.token_note.setText(f"Token {token_text} (stored in the system keyring).")
            self.token_save.setEnabled(True)
            self.token_clear.setEnabled(token_text == "set")
        else:
            self.token_note.setText(token_text)
            self.token_save.setEnabled(False)
            self.token_clear.setEnabled(False)
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
        self.send_button.setEnabled(status.upload_enabled or bool(status.deletion_pending))
        self.history_model.set_entries(status.history)
        self.status_changed.emit(status)

    # ------------------------------------------------------------------ actions
    def _on_switch(self, checked: bool) -> None:
        store = self.store
        endpoint = self.endpoint_edit.text().strip() or None
        if checked:

            def work() -> str:
                upload_settings.enable_upload(store, endpoint, actor="gui")
                return "Upload is on."

        else:

            def work() -> str:
                dropped = upload_settings.disable_upload(store, actor="gui")
                return f"Upload is off; {dropped:,} unsent records were discarded."

        self._run(work, self._done)

    def _on_save_token(self) -> None:
        token = self.token_edit.text()
        self.token_edit.clear()  # never kept in the widget longer than needed
        store = self.store

        def work() -> str:
            upload_settings.set_token(store, token, actor="gui")
            return "Token saved in the system keyring."

        self._run(work, self._done)

    def _on_clear_token(self) -> None:
        store = self.store

        def work() -> str:
            had = upload_settings.clear_token(store, actor="gui")
            return "Token removed." if had else "No token was stored."

        self._run(work, self._done)

    def send_now(self) -> None:
        """Returns at once; the request runs on the page's pool (or the running worker).

        Every way of sending goes through the data folder's sender lock, so pressing this while
        a host app's worker (or `upload send-now`) is sending says so instead of sending the
        same records a second time."""
        store = self.store
        self.message_label.setText("Sending…")

        def work() -> str:
            from ..core.upload import exporter

            busy = exporter.SENDER_BUSY_MESSAGE
            busy = busy[:1].upper() + busy[1:] + "."
            worker = exporter.get_worker(store.data_dir)
            if worker is not None and worker.running:
                if not worker.is_sender:  # ours waits for the lock another program holds
                    return busy
                worker.request_send_now()
                return "Sending now."
            try:
                entries = exporter.send_now(store)
            except exporter.SenderBusyError:
                return busy
            if not entries:
                return "Nothing was sent (nothing queued, or upload is off)."
            records = sum(e.records for e in entries if e.outcome in ("delivered", "partial"))
            failed = [e for e in entries if e.outcome not in ("delivered", "partial")]
            text = f"Sent {records:,} records in {len(entries)} request(s)."
            if failed:
                text += f" Last problem: {failed[-1].message}"
            return text

        self._run(work, self._done)

    def preview(self) -> None:
        store = self.store

        def work() -> str:
            from ..core.upload import exporter

            preview = exporter.preview_next_batch(store)
            if preview.kind == "nothing":
                return preview.note
            lines = [f"POST {preview.url}"]
            lines += [f"{name}: {value}" for name, value in preview.headers.items()]
            what = (
                "the deletion request"
                if preview.kind == "deletion_request"
                else f"{preview.records} records"
            )
            lines += ["", f"# {what}, decoded from the OTLP request (protobuf on the wire)"]
            if preview.note:
                lines.append(f"# {preview.note}")
            lines.append(preview.body_json)
            return "\n".join(lines)

        def done(text: str) -> None:
            self.preview_text.setPlainText(text)
            self.preview_ready.emit(text)

        self._run(work, done)

    def _done(self, message: str) -> None:
        self._token_text = None  # re-read after any action (token set/clear among them)
        self.message_label.setText(message)
        self.action_finished.emit(message)
        self.state.reload(force=True)
        self.refresh()
