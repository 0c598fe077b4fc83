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
    QScrollArea,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ..core.i18n import N_, tr, trn
from .a11y import ReadablePlaceholder
from .state import AppState
from .table_models import HistoryTableModel, format_time
from .upload_model import sentence
from .widgets import heading, setup_table

if TYPE_CHECKING:
    from ..core.models import StoreDocument
    from .upload_model import UploadStatus

__all__ = ["HistoryTableModel", "UploadPage"]

#: Next to the switch while it cannot be used: why, and where to change that.
TELEMETRY_OFF_NOTE = N_(
    "Telemetry is off, so there is nothing to send. To use upload, first turn on "
    "\u201cRecord anonymous telemetry\u201d on the Privacy page."
)
ENDPOINT_HINT = N_("Use https; plain http is allowed only to this computer (localhost).")
#: What the switch does, read out with it while no note beside it says more.
SWITCH_DESCRIPTION = N_("Also sends what is recorded here to the collector below; off by default.")

#: Why records were dropped, as the "Not sent (dropped):" line says it after each count.
_DROP_WORDS = {
    "full": N_("queue full"),
    "expired": N_("older than 7 days"),
    "rejected": N_("refused by the collector"),
    "too_large": N_("too large"),
}


class UploadPage(QWidget):
    title = N_("Upload")

    #: Emitted on the GUI thread once a status refresh is shown (tests and the app listen).
    status_changed = Signal(object)  # UploadStatus
    preview_ready = Signal(str)
    action_finished = Signal(str)  # what was done (or why it failed), in words

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.model = model = state.upload

        # Scrolls rather than forcing the window taller: at 800x600 (or large text) the two
        # boxes and the history need more height than there is.
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.scroll.setAccessibleName(tr("Upload page"))
        self.scroll.setAccessibleDescription(tr("Where data goes, what was sent and when"))
        outer.addWidget(self.scroll)
        body = QWidget()
        self.scroll.setWidget(body)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.addWidget(heading(tr("Upload")))
        intro = QLabel(
            tr(
                "Optional: also send the events recorded on this computer to your team's "
                "OpenTelemetry collector. Off unless you switch it on; turning it off (or turning "
                "telemetry off) discards anything not yet sent."
            )
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)

        # --- settings
        settings_box = QGroupBox(tr("Destination"))
        form = QFormLayout(settings_box)
        self.enabled_box = QCheckBox(tr("Send telemetry to this &collector"))
        self.enabled_box.setAccessibleName(tr("Send telemetry to this collector"))
        self.enabled_box.setEnabled(False)  # until the store says telemetry is on
        self.enabled_box.clicked.connect(self._on_switch)
        self.switch_note = QLabel("")
        self.switch_note.setWordWrap(True)
        self.switch_note.setAccessibleName(tr("Upload switch note"))
        self.endpoint_edit = QLineEdit()
        self.endpoint_edit.setPlaceholderText("https://collector.example.com")
        self.endpoint_edit.setAccessibleName(tr("Collector endpoint"))
        ReadablePlaceholder(self.endpoint_edit)
        self.endpoint_edit.textEdited.connect(self._on_endpoint_edited)
        self.endpoint_note = QLabel("")
        self.endpoint_note.setWordWrap(True)
        self.endpoint_note.setAccessibleName(tr("Endpoint note"))
        form.addRow(self.enabled_box)
        form.addRow(self.switch_note)
        form.addRow(tr("&Endpoint:"), self.endpoint_edit)  # the label is the field's buddy
        form.addRow("", self.endpoint_note)
        self.token_edit = QLineEdit()
        self.token_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.token_edit.setPlaceholderText(tr("paste a token (kept in the system keyring)"))
        self.token_edit.setAccessibleName(tr("Upload token"))
        ReadablePlaceholder(self.token_edit)
        self.token_save = QPushButton(tr("Save to&ken"))
        self.token_save.setAccessibleDescription(tr("Keeps the token in the system keyring"))
        self.token_save.clicked.connect(self._on_save_token)
        self.token_clear = QPushButton(tr("C&lear token"))
        self.token_clear.setAccessibleDescription(tr("Removes the token from the system keyring"))
        self.token_clear.clicked.connect(self._on_clear_token)
        token_row = QHBoxLayout()
        token_row.addWidget(self.token_edit, 1)
        token_row.addWidget(self.token_save)
        token_row.addWidget(self.token_clear)
        token_label = QLabel(tr("&Token:"))
        token_label.setBuddy(self.token_edit)
        form.addRow(token_label, token_row)
        self.token_note = QLabel("")
        self.token_note.setWordWrap(True)
        self.token_note.setAccessibleName(tr("Token note"))
        # Refusals, kept beside their control until the user acts there again: a refresh
        # (every second) must not wipe the one sentence that says what went wrong.
        self._switch_notice = ""
        self._switch_notice_ok = False
        self._endpoint_error = ""
        self._token_error = ""
        self._token_text = ""
        form.addRow("", self.token_note)
        layout.addWidget(settings_box)

        # --- status
        status_box = QGroupBox(tr("Status"))
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
            (tr("State:"), self.state_label),
            (tr("Waiting to be sent:"), self.queued_label),
            (tr("Not sent (dropped):"), self.drops_label),
            (tr("Last delivered:"), self.success_label),
            (tr("Last problem:"), self.error_label),
        ):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            status_form.addRow(text, label)
        buttons = QHBoxLayout()
        self.send_button = QPushButton(tr("&Send now"))
        self.send_button.setAccessibleDescription(
            tr("Sends what is waiting without waiting longer")
        )
        self.send_button.clicked.connect(self.send_now)
        self.preview_button = QPushButton(tr("&Preview next batch"))
        self.preview_button.setAccessibleDescription(
            tr("Shows below exactly what would be sent next; sends nothing")
        )
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
        setup_table(self.history_view, tr("Upload history"))
        self.history_view.setAccessibleDescription(
            tr("One row per request, newest first: when, what, records, bytes, HTTP status, result")
        )
        self.history_view.horizontalHeader().setStretchLastSection(True)
        self.preview_text = QPlainTextEdit()
        self.preview_text.setReadOnly(True)
        self.preview_text.setAccessibleName(tr("Preview of the next upload"))
        self.preview_text.setAccessibleDescription(
            tr("Read only; empty until you ask for a preview")
        )
        self.preview_text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.preview_text.setPlaceholderText(
            tr("Press “Preview next batch” to see exactly what would be sent, before it is sent.")
        )
        splitter.addWidget(self.history_view)
        splitter.addWidget(self.preview_text)
        layout.addWidget(splitter, 1)

        # Bound slots only: Qt drops these connections when the page dies, while the model
        # (owned by the state) lives on. A lambda here would outlive the page.
        model.status_changed.connect(self._on_status_changed)
        model.token_state_changed.connect(self._on_token_state_changed)
        model.message.connect(self._on_message)
        model.notice.connect(self._on_notice)
        state.document_changed.connect(self._on_document_changed)
        model.preview_ready.connect(self._on_preview_ready)
        if model.token_state is not None:
            self._on_token_state_changed(model.token_state)
        if model.status is not None:
            self._on_status_changed(model.status)
        self._show_switch()

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
        self._switch_notice = ""
        self.model.set_enabled(checked, self.endpoint_edit.text().strip() or None)

    def _on_endpoint_edited(self, _text: str) -> None:
        if self._endpoint_error:  # the refused text is gone: so is the refusal
            self._endpoint_error = ""
            self._show_endpoint()

    def _on_save_token(self) -> None:
        self._token_error = ""
        token = self.token_edit.text()
        self.token_edit.clear()  # never kept in the widget longer than needed
        self.model.save_token(token)

    def _on_clear_token(self) -> None:
        self._token_error = ""
        self.model.clear_token()

    def send_now(self) -> None:
        """Returns at once; `action_finished` says what happened."""
        self.message_label.setText(tr("Sending…"))
        self.model.send_now()

    def preview(self) -> None:
        self.model.preview()

    # ------------------------------------------------------------------ formatting
    def _on_message(self, text: str) -> None:
        self.action_finished.emit(text)  # where it is shown is `_on_notice`'s business

    def _on_notice(self, topic: str, text: str, ok: bool) -> None:
        """Each outcome beside what it is about: the switch, the endpoint field, the token
        row, or (Send now, a failed read) the Status box."""
        if topic == "endpoint":
            self._endpoint_error = text
            self._show_endpoint()
        elif topic == "switch":
            self._switch_notice, self._switch_notice_ok = text, ok
            if ok:  # the endpoint was accepted with the switch
                self._endpoint_error = ""
                self._show_endpoint()
            self._show_switch()
        elif topic == "token":
            self._token_error = "" if ok else text
            self._show_token()
        else:
            self.message_label.setText(text)

    def _on_document_changed(self, _doc: StoreDocument) -> None:
        self._show_switch()

    def _show_switch(self) -> None:
        """Offered only while telemetry is on (upload sends what is recorded with consent);
        a switch already on can always be turned off."""
        telemetry_on = self.model.telemetry_on
        checked = self.enabled_box.isChecked()
        self.enabled_box.setEnabled(bool(telemetry_on) or checked)
        off_note = tr(TELEMETRY_OFF_NOTE) if telemetry_on is False and not checked else ""
        # "Upload is on." is stale once telemetry went off; a refusal still says why.
        notice = "" if off_note and self._switch_notice_ok else self._switch_notice
        self.switch_note.setText(" ".join(t for t in (notice, off_note) if t))
        self.switch_note.setVisible(bool(self.switch_note.text()))
        # Heard on the switch itself, greyed or not: why it is off, or what went wrong.
        self.enabled_box.setAccessibleDescription(self.switch_note.text() or tr(SWITCH_DESCRIPTION))

    def _show_endpoint(self) -> None:
        status = self.model.status
        if self._endpoint_error:
            text = self._endpoint_error
        elif status is not None and status.endpoint_source not in (None, "", "settings"):
            text = tr(
                "Sending to {endpoint} (set by {source}, which overrides the field above)."
            ).format(endpoint=status.endpoint, source=status.endpoint_source)
        elif status is not None and status.endpoint_problem:
            text = sentence(status.endpoint_problem)
        else:
            text = tr(ENDPOINT_HINT)
        self.endpoint_note.setText(text)
        self.endpoint_edit.setAccessibleDescription(text)

    def _show_token(self) -> None:
        parts = dict.fromkeys(t for t in (self._token_error, self._token_text) if t)
        self.token_note.setText(" ".join(parts))  # a refusal that is the state is said once
        self.token_edit.setAccessibleDescription(self.token_note.text())

    def _on_preview_ready(self, text: str) -> None:
        self.preview_text.setPlainText(text)
        self.preview_ready.emit(text)

    def _on_token_state_changed(self, token_state: str) -> None:
        if token_state == "set":
            self._token_text = tr("A token is set (kept in the system keyring).")
        elif token_state == "not set":
            self._token_text = tr(
                "No token is set. A token you save is kept in the system keyring."
            )
        else:  # why the keyring cannot be used (the model's NO_KEYRING_NOTE until a save)
            self._token_text = token_state
        usable = token_state in ("set", "not set")
        self.token_save.setEnabled(usable)
        self.token_clear.setEnabled(token_state == "set")
        self.token_edit.setEnabled(usable)
        self._show_token()

    def _on_status_changed(self, status: UploadStatus) -> None:
        self.enabled_box.setChecked(status.upload_enabled)
        self._show_switch()
        if not self.endpoint_edit.hasFocus() and not self.endpoint_edit.text():
            self.endpoint_edit.setText(self.model.saved_endpoint or "")
        self._show_endpoint()
        self.state_label.setText(status.describe())
        size = status.queued_bytes / 1024
        self.queued_label.setText(
            trn(
                "{count:,} record ({size:,.1f} KiB)",
                "{count:,} records ({size:,.1f} KiB)",
                status.queued,
            ).format(count=status.queued, size=size)
        )
        # Translators: the Upload page's answer to "Not sent (dropped):" and "Last problem:"
        none = tr("none")
        if status.drops_total:
            parts = ", ".join(
                f"{n:,} {tr(_DROP_WORDS[reason]) if reason in _DROP_WORDS else reason}"
                for reason, n in status.drops.items()
            )
            self.drops_label.setText(
                trn(
                    "{count:,} record: {reasons}",
                    "{count:,} records: {reasons}",
                    status.drops_total,
                ).format(count=status.drops_total, reasons=parts)
            )
        else:
            self.drops_label.setText(none)
        # Translators: the Upload page's answer to "Last delivered:"
        never = tr("never")
        self.success_label.setText(format_time(status.last_success) or never)
        if status.last_error and (
            status.last_success is None
            or (status.last_error_at is not None and status.last_error_at >= status.last_success)
        ):
            self.error_label.setText(f"{status.last_error} ({format_time(status.last_error_at)})")
        else:
            self.error_label.setText(none)
        self.send_button.setEnabled(self.model.can_send_now)
        self.history_model.set_entries(status.history)
        self.status_changed.emit(status)
