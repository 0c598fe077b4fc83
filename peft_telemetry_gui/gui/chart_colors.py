"""Each series keeps one colour: the same name, the same colour, on every refresh and range.

Colours picked by position (first series blue, second orange) swap when a range drops a series,
so a reader learns "errors are red" and is then misled. The mapping is from the name alone:
the known categories have their own entry, any other name a stable hash (crc32, not `hash`,
which changes per process). The table is Okabe and Ito's, told apart with colour blindness and
readable on both light and dark backgrounds.
"""

from __future__ import annotations

import zlib

from PySide6.QtGui import QColor

__all__ = ["SERIES_COLORS", "series_color"]

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


def series_color(name: str) -> QColor:
    """The colour of the series called `name`, the same in every process."""
    index = _KNOWN.get(name)
    if index is None:
        index = zlib.crc32(name.encode("utf-8")) % len(SERIES_COLORS)
    return QColor(SERIES_COLORS[index])
