"""The Events page's "Upload:" line: whether the selected event left the machine, and when.

Read on the page's worker for each event the readable view shows (the delivery log and the
upload queue: a few ms, never on the GUI thread); the answer for an event no longer selected
is dropped. See `core/upload/delivered.py` for what is known and how.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QThreadPool, Signal

from ..core.i18n import N_, tr
from ..core.models import Event, StoreDocument
from ..core.store import Store
from ..core.upload.delivered import delivery_status, upload_facts
from .jobs import JobRunner
from .table_models import format_time

__all__ = ["CHECKING", "UploadLines"]

#: The Events page's "Upload:" line while the answer is being looked up (shown with `tr`).
# Translators: Events page, after "Upload:": whether the event was sent is being looked up
CHECKING = N_("checking…")


class UploadLines(QObject):
    """`line(event)`: the known answer, or CHECKING while a job finds it (then `ready`)."""

    ready = Signal(str)  # the event id whose line is now known

    def __init__(
        self, store: Store, pool: QThreadPool, jobs: JobRunner, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._store, self._pool, self._jobs = store, pool, jobs
        self._known: dict[str, str] = {}

    def forget(self) -> None:
        """A new document or a delivery may have changed any answer."""
        self._known.clear()

    def line(
        self, event: Event, doc: StoreDocument | None, wanted: Callable[[], str | None]
    ) -> str:
        """`wanted()` says which event id is selected when the answer comes back."""
        known = self._known.get(event.id)
        if known is not None:
            return known
        if doc is not None and not self._jobs.closed:
            store, event_id = self._store, event.id
            self._jobs.submit(
                self._pool,
                lambda: delivery_status(event_id, upload_facts(store, doc), format_time),
                lambda text: self._on_done(event_id, text, wanted),
            )
        return tr(CHECKING)

    def _on_done(self, event_id: str, text: str, wanted: Callable[[], str | None]) -> None:
        self._known = {event_id: text}  # one answer kept: the next selection asks afresh
        if wanted() == event_id:
            self.ready.emit(event_id)
