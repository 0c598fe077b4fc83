"""Issue 12, "Layout": every page stays usable in an 800x600 window.

Usable means: nothing a user reads or presses is drawn narrower than it needs (a clipped title,
a cut-off date, a button whose text is cut), and a page taller than the window scrolls rather
than squeezing its widgets on top of each other. Checked on the real window with demo data,
page by page, from Qt's own size hints.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QAbstractSpinBox,
    QComboBox,
    QLabel,
    QLineEdit,
    QWidget,
)

from peft_telemetry_gui.core.store import Store
from peft_telemetry_gui.gui.pages import PAGES

_READ_OR_PRESSED = (QLabel, QAbstractButton, QLineEdit, QComboBox, QAbstractSpinBox)


def _clipped(page: QWidget) -> list[str]:
    found = []
    for child in page.findChildren(QWidget):
        if not isinstance(child, _READ_OR_PRESSED) or not child.isVisible():
            continue
        if isinstance(child, QLabel) and child.wordWrap():
            continue  # wraps instead of clipping
        need = child.minimumSizeHint().width()
        if child.width() + 1 < need:
            name = child.accessibleName() or str(getattr(child, "text", lambda: "")())[:40]
            found.append(f"{type(child).__name__} {name!r}: {child.width()} < {need}")
    return found


def test_every_page_is_usable_at_800_by_600(qtbot, make_window, demo_store: Store) -> None:
    window = make_window(demo_store)
    window.resize(800, 600)
    window.show()
    qtbot.waitExposed(window)
    problems: dict[str, list[str]] = {}
    for spec in PAGES:
        window.show_page(spec.name)
        page = window.pages[spec.name]
        qtbot.wait(50)  # layouts settle
        found = _clipped(page)
        # A page whose minimum is larger makes Qt grow the window past 800x600 by itself.
        if window.width() > 800 or window.height() > 600:
            found.append(f"the window cannot be 800x600: it is {window.width()}x{window.height()}")
        # Taller than the space it has: only allowed for a page that scrolls.
        if page.minimumSizeHint().height() > window.stack.height():
            scrolls = any(isinstance(c, QAbstractScrollArea) for c in page.children())
            if not scrolls:
                found.append(
                    f"needs {page.minimumSizeHint().height()} px of height, has "
                    f"{window.stack.height()}, and does not scroll"
                )
        if found:
            problems[spec.name] = found
    assert problems == {}
