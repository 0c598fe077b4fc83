"""The dashboard's figures as values: the range the user picked and what it shows.

Qt-free on purpose: computed on the read pool, handed to the GUI thread whole, so the cards and
the charts always show the same computation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from ..core import analytics
from ..core.analytics import MetricHistogram
from ..core.models import Event

__all__ = ["PRESETS", "DashboardData", "Preset", "TimeRange", "compute_dashboard"]

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


def compute_dashboard(
    events: Sequence[Event],
    time_range: TimeRange,
    now: datetime,
    summarizer: analytics.Summarizer | None = None,
) -> DashboardData:
    """All the dashboard's figures from one `analytics.summarize` of the events; with a
    `summarizer`, only the days that changed since its last call are looked at again."""
    since, until = time_range.resolve(now)
    summarize = analytics.summarize if summarizer is None else summarizer.summarize
    summary = summarize(events, since, until)
    return DashboardData(
        time_range=time_range,
        analytics=summary.analytics,
        buckets=summary.buckets,
        histograms=summary.histograms,
    )
