"""Axes for the dashboard's charts: counts in whole numbers, titles in the palette's colours.

pyqtgraph picks tick spacings for continuous values, so a chart of one or two events gets ticks
at 0.5: nonsense for a count. These axes keep pyqtgraph's spacing wherever it is a whole number
and fall back to every integer when the range is too short for any.
"""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics

from ..core.i18n import number
from .plots import PalettePlot, make_plot

__all__ = ["IntegerAxis", "elide", "make_count_plot"]


class IntegerAxis(pg.AxisItem):
    """An axis of counts: ticks only at whole numbers, labelled without decimals."""

    def tickValues(
        self, minVal: float, maxVal: float, size: float
    ) -> list[tuple[float, list[float]]]:
        levels = [
            (spacing, values)
            for spacing, values in super().tickValues(minVal, maxVal, size)
            if spacing >= 1 and float(spacing).is_integer()
        ]
        if levels:
            return levels
        lo, hi = sorted((minVal, maxVal))
        return [(1.0, [float(v) for v in range(math.ceil(lo), math.floor(hi) + 1)])]

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        return [number(round(v * scale), ",") for v in values]


def make_count_plot(
    count_side: str, date_axis: bool = False, view_box: pg.ViewBox | None = None
) -> PalettePlot:
    """`make_plot` with an integer axis on `count_side` ("left" or "bottom"), and `view_box`
    (a `chart_span.SpanViewBox`) instead of pyqtgraph's when given."""
    plot = make_plot(date_axis=date_axis, view_box=view_box)
    plot.setAxisItems({count_side: IntegerAxis(orientation=count_side)})
    plot.apply_palette()  # the new axis starts in pyqtgraph's colours
    for side in ("left", "bottom"):
        # Seconds since 1970 are not "x1e+09"; a count or a metric keeps its own unit.
        plot.getAxis(side).enableAutoSIPrefix(False)
    return plot


def elide(text: str, metrics: QFontMetrics, width: int) -> str:
    """`text` cut to `width` pixels with an ellipsis: the full name goes in a tooltip."""
    return metrics.elidedText(text, Qt.TextElideMode.ElideRight, width)
