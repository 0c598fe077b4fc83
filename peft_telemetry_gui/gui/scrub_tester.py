"""The Privacy page's "Test the scrubber" box: paste anything, see what would be removed.

The same function as `peft-telemetry scrub` (`core.scrub.explain`). Scrubbing a long paste
takes milliseconds to tens of them, so it runs off the GUI thread, a quarter second after the
last keystroke; each request gets a sequence number and a result that is not the latest is
dropped, so a slow early result can never overwrite a newer one. Nothing typed here is stored:
the text lives in the widget and in the job only, and the tester's scrubber has its own
throwaway key.
"""

from __future__ import annotations

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
from PySide6.QtWidgets import (
    QGroupBox,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ..core.i18n import N_, tr
from ..core.scrub.explain import ScrubExplanation, explain_input, new_tester_scrubber
from ..core.scrub.scrubber import Scrubber
from .jobs import JobRunner
from .widgets import setup_table

__all__ = ["FindingsTableModel", "ScrubTesterBox", "ScrubTesterModel"]

INTRO = N_(
    "Paste an event or any text to see what the scrubber removes before anything is stored. "
    "Nothing you type here is saved."
)
EMPTY_TEXT = N_(
    "Nothing to test yet. A JSON object is read as event properties, anything else as text."
)
DEBOUNCE_MS = 250

_Index = QModelIndex | QPersistentModelIndex
_DISPLAY = Qt.ItemDataRole.DisplayRole


class _Tester:
    """Owns the tester's scrubber. Built and used on the model's one pool thread only, so its
    caches are never touched by two threads; not a QObject, so it may die anywhere."""

    def __init__(self) -> None:
        self._scrubber: Scrubber | None = None

    def explain(self, text: str) -> ScrubExplanation:
        if self._scrubber is None:
            self._scrubber = new_tester_scrubber()
        return explain_input(text, self._scrubber)


class ScrubTesterModel(QObject):
    """The latest text typed, and the explanation of it once the worker has one."""

    result_changed = Signal(object)  # ScrubExplanation, or None for an empty input
    busy_changed = Signal(bool)  # a result for the latest text is on its way
    error = Signal(str)

    def __init__(self, parent: QObject | None = None, *, debounce_ms: int = DEBOUNCE_MS) -> None:
        super().__init__(parent)
        self.result: ScrubExplanation | None = None
        self.busy = False
        self._text = ""
        self._seq = 0  # bumped by every new text: only a job started for the latest counts
        self._tester = _Tester()
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._jobs = JobRunner(self, on_error=self._on_job_error, user_errors=())
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(debounce_ms)
        self._timer.timeout.connect(self.flush)

    @property
    def text(self) -> str:
        return self._text

    def set_text(self, text: str) -> None:
        """A new input: forget the old result's claim, and start again after a pause."""
        self._seq += 1
        self._text = text
        if not text.strip():
            self._timer.stop()
            self._set_busy(False)
            self._set_result(None)
            return
        self._set_busy(True)
        self._timer.start()

    def flush(self) -> None:
        """Explain the latest text now rather than after the pause."""
        self._timer.stop()
        if not self._text.strip() or self._jobs.closed:
            return
        seq, text, tester = self._seq, self._text, self._tester
        self._jobs.submit(
            self._pool, lambda: tester.explain(text), lambda result: self._on_done(seq, result)
        )

    def shutdown(self, timeout_ms: int = 3000) -> None:
        """Stop the pause timer, deliver nothing more, wait for a job in flight. Safe twice."""
        self._timer.stop()
        self._jobs.close()
        self._pool.clear()
        self._pool.waitForDone(timeout_ms)

    def _on_done(self, seq: int, result: ScrubExplanation) -> None:
        if seq != self._seq:
            return  # typed over: a newer request is pending or already shown
        self._set_busy(False)
        self._set_result(result)

    def _on_job_error(self, message: str) -> None:
        self._set_busy(False)
        self.error.emit(message)

    def _set_result(self, result: ScrubExplanation | None) -> None:
        self.result = result
        self.result_changed.emit(result)

    def _set_busy(self, busy: bool) -> None:
        if busy != self.busy:
            self.busy = busy
            self.busy_changed.emit(busy)


class FindingsTableModel(QAbstractTableModel):
    """One row per removal: the rule, what it is in words, where, and what it took out."""

    HEADERS = (
        # Translators: a column: the scrubber's rule that found something
        N_("Rule"),
        # Translators: a column: what was found, in words
        N_("What it is"),
        # Translators: a column: where in the event it was found
        N_("Where"),
        # Translators: a column: the text that was removed
        N_("Removed"),
    )

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[tuple[str, str, str, str]] = []
        self._full: list[tuple[str, str, str, str]] = []

    def set_result(self, result: ScrubExplanation | None) -> None:
        self.beginResetModel()
        self._rows = result.rows() if result is not None else []
        self._full = result.rows(limit=1000) if result is not None else []
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def data(self, index: _Index, role: int = _DISPLAY) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        if role == _DISPLAY:
            return self._rows[index.row()][index.column()]
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._full[index.row()][index.column()]
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:
        horizontal = orientation == Qt.Orientation.Horizontal
        if role == _DISPLAY and horizontal and 0 <= section < len(self.HEADERS):
            return tr(self.HEADERS[section])
        return None


class ScrubTesterBox(QGroupBox):
    """Input, scrubbed output and the findings table; it shows what its model reports."""

    def __init__(self, model: ScrubTesterModel, parent: QWidget | None = None) -> None:
        super().__init__(tr("Test the scru&bber"), parent)  # Alt+B: to the text to test
        self.model = model
        self.setAccessibleName(tr("Test the scrubber"))
        layout = QVBoxLayout(self)
        intro = QLabel(tr(INTRO))
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.input = QPlainTextEdit()
        self.input.setAccessibleName(tr("Text to test"))
        self.input.setAccessibleDescription(tr(INTRO))
        self.input.setPlaceholderText(
            tr('For example {"dataset_path": "/home/you/data/train.jsonl"} or an error message')
        )
        self.input.setTabChangesFocus(True)  # Tab leaves the box; a pasted event has no tabs
        self.input.setMaximumHeight(self.input.fontMetrics().height() * 7)
        layout.addWidget(self.input)
        self.summary = QLabel(tr(EMPTY_TEXT))
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName(tr("Scrubber test result"))
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.summary)
        self.output = QPlainTextEdit()
        self.output.setReadOnly(True)
        self.output.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.output.setAccessibleName(tr("Scrubbed text, as it would be stored"))
        self.output.setAccessibleDescription(tr("Read only; the text above with what was removed"))
        self.output.setTabChangesFocus(True)
        self.output.setMaximumHeight(self.output.fontMetrics().height() * 9)
        layout.addWidget(self.output)
        self.findings = FindingsTableModel(self)
        self.table = QTableView()
        self.table.setModel(self.findings)
        setup_table(self.table, tr("What the scrubber removed"))
        self.table.setAccessibleDescription(
            tr("One row per removal: the rule, what it is, where it was and what it took out")
        )
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)  # what was removed gets the room that is left
        self.table.setMinimumHeight(self.table.fontMetrics().height() * 6)
        layout.addWidget(self.table)
        self.notes = QLabel()
        self.notes.setWordWrap(True)
        self.notes.setAccessibleName(tr("Notes on the scrubber test"))
        layout.addWidget(self.notes)
        layout.addStretch(1)

        self.input.textChanged.connect(self._on_input_changed)
        model.result_changed.connect(self._on_result_changed)
        model.busy_changed.connect(self._on_busy_changed)
        model.error.connect(self._on_error)
        self._on_result_changed(model.result)

    # ----------------------------------------------------------------- slots
    def _on_input_changed(self) -> None:
        self.model.set_text(self.input.toPlainText())

    def _on_result_changed(self, result: ScrubExplanation | None) -> None:
        self.findings.set_result(result)
        has_result = result is not None
        self.output.setVisible(has_result)
        self.table.setVisible(has_result and bool(self.findings.rowCount()))
        if result is None:
            self.output.setPlainText("")
            self.summary.setText(tr(EMPTY_TEXT))
            self.notes.hide()
            return
        self.output.setPlainText(result.output_text)
        self.table.setColumnHidden(2, result.kind == "text")  # free text has one place
        self.summary.setText(result.summary)
        self.notes.setText("\n".join(result.notes))
        self.notes.setVisible(bool(result.notes))

    def _on_busy_changed(self, busy: bool) -> None:
        self.summary.setToolTip(tr("Updating…") if busy else "")

    def _on_error(self, message: str) -> None:
        self.summary.setText(tr("The scrubber could not be run: {reason}").format(reason=message))
