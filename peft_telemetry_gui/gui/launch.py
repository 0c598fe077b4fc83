"""`peft-telemetry-gui`'s entry point, importable without Qt.

The desktop app is the `gui` extra: on a base install this says in one line how to get it,
instead of a traceback about PySide6.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Sequence

from ..core.i18n import N_, tr

__all__ = ["GUI_MISSING_MESSAGE", "main"]

#: In English (N_): printed translated (`tr`).
GUI_MISSING_MESSAGE = N_(
    "peft-telemetry-gui: the desktop app is not installed (it needs PySide6 and pyqtgraph); "
    "install it with: pip install 'peft-telemetry-gui[gui]'  "
    "(the peft-telemetry command works without it)"
)


def gui_available() -> bool:
    return all(importlib.util.find_spec(name) is not None for name in ("PySide6", "pyqtgraph"))


def main(argv: Sequence[str] | None = None) -> int:
    if not gui_available():
        print(tr(GUI_MISSING_MESSAGE), file=sys.stderr)
        return 1
    from .app import main as app_main

    return app_main(argv)
