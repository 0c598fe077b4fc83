"""What a cold start imports, and in which order (issue 13), checked in a child process: which
modules, never how long they take (timings are bench/gui.py's, not a test's)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from peft_telemetry_gui.core.services.consent import set_consent
from peft_telemetry_gui.core.store import Store

#: Runs the app to a screenshot, recording which of our Qt-free modules (`core`) were first
#: imported once Qt was loaded (PySide6 reads the source of each such module: slower).
CHILD = """
import json, sys
late = []

class Watch:
    def find_spec(self, name, path=None, target=None):
        if "PySide6.QtCore" in sys.modules and name.startswith("peft_telemetry_gui.core"):
            late.append(name)
        return None

sys.meta_path.insert(0, Watch())
from peft_telemetry_gui.gui.app import main

rc = main(sys.argv[1:])
print(json.dumps({"rc": rc, "late": late, "pyqtgraph": "pyqtgraph" in sys.modules}))
"""


def _start(tmp_path, env, *args: str) -> dict[str, object]:
    data = tmp_path / "data"
    set_consent(Store(data), enabled=True, actor="cli")
    shot = tmp_path / "shot.png"
    result = subprocess.run(
        [sys.executable, "-c", CHILD, "--data-dir", str(data), *args, "--screenshot", str(shot)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    out: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["rc"] == 0 and shot.exists()
    return out


def test_the_default_start_does_not_load_pyqtgraph(tmp_path, child_env) -> None:
    """The first page, Privacy, has no chart: pyqtgraph waits for the first page that has."""
    assert _start(tmp_path, child_env)["pyqtgraph"] is False


@pytest.mark.parametrize("page", ["privacy", "dashboard", "events", "activity"])
def test_the_core_a_first_page_needs_is_imported_before_qt(tmp_path, child_env, page) -> None:
    """`app._BEFORE_QT` and `_BEFORE_QT_PAGE` name every Qt-free module the start needs."""
    assert _start(tmp_path, child_env, "--page", page)["late"] == []
