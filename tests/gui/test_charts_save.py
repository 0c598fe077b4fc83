"""Issue 12, charts you can keep: every chart panel has Save (a button and its right-click
menu) with "Save image…" (PNG or SVG by the name) and "Save data as CSV…" (its table's rows);
a failed save says so and never "Saved"."""

from __future__ import annotations

import csv
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QContextMenuEvent, QImage
from PySide6.QtWidgets import QApplication, QMenu

from peft_telemetry_gui.core.models import Event
from peft_telemetry_gui.core.store import Store
from peft_telemetry_gui.gui.chart_colors import series_color

ACTIONS = ["Save image…", "Save data as CSV…"]


def _fill(store: Store, now: datetime) -> None:
    def event(i: int, category: str, name: str, **fields: object) -> Event:
        when = now - timedelta(hours=30) + timedelta(minutes=41 * i)
        return Event(timestamp=when, category=category, event_type=name, session_id="s", **fields)

    events = [event(i, "usage", ("opened", "saved", "=cmd")[i % 3]) for i in range(12)]
    events += [event(20 + i, "error", "crashed") for i in range(3)]
    events += [
        event(30 + i, "performance", "performance", metric_name="load", value=i + 1.5, unit="s")
        for i in range(6)
    ]
    store.update(lambda doc: doc.events.extend(events))


def _panels(qtbot, make_window, store: Store, now: datetime):
    _fill(store, now)
    window = make_window(store)
    window.resize(900, 700)
    window.show_page("dashboard")
    qtbot.waitExposed(window)
    QApplication.processEvents()
    page = window.pages["dashboard"]
    return page.breakdown, page.timeline, page.histogram


# A menu popping up offscreen: the platform cannot raise it or grab the keyboard, and says so.
@pytest.mark.qt_log_ignore(
    "does not support propagateSizeHints", "does not support raise", "does not support grabbing"
)
def test_every_chart_has_save_in_a_button_and_its_right_click_menu(
    qtbot, make_window, store, pinned_now
) -> None:
    panels = _panels(qtbot, make_window, store, pinned_now)
    for panel in panels:
        button = panel.saving.button
        assert button.isVisibleTo(panel) and button.text() == "Save"
        assert [a.text() for a in button.menu().actions()] == ACTIONS
        # Right-click on the chart: the same menu, at the mouse.
        viewport = panel.plot.viewport()
        at = QPoint(viewport.width() // 2, viewport.height() // 2)
        QApplication.sendEvent(
            viewport,
            QContextMenuEvent(QContextMenuEvent.Reason.Mouse, at, viewport.mapToGlobal(at)),
        )
        qtbot.waitUntil(panel.saving.menu.isVisible, timeout=2000)
        shown = [
            w for w in QApplication.topLevelWidgets() if isinstance(w, QMenu) and w.isVisible()
        ]
        assert [a.text() for a in shown[0].actions()] == ACTIONS
        shown[0].hide()


def test_save_image_writes_a_png_of_the_charts_size_and_an_svg(
    qtbot, make_window, store, pinned_now, tmp_path: Path
) -> None:
    panels = _panels(qtbot, make_window, store, pinned_now)
    for panel in panels:
        png, svg = (tmp_path / f"{panel.accessibleName()}.{kind}" for kind in ("png", "svg"))
        on_screen = panel.plot.viewport().size()  # before the notice under it takes a line
        assert panel.saving.save_image_to(png)
        image = QImage(str(png))
        assert not image.isNull()
        assert (image.width(), image.height()) == (on_screen.width(), on_screen.height())
        assert panel.saving.notice.text() == f"Saved the image to {png}"
        QApplication.processEvents()  # the notice took a line from the chart
        on_screen = panel.plot.viewport().size()
        assert panel.saving.save_image_to(svg)
        root = ET.parse(svg).getroot()
        assert root.tag in ("svg", "{http://www.w3.org/2000/svg}svg")
        box = [float(v) for v in root.get("viewBox").split()]
        assert box == [0, 0, on_screen.width(), on_screen.height()]
    # The bars are in it, in their series' colours.
    svg_text = (tmp_path / "Events over time.svg").read_text(encoding="utf-8").lower()
    assert all(series_color(bar.series_name).name() in svg_text for bar in panels[1].bars)


def test_save_data_writes_the_rows_of_the_table_twin(
    qtbot, make_window, store, pinned_now, tmp_path: Path
) -> None:
    panels = _panels(qtbot, make_window, store, pinned_now)
    for panel in panels:
        path = tmp_path / "data.csv"
        assert panel.saving.save_csv_to(path)
        with path.open(newline="", encoding="utf-8") as f:
            header, *rows = list(csv.reader(f))
        model = panel.table_model
        twin = model.rows()
        assert twin and header == [
            model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())
        ]
        # A name a spreadsheet would run as a formula is quoted, as in the events export.
        assert rows == [[("'" + c if c.startswith("=") else c) for c in row] for row in twin]
        assert panel.saving.notice.text() == f"Saved the data to {path}"
    assert "=cmd" in [row[0] for row in panels[0].table_model.rows()]


def test_a_failed_save_says_so_and_never_saved(
    qtbot, make_window, store, pinned_now, tmp_path: Path
) -> None:
    panels = _panels(qtbot, make_window, store, pinned_now)
    panel = panels[1]
    missing = tmp_path / "no such folder" / "chart.png"
    results = []
    panel.saving.saved.connect(lambda path, ok: results.append((path, ok)))
    assert not panel.saving.save_image_to(missing)
    assert panel.saving.notice.text().startswith("Could not save the image: ")
    assert "Saved" not in panel.saving.notice.text() and not missing.exists()
    assert not panel.saving.save_csv_to(missing.with_suffix(".csv"))
    assert panel.saving.notice.text().startswith("Could not save the data: ")
    assert not panel.saving.save_image_to(tmp_path / "chart.gif")
    assert "png or .svg" in panel.saving.notice.text()
    assert not (tmp_path / "chart.gif").exists()
    assert [ok for _path, ok in results] == [False, False, False]


def test_the_image_leaves_out_the_crosshair(
    qtbot, make_window, store, pinned_now, tmp_path: Path
) -> None:
    panels = _panels(qtbot, make_window, store, pinned_now)
    panel = panels[1]
    scene = panel.plot.getViewBox().sceneBoundingRect().center()
    panel.crosshair.move_to(scene)
    assert panel.crosshair.text()
    hidden = []
    panel.saving.exporting.connect(lambda: hidden.append(panel.crosshair.text()))
    assert panel.saving.save_image_to(tmp_path / "t.png")
    assert panel.crosshair.text() == "" and hidden == [""]
