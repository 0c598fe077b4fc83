"""The Events page's "Watch from now": only what is recorded from this moment on, live.

For a user who wants to see what one action in a host app records (chrome://histograms'
monitoring mode): press it, do the thing in the host app, and the table shows exactly what
arrived since, as it arrives. The mark is kept across reloads and page switches, and one click
clears it. It only bounds the time the filter already checks (`FilterSpec.since`).
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from ..core.clock import Clock
from ..core.i18n import tr
from .table_models import format_time

__all__ = ["WatchBar", "later_of"]


def later_of(a: datetime | None, b: datetime | None) -> datetime | None:
    """The tighter of two lower bounds (None: open)."""
    if a is None or b is None:
        return a if b is None else b
    return max(a, b)


class WatchBar(QWidget):
    changed = Signal()

    def __init__(self, clock: Clock, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._clock = clock
        self.since: datetime | None = None
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.button = QPushButton(tr("Watch from now"))
        self.button.setCheckable(True)
        self.button.setAccessibleName(tr("Watch from now"))
        self.button.setAccessibleDescription(
            tr("Show only the events recorded from now on, as they arrive; press again to stop")
        )
        self.button.setToolTip(tr("Show only what is recorded from this moment on, live"))
        self.button.toggled.connect(self._on_toggled)
        layout.addWidget(self.button)
        self.label = QLabel()
        self.label.setAccessibleName(tr("Watching since"))
        self.label.setVisible(False)
        layout.addWidget(self.label)

    def clear(self) -> None:
        self.button.setChecked(False)

    def _on_toggled(self, on: bool) -> None:
        self.since = self._clock() if on else None
        self.button.setText(tr("Stop watching") if on else tr("Watch from now"))
        if self.since is not None:
            since = format_time(self.since)
            self.label.setText(tr("Only what is recorded since {time}").format(time=since))
        self.label.setVisible(on)
        self.changed.emit()
