"""Plots in the palette's colours: the one building block that needs pyqtgraph, apart from
`widgets` so that a page without charts (the first one shown) starts without loading it."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QWidget

from .widgets import palette_color

__all__ = ["PalettePlot", "make_plot"]


class PalettePlot(pg.PlotWidget):
    """A PlotWidget drawn in the palette's colours, re-drawn when the palette changes.

    pyqtgraph paints its own background and axes with fixed colours (white on black by default),
    so without this a plot stays light when the system switches to a dark theme, or the reverse.
    """

    palette_changed = Signal()

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self._ready = True  # palette events arrive during the base constructor already

    def apply_palette(self) -> None:
        self.setBackground(palette_color(QPalette.ColorRole.Base, self))
        fg = palette_color(QPalette.ColorRole.Text, self)
        for name in ("left", "bottom"):
            axis = self.getAxis(name)
            axis.setPen(pg.mkPen(fg))
            axis.setTextPen(pg.mkPen(fg))

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and self.__dict__.get("_ready"):
            self.apply_palette()
            self.palette_changed.emit()


def make_plot(
    parent: QWidget | None = None, date_axis: bool = False, view_box: pg.ViewBox | None = None
) -> PalettePlot:
    """A plot in the palette's colours (following theme changes), mouse-zoom disabled;
    `view_box`: a view box of the caller's (a chart that takes drags of its own)."""
    axes = {"bottom": pg.DateAxisItem(orientation="bottom")} if date_axis else None
    plot = PalettePlot(parent, axisItems=axes, **({"viewBox": view_box} if view_box else {}))
    plot.apply_palette()
    plot.setMenuEnabled(False)
    # pyqtgraph's own right-click "Export..." opens its exporter in English only; each chart
    # has its own Save (PNG, SVG, CSV) in the user's language (gui/chart_save.py).
    plot.scene().contextMenu.clear()
    plot.setMouseEnabled(x=False, y=False)
    plot.hideButtons()
    # Font-relative, so a larger font or a 2x screen gets a proportionally taller chart.
    plot.setMinimumHeight(plot.fontMetrics().height() * 11)
    # The plot is a picture; keyboard users reach the table alternative instead.
    plot.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    return plot
