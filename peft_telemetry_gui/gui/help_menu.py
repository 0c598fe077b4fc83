"""The Help menu: what the app is, what it collects, where the data is.

A user who wonders "what is this window and whose data is it" gets an answer without leaving
the app; the words come from the same places the pages use (the version, the data folder).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import QMenuBar, QMessageBox, QWidget

from .._version import __version__
from ..core.i18n import tr

__all__ = ["about_text", "build_help_menu"]


def about_text(data_dir: Path) -> str:
    return "".join(
        (
            tr("<h3>PEFT Telemetry {version}</h3>").format(version=__version__),
            tr(
                "<p>Local-first, privacy-first telemetry: what apps on this computer record "
                "about their use, kept on this computer, recorded only with your consent and "
                "anonymized before it is stored.</p>"
            ),
            tr(
                "<p>Nothing leaves this computer unless you turn on Upload, a second, separate "
                "consent.</p>"
            ),
            tr("<p>Your data folder: {path}</p>").format(path=data_dir),
            tr("<p>Free software under the MIT licence.</p>"),
        )
    )


def build_help_menu(
    window: QWidget,
    menu_bar: QMenuBar,
    *,
    data_dir: Path,
    show_page: Callable[[str], None],
) -> dict[str, QAction]:
    """The menu's actions by name, parented to `window` (they live as long as it does)."""
    menu = menu_bar.addMenu(tr("&Help"))
    actions = {
        "collected": QAction(tr("&What is collected"), window),
        "folder": QAction(tr("Open the &data folder"), window),
        "about": QAction(tr("&About PEFT Telemetry"), window),
    }
    actions["collected"].setShortcut(QKeySequence.StandardKey.HelpContents)
    actions["collected"].triggered.connect(lambda: show_page("privacy"))
    actions["folder"].triggered.connect(
        lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(data_dir)))
    )

    def about() -> None:
        title = tr("About PEFT Telemetry")
        box = QMessageBox(QMessageBox.Icon.Information, title, "", parent=window)
        box.setTextFormat(Qt.TextFormat.RichText)
        box.setText(about_text(data_dir))
        box.setObjectName("about_box")
        box.open()

    actions["about"].triggered.connect(about)
    menu.addAction(actions["collected"])
    menu.addAction(actions["folder"])
    menu.addSeparator()
    menu.addAction(actions["about"])
    return actions
