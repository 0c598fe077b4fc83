"""Issue 13: every text the app shows goes through the translation catalogue.

Under the pseudo-locale (`LANGUAGE=pseudo`) every translated text comes back bracketed, its
letters accented ("⟦Éẋþóŕţ…⟧", so also a piece of one split around an input field). The
walk reads every text a user can see or hear on every page, menu and dialog (labels, buttons,
tooltips, accessible names and descriptions, placeholders, headers, table cells, chart titles,
axes and legends) and takes out the bracketed parts, the data itself (every word of the store's
own files), addresses and a few names that are never translated. Any plain word left over (the
pseudo-locale leaves none in a translated text) was shown without
going through `tr`: the failure lists each one with the widget that shows it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pyqtgraph as pg
import pytest
from PySide6.QtCore import QAbstractItemModel, QModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QComboBox,
    QDialogButtonBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QTabWidget,
    QTextEdit,
    QWidget,
)

from peft_telemetry_gui.core.store import Store
from peft_telemetry_gui.gui.first_run import FirstRunDialog
from peft_telemetry_gui.gui.main_window import MainWindow
from peft_telemetry_gui.gui.pages import PAGES

#: Names, not words: the same in every language.
NEVER_TRANSLATED = {
    *("PEFT", "Telemetry", "Studio", "OpenTelemetry", "OTLP", "HTTP", "HTTPS", "JSON", "CSV"),
    *("PNG", "SVG", "URL", "API", "DO_NOT_TRACK", "PEFT_TELEMETRY_DISABLED", "Ctrl", "Shift"),
    *("Alt", "localhost", "http", "https", "peft", "telemetry", "gui", "Qt", "UTC", "Python"),
}
_BRACKETED = re.compile(r"⟦[^⟦⟧]*⟧")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_'-]{2,}")
_MARKUP = re.compile(r"<[^>]*>|&[a-z]+;|&(?=\w)")
#: A value cut short to fit a cell ("output_di…") is data, not a word.
_CUT_SHORT = re.compile(r"[\w./-]+…")
_ADDRESS = re.compile(r"\w+://\S+")


def _untranslated_words(text: str, data_words: set[str]) -> list[str]:
    text = _CUT_SHORT.sub(" ", _MARKUP.sub(" ", _ADDRESS.sub(" ", text)))
    while _BRACKETED.search(text):  # innermost first: "⟦Saved ⟦3 events⟧⟧"
        text = _BRACKETED.sub(" ", text)
    return [
        word
        for word in _WORD.findall(text)
        if word not in data_words and word.strip("'-_") not in data_words
        if word not in NEVER_TRANSLATED
    ]


def _data_words(store: Store, tmp_path: Path) -> set[str]:
    """Every word of the store's own files and of the folders around it: shown as data."""
    words: set[str] = set(_WORD.findall(str(tmp_path)))
    for path in store.data_dir.rglob("*"):
        if path.is_file():
            words.update(_WORD.findall(path.read_text(encoding="utf-8", errors="replace")))
    return words | {w.lower() for w in words} | {w.capitalize() for w in words}


def _model_texts(model: QAbstractItemModel | None) -> Iterator[str]:
    if model is None:
        return
    try:
        columns = model.columnCount(QModelIndex())
    except TypeError:  # a list model: one column, its count private
        columns = 1
    rows = min(model.rowCount(QModelIndex()), 30)
    for column in range(columns):
        for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            value = model.headerData(column, Qt.Orientation.Horizontal, role)
            if isinstance(value, str):
                yield value
    for row in range(rows):
        for column in range(columns):
            for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
                value = model.data(model.index(row, column), role)
                if isinstance(value, str):
                    yield value


def _menu_texts(menu: QMenu) -> Iterator[tuple[str, str]]:
    yield f"menu {menu.objectName()}", menu.title()
    for action in menu.actions():
        yield f"action in {menu.title()!r}", action.text()
        yield f"action in {menu.title()!r} (tooltip)", action.toolTip()
        if action.menu() is not None:
            yield from _menu_texts(action.menu())


def _qt_standard_button(widget: QWidget) -> bool:
    """Cancel, OK, Close...: Qt's own words, translated by Qt's catalogues (gui/language.py
    installs them; tests/gui/test_language_switch.py checks one), not by ours."""
    box = widget.parent()
    return isinstance(box, QDialogButtonBox) and (
        box.standardButton(widget) != QDialogButtonBox.StandardButton.NoButton
    )


def _widget_texts(widget: QWidget) -> Iterator[tuple[str, str]]:
    what = f"{type(widget).__name__}#{widget.objectName()}"
    if widget.isWindow():
        yield f"{what} (title)", widget.windowTitle()
    yield f"{what} (accessible name)", widget.accessibleName()
    yield f"{what} (accessible description)", widget.accessibleDescription()
    yield f"{what} (tooltip)", widget.toolTip()
    yield f"{what} (status tip)", widget.statusTip()
    if isinstance(widget, QLabel | QAbstractButton) and not _qt_standard_button(widget):
        yield what, widget.text()
    if isinstance(widget, QGroupBox):
        yield what, widget.title()
    if isinstance(widget, QLineEdit | QPlainTextEdit | QTextEdit):
        yield f"{what} (placeholder)", widget.placeholderText()
    if isinstance(widget, QComboBox):
        for i in range(widget.count()):
            yield f"{what} item", widget.itemText(i)
    if isinstance(widget, QTabWidget):
        for i in range(widget.count()):
            yield f"{what} tab", widget.tabText(i)
    if isinstance(widget, QAbstractItemView):
        for text in _model_texts(widget.model()):
            yield f"{what} (model)", text
    if isinstance(widget, QMenu):
        yield from _menu_texts(widget)
    if isinstance(widget, pg.PlotWidget):
        plot = widget.getPlotItem()
        yield f"{what} (chart title)", plot.titleLabel.text or ""
        for side in ("left", "bottom", "right", "top"):
            axis = plot.getAxis(side)
            if axis.isVisible():
                yield f"{what} ({side} axis)", axis.labelText or ""
        for action in widget.scene().contextMenu:  # the right-click menu of the chart
            yield f"{what} (chart menu)", action.text()
        if plot.legend is not None:
            for _sample, label in plot.legend.items:
                yield f"{what} (legend)", label.text or ""


def _all_texts(roots: list[QWidget]) -> Iterator[tuple[str, str]]:
    for root in roots:
        for widget in [root, *root.findChildren(QWidget)]:
            yield from _widget_texts(widget)
        if isinstance(root, MainWindow):
            for action in root.menuBar().actions():
                if action.menu() is not None:
                    yield from _menu_texts(action.menu())


@pytest.fixture
def pseudo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANGUAGE", "pseudo")


def test_pseudo_locale_finds_a_text_shown_without_tr(qtbot) -> None:
    """The walk itself: a label set without `tr` is reported, one set with it is not."""
    plain, translated = QLabel("Delete everything"), QLabel("⟦Delete everything⟧")
    qtbot.addWidget(plain)
    qtbot.addWidget(translated)
    assert _untranslated_words(plain.text(), set()) == ["Delete", "everything"]
    assert _untranslated_words(translated.text(), set()) == []
    assert _untranslated_words("⟦Saved {n}⟧ train_run_7", {"train_run_7"}) == []
    assert _untranslated_words("⟦Export…⟧ output_di…", set()) == []
    assert _untranslated_words("ŕáŵ éṽéñţš áñď", set()) == []  # the middle of a split text
    assert _untranslated_words("https://collector.example.com", set()) == []


def test_every_page_menu_and_dialog_shows_only_translated_text(
    qtbot, pseudo, make_window, demo_store, review_pending, tmp_path
) -> None:
    review_pending(demo_store)
    window = make_window(demo_store)
    for spec in PAGES:
        window.pages[spec.name]
    qtbot.waitUntil(lambda: window.review_prompt.dialog is not None, timeout=5000)
    first_run = FirstRunDialog()
    qtbot.addWidget(first_run)
    data_words = _data_words(demo_store, tmp_path)

    found: dict[str, set[str]] = {}
    roots: list[QWidget] = [window, first_run, window.review_prompt.dialog]
    for where, text in _all_texts(roots):
        if text and (words := _untranslated_words(text, data_words)):
            found.setdefault(f"{where}: {text[:80]!r}", set()).update(words)
    report = "\n".join(f"{where} -> {sorted(words)}" for where, words in sorted(found.items()))
    assert not found, f"{len(found)} texts shown without tr():\n{report}"


def test_the_delete_question_and_its_report_are_translated(
    qtbot, pseudo, make_window, demo_store, tmp_path
) -> None:
    """The message boxes a user answers or reads: the Delete all question, its report."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    window = make_window(demo_store)
    data_words = _data_words(demo_store, tmp_path)
    shown: list[tuple[str, str]] = []

    def answer() -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox)
        shown.extend(_all_texts([box]))
        role = QMessageBox.ButtonRole.DestructiveRole
        next(b for b in box.buttons() if box.buttonRole(b) == role).click()

    QTimer.singleShot(100, answer)
    assert window.confirm_delete() is True
    with qtbot.waitSignal(window.state.delete_finished, timeout=10_000):
        window.state.delete_all()
    qtbot.waitUntil(lambda: window.last_message is not None, timeout=5000)
    shown.extend(_all_texts([window.last_message]))
    found = {
        f"{where}: {text[:80]!r}": words
        for where, text in shown
        if text and (words := _untranslated_words(text, data_words))
    }
    assert shown and not found, found
