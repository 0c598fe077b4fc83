"""The Events table view: a `QTableView` whose Copy (Ctrl+C) copies the selected event's JSON.

Qt's own Copy puts the current cell's text on the clipboard, which for a log row is a time or a
summary cut short; what a user copying an event wants is the record itself.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import QTableView, QWidget

__all__ = ["EventsTable"]


class EventsTable(QTableView):
    #: the platform's Copy keys were pressed in the table (the page copies the selected event)
    copy_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.matches(QKeySequence.StandardKey.Copy):
            self.copy_requested.emit()
            event.accept()
            return
        super().keyPressEvent(event)
