"""Issue 13: View -> Language switches every text without a restart, and is remembered.

A real window on a real store: the Language menu's action is triggered as a user would, and
the window that replaces the old one is read back (its texts, its page, its place), as is the
consent history entry a choice made afterwards records.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QCoreApplication, QSettings
from PySide6.QtWidgets import QMenu

from peft_telemetry_gui.core.i18n import OVERRIDE_VARIABLE, active_language
from peft_telemetry_gui.gui.language import SETTINGS_KEY, LanguageChooser
from peft_telemetry_gui.gui.main_window import MainWindow, app_settings
from peft_telemetry_gui.gui.state import AppState
from peft_telemetry_gui.gui.window_host import WindowHost


@pytest.fixture
def app_window(qtbot, store, monkeypatch: pytest.MonkeyPatch):
    """The composition root's objects, as `gui/app.py` makes them."""
    monkeypatch.delenv(OVERRIDE_VARIABLE, raising=False)
    state = AppState(store, clock=store.clock)
    languages = LanguageChooser(app_settings())

    def build(first_page: str | None, first_time: bool) -> MainWindow:
        return MainWindow(
            state, remember_geometry=False, ask_first_run=False, first_page=first_page
        )

    host = WindowHost(build, languages)
    host.window.show()
    with qtbot.waitSignal(state.first_load_finished, timeout=5000):
        state.start()
    yield host, languages, state
    host.window.close()
    state.shutdown()
    languages.choose("")  # no Qt translator left installed for later tests


def _language_menu(window: MainWindow) -> QMenu:
    menu = window.findChild(QMenu, "language_menu")
    assert menu is not None, "View -> Language is missing"
    return menu


def _trigger(window: MainWindow, code: str) -> None:
    action = next(a for a in _language_menu(window).actions() if a.data() == code)
    action.trigger()


def test_choosing_german_rebuilds_the_window_in_german_on_the_same_page(qtbot, app_window) -> None:
    host, _languages, _state = app_window
    old = host.window
    old.show_page("events")
    old.resize(1000, 700)
    assert old.export_button.text() == "Export…"

    with qtbot.waitSignal(host.window_replaced, timeout=5000):
        _trigger(old, "de")

    new = host.window
    assert new is not old and new.isVisible() and not old.isVisible()
    assert active_language() == "de"
    assert new.export_button.text() == "Exportieren…"
    assert new.current_page() == "events"
    assert (new.width(), new.height()) == (1000, 700)
    # Qt's own words follow: the Cancel of every dialog box.
    assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "Abbrechen"
    checked = [a.data() for a in _language_menu(new).actions() if a.isChecked()]
    assert checked == ["de"]

    with qtbot.waitSignal(host.window_replaced, timeout=5000):
        _trigger(new, "fr")
    assert host.window.export_button.text() == "Exporter…"
    assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "Annuler"


def test_the_choice_is_remembered_and_the_system_language_clears_it(qtbot, app_window) -> None:
    host, languages, _state = app_window
    with qtbot.waitSignal(host.window_replaced, timeout=5000):
        _trigger(host.window, "fr")
    assert (
        QSettings(app_settings().fileName(), QSettings.Format.IniFormat).value(SETTINGS_KEY) == "fr"
    )
    # The next start reads it back before any window is built.
    environ: dict[str, str] = {}
    assert LanguageChooser(app_settings(), environ=environ).choice == "fr"
    assert environ[OVERRIDE_VARIABLE] == "fr"

    with qtbot.waitSignal(host.window_replaced, timeout=5000):
        _trigger(host.window, "")
    assert languages.choice == ""
    assert active_language() == "en"
    assert host.window.export_button.text() == "Export…"


def test_a_consent_given_after_switching_records_the_language_shown(qtbot, app_window) -> None:
    host, _languages, state = app_window
    with qtbot.waitSignal(host.window_replaced, timeout=5000):
        _trigger(host.window, "fr")
    with qtbot.waitSignal(state.document_changed, timeout=5000):
        state.set_enabled(True)
    entry = state.document.audit_log[-1]
    assert entry.locale == "fr"
