"""Local-first, privacy-first telemetry: consent, scrubbing, a crash-safe store and analytics.

Importing this package never imports Qt: host applications embed the client without paying for
the desktop app.
"""

from __future__ import annotations

from ._version import __version__

__all__ = ["TelemetryClient", "__version__"]


def __getattr__(name: str) -> object:
    # Lazy, so `import peft_telemetry_gui` stays cheap for the CLI and for host start-up.
    if name == "TelemetryClient":
        from .core.client import TelemetryClient

        return TelemetryClient
    raise AttributeError(name)
