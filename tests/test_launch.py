"""`peft-telemetry-gui` on a base install: one line saying how to get the app, never a traceback.

Runs for real in the Qt-free job (`make test-noqt`), where PySide6 is not installed at all.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

from peft_telemetry_gui.gui.launch import GUI_MISSING_MESSAGE

QT_INSTALLED = importlib.util.find_spec("PySide6") is not None


@pytest.mark.skipif(QT_INSTALLED, reason="needs an environment without PySide6 (make test-noqt)")
def test_the_app_without_qt_says_how_to_install_it() -> None:
    code = "from peft_telemetry_gui.gui.launch import main; raise SystemExit(main([]))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert proc.stderr.strip() == GUI_MISSING_MESSAGE
    assert "pip install 'peft-telemetry-gui[gui]'" in proc.stderr


@pytest.mark.skipif(QT_INSTALLED, reason="needs an environment without PySide6 (make test-noqt)")
def test_the_cli_gui_command_without_qt_fails_in_one_line(tmp_path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "peft_telemetry_gui.cli", "--data-dir", str(tmp_path), "gui"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [GUI_MISSING_MESSAGE]


def test_the_launcher_module_itself_never_imports_qt() -> None:
    code = (
        "import sys, peft_telemetry_gui.gui.launch\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"
