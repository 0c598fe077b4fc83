"""Render every page of the `--demo` app to docs/screenshots/<page>.png.

Uses the real display when there is one, else `xvfb-run` when installed (real X11 rendering),
else Qt's offscreen platform. Each page is a separate `peft-telemetry-gui --screenshot` process,
so this also checks that the command works end to end.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
PAGES = ("privacy", "dashboard", "events", "activity", "upload")


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.pop("DO_NOT_TRACK", None)  # the banner would only say the build machine has it set
    has_display = env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")
    prefix: list[str] = []
    if env.get("QT_QPA_PLATFORM"):
        how = f"QT_QPA_PLATFORM={env['QT_QPA_PLATFORM']}"
    elif has_display:
        how = "the current display"
    elif shutil.which("xvfb-run"):
        prefix = ["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24"]
        how = "xvfb-run"
    else:
        env["QT_QPA_PLATFORM"] = "offscreen"
        how = "QT_QPA_PLATFORM=offscreen"
    print(f"rendering with {how}")
    failed = 0
    for page in PAGES:
        target = OUT / f"{page}.png"
        cmd = [
            *prefix,
            sys.executable,
            "-m",
            "peft_telemetry_gui.gui.app",
            "--demo",
            "--page",
            page,
            "--screenshot",
            str(target),
        ]
        result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
        if result.returncode != 0 or not target.exists():
            failed += 1
            print(f"{page}: FAILED ({result.returncode})\n{result.stderr}", file=sys.stderr)
        else:
            print(f"{target.relative_to(ROOT)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
