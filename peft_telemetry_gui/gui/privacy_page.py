"""Privacy: what is collected, the switches that decide it, and the user's id and data folder.

The texts come from `resources/collection.json` (the same file `peft-telemetry status` shows);
every switch writes the store through `AppState`, on the worker, with actor "gui"; the limits
box ("Keep at most N raw events and D days", `limits_box`) writes through its own view-model.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ..core.consent import collection_text, env_override, revertible
from ..core.consent_changes import by_write, describe, who
from ..core.event_view import CATEGORY_TITLES, category_title
from ..core.i18n import N_, tr, trn
from ..core.models import CATEGORIES, AuditEntry, StoreDocument
from ..core.redactions import describe_redactions
from ..core.store import StoreAccess
from .a11y import ReadablePlaceholder, chain_tab_order
from .buttons import DestructiveButton
from .catalogue_cards import CatalogueSection
from .limits_box import LimitsBox, LimitsModel
from .scrub_tester import ScrubTesterBox, ScrubTesterModel
from .state import AppState
from .widgets import Banner, heading

__all__ = ["PrivacyPage"]


def _bullets(items: list[str]) -> QLabel:
    """The texts of `resources/collection.json`, each in the user's language."""
    label = QLabel("\n".join(f"•  {tr(item)}" for item in items) or tr("(text unavailable)"))
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class PrivacyPage(QWidget):
    title = N_("Privacy")
    #: The user asked to delete everything; the window runs its one delete flow (confirmation
    #: included), so this button and the sidebar's do exactly the same.
    delete_requested = Signal()

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        text = collection_text()
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        # A Tab stop of its own (the arrow keys scroll the texts, which take no focus).
        scroll.setAccessibleName(tr("Privacy page"))
        scroll.setAccessibleDescription(tr("What is collected, your switches, and your data"))
        self.scroll = scroll
        outer.addWidget(scroll)
        body = QWidget()
        scroll.setWidget(body)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.addWidget(heading(tr("Privacy")))

        self.env_banner = Banner(
            "env_override_banner", dismissable=False, label=tr("Set in the environment")
        )
        layout.addWidget(self.env_banner)
        # What another process (a host app, the CLI) changed, with a way to take it back.
        self.notice = Banner("consent_change_notice", label=tr("Consent changed"))
        self.undo_button = QPushButton(tr("U&ndo"))
        self.undo_button.setAccessibleName(tr("Undo this consent change"))
        self.undo_button.setAccessibleDescription(tr("Puts back the choice you had before it"))
        self.undo_button.clicked.connect(state.undo_consent_notice)
        self.notice.layout().insertWidget(1, self.undo_button, 0, Qt.AlignmentFlag.AlignTop)
        self.notice.dismissed.connect(state.dismiss_consent_notice)
        for banner in (self.env_banner, self.notice):
            banner.details_button.setAccessibleDescription(tr("Shows the technical details"))
            if banner.close_button is not None:
                banner.close_button.setAccessibleDescription(tr("Hides this message"))
        layout.addWidget(self.notice)

        columns = QGridLayout()
        columns.setColumnStretch(0, 1)
        columns.setColumnStretch(1, 1)
        columns.setHorizontalSpacing(16)
        layout.addLayout(columns)

        # -- left: the switches
        switches = QGroupBox(tr("Telemetry on this computer"))
        sw = QVBoxLayout(switches)
        self.master = QCheckBox(tr("&Record anonymous telemetry"))
        self.master.setAccessibleName(tr("Record anonymous telemetry"))
        self.master.setAccessibleDescription(
            tr("Master switch. When off, nothing is recorded, whatever the categories say.")
        )
        self.master.toggled.connect(self._on_master_toggled)
        sw.addWidget(self.master)
        status_row = QHBoxLayout()
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setAccessibleName(tr("Telemetry status"))
        status_row.addWidget(self.status, 1)
        # Withdrawing is as easy as agreeing: what is already stored is removed from right here.
        self.delete_button = DestructiveButton(tr("Delete all…"))
        self.delete_button.setAccessibleName(tr("Delete all stored telemetry data"))
        self.delete_button.setAccessibleDescription(tr("Asks first; it cannot be undone"))
        self.delete_button.clicked.connect(self.delete_requested)
        status_row.addWidget(self.delete_button, 0, Qt.AlignmentFlag.AlignTop)
        sw.addLayout(status_row)
        self.category_boxes: dict[str, QCheckBox] = {}
        for name in CATEGORIES:
            mnemonic = _MNEMONIC_TITLES.get(name)
            box = QCheckBox(tr(mnemonic) if mnemonic else category_title(name))
            sentence = tr(text.categories.get(name, ""))
            box.setAccessibleName(tr("{category} telemetry").format(category=category_title(name)))
            box.setAccessibleDescription(sentence)
            box.toggled.connect(lambda on, n=name: self._on_category_toggled(n, on))
            explain = QLabel(sentence)
            explain.setWordWrap(True)
            explain.setIndent(24)
            explain.setBuddy(box)
            sw.addWidget(box)
            sw.addWidget(explain)
            self.category_boxes[name] = box
        sw.addStretch(1)
        columns.addWidget(switches, 0, 0)

        # -- right: what the switches mean
        facts = QGroupBox(tr("What this means"))
        fl = QVBoxLayout(facts)
        fl.addWidget(heading(tr("What is collected"), 2))
        self.collected = _bullets(text.collected)
        fl.addWidget(self.collected)
        fl.addWidget(heading(tr("What is never collected"), 2))
        self.never_collected = _bullets(text.never_collected)
        fl.addWidget(self.never_collected)
        fl.addWidget(heading(tr("Promises"), 2))
        self.guarantees = _bullets(text.guarantees)
        fl.addWidget(self.guarantees)
        # Not greyed out (disabled text is 1.6:1 in the light theme): it is information.
        version = QLabel(tr("Text version {version}").format(version=text.version))
        fl.addWidget(version)
        fl.addStretch(1)
        columns.addWidget(facts, 0, 1, 2, 1)

        # -- left, below: identity and data
        you = QGroupBox(tr("Your data"))
        yl = QVBoxLayout(you)
        id_label = QLabel(tr("Anonymous &id (random, never derived from this computer):"))
        yl.addWidget(id_label)
        id_row = QHBoxLayout()
        self.anonymous_id = QLineEdit()
        self.anonymous_id.setReadOnly(True)
        self.anonymous_id.setAccessibleName(tr("Anonymous id"))
        id_label.setBuddy(self.anonymous_id)
        id_row.addWidget(self.anonymous_id, 1)
        self.copy_button = QPushButton(tr("&Copy"))
        self.copy_button.setAccessibleName(tr("Copy anonymous id"))
        self.copy_button.setAccessibleDescription(tr("Copies the id to the clipboard"))
        self.copy_button.clicked.connect(self._copy_id)
        self.anonymous_id.setPlaceholderText(tr("None: one is made only when you allow telemetry"))
        self.anonymous_id.setAccessibleDescription(
            tr("Random, never derived from this computer; none until you allow telemetry")
        )
        ReadablePlaceholder(self.anonymous_id)
        id_row.addWidget(self.copy_button)
        self.reset_button = QPushButton(tr("Rese&t"))
        self.reset_button.setAccessibleName(tr("Reset anonymous id"))
        self.reset_button.setToolTip(
            tr("Start a new random id; data before and after can't be linked")
        )
        self.reset_button.clicked.connect(self.state.reset_anonymous_id)
        id_row.addWidget(self.reset_button)
        yl.addLayout(id_row)
        dir_label = QLabel(tr("Data folder:"))
        yl.addWidget(dir_label)
        dir_row = QHBoxLayout()
        self.data_dir = QLineEdit(str(state.data_dir))
        self.data_dir.setReadOnly(True)
        self.data_dir.setAccessibleName(tr("Data folder"))
        self.data_dir.setAccessibleDescription(
            tr("Where everything recorded on this computer is kept")
        )
        dir_label.setBuddy(self.data_dir)
        dir_row.addWidget(self.data_dir, 1)
        self.open_button = QPushButton(tr("&Open folder"))
        self.open_button.setAccessibleName(tr("Open folder: the data folder"))
        self.open_button.setAccessibleDescription(tr("Shows the data folder in the file manager"))
        self.open_button.clicked.connect(self._open_folder)
        dir_row.addWidget(self.open_button)
        yl.addLayout(dir_row)
        self.redactions = QLabel()
        self.redactions.setWordWrap(True)
        self.redactions.setAccessibleName(tr("Redaction report"))
        yl.addWidget(self.redactions)
        columns.addWidget(you, 1, 0)
        # Reading order, whatever order the boxes were built in: switches, your data, limits.
        switches_order = [self.master, self.delete_button, *self.category_boxes.values()]
        data_order = [self.anonymous_id, self.copy_button, self.reset_button]
        chain_tab_order([*switches_order, *data_order, self.data_dir, self.open_button])
        # -- below, full width: how many raw events and days the store keeps (every process)
        self.limits = LimitsBox(LimitsModel(state, self))
        layout.addWidget(self.limits)
        # -- below: one card per event each app declared (and the library's own)
        self.declared = CatalogueSection(state, CATEGORY_TITLES)
        layout.addWidget(self.declared)
        # -- last: paste anything and see what the scrubber would remove (nothing is stored)
        self.scrub_tester = ScrubTesterBox(ScrubTesterModel(self))
        layout.addWidget(self.scrub_tester)
        layout.addStretch(1)

        state.document_changed.connect(self._on_document_changed)
        state.busy_changed.connect(self._on_busy_changed)
        state.access_changed.connect(self._on_access_changed)
        state.consent_notice_changed.connect(self._on_consent_notice_changed)
        self._busy = False
        self._refresh_env()
        if state.document is not None:
            self._on_document_changed(state.document)
        self._on_access_changed(state.access)
        self._on_consent_notice_changed(state.consent_notice)

    # ----------------------------------------------------------------- slots
    def stop_own_work(self) -> None:
        """The two boxes with pools of their own: deliver nothing more, let a running job end.
        (Not `shutdown`: the Upload page's stops the state's upload model, which outlives it.)"""
        self.limits.model.shutdown()
        self.scrub_tester.model.shutdown()

    def _refresh_env(self) -> None:
        override = env_override()
        if override:
            self.env_banner.show_message(
                tr(
                    "{variable} is set in this app's environment: nothing is recorded, whatever "
                    "the switches below say. Unset it to let your choices here take effect."
                ).format(variable=override)
            )
        else:
            self.env_banner.hide()

    def _on_document_changed(self, doc: StoreDocument) -> None:
        c = doc.consent
        self.master.blockSignals(True)
        self.master.setChecked(c.enabled)
        self.master.blockSignals(False)
        for name, box in self.category_boxes.items():
            box.blockSignals(True)
            box.setChecked(bool(c.categories.get(name, False)))
            box.blockSignals(False)
        if not c.decided:
            self.status.setText(tr("You have not decided yet: nothing is recorded until you do."))
        elif c.enabled:
            self.status.setText(
                tr("On: the categories ticked below are recorded on this computer.")
            )
        else:
            self.status.setText(_off_text(doc))
        self.delete_button.setVisible(c.decided and not c.enabled)
        self.anonymous_id.setText(doc.anonymous_id)  # empty: the placeholder says "none"
        self.copy_button.setEnabled(bool(doc.anonymous_id))
        self._enable_controls()
        removed = describe_redactions(doc.redactions) if doc.redactions else ""
        self.redactions.setText(
            tr("Removed so far: {removed}.").format(removed=removed)
            if removed
            else tr("Removed so far: nothing yet.")
        )
        self._refresh_env()

    def _on_busy_changed(self, busy: bool) -> None:
        self.master.setToolTip(tr("Saving…") if busy else "")
        self._busy = busy
        self._enable_controls()

    def _on_access_changed(self, _access: StoreAccess) -> None:
        self._enable_controls()  # the window's banner says why

    def _enable_controls(self) -> None:
        """Only what can work is enabled: nothing that writes while the folder cannot be
        written (or the store read), the categories only while telemetry is on."""
        doc, writable = self.state.document, self.state.access.writable
        on = doc is not None and doc.consent.enabled
        self.master.setEnabled(writable)
        for box in self.category_boxes.values():
            box.setEnabled(writable and on)
        self.reset_button.setEnabled(writable and doc is not None and bool(doc.anonymous_id))
        self.delete_button.setEnabled(writable and not self._busy)
        self.limits.setEnabled(writable)

    def _on_consent_notice_changed(self, entries: Sequence[AuditEntry]) -> None:
        if not entries:
            self.notice.hide()
            return
        today = self.state.clock().astimezone().date()
        self.notice.show_message("\n".join(_notice_lines(entries, today)))
        self.undo_button.setVisible(revertible(entries))

    def _on_master_toggled(self, on: bool) -> None:
        for box in self.category_boxes.values():
            box.setEnabled(on)
        self.state.set_enabled(on)

    def _on_category_toggled(self, name: str, on: bool) -> None:
        self.state.set_category(name, on)

    def _copy_id(self) -> None:
        QGuiApplication.clipboard().setText(self.anonymous_id.text())

    def _open_folder(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.state.data_dir)))


#: The categories' switch labels, each with its own Alt key.
_MNEMONIC_TITLES = {
    # Translators: the switch of a telemetry category (which features are used)
    "usage": N_("&Usage"),
    # Translators: the switch of a telemetry category (errors that happened)
    "error": N_("&Errors"),
    # Translators: the switch of a telemetry category (timings of operations)
    "performance": N_("&Performance"),
    # Translators: the switch of a telemetry category (operating system, memory, CPU count)
    "system": N_("&System information"),
}


def _notice_lines(entries: Sequence[AuditEntry], today: date) -> list[str]:
    """One sentence per write: "PEFT Studio turned on Usage at 14:02." (local time)."""
    lines = []
    for group in by_write(entries):
        first = group[0]
        local = first.at.astimezone()
        when = local.strftime("%H:%M" if local.date() == today else "%Y-%m-%d %H:%M")
        words = {"who": who(first), "what": describe(group, category_title), "when": when}
        if first.actor == "cli":
            # Translators: {who} is "You" or an app's name, {what} such as "turned on Usage"
            line = tr("{who} {what} from the command line at {when}.")
        else:
            # Translators: {who} is "You" or an app's name, {what} such as "turned on Usage"
            line = tr("{who} {what} at {when}.")
        lines.append(line.format(**words))
    return lines


def _off_text(doc: StoreDocument) -> str:
    """Withdrawal says what happens to what is already kept (GDPR Art. 7(3))."""
    count = len(doc.events)
    if not count:
        return tr("Off: nothing is recorded. Nothing recorded earlier is stored.")
    # Translators: "Delete all" is the name of the button next to this text
    text = trn(
        "Off: nothing more is recorded. The {n:,} event already stored stays on this computer "
        "until you delete them with Delete all.",
        "Off: nothing more is recorded. The {n:,} events already stored stay on this computer "
        "until you delete them with Delete all.",
        count,
    ).format(n=count)
    if doc.upload.endpoint:
        text += " " + tr("Delete all also asks the collector to erase what was uploaded.")
    return text
