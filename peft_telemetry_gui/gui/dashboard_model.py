"""The dashboard's figures as values: the range the user picked and what it shows.

Qt-free on purpose: computed on the read pool, handed to the GUI thread whole, so the cards and
the charts always show the same computation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from ..core import analytics
from ..core.analytics import MetricHistogram
from ..core.constants import DEFAULT_MAX_EVENTS
from ..core.models import StoreDocument

__all__ = [
    "PRESETS",
    "DashboardData",
    "Preset",
    "TimeRange",
    "compute_dashboard",
    "kept_sentence",
]

Preset = Literal["24h", "7d", "30d", "all", "custom"]

#: Date range presets of the dashboard, in the order the picker shows them.
PRESETS: dict[str, tuple[str, timedelta | None]] = {
    "24h": ("Last 24 hours", timedelta(hours=24)),
    "7d": ("Last 7 days", timedelta(days=7)),
    "30d": ("Last 30 days", timedelta(days=30)),
    "all": ("All time", None),
    "custom": ("Custom range", None),
}


@dataclass(frozen=True)
class TimeRange:
    """What the user picked; resolved to concrete instants only when figures are computed, so
    "last 24 hours" keeps meaning the last 24 hours as time passes."""

    preset: Preset = "all"
    since: datetime | None = None  # custom only
    until: datetime | None = None  # custom only

    def resolve(self, now: datetime) -> tuple[datetime | None, datetime | None]:
        if self.preset == "custom":
            return self.since, self.until
        delta = PRESETS[self.preset][1]
        return (None if delta is None else now - delta), None


@dataclass(frozen=True)
class DashboardData:
    """Everything the dashboard shows, computed together so the cards and charts agree."""

    time_range: TimeRange
    analytics: analytics.Analytics
    buckets: analytics.TimeBuckets
    histograms: dict[str, MetricHistogram] = field(default_factory=dict)
    #: The store's raw events: at most this many are kept (None: nothing to say), the oldest
    #: of them from `raw_since`, `raw_count` of them now.
    max_events: int | None = None
    raw_since: datetime | None = None
    raw_count: int = 0


def kept_sentence(data: DashboardData) -> str:
    """The plain sentence under the cards: what the raw events are, next to the counts."""
    if data.max_events is None or data.raw_since is None:
        return ""
    since = data.raw_since.astimezone().strftime("%Y-%m-%d")
    return analytics.kept_sentence(data.raw_count, data.max_events, since)


def compute_dashboard(doc: StoreDocument, time_range: TimeRange, now: datetime) -> DashboardData:
    """All the dashboard's figures for the range, computed together: from the rollups for
    whole days and the raw events for the days at the range's edges
    (`analytics.compute_with_rollups`), so they cover every event recorded, not only the raw
    events the cap kept."""
    since, until = time_range.resolve(now)
    figures = analytics.compute_with_rollups(doc.events, doc.rollups, since, until)
    return DashboardData(
        time_range=time_range,
        analytics=figures.analytics,
        buckets=figures.buckets(doc.events),
        histograms=figures.histograms(),
        max_events=doc.limits.max_events or DEFAULT_MAX_EVENTS,
        raw_since=doc.events[0].timestamp if doc.events else None,
        raw_count=len(doc.events),
    )
