"""The window: navigation, the page registry, banners, and the Export / Delete actions."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from PySide6.QtCore import QByteArray, QSettings, QSize, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QIcon, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..core.i18n import tr
from ..core.models import StoreDocument
from ..core.store import StoreAccess, describe_notice
from .buttons import DestructiveButton
from .first_run import FirstRunDialog
from .help_menu import build_help_menu
from .pages import PAGES, PageSpec
from .review_dialog import ReviewPrompt
from .state import AppState
from .widgets import Banner
from .window_actions import WindowDataActions

__all__ = ["PAGES", "MainWindow", "PageSpec", "app_settings"]

ORGANIZATION = "peft-telemetry"
APPLICATION = "peft-telemetry-gui"

#: After the first load is shown, wait this long before building the other pages.
_BUILD_PAGES_AFTER_MS = 300


class _Pages(Mapping[str, QWidget]):
    """`window.pages[name]`: the page, built (and put in the stack) on first access."""

    def __init__(self, window: MainWindow) -> None:
        self._window = window

    def __getitem__(self, name: str) -> QWidget:
        return self._window.page(name)

    def __iter__(self) -> Iterator[str]:
        return iter(spec.name for spec in PAGES)

    def __len__(self) -> int:
        return len(PAGES)


def app_settings() -> QSettings:
    """INI everywhere, so tests can redirect it with `QSettings.setPath` or XDG_CONFIG_HOME."""
    return QSettings(
        QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANIZATION, APPLICATION
    )


class MainWindow(QMainWindow, WindowDataActions):
    def __init__(
        self,
        state: AppState,
        *,
        remember_geometry: bool = True,
        ask_first_run: bool = True,
        fit_to_screen: bool = True,
        first_page: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        """`fit_to_screen`: shrink the first window to the screen (not for `--screenshot`,
        whose picture has the same size on every machine). `first_page`: the page shown
        first, and the only one built before the first paint (default: the first in
        `PAGES`); building another first and switching cost start-up a whole page."""
        super().__init__(parent)
        self.state = state
        self._remember_geometry = remember_geometry
        self._ask_first_run = ask_first_run
        self.first_run_dialog: FirstRunDialog | None = None
        self.last_message: QMessageBox | None = None
        # Translators: the app's name, a product name: usually kept as it is
        self.setWindowTitle(tr("PEFT Telemetry"))
        self.setAccessibleName(self.windowTitle())

        central = QWidget()
        self.setCentralWidget(central)
        outer = QVBoxLayout(central)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        self.quarantine_banner = Banner("quarantine_banner", label=tr("Files kept aside"))
        self.error_banner = Banner("error_banner", label=tr("Error message"))
        # Why controls are greyed out: the data folder cannot be read or written at all.
        self.access_banner = Banner(
            "access_banner", dismissable=False, label=tr("Data folder not usable")
        )
        outer.addWidget(self.access_banner)
        outer.addWidget(self.quarantine_banner)
        outer.addWidget(self.error_banner)
        self._dismissed_quarantine: set[str] = set()
        self.quarantine_banner.dismissed.connect(self._on_quarantine_dismissed)

        body = QHBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        outer.addLayout(body, 1)
        side = QVBoxLayout()
        side.setContentsMargins(8, 8, 0, 8)
        self.nav = QListWidget()
        self.nav.setAccessibleName(tr("Pages"))
        self.nav.setAccessibleDescription(tr("Ctrl+1 to Ctrl+5 open the pages in this order"))
        # Wide enough for the longest title in the current font (so also at 2x or large text).
        titles = max(self.nav.fontMetrics().horizontalAdvance(spec.label()) for spec in PAGES)
        self.nav.setFixedWidth(titles + 6 * self.nav.fontMetrics().averageCharWidth() + 24)
        self.nav.setSpacing(3)
        side.addWidget(self.nav, 1)
        self.export_button = QPushButton(tr("Export…"))
        self.export_button.setAccessibleName(tr("Export all data"))
        self.delete_button = DestructiveButton(tr("Delete all…"))
        self.delete_button.setAccessibleName(tr("Delete all data"))
        side.addWidget(self.export_button)
        side.addWidget(self.delete_button)
        body.addLayout(side)
        self.stack = QStackedWidget()
        body.addWidget(self.stack, 1)

        self._built: dict[str, QWidget] = {}
        self.pages = _Pages(self)
        # Owned by the window, so it dies with it, and stopped on close: a bare
        # `QTimer.singleShot(ms, self.method)` would still call into a closed or deleted window.
        self._page_builder = QTimer(self)
        self._page_builder.setSingleShot(True)
        self._page_builder.timeout.connect(self._build_remaining_pages)
        self._closed = False
        for spec in PAGES:
            placeholder = QWidget()
            placeholder.setAccessibleName(tr("{page} (loading)").format(page=spec.label()))
            self.stack.addWidget(placeholder)
            item = QListWidgetItem(spec.label())
            item.setData(Qt.ItemDataRole.UserRole, spec.name)
            self.nav.addItem(item)
        self.nav.currentRowChanged.connect(self._on_nav_changed)
        names = [spec.name for spec in PAGES]
        self.nav.setCurrentRow(names.index(first_page) if first_page in names else 0)

        self._build_menu()
        self.export_button.clicked.connect(self._export_menu_from_button)
        self.delete_button.clicked.connect(self.delete_all)

        state.document_changed.connect(self._on_document_changed)
        state.error.connect(self._on_error)
        state.busy_changed.connect(self._on_busy_changed)
        state.writes_settled.connect(self._on_writes_settled)
        state.access_changed.connect(self._on_access_changed)
        state.export_finished.connect(self._on_export_finished)
        state.delete_finished.connect(self._on_delete_finished)
        state.first_load_finished.connect(self._on_first_load)
        self._busy = False
        self.review_prompt = ReviewPrompt(state, self)  # re-consent when collection grows
        self.statusBar().showMessage(tr("Loading…"))

        self.resize(1200, 820)
        if remember_geometry:
            geometry = app_settings().value("window/geometry")
            if isinstance(geometry, QByteArray | bytes) and geometry:
                self.restoreGeometry(QByteArray(geometry))
        screen = self.screen()
        if (
            fit_to_screen and screen is not None
        ):  # never larger than the screen, whatever the scale factor
            self.resize(fitted_size(self.size(), screen.availableGeometry().size()))

    # ----------------------------------------------------------------- structure
    def _build_menu(self) -> None:
        # Qt's "more menus" button, shown when the menu bar is too narrow, has no text.
        for button in self.menuBar().findChildren(QToolButton):
            if not button.accessibleName():
                button.setAccessibleName(tr("More menus"))
        file_menu = self.menuBar().addMenu(tr("&File"))
        self.export_json_action = QAction(tr("Export as &JSON…"), self)
        self.export_json_action.setShortcut(QKeySequence("Ctrl+E"))
        self.export_json_action.triggered.connect(lambda: self.export("json"))
        self.export_csv_action = QAction(tr("Export as &CSV…"), self)
        self.export_csv_action.triggered.connect(lambda: self.export("csv"))
        self.delete_action = QAction(tr("&Delete all data…"), self)
        self.delete_action.triggered.connect(self.delete_all)
        quit_action = QAction(tr("&Quit"), self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(self.export_json_action)
        file_menu.addAction(self.export_csv_action)
        file_menu.addSeparator()
        file_menu.addAction(self.delete_action)
        file_menu.addSeparator()
        file_menu.addAction(quit_action)
        view_menu = self.menuBar().addMenu(tr("&View"))
        for i, spec in enumerate(PAGES):
            action = QAction(spec.label(), self)
            action.setShortcut(QKeySequence(f"Ctrl+{i + 1}"))
            action.triggered.connect(lambda _=False, n=spec.name: self.show_page(n))
            view_menu.addAction(action)
            self.addAction(action)
        refresh = QAction(tr("&Reload"), self)
        refresh.setShortcut(QKeySequence.StandardKey.Refresh)
        refresh.triggered.connect(lambda: self.state.reload(force=True))
        view_menu.addSeparator()
        view_menu.addAction(refresh)
        self.view_menu = view_menu  # the composition root adds View -> Language here
        self.help_actions = build_help_menu(
            self, self.menuBar(), data_dir=self.state.data_dir, show_page=self.show_page
        )

    def page(self, name: str) -> QWidget:
        """The page called `name`, built on first use."""
        if name in self._built:
            return self._built[name]
        names = [spec.name for spec in PAGES]
        if name not in names:
            raise KeyError(name)
        index = names.index(name)
        page = PAGES[index].factory(self.state)
        requested = getattr(page, "delete_requested", None)  # pages that offer Delete all
        if requested is not None:
            requested.connect(self.delete_all)
        placeholder = self.stack.widget(index)
        current = self.stack.currentIndex()
        self.stack.insertWidget(index, page)
        self.stack.removeWidget(placeholder)
        placeholder.deleteLater()
        self.stack.setCurrentIndex(current)
        self._built[name] = page
        return page

    def _on_nav_changed(self, row: int) -> None:
        if 0 <= row < len(PAGES):
            self.page(PAGES[row].name)
            self.stack.setCurrentIndex(row)

    def _build_remaining_pages(self) -> None:
        """After the first paint, build the other pages one per event-loop turn, so switching
        is instant later and start-up never waited for them."""
        if self._closed:
            return
        for spec in PAGES:
            if spec.name not in self._built:
                self.page(spec.name)
                self._page_builder.start(0)
                return

    def show_page(self, name: str) -> None:
        names = [spec.name for spec in PAGES]
        if name not in names:
            raise ValueError(f"unknown page {name!r} (choose from {', '.join(names)})")
        self.nav.setCurrentRow(names.index(name))

    def current_page(self) -> str:
        return PAGES[self.stack.currentIndex()].name

    # ----------------------------------------------------------------- state slots
    def _on_first_load(self) -> None:
        if self._closed:  # closed while the store was loading: nothing more to show
            return
        self._page_builder.start(_BUILD_PAGES_AFTER_MS)
        doc = self.state.document
        self.statusBar().showMessage(tr("Data folder: {path}").format(path=self.state.data_dir))
        if self._ask_first_run and doc is not None and not doc.consent.decided:
            self.show_first_run()

    def show_first_run(self) -> FirstRunDialog:
        dialog = FirstRunDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.decided.connect(self.state.record_decision)
        dialog.details_requested.connect(lambda: self.show_page("privacy"))
        dialog.finished.connect(lambda _r: setattr(self, "first_run_dialog", None))
        self.first_run_dialog = dialog
        dialog.open()
        return dialog

    def _on_document_changed(self, doc: StoreDocument) -> None:
        notices = [n for n in doc.quarantined if n.moved_to not in self._dismissed_quarantine]
        if notices:
            self.quarantine_banner.show_message(
                "\n".join(describe_notice(n) for n in notices),
                details="\n".join(n.reason for n in notices),
            )
        else:
            self.quarantine_banner.hide()

    def _on_quarantine_dismissed(self) -> None:
        doc = self.state.document
        if doc is not None:
            self._dismissed_quarantine.update(n.moved_to for n in doc.quarantined)

    def _on_error(self, message: str) -> None:
        self.error_banner.show_message(message)
        self.statusBar().showMessage(message, 10_000)

    def _on_busy_changed(self, busy: bool) -> None:
        self._busy = busy
        self._enable_actions()
        if busy:
            self.statusBar().showMessage(tr("Saving…"))

    def _on_writes_settled(self, saved: bool) -> None:
        """ "Saved" only when it was: a failed write said why in the error banner."""
        if saved:
            # Translators: in the status bar, after the app wrote the user's changes to disk
            self.statusBar().showMessage(tr("Saved"), 3000)
        else:
            self.statusBar().showMessage(tr("Not saved: see the message above"), 10_000)

    def _on_access_changed(self, access: StoreAccess) -> None:
        if access.usable:
            self.access_banner.hide()
        else:
            self.access_banner.show_message(access.reason)
        self._enable_actions()

    def _enable_actions(self) -> None:
        """Export needs a store that can be read; Delete all one that can be written too."""
        access = self.state.access
        can_export = access.readable and not self._busy
        can_delete = access.writable and not self._busy
        self.export_button.setEnabled(can_export)
        self.export_json_action.setEnabled(can_export)
        self.export_csv_action.setEnabled(can_export)
        self.delete_button.setEnabled(can_delete)
        self.delete_action.setEnabled(can_delete)

    # ----------------------------------------------------------------- lifecycle
    def shutdown(self) -> None:
        """Stop the window's own pending work (building pages, the pages' own pools), so nothing
        calls into it once it is closed. Waits only for a page job already running (a scrub of
        one text, a limits write: never cut in half); the background work (store, upload)
        belongs to `AppState`, which may outlive the window: its owner, the composition root,
        shuts it down. A pool left running into interpreter exit crashed PySide6's GC."""
        self._closed = True
        self._page_builder.stop()
        for page in self._built.values():
            stop = getattr(page, "stop_own_work", None)  # pages whose boxes own a pool
            if stop is not None:
                stop()

    def showEvent(self, event: QShowEvent) -> None:
        self._closed = False
        super().showEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._remember_geometry:
            app_settings().setValue("window/geometry", self.saveGeometry())
        super().closeEvent(event)
        if event.isAccepted():
            self.shutdown()


def fitted_size(wanted: QSize, available: QSize) -> QSize:
    """`wanted`, shrunk to nine tenths of the screen's free area where it does not fit (a
    scale factor of 2 makes a 1400x900 screen 700x450 in the window's units)."""
    return QSize(
        min(wanted.width(), int(available.width() * 0.9)),
        min(wanted.height(), int(available.height() * 0.9)),
    )


def window_icon() -> QIcon:
    from ..core.paths import resources_dir

    icon = QIcon()
    icons = resources_dir() / "icons"
    for size in (16, 32, 48, 64, 128, 256):
        png = icons / f"peft-telemetry-{size}.png"
        if png.exists():
            icon.addFile(str(png))
    svg = icons / "peft-telemetry.svg"
    if icon.isNull() and svg.exists():
        icon.addFile(str(svg))
    return icon
