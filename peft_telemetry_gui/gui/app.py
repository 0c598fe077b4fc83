"""`peft-telemetry-gui`: the composition root (arguments, store, view-model, window)."""

from __future__ import annotations

import argparse
import importlib
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from ..core.i18n import N_, tr, translate_argparse

__all__ = ["main", "parse_args"]

#: As `pages.PAGES` names them (a test keeps the two equal; importing that module here would
#: load Qt before `--help` or the no-display message could answer).
PAGE_NAMES = ("privacy", "dashboard", "events", "activity", "upload")

NO_DISPLAY_MESSAGE = N_(
    "peft-telemetry-gui: no display found (DISPLAY/WAYLAND_DISPLAY unset); use the "
    "`peft-telemetry` command line instead, or render the window to an image with "
    "`peft-telemetry-gui --screenshot FILE.png` (works headless via QT_QPA_PLATFORM=offscreen)."
)


def _page_name(text: str) -> str:
    """A page as the user spells it: "Activity" is the title shown in the window, so any case
    is accepted; anything else is refused with the names there are (argparse turns this into
    one usage line and exit status 2, no traceback)."""
    name = text.strip().lower()
    if name not in PAGE_NAMES:
        raise argparse.ArgumentTypeError(
            tr("unknown page {page!r}; choose one of: {names} (any case)").format(
                page=text, names=", ".join(PAGE_NAMES)
            )
        )
    return name


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    translate_argparse()
    parser = argparse.ArgumentParser(
        prog="peft-telemetry-gui",
        description=tr("See, control, export and delete the telemetry kept on this computer."),
    )
    parser.add_argument("--data-dir", metavar="DIR", help=tr("the data folder (default: per user)"))
    parser.add_argument(
        "--demo",
        action="store_true",
        help=tr("open generated sample data in a temporary folder (never your own store)"),
    )
    parser.add_argument(
        "--page",
        type=_page_name,
        metavar="PAGE",
        help=tr("the page to open: {names} (any case)").format(names=", ".join(PAGE_NAMES)),
    )
    parser.add_argument(
        "--screenshot",
        metavar="FILE.png",
        help=tr("render the window to FILE.png once loaded, then exit"),
    )
    return parser.parse_args(argv)


def _no_display() -> bool:
    """Linux/BSD without X11 or Wayland and no platform chosen: Qt would abort."""
    if sys.platform.startswith(("win", "darwin")):
        return False
    env = os.environ
    return not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY") or env.get("QT_QPA_PLATFORM"))


#: The Qt-free modules the start needs, imported before Qt: once PySide6 is loaded it reads
#: the source of every module imported after it (looking for "PySide6", to switch its
#: `__feature__`s), which makes each such import ~30 % slower. First what every start needs
#: (the window, the view-model), then what the first page adds; ours relative to the package.
_BEFORE_QT = (
    ".core.analytics",
    ".core.chart_data",
    ".core.consent",
    ".core.consent_changes",
    ".core.export",
    ".core.redactions",
    ".core.review",
    ".core.secrets",
    ".core.services.consent",
    ".core.store",
    ".gui.dashboard_model",
)
_BEFORE_QT_PAGE = {
    "privacy": (".core.event_view", ".core.scrub.explain", ".core.services.limits"),
    # The charts' pyqtgraph imports numpy (~90 modules): ~40 ms less when imported before Qt.
    "dashboard": ("numpy",),
    "events": (".core.event_view", ".core.upload.delivered"),
}


def _import_before_qt(first_page: str | None) -> None:
    package = __package__.rpartition(".")[0]
    for name in (*_BEFORE_QT, *_BEFORE_QT_PAGE.get(first_page or PAGE_NAMES[0], ())):
        importlib.import_module(name, package)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if _no_display():
        if args.screenshot:
            os.environ["QT_QPA_PLATFORM"] = "offscreen"
        else:
            print(tr(NO_DISPLAY_MESSAGE), file=sys.stderr)
            return 1

    # The core first, Qt after: PySide6 inspects every module imported once it is loaded, so
    # this order is measurably faster to start (`_BEFORE_QT`). Qt is imported only now, so
    # `--help` and the no-display message stay instant.
    _import_before_qt(args.page)
    from ..core.env import upload_worker_allowed
    from ..core.paths import resolve_data_dir
    from ..core.store import Store

    # isort: split
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from .language import LanguageChooser
    from .main_window import APPLICATION, ORGANIZATION, MainWindow, app_settings, window_icon
    from .state import AppState
    from .window_host import WindowHost

    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else APPLICATION])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName("PEFT Telemetry")
    app.setDesktopFileName(APPLICATION)
    app.setWindowIcon(window_icon())

    # No limits of the app's own (it had a hidden `--max-events`): how much is kept is the
    # store's (docs/store.md, "Limits"), changed on the Privacy page or with `peft-telemetry
    # limits`, audited. A process-wide cap here would prune a store that sets none below what
    # every other process keeps, silently, on the next consent toggle.
    if args.demo:
        from ..core.demo import generate_demo

        data_dir = Path(tempfile.mkdtemp(prefix="peft-telemetry-demo-"))
        generate_demo(Store(data_dir))
    else:
        data_dir = resolve_data_dir(args.data_dir)
    store = Store(data_dir)

    state = AppState(store, autostart_upload_worker=upload_worker_allowed(os.environ))
    screenshot = args.screenshot
    # A screenshot is the environment's language (LANGUAGE=de ... --screenshot), not whatever
    # was last chosen in this user's View -> Language.
    languages = LanguageChooser(None if screenshot else app_settings(), parent=app)

    def build(first_page: str | None, first_time: bool) -> MainWindow:
        built = MainWindow(
            state,
            remember_geometry=not screenshot,
            ask_first_run=first_time and not screenshot,
            fit_to_screen=first_time and not screenshot,
            first_page=first_page,
        )
        if args.demo:
            built.setWindowTitle(
                tr("PEFT Telemetry — demo data in {folder}").format(folder=data_dir)
            )
        return built

    host = WindowHost(build, languages, first_page=args.page, parent=app)
    window = host.window
    if args.page:
        window.show_page(args.page)
    window.show()
    exit_code = 0

    if screenshot:

        def grab() -> None:
            nonlocal exit_code
            app.processEvents()
            if not window.grab().save(screenshot):
                print(
                    tr("peft-telemetry-gui: could not write {file}").format(file=screenshot),
                    file=sys.stderr,
                )
                exit_code = 1
            app.quit()

        # Grab once the first load is shown (and, on the Upload page, its status, which loads
        # on its own worker) and the event loop has painted it.
        waiting = {"store"}
        if args.page == "upload":
            waiting.add("upload")

        def loaded(what: str) -> None:
            if what in waiting:
                waiting.discard(what)
                if not waiting:
                    QTimer.singleShot(0, window, grab)  # with `window` as context: not after it

        state.first_load_finished.connect(lambda: loaded("store"))
        if "upload" in waiting:
            window.page("upload").status_changed.connect(lambda _status: loaded("upload"))

        def give_up() -> None:
            nonlocal exit_code
            print(tr("peft-telemetry-gui: the store did not load within 30 s"), file=sys.stderr)
            exit_code = 1
            app.quit()

        # Owned by the window, so it ends with this run: the app object can outlive `main`
        # (tests, embedding), and a loose single-shot timer would quit a later event loop.
        watchdog = QTimer(window)
        watchdog.setSingleShot(True)
        watchdog.timeout.connect(give_up)
        watchdog.start(30_000)  # never hang a docs build

    state.start()
    rc = app.exec()
    # The window's own pending work first (closing it already did, `--screenshot` does not
    # close it), then the background work, which this composition root owns: a request in
    # flight completes and the upload worker stops before `--demo` removes its folder.
    host.window.shutdown()
    state.shutdown()
    if args.demo:  # generated data only; it was never anyone's real store
        shutil.rmtree(data_dir, ignore_errors=True)
    return exit_code or rc


if __name__ == "__main__":
    raise SystemExit(main())
