"""Figures computed from what is stored, so every process and front end shows the same numbers.

The GUI's cards and charts, `peft-telemetry stats` and the export all come from `compute`,
`time_buckets` and `summarize` (all three together, in one pass); no widget counts anything
itself.

Callers import this package, never its modules, so the layout below can change freely. It is
layered, each module importing only those above it (and `core.models`, `core.clock`):
`selection` (which events a range means), `figures` (counts and statistics), `buckets` and
`histograms` (shapes over time and over values), `summary` (all of them in one pass),
`rollups` (a range from the stored per-day rollups plus the raw events at its edges).
"""

from __future__ import annotations

from .buckets import TimeBuckets, category_counts, time_buckets
from .figures import Analytics, MetricStats, SessionStats, compute, percentile
from .histograms import MetricHistogram
from .rollups import RangeFigures, compute_with_rollups, kept_sentence
from .selection import filter_events, parse_time
from .summary import Summary, summarize

__all__ = [
    "Analytics",
    "MetricHistogram",
    "MetricStats",
    "RangeFigures",
    "SessionStats",
    "Summary",
    "TimeBuckets",
    "category_counts",
    "compute",
    "compute_with_rollups",
    "filter_events",
    "kept_sentence",
    "parse_time",
    "percentile",
    "summarize",
    "time_buckets",
]
