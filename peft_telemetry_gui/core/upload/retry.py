"""When to try again: full-jitter exponential backoff, `Retry-After`, and a circuit breaker.

After `threshold` failures in a row the breaker stops all traffic for `cooldown` seconds, then
lets exactly one probe through; a failed probe opens it again. Time and randomness are injected,
so tests step through it without waiting.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["Backoff"]


@dataclass
class Backoff:
    clock: Callable[[], float]  # monotonic seconds
    rng: random.Random = field(default_factory=random.Random)
    base: float = 1.0
    cap: float = 300.0
    retry_after_cap: float = 3600.0
    threshold: int = 5
    cooldown: float = 60.0
    failures: int = 0  # consecutive
    next_attempt: float = 0.0  # monotonic
    open_until: float | None = None

    def waiting(self) -> tuple[Literal["circuit_open", "backing_off"], float] | None:
        """What still holds the next attempt back, and for how long; None: go ahead."""
        now = self.clock()
        if self.open_until is not None and now < self.open_until:
            return "circuit_open", self.open_until - now
        if now < self.next_attempt:
            return "backing_off", self.next_attempt - now
        return None

    def succeeded(self) -> None:
        self.failures = 0
        self.next_attempt = 0.0
        self.open_until = None

    def failed(
        self, retry_after: float | None
    ) -> tuple[Literal["circuit_open", "backing_off"], float]:
        """The state to show and the delay before the next attempt."""
        self.failures += 1
        now = self.clock()
        if retry_after is not None:
            delay = min(retry_after, self.retry_after_cap)
        else:
            ceiling = min(self.cap, self.base * 2 ** (self.failures - 1))
            delay = self.rng.uniform(0, ceiling)
        self.next_attempt = now + delay
        if self.failures >= self.threshold:
            # Open (or re-open after a failed half-open probe): nothing for the cool-down.
            delay = max(delay, self.cooldown)
            self.open_until = self.next_attempt = now + delay
            return "circuit_open", delay
        return "backing_off", delay

    @property
    def circuit_open(self) -> bool:
        return self.open_until is not None and self.clock() < self.open_until
