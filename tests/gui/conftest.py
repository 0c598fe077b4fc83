"""Fixtures for the desktop app: a real store in tmp_path, the view-model, the window.

Nothing is mocked below the view-model: every test reads and writes a real `telemetry.json`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

# Before any QApplication exists: headless, no real keyring, no user environment leaking in.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["PEFT_TELEMETRY_SECRETS"] = "file"
for _name in ("DO_NOT_TRACK", "PEFT_TELEMETRY_DISABLED", "PEFT_TELEMETRY_DIR"):
    os.environ.pop(_name, None)

from PySide6.QtCore import QSettings  # noqa: E402

from peft_telemetry_gui.core.demo import generate_demo  # noqa: E402
from peft_telemetry_gui.core.store import Store  # noqa: E402
from peft_telemetry_gui.gui.main_window import MainWindow  # noqa: E402
from peft_telemetry_gui.gui.state import AppState  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]

# Harmless platform-plugin chatter under offscreen/xvfb; anything else still fails a test.
_IGNORED_QT_MESSAGES = ("This plugin does not support propagateSizeHints",)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/gui" in str(item.fspath).replace(os.sep, "/"):
            for message in _IGNORED_QT_MESSAGES:
                item.add_marker(pytest.mark.qt_log_ignore(message))


@pytest.fixture(autouse=True)
def _settings_in_tmp(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Window geometry goes to a temp INI file, never the developer's real settings."""
    folder = tmp_path_factory.mktemp("settings")
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))


# The app's "now" in these tests. Demo data, the store's retention and the dashboard's ranges
# all count back from it, so a run at 03:30 UTC sees the same figures as one at 15:30.
NOW = datetime(2026, 11, 23, 15, 30, tzinfo=UTC)


def _pinned_clock() -> Callable[[], datetime]:
    """NOW when called first, then moving on in real time: the upload sender waits for time to
    pass, so a clock that stands still would stall it."""
    start = time.monotonic()
    return lambda: NOW + timedelta(seconds=time.monotonic() - start)


@pytest.fixture
def pinned_now() -> datetime:
    """The fixed instant the `store` fixture's clock (and so the app's) starts at."""
    return NOW


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "data", clock=_pinned_clock())


@pytest.fixture
def demo_store(store: Store) -> Store:
    generate_demo(store, days=30, seed=1, now=NOW)
    return store


@pytest.fixture
def make_state(qtbot) -> Iterator:
    """Build started view-models; each is shut down (jobs finished) after the test."""
    states: list[AppState] = []

    def make(store: Store, **kwargs: object) -> AppState:
        kwargs.setdefault("clock", store.clock)  # "last 7 days" counts back from the data's now
        state = AppState(store, **kwargs)
        states.append(state)
        with qtbot.waitSignal(state.first_load_finished, timeout=5000):
            state.start()
        return state

    yield make
    _dispose(qtbot, states, [])


def _dispose(qtbot, states: list[AppState], windows: list[MainWindow]) -> None:
    """Finish jobs, then delete the Qt objects here, on the GUI thread.

    Left to Python's garbage collector they could be destroyed on whichever thread happens to
    collect, including a pool thread, which Qt does not allow.
    """
    from PySide6.QtCore import QCoreApplication, QEvent

    for state in states:
        state.shutdown()
    for window in windows:
        window.close()
        window.deleteLater()
    for state in states:
        state.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    QCoreApplication.processEvents()


@pytest.fixture
def make_window(qtbot, make_state) -> Iterator:
    def make(store: Store, *, ask_first_run: bool = False, **kwargs: object) -> MainWindow:
        kwargs.setdefault("clock", store.clock)
        state = AppState(store, **kwargs)
        window = MainWindow(state, remember_geometry=False, ask_first_run=ask_first_run)
        windows.append(window)
        window.show()
        with qtbot.waitSignal(state.first_load_finished, timeout=5000):
            state.start()
        make_state_states.append(state)
        return window

    make_state_states: list[AppState] = []
    windows: list[MainWindow] = []
    yield make
    _dispose(qtbot, make_state_states, windows)


@pytest.fixture
def child_env() -> dict[str, str]:
    """Environment for child processes that import the package from this checkout."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


@pytest.fixture
def review_pending() -> Callable[[Store], None]:
    """Gives consent to one catalogue, then declares one event more: the app asks for a review."""
    from peft_telemetry_gui.core.catalogue import parse_catalogue, stored_record
    from peft_telemetry_gui.core.services.consent import set_consent

    def declare(store: Store) -> None:
        for events in (("export_done",), ("export_done", "merge_done")):
            catalogue = {
                "version": str(len(events)),
                "events": {name: {"category": "usage", "description": name} for name in events},
            }
            record = stored_record(parse_catalogue(catalogue), app_version="1", now=store.clock())
            store.update(lambda doc, r=record: doc.catalogues.__setitem__("PEFT Studio", r))
            if len(events) == 1:
                set_consent(store, enabled=True, actor="cli")

    return declare
