"""Distribution of one metric's values, from the sorted values `figures` already gathered.

Taking sorted values (not events) is what lets `summarize` reuse the statistics' work: the
histograms cost one bisection per bin, not another pass over the events.
"""

from __future__ import annotations

import bisect
import math

from pydantic import BaseModel

__all__ = ["MetricHistogram"]


class MetricHistogram(BaseModel):
    """Distribution of one performance metric in the range (bin edges and counts)."""

    edges: list[float]
    counts: list[int]
    unit: str


def _histogram(values: list[float], unit: str, bins: int) -> MetricHistogram | None:
    """`bins` equal-width bins over sorted `values`; None when there is nothing finite."""
    if not all(map(math.isfinite, values)):
        values = [v for v in values if math.isfinite(v)]
    if not values:
        return None
    lo, hi = values[0], values[-1]
    n = max(1, min(bins, len(values)))
    if hi <= lo:  # one distinct value has no width to divide: a unit-wide bin around it
        return MetricHistogram(edges=[lo - 0.5, lo + 0.5], counts=[len(values)], unit=unit)
    width = (hi - lo) / n
    edges = [lo + i * width for i in range(n + 1)]
    last = n - 1

    def bin_of(v: float) -> int:
        return min(last, int((v - lo) / width))

    # `bin_of` never decreases along sorted values, so each bin is a run found by bisection.
    firsts = [bisect.bisect_left(values, i, key=bin_of) for i in range(1, n)]
    counts = [b - a for a, b in zip([0, *firsts], [*firsts, len(values)], strict=True)]
    return MetricHistogram(edges=edges, counts=counts, unit=unit)
