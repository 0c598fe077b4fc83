"""The host-facing client: capture on the host's thread, a background writer, one facade.

`capture` (standard library only) -> `writer` (store, scrubbing, upload queue) -> `facade`
(`TelemetryClient`). The facade loads the writer on the writer's own thread.
"""

from __future__ import annotations

from .capture import system_info
from .facade import TelemetryClient

__all__ = ["TelemetryClient", "system_info"]
