"""`python -m peft_telemetry_gui.cli`: the same as the `peft-telemetry` command."""

from __future__ import annotations

import sys

from .main import main

sys.exit(main())
