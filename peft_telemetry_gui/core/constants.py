"""Names and defaults every layer shares, free of any import heavier than `typing`.

They live apart from the pydantic models so that a host app importing `TelemetryClient` (which
checks categories and limits on its own thread) never pays for pydantic on its start-up path.
"""

from __future__ import annotations

from typing import Literal

__all__ = ["CATEGORIES", "DEFAULT_MAX_EVENTS", "DEFAULT_RETENTION_DAYS", "Category"]

Category = Literal["usage", "error", "performance", "system"]
CATEGORIES: tuple[Category, ...] = ("usage", "error", "performance", "system")

DEFAULT_MAX_EVENTS = 1000
DEFAULT_RETENTION_DAYS = 90
