"""Everything a dashboard shows, from raw events only, in one pass.

Combines `figures`, `buckets` and `histograms` over one selection so they always agree. The
dashboard itself reads rollups too (`rollups.compute_with_rollups`); this is the raw-events
figure the rollup path is checked against.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from pydantic import BaseModel, Field

from ..models import Event
from .buckets import TimeBuckets, _buckets
from .figures import Analytics, _merge, _Partial, _retained
from .histograms import MetricHistogram, _histogram
from .selection import _select

__all__ = ["Summary", "summarize"]


class Summary(BaseModel):
    """Everything a dashboard shows for one range, computed together so it all agrees."""

    analytics: Analytics
    buckets: TimeBuckets
    histograms: dict[str, MetricHistogram] = Field(default_factory=dict)


def summarize(
    events: Sequence[Event],
    since: datetime | None = None,
    until: datetime | None = None,
    *,
    bins: int = 20,
    max_hourly_span: timedelta = timedelta(days=3),
) -> Summary:
    """`compute`, `time_buckets` and per-metric histograms from one selection of the events.

    Equal to calling them one by one, but the range is selected once (no copy at all for the
    whole store) and the metric values gathered for the statistics are reused for the
    histograms.
    """
    selected = _select(events, since, until)
    return _summary(
        selected,
        _merge([_Partial(selected)], len(selected), since, until),
        since,
        until,
        bins,
        max_hourly_span,
    )


def _summary(
    selected: Sequence[Event],
    merged: tuple[Analytics, dict[str, list[float]]],
    since: datetime | None,
    until: datetime | None,
    bins: int,
    max_hourly_span: timedelta,
) -> Summary:
    result, metric_values = merged
    histograms = {}
    for name, values in metric_values.items():
        histogram = _histogram(values, result.performance[name].unit, bins)
        if histogram is not None:
            histograms[name] = histogram
    return Summary(
        analytics=_retained(result, selected),
        buckets=_buckets(selected, since, until, max_hourly_span),
        histograms=histograms,
    )
