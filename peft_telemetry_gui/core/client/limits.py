"""The limits a host gave its constructor explicitly, written into the store once.

`TelemetryClient(max_events=..., retention_days=...)` sets the store's limits for every
process (docs/store.md, "Limits"); left out, the store's own limits stand. They are written
once per client, with its first batch of events (so they prune that very batch; a host that
records nothing changes nothing), not on every flush: two hosts with different settings would
otherwise undo each other all day, and a choice the user made after this host started would be
overwritten. A limit the user chose is never changed by a host
(`services.limits.apply_host_limits`).

Standard library only at import: the facade builds this on the host's thread.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ..clock import Clock

if TYPE_CHECKING:
    from ..models import StoreDocument

__all__ = ["HostLimits", "explicit_limit", "explicit_limits"]

log = logging.getLogger("peft_telemetry_gui.core.client")


def explicit_limit(value: object, name: str) -> int | None:
    """What the host asked for: None when it passed nothing (or something unusable, said once
    in a warning: an unusable setting must not set a limit for every process), 1 at least."""
    if value is None:
        return None
    try:
        number = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError, OverflowError):
        log.warning("telemetry %s %r is not a whole number; the store's limit stays", name, value)
        return None
    if number < 1:
        log.warning("telemetry %s %r is below 1; using 1", name, value)
        return 1
    return number


def explicit_limits(max_events: object, retention_days: object) -> tuple[int | None, int | None]:
    days = explicit_limit(retention_days, "retention_days")
    return explicit_limit(max_events, "max_events"), days


class HostLimits:
    """One client's explicit limits and whether they still have to be written."""

    def __init__(
        self,
        max_events: int | None,
        retention_days: int | None,
        *,
        clock: Clock,
        app_name: str,
        app_version: str | None,
        locale: str | None,
    ) -> None:
        self.max_events = max_events
        self.retention_days = retention_days
        self.clock = clock
        self.app_name = app_name
        self.app_version = app_version
        self.locale = locale
        self.pending = max_events is not None or retention_days is not None

    def apply(self, doc: StoreDocument) -> None:
        """Inside a store mutation; `written()` once that write succeeded."""
        if not self.pending:
            return
        from ..services.limits import apply_host_limits

        apply_host_limits(
            doc,
            self.clock(),
            max_events=self.max_events,
            retention_days=self.retention_days,
            app_name=self.app_name or None,
            app_version=self.app_version,
            locale=self.locale,
        )

    def written(self) -> None:
        self.pending = False
