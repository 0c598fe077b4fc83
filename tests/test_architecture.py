"""The structure docs/architecture.md promises: short modules, a light host import.

Import cycles, the layers and "Qt only in gui/" are import-linter contracts (pyproject.toml),
checked by `lint-imports` in `make test`; this file checks what import-linter cannot.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "peft_telemetry_gui"
MAX_LINES = 400


def long_modules(root: Path, limit: int = MAX_LINES) -> list[str]:
    out = []
    for path in sorted(root.rglob("*.py")):
        n = len(path.read_text(encoding="utf-8").splitlines())
        if n > limit:
            out.append(f"{path.relative_to(root.parent)} ({n} lines)")
    return out


def test_no_module_is_over_400_lines() -> None:
    assert long_modules(PACKAGE) == []


def test_the_length_check_can_fail(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "big.py").write_text("x = 1\n" * (MAX_LINES + 1))
    (tmp_path / "pkg" / "small.py").write_text("x = 1\n" * MAX_LINES)
    assert long_modules(tmp_path / "pkg") == ["pkg/big.py (401 lines)"]


def test_importing_the_client_loads_nothing_heavy() -> None:
    """A host's `from peft_telemetry_gui import TelemetryClient` must not load pydantic, httpx,
    protobuf, keyring or Qt: the writer thread loads what it needs, when it runs."""
    code = (
        "import sys, json\n"
        "from peft_telemetry_gui import TelemetryClient\n"
        "heavy = ('pydantic', 'httpx', 'google', 'keyring', 'PySide6', 'pyqtgraph', 'filelock')\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} & set(heavy))))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert json.loads(out.stdout) == []
