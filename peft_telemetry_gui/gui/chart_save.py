"""Keep a chart: as a picture (PNG or SVG, by the name's extension) or as the data behind it
(CSV, the very rows of its table twin), from a Save button or the chart's right-click menu.

The dialogs only ask for a name; `save_image` and `ChartSaving.save_image_to`/`save_csv_to`
do the writing, given a path, so they are what the tests call. Every write is atomic
(`export.write_private_file`), and the panel says "Saved" only after the file is there.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QBuffer,
    QIODevice,
    QObject,
    QPoint,
    QRectF,
    QStandardPaths,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction, QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QFileDialog, QLabel, QMenu, QToolButton, QWidget

from ..core.chart_data import file_stem, write_csv
from ..core.export import ExportError, write_private_file
from ..core.i18n import N_, tr
from .chart_table import ChartRowsModel

if TYPE_CHECKING:  # loaded by the charts themselves: `widgets` imports this module at start-up
    import pyqtgraph as pg

__all__ = ["IMAGE_FILTERS", "ChartSaving", "save_image"]

#: The image dialog's file types, PNG first (marked only: the dialog shows them through `tr`).
IMAGE_FILTERS = (N_("PNG image (*.png)"), N_("SVG image (*.svg)"))


def save_image(plot: pg.PlotWidget, path: Path) -> None:
    """The chart as drawn, at its size on screen: SVG for a .svg name, PNG for .png (by
    pyqtgraph's `ImageExporter`).

    The image is made in memory and written whole, since pyqtgraph's own file writing ignores
    a failed save (a read-only folder would look like success)."""
    path = Path(path)
    kind = path.suffix.lower()
    item = plot.getPlotItem()
    size = item.sceneBoundingRect()
    if int(size.width()) < 1 or int(size.height()) < 1:
        # The errors here are shown after "Could not save the image: ", so in the user's words.
        raise ValueError(tr("the chart has not been drawn yet"))
    if kind == ".svg":
        data = _svg(plot, size)
    elif kind == ".png":
        from pyqtgraph.exporters import ImageExporter

        image = ImageExporter(item).export(toBytes=True)
        buffer = QBuffer()
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        if not image.save(buffer, "PNG"):
            raise ValueError(tr("the chart could not be turned into a PNG image"))
        data = bytes(buffer.data())
    else:
        raise ValueError(tr("{name}: an image is saved as .png or .svg").format(name=path.name))
    write_private_file(path, data, overwrite=True)


def _svg(plot: pg.PlotWidget, source: QRectF) -> bytes:
    """The plot's scene drawn by Qt's own SVG generator. pyqtgraph's `SVGExporter` rewrites
    the paths Qt writes and fails on those of Qt 6.11 (pyqtgraph issue 3485)."""
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    generator = QSvgGenerator()
    generator.setOutputDevice(buffer)
    target = QRectF(0, 0, source.width(), source.height())
    generator.setSize(target.size().toSize())
    generator.setViewBox(target)
    # The screen's resolution, not the generator's 72 dpi: pyqtgraph's bars are QPictures,
    # which replay scaled by the ratio of the two, and point-sized fonts would scale too.
    generator.setResolution(plot.logicalDpiX())
    generator.setTitle(plot.accessibleName())
    generator.setDescription(plot.accessibleDescription())
    painter = QPainter(generator)
    try:
        painter.fillRect(target, plot.backgroundBrush())
        plot.scene().render(painter, target, source)
    finally:
        painter.end()
    return bytes(buffer.data())


class ChartSaving(QObject):
    """The Save button, its menu (also the chart's right-click menu) and the line that says
    how the last save went, for one chart panel."""

    #: Just before an image is made: the panel hides what only the mouse put there.
    exporting = Signal()
    #: After a save: the path, and whether the file was written.
    saved = Signal(object, bool)

    def __init__(
        self, panel: QWidget, title: str, plot: pg.PlotWidget, model: ChartRowsModel
    ) -> None:
        super().__init__(panel)
        self.panel, self.title, self.plot, self.model = panel, title, plot, model
        self.image_action = QAction(tr("Save image…"), panel)
        # Translators: {title} is a chart's title, as "Events over time"
        self.image_action.setToolTip(tr("Save {title} as a PNG or SVG picture").format(title=title))
        self.image_action.triggered.connect(self.ask_image)
        self.csv_action = QAction(tr("Save data as CSV…"), panel)
        self.csv_action.setToolTip(
            # Translators: {title} is a chart's title, as "Events over time"
            tr("Save the numbers behind {title} as a CSV file").format(title=title)
        )
        self.csv_action.triggered.connect(self.ask_csv)
        # Translators: {title} is a chart's title: the name of its Save button and menu
        save_title = tr("Save {title}").format(title=title)
        self.menu = QMenu(panel)
        self.menu.setAccessibleName(save_title)
        self.menu.addAction(self.image_action)
        self.menu.addAction(self.csv_action)
        self.button = QToolButton(panel)
        # Translators: the button that opens a chart's save menu
        self.button.setText(tr("Save"))
        self.button.setMenu(self.menu)
        self.button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.button.setAccessibleName(save_title)
        self.button.setToolTip(tr("Save this chart as an image, or its data as CSV"))
        plot.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        plot.customContextMenuRequested.connect(self.show_menu)
        self.notice = QLabel(panel)
        self.notice.setWordWrap(True)
        self.notice.setTextFormat(Qt.TextFormat.PlainText)
        self.notice.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.notice.setVisible(False)

    def show_menu(self, pos: QPoint) -> None:
        """The right-click menu, at `pos` in the plot's coordinates (not blocking)."""
        self.menu.popup(self.plot.mapToGlobal(pos))

    # ----------------------------------------------------------------- writing
    def save_image_to(self, path: Path) -> bool:
        self.exporting.emit()
        try:
            save_image(self.plot, path)
        except (ExportError, OSError, ValueError) as exc:
            message = tr("Could not save the image: {error}").format(error=exc)
            return self._done(path, message, False)
        return self._done(path, tr("Saved the image to {path}").format(path=path), True)

    def save_csv_to(self, path: Path) -> bool:
        try:
            write_csv(Path(path), self.model.headers(), self.model.rows())
        except (ExportError, OSError) as exc:
            message = tr("Could not save the data: {error}").format(error=exc)
            return self._done(path, message, False)
        return self._done(path, tr("Saved the data to {path}").format(path=path), True)

    def _done(self, path: Path, message: str, ok: bool) -> bool:
        self.notice.setText(message)
        self.notice.setAccessibleName(message)
        self.notice.setVisible(True)
        self.saved.emit(Path(path), ok)
        return ok

    # ----------------------------------------------------------------- dialogs
    def _suggested(self, location: QStandardPaths.StandardLocation, suffix: str) -> str:
        folder = QStandardPaths.writableLocation(location) or str(Path.home())
        return str(Path(folder) / f"{file_stem(_ascii(self.title))}{suffix}")

    def ask_image(self) -> None:
        where = self._suggested(QStandardPaths.StandardLocation.PicturesLocation, ".png")
        png, svg = (tr(kind) for kind in IMAGE_FILTERS)
        name, chosen = QFileDialog.getSaveFileName(
            self.panel,
            # Translators: a file dialog's title; {title} is a chart's title
            tr("Save {title} as an image").format(title=self.title),
            where,
            f"{png};;{svg}",
        )
        if name:
            path = Path(name)
            if path.suffix.lower() not in (".png", ".svg"):
                path = path.with_name(path.name + (".svg" if chosen == svg else ".png"))
            self.save_image_to(path)

    def ask_csv(self) -> None:
        where = self._suggested(QStandardPaths.StandardLocation.DocumentsLocation, ".csv")
        name, _chosen = QFileDialog.getSaveFileName(
            self.panel,
            # Translators: a file dialog's title; {title} is a chart's title
            tr("Save the data of {title}").format(title=self.title),
            where,
            tr("CSV file (*.csv)"),
        )
        if name:
            path = Path(name)
            self.save_csv_to(path if path.suffix else path.with_suffix(".csv"))


def _ascii(title: str) -> str:
    """A translated title in the letters a file name keeps ("Übersicht" -> "Ubersicht"):
    `file_stem` drops every other letter, and half a word is no name."""
    title = title.replace("ß", "ss")
    return unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
