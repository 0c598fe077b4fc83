"""The table twin of a chart: its rows of text, each cell's full text also as its tooltip.

A chart's table shows names that may be cut to fit a column (a 100-character event type); the
tooltip keeps the whole name one hover away.
"""

from __future__ import annotations

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
