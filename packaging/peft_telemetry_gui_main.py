"""The bundle's entry point (packaging/peft-telemetry-gui.spec): the same `main` as the
`peft-telemetry-gui` command, so the bundle and a pip install start the app the same way."""

from __future__ import annotations

from peft_telemetry_gui.gui.launch import main

if __name__ == "__main__":
    raise SystemExit(main())
