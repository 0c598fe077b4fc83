"""A hover crosshair: a vertical line on the bucket under the mouse and a label naming it.

Bars are read by eye against ticks; the label gives the exact figure (the time with its zone,
the value, the series) without a trip to the table. The chart answers `lookup(x)` from the
buckets it drew, by arithmetic or one bisection: nothing per event, whatever the store holds.
"""

from __future__ import annotations

from collections.abc import Callable

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QPointF
from PySide6.QtGui import QColor, QPalette

__all__ = ["Crosshair", "Lookup"]

#: From a view x to the x to mark and the label's text, or None when nothing is there.
Lookup = Callable[[float], tuple[float, str] | None]


class Crosshair(QObject):
    """Follows the mouse over `plot`'s view; hidden when the mouse is off the bars or gone."""

    def __init__(self, plot: pg.PlotWidget, lookup: Lookup) -> None:
        super().__init__(plot)
        self.plot = plot
        self.lookup = lookup
        self.line = pg.InfiniteLine(angle=90, movable=False)
        self.label = pg.TextItem("", anchor=(0, 0))
        for item, z in ((self.line, 20), (self.label, 21)):
            item.setZValue(z)
            item.hide()
            plot.addItem(item, ignoreBounds=True)
        # The viewport's own moves, not the scene's `sigMouseMoved`: pyqtgraph drops moves
        # under 10 ms apart, so the line could stay one bar behind where the mouse stopped.
        plot.viewport().installEventFilter(self)

    def text(self) -> str:
        """What the label says now ("" while hidden)."""
        return self.label.toPlainText() if self.label.isVisible() else ""

    def hide(self) -> None:
        self.line.hide()
        self.label.hide()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.MouseMove:
            self.move_to(self.plot.mapToScene(event.position().toPoint()))
        elif kind == QEvent.Type.Leave:
            self.hide()
        return False

    def move_to(self, pos: QPointF) -> None:
        """`pos` in scene coordinates."""
        view = self.plot.getViewBox()
        if not view.sceneBoundingRect().contains(pos):
            self.hide()
            return
        found = self.lookup(view.mapSceneToView(pos).x())
        if found is None:
            self.hide()
            return
        x, text = found
        palette = self.plot.palette()
        fg = palette.color(QPalette.ColorRole.Text)
        back = QColor(palette.color(QPalette.ColorRole.Base))
        back.setAlpha(225)  # the bars stay faintly visible under the label
        self.line.setPen(pg.mkPen(fg, width=1, style=pg.QtCore.Qt.PenStyle.DashLine))
        self.label.fill = pg.mkBrush(back)
        self.label.border = pg.mkPen(fg)
        self.label.setText(text, color=fg)
        (x_lo, x_hi), (_y_lo, y_hi) = view.viewRange()
        # Right of the line in the left half of the view, left of it in the right half.
        right = x > (x_lo + x_hi) / 2
        self.label.setAnchor((1, 0) if right else (0, 0))
        self.label.setPos(x, y_hi)
        self.line.setPos(x)
        self.line.show()
        self.label.show()
