"""The core must never pull in Qt: host apps embed it without paying for the desktop app."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import peft_telemetry_gui.core as core


def test_package_and_every_core_module_import_without_qt() -> None:
    modules = ["peft_telemetry_gui", "peft_telemetry_gui.cli"] + [
        m.name for m in pkgutil.walk_packages(core.__path__, prefix="peft_telemetry_gui.core.")
    ]
    assert len(modules) > 8  # the walk really found the core
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "import peft_telemetry_gui\n"
        "peft_telemetry_gui.TelemetryClient\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('PySide6', 'pyqtgraph', 'shiboken6'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "", f"Qt imported by the core: {out.stdout}"
