"""Qt table models over the core's records. They format, they never count or filter."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from ..core.analytics import MetricStats
from ..core.i18n import N_, number, tr
from ..core.models import AuditEntry, Event
from .audit_texts import actor_text, method_text, value_text, what_text

if TYPE_CHECKING:
    from .upload_model import HistoryEntry

__all__ = [
    "AuditTableModel",
    "HistoryTableModel",
    "PerformanceTableModel",
    "RowsTableModel",
    "event_summary",
    "format_number",
    "format_time",
    "iso_time",
    "zone_label",
]

_Index = QModelIndex | QPersistentModelIndex
_DISPLAY = Qt.ItemDataRole.DisplayRole


def zone_label(moment: datetime) -> str:
    """The zone of an aware local time as people read it: its abbreviation where it has a
    short one ("UTC", "CET", "EST"), else its offset ("UTC+05:30"); never a long OS name such
    as "W. Europe Standard Time", which would not fit a table cell."""
    name = moment.tzname() or ""
    if 2 <= len(name) <= 5 and name.isalpha() and name.isupper():
        return name
    offset = moment.utcoffset()
    if offset is None:
        return "UTC"
    minutes = round(offset.total_seconds() / 60)
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{rest:02d}"


def format_time(moment: datetime | None, zone: tzinfo | None = None) -> str:
    """Local time (or `zone`'s) with its zone, "2026-11-23 16:30:00 CET": a time without one is
    ambiguous once a log is shared or read after travel. The stored value (UTC, to the
    microsecond) is `iso_time`, for tooltips and the details pane."""
    if moment is None:
        return ""
    local = moment.astimezone(zone)
    # Not strftime: this runs once per event for the Events search text, and is 3x faster.
    return "%04d-%02d-%02d %02d:%02d:%02d %s" % (  # noqa: UP031
        local.year,
        local.month,
        local.day,
        local.hour,
        local.minute,
        local.second,
        zone_label(local),
    )


def iso_time(moment: datetime | None) -> str:
    """The instant exactly as stored: ISO 8601 in UTC."""
    return "" if moment is None else moment.astimezone(UTC).isoformat()


def format_number(value: float | int | None, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if isinstance(value, int) or (float(value).is_integer() and abs(value) < 1e15):
        return number(int(value), ",")
    return number(value, f",.{digits}f")


def _header(
    headers: Sequence[str],
    section: int,
    orientation: Qt.Orientation,
    role: int,
    shown: Callable[[str], str] = str,
) -> Any:
    """The column title; `shown` is `tr` for a model's own (N_-marked) titles."""
    horizontal = orientation == Qt.Orientation.Horizontal
    if role == _DISPLAY and horizontal and 0 <= section < len(headers):
        return shown(headers[section])
    return None


def _short(value: Any, limit: int = 120) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def event_summary(event: Event) -> str:
    """One line that says what the record is, built only from stored fields."""
    if event.metric_name is not None:
        unit = f" {event.unit}" if event.unit else ""
        return f"{event.metric_name} = {format_number(event.value, 2)}{unit}"
    if event.error_type is not None:
        return _short(f"{event.error_type}: {event.error_message or ''}")
    props = {k: v for k, v in event.properties.items() if k != "system"}
    if "system" in event.properties:
        system = event.properties["system"]
        if isinstance(system, dict):
            props["system"] = f"{system.get('os', '?')} {system.get('os_version', '')}".strip()
    return _short(", ".join(f"{k}={_short(v, 40)}" for k, v in props.items()))


class AuditTableModel(QAbstractTableModel):
    """The consent audit log, newest first. `Seq` is the ledger's number (blank for entries
    written before the ledger existed), so a gap or an edit named by `receipt --verify` can be
    found here."""

    HEADERS = (
        # Translators: Activity page column: the entry's number in the consent ledger
        N_("Seq"),
        N_("Time"),
        # Translators: Activity page column: who made the change (app, command line, host API)
        N_("Actor"),
        # Translators: Activity page column: how the change was made (which page or dialog)
        N_("Method"),
        # Translators: Activity page column: what changed
        N_("What"),
        # Translators: Activity page column: the value before the change
        N_("From"),
        # Translators: Activity page column: the value after the change
        N_("To"),
        # Translators: Activity page column: version of the "what is collected" text shown
        N_("Text version"),
    )

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._entries: list[AuditEntry] = []

    def set_entries(self, entries: Sequence[AuditEntry]) -> None:
        self.beginResetModel()
        self._entries = list(reversed(entries))
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._entries)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def data(self, index: _Index, role: int = _DISPLAY) -> Any:
        if not index.isValid() or role not in (_DISPLAY, Qt.ItemDataRole.ToolTipRole):
            return None
        entry = self._entries[index.row()]
        what = entry.what
        if role == _DISPLAY:
            what = what_text(what)
        elif index.column() == 1:  # the tooltip of a time: the exact stored instant
            return iso_time(entry.at)
        return (
            str(entry.seq) if entry.seq else "",
            format_time(entry.at),
            actor_text(entry.actor),
            method_text(entry),
            what,
            value_text(entry.from_value),
            value_text(entry.to_value),
            entry.text_version,
        )[index.column()]

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:
        return _header(self.HEADERS, section, orientation, role, tr)


class PerformanceTableModel(QAbstractTableModel):
    """`analytics.performance` as rows: metric, count, avg, min, max, p50, p95, unit."""

    HEADERS = (
        N_("Metric"),
        N_("Count"),
        # Translators: performance table column: the average
        N_("Avg"),
        # Translators: performance table column: the smallest value
        N_("Min"),
        # Translators: performance table column: the largest value
        N_("Max"),
        "p50",  # percentiles: the same in every language
        "p95",
        N_("Unit"),
    )

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[tuple[str, MetricStats]] = []

    def set_metrics(self, metrics: dict[str, MetricStats]) -> None:
        self.beginResetModel()
        self._rows = list(metrics.items())
        self.endResetModel()

    def metric_at(self, row: int) -> str | None:
        return self._rows[row][0] if 0 <= row < len(self._rows) else None

    def row_of(self, metric: str) -> int | None:
        for i, (name, _stats) in enumerate(self._rows):
            if name == metric:
                return i
        return None

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def data(self, index: _Index, role: int = _DISPLAY) -> Any:
        if not index.isValid():
            return None
        name, s = self._rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.TextAlignmentRole and 1 <= col <= 6:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role != _DISPLAY:
            return None
        return (
            name,
            format_number(s.count),
            format_number(s.avg, 2),
            format_number(s.min, 2),
            format_number(s.max, 2),
            format_number(s.p50, 2),
            format_number(s.p95, 2),
            s.unit,
        )[col]

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:
        return _header(self.HEADERS, section, orientation, role, tr)


class RowsTableModel(QAbstractTableModel):
    """Plain rows of text: the table alternative of each chart, for screen readers. The
    headers are shown as given: the caller passes them in the user's language."""

    def __init__(self, headers: Sequence[str], parent: Any = None) -> None:
        super().__init__(parent)
        self._headers = list(headers)
        self._rows: list[list[str]] = []

    def set_rows(self, rows: Sequence[Sequence[str]]) -> None:
        self.beginResetModel()
        self._rows = [list(r) for r in rows]
        self.endResetModel()

    def rows(self) -> list[list[str]]:
        return [list(r) for r in self._rows]

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._headers)

    def data(self, index: _Index, role: int = _DISPLAY) -> Any:
        if not index.isValid() or role != _DISPLAY:
            return None
        return self._rows[index.row()][index.column()]

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:
        return _header(self._headers, section, orientation, role)


_UPLOAD_OUTCOMES = {
    # Translators: Upload history, Result column: the collector accepted the records
    "delivered": N_("delivered"),
    "rejected": N_("refused (not retried)"),
    "retry": N_("failed, will retry"),
    # Translators: Upload history, Result column: no more retries for this request
    "failed": N_("gave up"),
}


class HistoryTableModel(QAbstractTableModel):
    """Every upload request, newest first: what left the machine and when."""

    COLUMNS = (
        N_("When"),
        # Translators: Upload history column: what was sent (events or a deletion request)
        N_("What"),
        N_("Records"),
        N_("Bytes"),
        "HTTP",  # the status code's column: the same in every language
        N_("Result"),
        N_("Details"),
    )

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[HistoryEntry] = []

    def set_entries(self, entries: Sequence[HistoryEntry]) -> None:
        rows = list(reversed(entries))
        if rows == self._rows:
            return
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:
        return _header(self.COLUMNS, section, orientation, role, tr)

    def data(self, index: _Index, role: int = _DISPLAY) -> Any:
        if not index.isValid() or role not in (_DISPLAY, Qt.ItemDataRole.ToolTipRole):
            return None
        entry = self._rows[index.row()]
        column = index.column()
        if column == 0:
            return format_time(entry.at)
        if column == 1:
            if entry.kind == "deletion_request":
                return tr("deletion request")
            # Translators: Upload history, What column: a request that carried events
            return tr("events")
        if column == 2:
            return number(entry.records, ",")
        if column == 3:
            return number(entry.bytes, ",")
        if column == 4:
            return "–" if entry.status is None else str(entry.status)
        if column == 5:
            if entry.outcome == "partial":
                return tr("partly rejected ({rejected})").format(rejected=entry.rejected)
            outcome = _UPLOAD_OUTCOMES.get(entry.outcome)
            return tr(outcome) if outcome else entry.outcome
        return entry.message
