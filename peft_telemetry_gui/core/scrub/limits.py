"""The bounds on one scrubbed event: those a caller may tune and those that are fixed.

They sit at the bottom of the package's layering: this module depends on nothing, so the walk,
the cache code and anything that configures a scrubber share one definition.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ScrubLimits:
    """Bounds that keep a single event small and cheap whatever the caller passes in."""

    max_string: int = 1000
    max_keys: int = 100
    max_items: int = 100
    max_depth: int = 8
    max_event_bytes: int = 16_384

    def __post_init__(self) -> None:
        for name in ("max_string", "max_keys", "max_items", "max_depth", "max_event_bytes"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"ScrubLimits.{name} must be a positive int, got {value!r}")


DEFAULT_LIMITS = ScrubLimits()


# Fixed internal bounds. The string and key caches are cleared when they reach
# ``CACHE_MAX_ENTRIES`` and only hold strings up to ``CACHEABLE_LEN`` characters, so memoising
# costs bounded memory; the walk stops at ``WALK_BUDGET_FACTOR`` times ``max_event_bytes``.
CACHE_MAX_ENTRIES = 4096
CACHEABLE_LEN = 256
WALK_BUDGET_FACTOR = 4
