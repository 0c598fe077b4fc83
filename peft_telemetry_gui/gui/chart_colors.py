"""Each series keeps one colour: the same name, the same colour, on every refresh and range.

Colours picked by position (first series blue, second orange) swap when a range drops a series,
so a reader learns "errors are red" and is then misled. The mapping is from the name alone:
the known categories have their own entry, any other name a stable hash (crc32, not `hash`,
which changes per process). The table is Okabe and Ito's, told apart with colour blindness;
against the chart's own background each is darkened or lightened, hue kept, until it reaches
3:1 (WCAG 1.4.11 for graphics: orange and sky blue were 2.3:1 on white).
"""

from __future__ import annotations

import zlib

from PySide6.QtGui import QColor

from .buttons import contrast_ratio

__all__ = ["MIN_GRAPHIC_CONTRAST", "SERIES_COLORS", "series_color"]

#: WCAG 1.4.11: the parts of a graphic needed to understand it, against what is next to them.
MIN_GRAPHIC_CONTRAST = 3.0

#: Okabe-Ito, without its yellow (too faint on a light background) and black (lost on dark).
SERIES_COLORS: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#999999",  # grey
)

#: The series every user sees, fixed so that errors are always vermillion.
_KNOWN = {
    "Events": 0,
    "usage": 0,
    "performance": 2,
    "system": 1,
    "error": 3,
}


def series_color(name: str, background: QColor | None = None) -> QColor:
    """The colour of the series called `name`, the same in every process; with `background`,
    shifted in lightness (hue and saturation kept) until it stands out from it at 3:1."""
    index = _KNOWN.get(name)
    if index is None:
        index = zlib.crc32(name.encode("utf-8")) % len(SERIES_COLORS)
    color = QColor(SERIES_COLORS[index])
    if background is None:
        return color
    hue, saturation, lightness, alpha = color.getHslF()
    step = -0.02 if background.lightnessF() >= 0.5 else 0.02
    while contrast_ratio(color, background) < MIN_GRAPHIC_CONTRAST and 0.0 < lightness < 1.0:
        lightness = min(1.0, max(0.0, lightness + step))
        color = QColor.fromHslF(hue, saturation, lightness, alpha)
    return color
