"""The Qt binding we run on: a release that crashes the app on exit is refused.

PySide6 6.12.0 drops a reference per signal emission and aborts at interpreter exit
("Fatal Python error: bool_dealloc") once a few hundred signals were emitted: any session of
the app, and our GUI test run, emits far more. pyproject.toml excludes that release; this test
fails on it (and on any later release with the same defect), in a real child process.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

CHILD = textwrap.dedent(
    """
    from PySide6.QtCore import QCoreApplication, QObject, Signal

    app = QCoreApplication([])

    class Model(QObject):
        busy_changed = Signal(bool)
        count_changed = Signal(int)

    model = Model()
    seen = []
    model.busy_changed.connect(seen.append)
    model.count_changed.connect(seen.append)
    for i in range(2000):
        model.busy_changed.emit(i % 2 == 0)
        model.count_changed.emit(i)
    assert len(seen) == 4000
    print("ok", flush=True)
    """
)


def test_an_app_that_emitted_many_signals_exits_cleanly() -> None:
    done = subprocess.run(
        [sys.executable, "-c", CHILD],
        capture_output=True,
        text=True,
        timeout=120,
        env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"},
    )
    assert done.stdout.strip() == "ok"
    assert done.returncode == 0, done.stderr[-2000:]
