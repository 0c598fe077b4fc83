"""The re-consent review: what an app added to the collection since the user said yes.

Shown while consent is on and something is pending (`core/review.py`): the additions and the
removals in words, from the catalogue descriptions, and two equal choices. "Allow the
additions" accepts the current text through `AppState` (one write, on the write pool); "Not
now" keeps the additions unrecorded and is not asked again for the same set in this run.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent, QShowEvent
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ..core.i18n import tr
from ..core.models import StoreDocument
from ..core.review import Review, review
from .a11y import enter_clicks_focused
from .state import AppState
from .widgets import heading

__all__ = ["ReviewDialog", "ReviewPrompt"]


def _plain(text: str) -> QLabel:
    """Descriptions are typed by an app: shown as typed, never as markup."""
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    return label


def _without_description(words: str) -> str:
    """ "PEFT Studio: export_done (Usage): no longer collected" without its last part (what
    the heading above says already); the space a French colon takes before it goes too."""
    return words.rpartition(": ")[0].rstrip("\u00a0\u202f ") or words


class ReviewDialog(QDialog):
    answered = Signal(bool)  # True: allow the additions, False: not now

    def __init__(self, changes: Review, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.changes = changes
        self.choice: bool | None = None
        self.setWindowTitle(tr("What is collected has changed"))
        self.setAccessibleName(tr("Review what is collected"))
        layout = QVBoxLayout(self)
        layout.addWidget(heading(tr("An app wants to record more")))
        layout.addWidget(
            _plain(
                tr(
                    "Since you allowed telemetry, an app declared more to record. Nothing of it "
                    "is recorded until you allow it; everything you allowed before continues."
                )
            )
        )
        added = [f"• {item.words()}" for item in changes.added]
        # Translators: the heading of a list of what an app added to what it records
        self.added_label = _plain("\n".join([tr("Added:"), *added]))
        layout.addWidget(self.added_label)
        removed = [f"• {_without_description(item.words())}" for item in changes.removed]
        # Translators: the heading of a list of what an app no longer records
        self.removed_label = _plain("\n".join([tr("No longer collected:"), *removed]))
        self.removed_label.setVisible(bool(changes.removed))
        layout.addWidget(self.removed_label)
        buttons = QHBoxLayout()
        self.allow_button = QPushButton(tr("Allow the additions"))
        # Translators: the answer to "An app wants to record more": decide later
        self.later_button = QPushButton(tr("Not now"))
        width = max(self.allow_button.sizeHint().width(), self.later_button.sizeHint().width())
        buttons.addStretch(1)
        for button in (self.later_button, self.allow_button):
            button.setAutoDefault(False)
            button.setDefault(False)
            button.setFixedWidth(max(width, 180))  # equal choices: same size, neither default
            buttons.addWidget(button)
        buttons.addStretch(1)
        self.allow_button.setAccessibleDescription(tr("Records the additions listed above too"))
        self.later_button.setAccessibleDescription(
            tr("Keeps the additions unrecorded; not asked again until the app restarts")
        )
        self.allow_button.clicked.connect(lambda: self._answer(True))
        self.later_button.clicked.connect(lambda: self._answer(False))
        layout.addLayout(buttons)
        QWidget.setTabOrder(self.later_button, self.allow_button)  # left to right
        self.setMinimumWidth(520)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        # The focus starts on the answer that adds nothing: Enter there cannot widen consent.
        self.later_button.setFocus(Qt.FocusReason.OtherFocusReason)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Enter answers with the focused button (the answers are not auto-default, so
        without this Enter did nothing); Escape closes, which counts as "Not now"."""
        if not enter_clicks_focused(self, event):
            super().keyPressEvent(event)

    def _answer(self, allow: bool) -> None:
        self.choice = allow
        self.answered.emit(allow)
        self.accept()


class ReviewPrompt(QObject):
    """Asks when the document shows a pending set not yet answered in this run."""

    def __init__(self, state: AppState, parent: QWidget) -> None:
        super().__init__(parent)
        self._state = state
        self._window = parent
        self._declined: set[tuple[tuple[str, str, str], ...]] = set()
        self.dialog: ReviewDialog | None = None
        state.document_changed.connect(self._on_document_changed)

    def _on_document_changed(self, doc: StoreDocument) -> None:
        consent = doc.consent
        changes = review(doc) if consent.decided and consent.enabled else Review()
        key = changes.key()
        if self.dialog is not None and self.dialog.changes.key() != key:
            self.dialog.close()  # answered elsewhere, or it changed again: ask afresh
            self.dialog = None
        if not key or key in self._declined or self.dialog is not None:
            return
        dialog = ReviewDialog(changes, self._window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.answered.connect(lambda allow: self._on_answered(key, allow))
        dialog.finished.connect(lambda _r: self._forget(dialog, key))
        self.dialog = dialog
        dialog.open()

    def _forget(self, dialog: ReviewDialog, key: tuple[tuple[str, str, str], ...]) -> None:
        if dialog.choice is None:  # closed without an answer: the same as "Not now"
            self._declined.add(key)
        if self.dialog is dialog:
            self.dialog = None

    def _on_answered(self, key: tuple[tuple[str, str, str], ...], allow: bool) -> None:
        if allow:
            self._state.accept_review()
        else:
            self._declined.add(key)
