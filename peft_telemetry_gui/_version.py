"""The one place the version is written; `peft_telemetry_gui.__version__` re-exports it."""

from __future__ import annotations

__version__ = "0.1.0"
