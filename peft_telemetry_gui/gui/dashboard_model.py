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
from ..core.constants import DEFAULT_MAX_EVENTS
from ..core.models import Event, StoreDocument

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
    #: The store's raw events: at most this many are kept (None: figures of raw events only,
    #: nothing to say), the oldest of them from `raw_since`.
    max_events: int | None = None
    raw_since: datetime | None = None
    raw_count: int = 0


def kept_sentence(data: DashboardData) -> str:
    """The plain sentence under the cards: what the raw events are, next to the counts."""
    if data.max_events is None or data.raw_since is None:
        return ""
    since = data.raw_since.astimezone().strftime("%Y-%m-%d")
    return analytics.kept_sentence(data.raw_count, data.max_events, since)


def compute_dashboard(
    source: Sequence[Event] | StoreDocument,
    time_range: TimeRange,
    now: datetime,
    summarizer: analytics.Summarizer | None = None,
) -> DashboardData:
    """All the dashboard's figures for the range, computed together.

    Given the document, from its rollups for whole days and its raw events for the days at
    the range's edges (`analytics.compute_with_rollups`): the figures cover every event
    recorded, not only the raw events the cap kept. Given only events (older callers), one
    `analytics.summarize` of them; with a `summarizer`, only the days that changed since its
    last call are looked at again."""
    since, until = time_range.resolve(now)
    if isinstance(source, StoreDocument):
        figures = analytics.compute_with_rollups(source.events, source.rollups, since, until)
        return DashboardData(
            time_range=time_range,
            analytics=figures.analytics,
            buckets=figures.buckets(source.events),
            histograms=figures.histograms(),
            max_events=source.limits.max_events or DEFAULT_MAX_EVENTS,
            raw_since=source.events[0].timestamp if source.events else None,
            raw_count=len(source.events),
        )
    summarize = analytics.summarize if summarizer is None else summarizer.summarize
    summary = summarize(source, since, until)
    return DashboardData(
        time_range=time_range,
        analytics=summary.analytics,
        buckets=summary.buckets,
        histograms=summary.histograms,
    )
