"""The Events page's detail pane: the selected event raw (as stored) or readable (labelled
fields and what the event is for), the search text highlighted, and Copy JSON.

Only ever one event: everything here is per selection, never per stored event. The text comes
from `core.event_view` (Qt-free, shared with the CLI); this widget only shows it.
"""

from __future__ import annotations

import json
from typing import Literal

from PySide6.QtCore import Signal
from PySide6.QtGui import (
    QColor,
    QFontDatabase,
    QGuiApplication,
    QPalette,
    QTextCharFormat,
    QTextCursor,
)
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QStackedWidget,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from ..core.event_view import Explanation, readable_text
from ..core.i18n import N_, tr
from ..core.models import Event

__all__ = ["MAX_HIGHLIGHTS", "EventDetail", "ViewMode"]

ViewMode = Literal["raw", "readable"]
#: Highlights per view: a one-letter search in a long stack must not cost a frame per key.
MAX_HIGHLIGHTS = 500

#: In English (N_): shown translated.
_TITLES = {
    "raw": N_("Selected event, exactly as stored:"),
    "readable": N_("Selected event, in words:"),
}


def _view(name: str, fixed: bool) -> QPlainTextEdit:
    view = QPlainTextEdit()
    view.setReadOnly(True)
    view.setAccessibleName(name)
    if fixed:
        view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
    else:
        view.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
    return view


class EventDetail(QWidget):
    """Raw or readable view of one event; `show_event` and `clear` are all the page calls."""

    #: "raw" or "readable": the user switched views (the readable one needs the explanations)
    mode_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._event: Event | None = None
        self._json = ""
        self._readable = ""
        self._needle = ""
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        top = QHBoxLayout()
        self.title = QLabel(tr(_TITLES["raw"]))
        top.addWidget(self.title, 1)
        # Translators: a view of the selected event: its fields labelled, in words
        self.readable_button = QPushButton(tr("Readable"))
        self.raw_button = QPushButton(tr("Raw JSON"))
        self._modes = QButtonGroup(self)
        for button, mode, tip in (
            (self.readable_button, "readable", tr("Labelled fields and what the event is for")),
            (self.raw_button, "raw", tr("The record exactly as the store holds it")),
        ):
            button.setCheckable(True)
            button.setToolTip(tip)
            name = tr("Show the selected event: {view}").format(view=button.text())
            button.setAccessibleName(name)
            button.clicked.connect(lambda _=False, m=mode: self.set_mode(m))
            self._modes.addButton(button)
            top.addWidget(button)
        self.copy_button = QPushButton(tr("Copy JSON"))
        self.copy_button.setToolTip(
            tr("Copy the selected event's stored record (Ctrl+C in the table)")
        )
        self.copy_button.setAccessibleName(tr("Copy JSON of the selected event"))
        self.copy_button.clicked.connect(self.copy_json)
        top.addWidget(self.copy_button)
        layout.addLayout(top)

        self.raw = _view(tr("Selected event as stored"), fixed=True)
        self.raw.setPlaceholderText(tr("Select an event to see its stored record."))
        self.readable = _view(tr("Selected event in words"), fixed=False)
        self.readable.setPlaceholderText(tr("Select an event to see what it says and why."))
        self.stack = QStackedWidget()
        self.stack.addWidget(self.raw)
        self.stack.addWidget(self.readable)
        layout.addWidget(self.stack, 1)
        self.set_mode("raw")
        self.clear()

    # ----------------------------------------------------------------- state
    @property
    def mode(self) -> ViewMode:
        return "readable" if self.stack.currentWidget() is self.readable else "raw"

    @property
    def event(self) -> Event | None:
        return self._event

    def set_mode(self, mode: ViewMode) -> None:
        changed = mode != self.mode
        self.stack.setCurrentWidget(self.readable if mode == "readable" else self.raw)
        (self.readable_button if mode == "readable" else self.raw_button).setChecked(True)
        self.title.setText(tr(_TITLES[mode]))
        if changed:
            self.mode_changed.emit(mode)

    def show_event(self, event: Event, explanation: Explanation, upload: str | None = None) -> None:
        """Show `event`; the same text again (a reload that kept the selection) is left as it
        is, so the pane does not jump back to its top every time the store changes."""
        raw = json.dumps(event.stored_dict(), indent=2, ensure_ascii=False)
        readable = readable_text(event, explanation, upload)
        self._event = event
        self.copy_button.setEnabled(True)
        if raw == self._json and readable == self._readable:
            return
        self._json, self._readable = raw, readable
        self.raw.setPlainText(raw)
        self.readable.setPlainText(readable)
        self._highlight()

    def clear(self) -> None:
        self._event = None
        self._json = self._readable = ""
        self.raw.setPlainText("")
        self.readable.setPlainText("")
        self.copy_button.setEnabled(False)

    def set_needle(self, needle: str) -> None:
        """The search text to highlight (already lower-case and stripped, as the filter uses it)."""
        if needle != self._needle:
            self._needle = needle
            self._highlight()

    def highlighted(self, view: QPlainTextEdit) -> list[str]:
        """The highlighted passages of `view`, as shown (for tests and screen-reader checks)."""
        return [s.cursor.selectedText() for s in view.extraSelections()]

    # ----------------------------------------------------------------- actions
    def copy_json(self) -> bool:
        """The selected event's stored record to the clipboard; False when none is selected."""
        if self._event is None:
            return False
        QGuiApplication.clipboard().setText(self._json)
        return True

    def _highlight(self) -> None:
        for view in (self.raw, self.readable):
            view.setExtraSelections(self._matches(view) if self._needle else [])

    def _matches(self, view: QPlainTextEdit) -> list[QTextEdit.ExtraSelection]:
        # QTextDocument.find: case-insensitive, in the document's own (UTF-16) positions.
        background = QColor(self.palette().color(QPalette.ColorRole.Highlight))
        background.setAlpha(110)
        look = QTextCharFormat()
        look.setBackground(background)
        doc, found = view.document(), []
        cursor = QTextCursor(doc)
        while len(found) < MAX_HIGHLIGHTS:
            cursor = doc.find(self._needle, cursor)
            if cursor.isNull():
                break
            selection = QTextEdit.ExtraSelection()
            selection.cursor = cursor
            selection.format = look
            found.append(selection)
        return found
