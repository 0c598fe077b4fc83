"""The table twin of a chart: its rows of text, each cell's full text also as its tooltip.

A chart's table shows names that may be cut to fit a column (a 100-character event type); the
tooltip keeps the whole name one hover away. Its headers and rows are also what "Save data as
CSV" writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt

from .table_models import RowsTableModel

__all__ = ["ChartRowsModel"]


class ChartRowsModel(RowsTableModel):
    """`RowsTableModel` whose cells answer `ToolTipRole` with their full text."""

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.ToolTipRole:
            role = Qt.ItemDataRole.DisplayRole
        return super().data(index, role)

    def headers(self) -> list[str]:
        """The column titles, as the CSV of the chart's data starts."""
        return list(self._headers)

    def set_table(self, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        """New columns and rows together (the timeline gains a column per category)."""
        self.beginResetModel()
        self._headers = list(headers)
        self._rows = [list(r) for r in rows]
        self.endResetModel()
