"""Drag across a time chart to pick a span: the region follows the drag, snapped to whole
buckets, and releasing it hands the span on (Hotspot's way of narrowing every view at once).

The view box reports the drag in view coordinates; the chart (which knows its buckets) snaps
it. Pan and zoom stay off: a left drag means "select", nothing else.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor

__all__ = ["SpanViewBox", "span_region"]


class SpanViewBox(pg.ViewBox):
    """A view box whose left drag is a span selection in x only."""

    #: Left and right x of the drag so far, in view coordinates; True once released.
    span_dragged = Signal(float, float, bool)

    def mouseDragEvent(self, ev: object, axis: int | None = None) -> None:
        if ev.button() != Qt.MouseButton.LeftButton:
            ev.ignore()
            return
        ev.accept()
        start = self.mapSceneToView(ev.buttonDownScenePos()).x()
        here = self.mapSceneToView(ev.scenePos()).x()
        self.span_dragged.emit(min(start, here), max(start, here), bool(ev.isFinish()))


def span_region(color: QColor) -> pg.LinearRegionItem:
    """The region that shows the span being picked: tinted in `color`, its edges fixed (the
    drag moves them), never counted in the view's auto range."""
    fill = QColor(color)
    fill.setAlpha(60)
    region = pg.LinearRegionItem(orientation="vertical", movable=False, brush=pg.mkBrush(fill))
    region.setZValue(15)
    region.hide()
    return region
