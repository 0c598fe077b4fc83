"""Closing and deleting the window while work is pending: nothing may call back into it.

The window builds its other pages shortly after the first load, and the view-models (the state
and the upload model it owns) may outlive the window. Each test closes the window before that
build happens; a callback that outlived its object shows up as an exception in a Qt callback
(which pytest-qt turns into a failure) or a Qt warning (which fails the test as well).
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent

from peft_telemetry_gui.gui.main_window import PAGES, MainWindow
from peft_telemetry_gui.gui.state import AppState

#: Longer than the window waits after the first load before it builds the other pages.
PAST_THE_PAGE_BUILDER_MS = 700


def _delete_later_now() -> None:
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    QCoreApplication.processEvents()


def _unbuilt_pages(window: MainWindow) -> list[str]:
    stack = window.stack
    return [
        PAGES[i].name
        for i in range(stack.count())
        if stack.widget(i).accessibleName().endswith("(loading)")
    ]


def _open(qtbot, store) -> tuple[AppState, MainWindow]:
    """A loaded window on the Upload page (as `--page upload` opens it), its other pages not
    built yet: the window builds them a moment after the first load."""
    state = AppState(store)
    window = MainWindow(state, remember_geometry=False, ask_first_run=False)
    window.show_page("upload")
    window.show()
    with qtbot.waitSignal(state.first_load_finished, timeout=5000):
        state.start()
    assert _unbuilt_pages(window), "the page builder already ran: the test proves nothing"
    return state, window


def _close_and_delete(window: MainWindow, state: AppState) -> None:
    """What a process does at the end: close the window, shut the state down, delete both."""
    window.close()
    state.shutdown()
    window.deleteLater()
    state.deleteLater()


def test_a_deleted_window_is_never_called_back_while_the_state_lives_on(qtbot, store) -> None:
    state, window = _open(qtbot, store)
    upload = state.upload
    window.close()
    window.deleteLater()
    _delete_later_now()
    try:
        # The state outlives the window: it reloads and tells whoever still listens; the upload
        # model (the state's) refreshes. The deleted pages must not be among the listeners.
        with qtbot.waitSignals([state.document_changed, upload.status_changed], timeout=5000):
            state.reload(force=True)
        qtbot.wait(PAST_THE_PAGE_BUILDER_MS)
    finally:
        state.shutdown()
        state.deleteLater()
        _delete_later_now()


def test_window_and_state_deleted_before_the_pages_are_built(qtbot, store) -> None:
    state, window = _open(qtbot, store)
    _close_and_delete(window, state)
    _delete_later_now()
    qtbot.wait(PAST_THE_PAGE_BUILDER_MS)


def test_window_and_state_deleted_while_the_pages_are_being_built(qtbot, store) -> None:
    """Closed right after the builder made one page, with the next one due on the next turn of
    the event loop: the flaky `close while a request is in flight` test, made deterministic
    (it failed with "Signal source has been deleted" from a page built for a deleted state)."""
    state, window = _open(qtbot, store)
    closed: list[int] = []

    def close_after_one_page(_index: int) -> None:  # the placeholder is replaced: one built
        if not closed:
            closed.append(_index)
            _close_and_delete(window, state)

    window.stack.widgetRemoved.connect(close_after_one_page)
    qtbot.waitUntil(lambda: bool(closed), timeout=5000)
    _delete_later_now()
    qtbot.wait(PAST_THE_PAGE_BUILDER_MS)


def test_a_closed_window_builds_no_more_pages(qtbot, store) -> None:
    state, window = _open(qtbot, store)
    try:
        unbuilt = _unbuilt_pages(window)
        window.close()
        qtbot.wait(PAST_THE_PAGE_BUILDER_MS)
        assert _unbuilt_pages(window) == unbuilt
        assert window.pages["events"] is not None  # asked for explicitly, a page is still built
    finally:
        state.shutdown()
        window.deleteLater()
        state.deleteLater()
        _delete_later_now()
