"""The first-run question, asked only while no decision is on record.

Both answers are equally easy: same size, same style, neither is the default button and neither
has the focus, so Enter or Space cannot pick one by accident. The focus and the default are on
the one choice that decides nothing, "What exactly is collected…": a real push button (a flat one
draws no focus ring in most styles, so a keyboard user could not see where they were), and Enter
opens the details. Closing the dialog decides nothing; the app asks again next time.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..core.consent import collection_text
from ..core.i18n import active_language, tr
from .a11y import enter_clicks_focused
from .widgets import heading

__all__ = ["FirstRunDialog"]

#: Languages whose nouns keep their capital inside a sentence ("Ihr Name", "Passwörter").
_CAPITALISED = ("de",)


def _in_sentence(item: str) -> str:
    """A list item as the middle of a sentence: "Your name…" -> "your name…" (not in German)."""
    return item if active_language() in _CAPITALISED else item[:1].lower() + item[1:]


class FirstRunDialog(QDialog):
    decided = Signal(bool)  # True: allow, False: don't allow
    details_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Help improve PEFT Studio?"))
        self.setAccessibleName(tr("Telemetry choice"))
        self.choice: bool | None = None
        text = collection_text()
        layout = QVBoxLayout(self)
        layout.addWidget(heading(tr("Share anonymous telemetry?")))
        intro = QLabel(
            tr(
                "PEFT Studio can record which features you use, errors, timings and basic system "
                "information, on this computer only, with personal details removed before "
                "anything is written. Nothing is recorded, and no identifier is made, unless you "
                "allow it; you can change your mind at any time on the Privacy page."
            )
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        # Translators: what separates the items of a list inside a sentence ("a; b; c")
        separator = tr("; ")
        items = separator.join(_in_sentence(tr(item)) for item in text.never_collected[:3])
        # Translators: {items} is a list of texts separated by "; " (from what is never collected)
        never = QLabel(tr("Never collected: {items}.").format(items=items) if items else "")
        never.setWordWrap(True)
        layout.addWidget(never)
        self.details_button = QPushButton(tr("What exactly is collected…"))
        self.details_button.setAccessibleName(tr("What exactly is collected"))
        self.details_button.setAccessibleDescription(
            tr("Opens the Privacy page, which lists it; decides nothing")
        )
        self.details_button.setAutoDefault(True)
        self.details_button.setDefault(True)  # Enter: the neutral choice, never an answer
        self.details_button.clicked.connect(self._on_details)
        layout.addWidget(self.details_button, 0, Qt.AlignmentFlag.AlignLeft)

        buttons = QHBoxLayout()
        # Translators: the answer to "Share anonymous telemetry?"
        self.allow_button = QPushButton(tr("Allow"))
        # Translators: the answer to "Share anonymous telemetry?"
        self.deny_button = QPushButton(tr("Don't allow"))
        self.allow_button.setAccessibleName(tr("Allow telemetry"))
        self.deny_button.setAccessibleName(tr("Don't allow telemetry"))
        self.allow_button.setAccessibleDescription(
            tr("Records on this computer only; change it later")
        )
        self.deny_button.setAccessibleDescription(tr("Nothing is recorded; change it later"))
        width = max(self.allow_button.sizeHint().width(), self.deny_button.sizeHint().width())
        buttons.addStretch(1)
        for button in (self.deny_button, self.allow_button):
            button.setAutoDefault(False)
            button.setDefault(False)
            button.setFixedWidth(max(width, 160))  # identical size, whatever the label length
            buttons.addWidget(button)
        buttons.addStretch(1)
        self.allow_button.clicked.connect(lambda: self._choose(True))
        self.deny_button.clicked.connect(lambda: self._choose(False))
        layout.addLayout(buttons)
        # Tab goes as the eye reads, left to right: neither answer is reached first by design.
        QWidget.setTabOrder(self.details_button, self.deny_button)
        QWidget.setTabOrder(self.deny_button, self.allow_button)
        self.setMinimumWidth(480)

    def showEvent(self, event: object) -> None:
        super().showEvent(event)
        # No answer pre-selected: the focus starts on the neutral "details" button.
        self.details_button.setFocus(Qt.FocusReason.OtherFocusReason)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Enter does what the focus ring shows: the focused button (an answer only once the
        user moved there), else the default, the details. The answers stay non-auto-default
        so neither ever looks pre-selected."""
        if not enter_clicks_focused(self, event):
            super().keyPressEvent(event)  # Escape: closed, nothing decided

    def _choose(self, accepted: bool) -> None:
        self.choice = accepted
        self.decided.emit(accepted)
        self.accept()

    def _on_details(self) -> None:
        self.details_requested.emit()
        self.reject()
