"""The bundle's second command, `peft-telemetry` (packaging/peft-telemetry-gui.spec): the app
tells a user without a display to use the command line, so the bundle carries it too."""

from __future__ import annotations

from peft_telemetry_gui.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
