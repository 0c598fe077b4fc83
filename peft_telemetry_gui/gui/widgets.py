"""Small building blocks shared by the pages: banners, empty states, cards, chart panels.

Colours come from the system palette so light and dark themes both stay readable.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..core.i18n import tr
from .chart_save import ChartSaving
from .chart_table import ChartRowsModel

if TYPE_CHECKING:  # pyqtgraph only for the charts' pages (`plots`): start-up may not need it
    import pyqtgraph as pg

__all__ = [
    "Banner",
    "Card",
    "ChartPanel",
    "EmptyState",
    "heading",
    "palette_color",
    "setup_table",
]


def palette_color(role: QPalette.ColorRole, widget: QWidget | None = None) -> QColor:
    palette = widget.palette() if widget is not None else QPalette()
    return palette.color(role)


def heading(text: str, level: int = 1) -> QLabel:
    label = QLabel(text)
    font = QFont(label.font())
    font.setBold(True)
    font.setPointSizeF(font.pointSizeF() * (1.5 if level == 1 else 1.15))
    label.setFont(font)
    label.setAccessibleName(text)
    label.setWordWrap(True)
    return label


class Banner(QFrame):
    """A message strip above the content: warnings that must not be missed, and errors.

    Uses the palette's tooltip colours (meant for text on a tinted background in every theme)
    rather than a hardcoded yellow that would be unreadable in dark mode.
    """

    dismissed = Signal()

    def __init__(
        self,
        name: str,
        dismissable: bool = True,
        parent: QWidget | None = None,
        *,
        label: str,
    ) -> None:
        """`name`: the object name; `label`: what a screen reader calls the banner, in the
        user's language (required: an object name's words would be English in every one)."""
        super().__init__(parent)
        self.setObjectName(name)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self._apply_palette()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        texts = QVBoxLayout()
        texts.setContentsMargins(0, 0, 0, 0)
        texts.addWidget(self.label)
        # The technical words (a parser's message, a path), shown only when asked for.
        self.details = QLabel()
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details.hide()
        texts.addWidget(self.details)
        layout.addLayout(texts, 1)
        self.details_button = QToolButton()
        # Translators: a button on a message strip: shows the technical details behind it
        self.details_button.setText(tr("Details"))
        self.details_button.setCheckable(True)
        self.details_button.setAccessibleName(tr("Show details: {banner}").format(banner=label))
        self.details_button.toggled.connect(self.details.setVisible)
        self.details_button.hide()
        layout.addWidget(self.details_button, 0, Qt.AlignmentFlag.AlignTop)
        self.close_button: QToolButton | None = None
        if dismissable:
            self.close_button = QToolButton()
            self.close_button.setText(tr("Dismiss"))
            self.close_button.setAccessibleName(tr("Dismiss: {banner}").format(banner=label))
            self.close_button.clicked.connect(self._dismiss)
            layout.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        self.setAccessibleName(label)
        self.hide()

    def _apply_palette(self) -> None:
        # Derived from the application's palette, not our own: ours has these two roles set
        # explicitly, so it would no longer follow a theme change by itself.
        pal = QApplication.palette(self)
        pal.setColor(QPalette.ColorRole.Window, pal.color(QPalette.ColorRole.ToolTipBase))
        pal.setColor(QPalette.ColorRole.WindowText, pal.color(QPalette.ColorRole.ToolTipText))
        current = self.palette()
        if (
            any(
                current.color(role) != pal.color(role)
                for role in (QPalette.ColorRole.Window, QPalette.ColorRole.WindowText)
            )
            or current.resolveMask() != pal.resolveMask()
        ):
            self.setPalette(pal)  # sends PaletteChange again: then nothing differs, no loop

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (
            QEvent.Type.PaletteChange,
            QEvent.Type.ApplicationPaletteChange,
        ):
            self._apply_palette()

    def show_message(self, text: str, details: str = "") -> None:
        """`details`: the technical words behind `text`, behind a Details button."""
        self.label.setText(text)
        self.details.setText(details)
        self.details_button.setVisible(bool(details))
        if not details:
            self.details_button.setChecked(False)
        self.setAccessibleDescription(f"{text} {details}".strip())
        self.show()

    def text(self) -> str:
        return self.label.text()

    def _dismiss(self) -> None:
        self.hide()
        self.dismissed.emit()


class EmptyState(QWidget):
    """What to do when there is nothing to show, instead of an empty chart or table.

    `set_message` lets a page say what is true now (off, nothing yet, nothing in this range);
    `action` is a button for the one step that helps, hidden unless the message names one.
    """

    def __init__(self, title: str, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        self.title = heading(title, 2)
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.body = QLabel(text)
        self.body.setWordWrap(True)
        self.body.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.body.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.body.setTextFormat(Qt.TextFormat.PlainText)  # what is written is what is shown
        self.action = QPushButton()
        self.action.setVisible(False)
        layout.addWidget(self.title)
        layout.addWidget(self.body)
        layout.addWidget(self.action, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)
        self.set_message(title, text)

    def set_message(self, title: str, text: str, action: str | None = None) -> None:
        self.title.setText(title)
        self.title.setAccessibleName(title)
        self.body.setText(text)
        self.action.setText(action or "")
        self.action.setAccessibleName(action or tr("{title}: no action").format(title=title))
        self.action.setVisible(bool(action))
        self.setAccessibleName(title)
        self.setAccessibleDescription(text)


class Card(QFrame):
    """One headline figure."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        self.title = QLabel(title)
        self.value = QLabel("–")
        font = QFont(self.value.font())
        font.setPointSizeF(font.pointSizeF() * 1.8)
        font.setBold(True)
        self.value.setFont(font)
        layout.addWidget(self.title)
        layout.addWidget(self.value)
        self._title = title
        self.set_value("–")

    def set_value(self, text: str) -> None:
        self.value.setText(text)
        # Translators: a headline figure as a screen reader reads it, e.g. "Events today: 12"
        self.setAccessibleName(tr("{title}: {value}").format(title=self._title, value=text))


def setup_table(view: QTableView, name: str) -> None:
    view.setAccessibleName(name)
    view.horizontalHeader().setAccessibleName(tr("{name} columns").format(name=name))
    view.verticalHeader().setAccessibleName(tr("{name} rows").format(name=name))
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setTabKeyNavigation(False)  # Tab leaves the table; arrows move inside it
    view.setWordWrap(False)
    view.verticalHeader().setVisible(False)
    view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + 8)
    view.horizontalHeader().setMinimumSectionSize(48)
    view.horizontalHeader().setHighlightSections(False)


class ChartPanel(QFrame):
    """A chart with its text alternative: the same numbers as a table, one toggle away, and in
    the plot's accessible description for screen readers. An optional caption under the title
    says what drives the chart. Save (a button, and the chart's right-click menu) keeps the
    picture or the table's rows (`chart_save`)."""

    #: Widest a table column grows to fit its text, in average characters: wider names are
    #: cut with an ellipsis (the cell's tooltip has them whole) so the other columns stay.
    MAX_COLUMN_CHARS = 32

    def __init__(
        self,
        title: str,
        plot: pg.PlotWidget,
        headers: Sequence[str],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.plot = plot
        self.setAccessibleName(title)
        self.plot.setAccessibleName(tr("{title} chart").format(title=title))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 8)
        self.table_model = ChartRowsModel(headers, self)
        self.saving = ChartSaving(self, title, plot, self.table_model)
        top = QHBoxLayout()
        top.addWidget(heading(title, 2), 1)
        top.addWidget(self.saving.button)
        self.toggle = QPushButton(tr("Show as table"))
        self.toggle.setCheckable(True)
        self._chart_title = title
        # The words shown, first.
        self.toggle.setAccessibleName(tr("Show as table: {title}").format(title=title))
        self.toggle.toggled.connect(self._on_toggled)
        top.addWidget(self.toggle)
        layout.addLayout(top)
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.caption.setTextFormat(Qt.TextFormat.PlainText)
        self.caption.setVisible(False)
        layout.addWidget(self.caption)
        self.table = QTableView()
        self.table.setModel(self.table_model)
        setup_table(self.table, tr("{title} table").format(title=title))
        self.table.horizontalHeader().setStretchLastSection(True)
        self.stack = QStackedWidget()
        self.stack.addWidget(plot)
        self.stack.addWidget(self.table)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.saving.notice)
        self._columns_fitted = False

    def set_caption(self, text: str) -> None:
        self.caption.setText(text)
        self.caption.setAccessibleName(text)
        self.caption.setVisible(bool(text))

    def set_rows(
        self,
        rows: Sequence[Sequence[str]],
        description: str,
        headers: Sequence[str] | None = None,
    ) -> None:
        """`headers`: new column titles, for a chart whose series vary."""
        if headers is None:
            self.table_model.set_rows(rows)
        else:
            self.table_model.set_table(headers, rows)
        self.plot.setAccessibleDescription(description)
        self.table.setAccessibleDescription(description)
        self.setAccessibleDescription(description)
        self._columns_fitted = False
        if self.stack.currentWidget() is self.table:
            self._fit_columns()

    def _fit_columns(self) -> None:
        """Every column as wide as its header and text ("Period starting" whole), up to a cap
        so one long name cannot push the others out of sight. Only once the table is shown:
        measuring every row costs more than drawing the chart, on each refresh."""
        if self._columns_fitted:
            return
        self._columns_fitted = True
        cap = self.table.fontMetrics().averageCharWidth() * self.MAX_COLUMN_CHARS
        self.table.resizeColumnsToContents()
        for column in range(self.table_model.columnCount() - 1):  # the last one stretches
            if self.table.columnWidth(column) > cap:
                self.table.setColumnWidth(column, cap)

    def _on_toggled(self, checked: bool) -> None:
        if checked:
            self._fit_columns()
        self.stack.setCurrentIndex(1 if checked else 0)
        title = self._chart_title
        if checked:
            self.toggle.setText(tr("Show as chart"))
            self.toggle.setAccessibleName(tr("Show as chart: {title}").format(title=title))
        else:
            self.toggle.setText(tr("Show as table"))
            self.toggle.setAccessibleName(tr("Show as table: {title}").format(title=title))
