"""Render resources/icons/peft-telemetry.svg to the PNG sizes desktops and Qt ask for.

Run after editing the SVG: `QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/render_icons.py`.
The PNGs are committed so installs need no SVG support at run time.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

SIZES = (16, 32, 48, 64, 128, 256)
ICONS = Path(__file__).resolve().parent.parent / "resources" / "icons"


def main() -> int:
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(ICONS / "peft-telemetry.svg"))
    if not renderer.isValid():
        print("cannot read the SVG", file=sys.stderr)
        return 1
    for size in SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        out = ICONS / f"peft-telemetry-{size}.png"
        image.save(str(out))
        print(out.relative_to(ICONS.parent.parent))
    del app
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
