"""The dashboard's figures as values: the range the user picked and what it shows.

Qt-free on purpose: computed on the read pool, handed to the GUI thread whole, so the cards and
the charts always show the same computation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from ..core import analytics
from ..core.analytics import MetricHistogram, category_counts
from ..core.constants import DEFAULT_MAX_EVENTS
from ..core.i18n import N_, tr
from ..core.models import StoreDocument

__all__ = [
    "PRESETS",
    "DashboardData",
    "EmptyMessage",
    "Preset",
    "TimeRange",
    "compute_dashboard",
    "empty_message",
    "in_force",
    "kept_sentence",
]

Preset = Literal["24h", "7d", "30d", "all", "custom"]

#: Date range presets of the dashboard, in the order the picker shows them. The labels are
#: marked only: the picker shows them through `tr`.
PRESETS: dict[str, tuple[str, timedelta | None]] = {
    "24h": (N_("Last 24 hours"), timedelta(hours=24)),
    "7d": (N_("Last 7 days"), timedelta(days=7)),
    "30d": (N_("Last 30 days"), timedelta(days=30)),
    "all": (N_("All time"), None),
    "custom": (N_("Custom range"), None),
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
    #: Each category's count in every bucket (the timeline's stacked bars and legend); empty
    #: when the split is not known, and then the timeline draws one series.
    series: dict[str, list[int]] = field(default_factory=dict)
    #: The store's raw events: at most this many are kept (None: nothing to say), the oldest
    #: of them from `raw_since`, `raw_count` of them now.
    max_events: int | None = None
    raw_since: datetime | None = None
    raw_count: int = 0
    #: The oldest thing stored, raw event or rollup day (None: nothing recorded at all), and
    #: the instant the range was resolved at: together what "All time" and the presets mean.
    data_since: datetime | None = None
    now: datetime | None = None


def in_force(data: DashboardData) -> tuple[datetime | None, datetime | None]:
    """The range the figures cover, as two instants a person can read: an open end is the
    data's first day or the moment of computing, never a stale default."""
    since, until = data.time_range.resolve(data.now) if data.now else (None, None)
    return since or data.data_since, until or data.now


@dataclass(frozen=True)
class EmptyMessage:
    """What the dashboard says instead of charts; `offer_all_time` when widening helps."""

    title: str
    body: str
    offer_all_time: bool = False


def empty_message(telemetry_on: bool, data: DashboardData) -> EmptyMessage:
    """Says what is true: nothing is recorded while telemetry is off, nothing yet while it is
    on, or the data exists outside the range (then widening the range is the way out)."""
    if data.data_since is not None and data.time_range.preset != "all":
        if telemetry_on:
            body = tr(
                "Events were recorded outside this range. Pick a wider range or show all time."
            )
        else:
            body = tr(
                "Events were recorded outside this range. Pick a wider range or show all time. "
                "Telemetry is off now, so nothing new is recorded."
            )
        return EmptyMessage(tr("Nothing recorded in this range"), body, offer_all_time=True)
    return no_events_message(telemetry_on)


def no_events_message(telemetry_on: bool) -> EmptyMessage:
    """Nothing stored at all (the dashboard's and the Events page's words)."""
    if not telemetry_on:
        return EmptyMessage(
            tr("Telemetry is off"),
            tr(
                "Nothing is recorded while telemetry is off. To turn it on, open the Privacy "
                "page and tick \u201cRecord anonymous telemetry\u201d."
            ),
        )
    return EmptyMessage(
        tr("Nothing recorded yet"),
        tr(
            "Telemetry is on. Events appear here as soon as an app records one. To try it, run "
            "peft-telemetry track demo_event in a terminal."
        ),
    )


def _data_since(doc: StoreDocument) -> datetime | None:
    """The oldest stored event or rollup day: rollups keep days whose raw events are gone."""
    found = [doc.events[0].timestamp] if doc.events else []
    for key in doc.rollups:
        try:
            found.append(datetime.combine(date.fromisoformat(key), time(), UTC))
        except (TypeError, ValueError):
            continue  # a hand-edited key: `compute_with_rollups` skips it too
    return min(found, default=None)


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
    buckets = figures.buckets(doc.events)
    return DashboardData(
        time_range=time_range,
        analytics=figures.analytics,
        buckets=buckets,
        series=category_counts(buckets, figures.raw, doc.rollups, since, until),
        histograms=figures.histograms(),
        max_events=doc.limits.max_events or DEFAULT_MAX_EVENTS,
        raw_since=doc.events[0].timestamp if doc.events else None,
        raw_count=len(doc.events),
        data_since=_data_since(doc),
        now=now,
    )
