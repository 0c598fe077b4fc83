"""The Privacy page's "Keep at most N raw events and D days" control (issue 11, part 1).

The limits belong to the store document, so every process prunes alike; this box is the one
place in the app that changes them, through `core.services.limits.set_limits` (audit-logged,
actor "gui", method "privacy_page"). The write runs on the box's own serial pool: `set_limits`
may wait for another process's file lock, and the window must keep answering meanwhile. It
does not go through `AppState`'s write pool because its outcome (how many raw events went,
or why nothing was saved) belongs next to the fields, not in the window's error banner.
Lowering a limit deletes raw events for good, so the box says beforehand how many would go.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QThreadPool, Signal
from PySide6.QtWidgets import (
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..core.i18n import number, tr, trn
from ..core.models import Event, StoreDocument
from ..core.services.limits import (
    MAX_EVENTS_RANGE,
    RETENTION_DAYS_RANGE,
    LimitsChange,
    set_limits,
)
from ..core.store import StoreError
from .jobs import JobRunner
from .limits_texts import parse_limit, removal_text

if TYPE_CHECKING:
    from .state import AppState

__all__ = ["LimitsBox", "LimitsModel", "StoredLimits", "parse_limit", "removal_text"]

#: The box's one sentence, its two fields in the places the translation puts them.
_FIELDS = re.compile(r"(\{events\}|\{days\})")


@dataclass(frozen=True)
class StoredLimits:
    """The limits in force for the document on screen, and what it holds now."""

    max_events: int
    retention_days: int
    user_chosen: tuple[str, ...]
    events_stored: int
    #: The document sets a limit of its own (else the defaults apply).
    stored: bool


def _timestamp(event: Event) -> datetime:
    return event.timestamp


class LimitsModel(QObject):
    """The stored limits (from `AppState`'s document) and the user's change of them."""

    limits_changed = Signal(object)  # StoredLimits
    busy_changed = Signal(bool)  # a change is being written
    applied = Signal(object)  # LimitsChange: saved (and pruned)
    failed = Signal(str)  # nothing was saved, worded for the user

    def __init__(self, state: AppState, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._state = state
        self._store = state.store
        self.current: StoredLimits | None = None
        self.busy = False
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._jobs = JobRunner(self, on_error=self._on_failed, user_errors=(StoreError, ValueError))
        state.document_changed.connect(self._on_document_changed)
        if state.document is not None:
            self._on_document_changed(state.document)

    def _on_document_changed(self, doc: StoreDocument) -> None:
        max_events, retention_days = self._store.limits_of(doc)
        limits = doc.limits
        self.current = StoredLimits(
            max_events,
            retention_days,
            tuple(limits.user_chosen),
            len(doc.events),
            stored=limits.max_events is not None or limits.retention_days is not None,
        )
        self.limits_changed.emit(self.current)

    def would_remove(self, max_events: int, retention_days: int) -> tuple[int, int]:
        """(raw events, rollup days) these limits would prune from the document on screen,
        so the user is told before deleting anything. Events are stored oldest first."""
        doc = self._state.document
        if doc is None:
            return 0, 0
        cutoff = self._store.clock() - timedelta(days=retention_days)
        events = doc.events
        first = bisect_left(events, cutoff, key=_timestamp)
        kept = min(len(events) - first, max_events)
        day = cutoff.date().isoformat()
        return len(events) - kept, sum(1 for d in doc.rollups if d < day)

    def apply(self, max_events: int, retention_days: int) -> bool:
        """Store what differs from the limits in force; False when nothing differs (or a
        change is already on its way). Only a changed field is sent: `set_limits` marks each
        field it gets as the user's, which a host may then no longer change."""
        current = self.current
        if self.busy or self._jobs.closed:
            return False
        changes = {
            "max_events": max_events
            if current is None or max_events != current.max_events
            else None,
            "retention_days": retention_days
            if current is None or retention_days != current.retention_days
            else None,
        }
        if all(v is None for v in changes.values()):
            return False
        store = self._store
        self._set_busy(True)
        self._jobs.submit(
            self._pool,
            lambda: set_limits(store, actor="gui", method="privacy_page", **changes),
            self._on_applied,
            on_settled=self._on_settled,
        )
        return True

    def shutdown(self, timeout_ms: int = 3000) -> None:
        """Deliver nothing more and let a write in flight finish (never cut in half)."""
        self._jobs.close()
        self._pool.waitForDone(timeout_ms)

    def _on_applied(self, change: LimitsChange) -> None:
        self.applied.emit(change)

    def _on_failed(self, message: str) -> None:
        self.failed.emit(message)

    def _on_settled(self) -> None:
        self._set_busy(False)
        # Every page shows the new limits and the pruned events; after a failure too, as the
        # store may have been set aside or changed by another process meanwhile.
        self._state.reload(force=True)

    def _set_busy(self, busy: bool) -> None:
        if busy != self.busy:
            self.busy = busy
            self.busy_changed.emit(busy)


class LimitsBox(QGroupBox):
    """ "Keep at most [N] raw events and [D] days.", Apply, and what it did or would do."""

    def __init__(self, model: LimitsModel, parent: QWidget | None = None) -> None:
        super().__init__(tr("How much is kept"), parent)
        self.model = model
        self.setAccessibleName(tr("How much telemetry is kept"))
        outer = QVBoxLayout(self)
        grid = QGridLayout()
        outer.addLayout(grid)
        low, high = MAX_EVENTS_RANGE
        self.max_field = self._field(
            tr("Maximum raw events to keep"),
            9,
            tr("From {low:,} to {high:,} raw events; Enter applies").format(low=low, high=high),
        )
        low, high = RETENTION_DAYS_RANGE
        self.days_field = self._field(
            tr("Days to keep"),
            5,
            tr("From {low:,} to {high:,} days; Enter applies").format(low=low, high=high),
        )
        self.apply_button = QPushButton(tr("&Apply"))
        self.apply_button.setAccessibleName(tr("Apply how much is kept"))
        self.apply_button.setAccessibleDescription(
            tr("Saves both limits; lowering one removes older raw events for good")
        )
        self.apply_button.clicked.connect(self.apply)
        row = QHBoxLayout()
        for widget in self._sentence():
            row.addWidget(widget)
        row.addWidget(self.apply_button)
        row.addStretch(1)
        grid.addLayout(row, 0, 0)
        self.max_error = self._note(tr("Problem with the maximum raw events"))
        self.days_error = self._note(tr("Problem with the days to keep"))
        for label in (self.max_error, self.days_error):
            # A font, not a style sheet: a styled label keeps the colours it was polished
            # with, black text on a dark theme's background (1.3:1).
            bold = label.font()
            bold.setBold(True)
            label.setFont(bold)
            outer.addWidget(label)
        self.explain = self._note(tr("What is kept when raw events are removed"))
        self.stored = self._note(tr("What is stored now"))
        self.preview = self._note(tr("What applying would remove"))
        self.status = self._note(tr("How much is kept: status"))
        for label in (self.explain, self.stored, self.preview, self.status):
            outer.addWidget(label)
        self._shown: StoredLimits | None = None
        self._saving = False
        model.limits_changed.connect(self._on_limits_changed)
        model.busy_changed.connect(self._on_busy_changed)
        model.applied.connect(self._on_applied)
        model.failed.connect(self._on_failed)
        if model.current is not None:
            self._on_limits_changed(model.current)

    def _sentence(self) -> list[QWidget]:
        """ "Keep at most [N] raw events and [D] days." as labels around the two fields, in
        the order the user's language puts them; each label's Alt key goes to the field after
        it (the last label's to the field before it)."""
        # The translator may reorder the fields; each "&" is the Alt key of the next field.
        # Translators: {events} and {days} are input fields; keep two "&" on different letters
        sentence = tr("&Keep at most {events} raw events and {days} da&ys.")
        fields = {"{events}": self.max_field, "{days}": self.days_field}
        parts = _FIELDS.split(sentence)
        widgets: list[QWidget] = []
        order = [fields[part] for part in parts[1::2] if part in fields]
        for i, part in enumerate(parts):
            if i % 2:
                widgets.append(fields[part])
                continue
            if not part.strip():
                continue
            label = QLabel(part.strip())
            if order:
                label.setBuddy(order[min(i // 2, len(order) - 1)])
            widgets.append(label)
        for field in fields.values():  # a translation that lost one: the field is still there
            if field not in widgets:
                widgets.append(field)
        return widgets

    def _field(self, name: str, chars: int, tooltip: str) -> QLineEdit:
        field = QLineEdit()
        field.setAccessibleName(name)
        # Read out as the description while no refusal replaces it (`_values`).
        field.setToolTip(tooltip)
        field.setMaximumWidth(field.fontMetrics().horizontalAdvance("0") * (chars + 3))
        field.textEdited.connect(self._on_edited)
        field.returnPressed.connect(self.apply)
        return field

    def _note(self, name: str) -> QLabel:
        label = QLabel()
        label.setWordWrap(True)
        label.setAccessibleName(name)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        label.hide()
        return label

    # ----------------------------------------------------------------- slots
    def _on_limits_changed(self, limits: StoredLimits) -> None:
        """Show the stored values, but never overwrite what the user is typing: a field
        follows the store only while it still shows the value last shown."""
        old = self._shown
        for field, new, before in (
            (self.max_field, limits.max_events, old.max_events if old else None),
            (self.days_field, limits.retention_days, old.retention_days if old else None),
        ):
            if before is None or parse_limit(field.text(), (1, 10**9), "") == before:
                field.setText(number(new, ","))
        self._shown = limits
        days = limits.retention_days
        self._set_note(
            self.explain,
            trn(
                "Daily counts and statistics are kept for the {n:,} day even when raw events "
                "are removed.",
                "Daily counts and statistics are kept for the {n:,} days even when raw events "
                "are removed.",
                days,
            ).format(n=days),
        )
        source = tr("Limits set by the defaults; apps you use never change what you set here.")
        if limits.user_chosen:
            source = tr("Limits set by you; apps you use never change what you set here.")
        elif limits.stored:
            source = tr("Limits set by a host app; apps you use never change what you set here.")
        count = limits.events_stored
        stored = trn("Stored now: {n:,} raw event.", "Stored now: {n:,} raw events.", count)
        self._set_note(self.stored, f"{stored.format(n=count)} {source}")
        self._update_preview()

    def _on_edited(self, _text: str) -> None:
        if not self._saving:
            self._set_note(self.status, "")
        self._update_preview()

    def _values(self, show_errors: bool) -> tuple[int, int] | None:
        max_events = parse_limit(self.max_field.text(), MAX_EVENTS_RANGE, "raw events")
        days = parse_limit(self.days_field.text(), RETENTION_DAYS_RANGE, "days")
        if show_errors:
            for field, label, value in (
                (self.max_field, self.max_error, max_events),
                (self.days_field, self.days_error, days),
            ):
                message = value if isinstance(value, str) else ""
                self._set_note(label, message)
                field.setAccessibleDescription(message)
        if isinstance(max_events, str) or isinstance(days, str):
            return None
        return max_events, days

    def _update_preview(self) -> None:
        values = self._values(show_errors=False)
        if values is None:
            self._set_note(self.preview, "")
            return
        events, days = self.model.would_remove(*values)
        removal = removal_text(events, days, values[1])
        # Translators: {removal} is such as "2,000 older raw events; daily counts are kept"
        preview = tr("Applying removes {removal}.").format(removal=removal) if removal else ""
        self._set_note(self.preview, preview)

    def apply(self) -> None:
        """Refuse an unusable value next to its field (nothing is written), else store it."""
        values = self._values(show_errors=True)
        if values is None:
            self._set_note(self.status, tr("Not saved: correct the value marked above."))
            return
        if self.model.apply(*values):
            self._saving = True
            self._set_note(self.status, tr("Saving…"))
        elif not self.model.busy:
            self._set_note(self.status, tr("Nothing to change: these are the limits in force."))

    def _on_busy_changed(self, busy: bool) -> None:
        self.apply_button.setEnabled(not busy)

    def _on_applied(self, change: LimitsChange) -> None:
        self._saving = False
        self.max_field.setText(f"{change.max_events:,}")
        self.days_field.setText(f"{change.retention_days:,}")
        removal = removal_text(change.events_removed, change.days_removed, change.retention_days)
        if removal:
            # Translators: {removal} is such as "2,000 older raw events; daily counts are kept"
            done = tr("Saved. Removed {removal}.").format(removal=removal)
        else:
            done = tr("Saved. No raw events had to be removed.")
        self._set_note(self.status, done)
        self._set_note(self.preview, "")

    def _on_failed(self, message: str) -> None:
        self._saving = False
        self._set_note(self.status, tr("Not saved: {reason}").format(reason=message))

    @staticmethod
    def _set_note(label: QLabel, text: str) -> None:
        label.setText(text)
        label.setVisible(bool(text))
