"""The dashboard's performance table: long metric names cut to fit, whole in the tooltip.

The names are the host app's and may be long (100 characters seen); the view elides the cell,
the tooltip gives the name whole, and the sizing keeps the number columns on screen.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QHeaderView, QTableView

from .table_models import PerformanceTableModel

__all__ = ["DashboardPerformanceModel", "fit_performance_columns"]


class DashboardPerformanceModel(PerformanceTableModel):
    """`PerformanceTableModel` with the full text of each cell as its tooltip."""

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.ToolTipRole:
            return super().data(index, Qt.ItemDataRole.DisplayRole)
        return super().data(index, role)


def fit_performance_columns(view: QTableView) -> None:
    """The name column takes what the figures leave (elided when short of room); the figures
    are as wide as they need, so a long name never pushes them off the screen."""
    view.setTextElideMode(Qt.TextElideMode.ElideRight)
    header = view.horizontalHeader()
    header.setStretchLastSection(False)
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
