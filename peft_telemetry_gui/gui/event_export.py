"""Export the events the Events page shows (its filter, its order) as JSON or CSV.

Picking the rows, building the bytes (`core.event_view.export_bytes`, Qt-free) and writing the
file (`core.export.write_private_file`: atomic, private, never through a link) all run on this
object's own one-thread pool via `JobRunner`: at 100 000 events that is seconds of work the GUI
thread never waits for. The GUI thread hands over only the document's event list and the
filter's row list as they are (neither is ever changed in place, only replaced).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QObject, QThreadPool, Signal
from PySide6.QtWidgets import QFileDialog, QWidget

from ..core.event_view import EventExportFormat, export_bytes
from ..core.export import ExportError, write_private_file
from ..core.i18n import tr, trn
from ..core.models import Event
from .jobs import JobRunner

__all__ = ["EventExporter", "ask_export_target"]


def ask_export_target(parent: QWidget) -> tuple[Path, EventExportFormat] | None:
    """The file and format the user chose in a save dialog; None when cancelled."""
    filters = {"json": tr("JSON (*.json)"), "csv": tr("CSV (*.csv)")}
    path, chosen = QFileDialog.getSaveFileName(
        parent, tr("Export the shown events"), "events.json", ";;".join(filters.values())
    )
    if not path:
        return None
    fmt: EventExportFormat = "csv" if chosen == filters["csv"] else "json"
    if path.lower().endswith(".csv"):
        fmt = "csv"
    elif path.lower().endswith(".json"):
        fmt = "json"
    return Path(path), fmt


def _chosen(events: Sequence[Event], rows: list[int] | None) -> list[Event]:
    if rows is None:  # every event, newest first: the table's order
        return list(reversed(events))
    return [events[i] for i in rows]


class EventExporter(QObject):
    """Writes a selection of events to a file off the GUI thread."""

    #: ok, message worded for the user
    finished = Signal(bool, str)

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._jobs = JobRunner(
            self,
            on_error=lambda message: self.finished.emit(
                False, tr("Export failed: {message}").format(message=message)
            ),
            user_errors=(ExportError, ValueError),
        )

    @property
    def pending(self) -> bool:
        return self._jobs.pending > 0

    def export(
        self,
        events: Sequence[Event],
        rows: list[int] | None,
        path: Path,
        fmt: EventExportFormat,
    ) -> None:
        """Write the `rows` of `events` (None: all, newest first) to `path`, replacing a file
        the save dialog already confirmed."""

        def run() -> int:
            chosen = _chosen(events, rows)
            write_private_file(path, export_bytes(chosen, fmt), overwrite=True)
            return len(chosen)

        def done(count: int) -> None:
            text = trn(
                "Exported {n:,} event as {format} to {path}",
                "Exported {n:,} events as {format} to {path}",
                count,
            )
            self.finished.emit(True, text.format(n=count, format=fmt.upper(), path=path))

        self._jobs.submit(self._pool, run, done)

    def stop(self, timeout_ms: int = 3000) -> None:
        """Deliver nothing more; a write in progress completes (never half a file)."""
        self._jobs.close()
        self._pool.waitForDone(timeout_ms)
