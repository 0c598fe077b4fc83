"""A quantile sketch kept as plain JSON: logarithmic buckets with 1% relative error.

The idea is DDSketch's (Masson, Rim, Lee, VLDB 2019): a value v > 0 falls in bucket
i = ceil(log_gamma(v)) with gamma = (1 + a) / (1 - a), and every value of bucket i is within a
relative error `a` of 2 gamma^i / (gamma + 1). Buckets of two sketches add, so the sketches of
days merge exactly into the sketch of a range. Written here rather than taken from the `ddsketch`
package because the store needs only this much (~150 lines, no dependency), because the stored
form must be the JSON the user reads in an export (dense counts, not protobuf), and because the
writer updates the stored dict in place: one `counts[i] += 1` per value, no object to rebuild
and re-encode on every flush.

Stored form: `{"zero": n, "pos": {"first": i, "counts": [...]}, "neg": {...}}` (keys present
only when used). `neg` holds magnitudes of negative values. Values with |v| below `MIN_VALUE`
count as zero. Each side keeps at most `MAX_BINS` buckets (4.4 decades at 1%); past that the
lowest buckets are folded into one, as DDSketch's collapsing store does: the high quantiles
(p50, p95) stay exact to 1%, only quantiles within the folded low tail lose precision.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["ALPHA", "MAX_BINS", "MIN_VALUE", "Sketch", "add_value", "representative"]

#: The relative error of every quantile the sketch returns (within the unfolded buckets).
ALPHA = 0.01
_GAMMA = (1 + ALPHA) / (1 - ALPHA)
_LN_GAMMA = math.log(_GAMMA)
#: Buckets per sign; the bound that keeps a day's rollup small (docs/store.md, "Rollups").
MAX_BINS = 512
MIN_VALUE = 1e-9


def _index(magnitude: float) -> int:
    return math.ceil(math.log(magnitude) / _LN_GAMMA)


def representative(index: int) -> float:
    """The value reported for every value of bucket `index` (within ALPHA of each of them)."""
    return 2.0 * _GAMMA**index / (_GAMMA + 1.0)


def _add_bucket(side: dict[str, Any], index: int, n: int) -> None:
    """Add `n` to one bucket of a stored side, growing (and folding) its range as needed."""
    first: int = side["first"]
    counts: list[int] = side["counts"]
    offset = index - first
    if 0 <= offset < len(counts):  # the common case: one add, O(1)
        counts[offset] += n
        return
    last = first + len(counts) - 1
    lo, hi = min(first, index), max(last, index)
    if hi - lo + 1 > MAX_BINS:
        lo = hi - MAX_BINS + 1  # fold the lowest buckets
    grown = [0] * (hi - lo + 1)
    for k, count in enumerate(counts):
        if count:
            grown[max(first + k, lo) - lo] += count
    grown[max(index, lo) - lo] += n
    side["first"] = lo
    side["counts"] = grown


def add_value(sketch: dict[str, Any], value: float, n: int = 1) -> None:
    """Count `value` (finite) in a stored sketch, in place."""
    if value > MIN_VALUE:
        key, magnitude = "pos", value
    elif value < -MIN_VALUE:
        key, magnitude = "neg", -value
    else:
        sketch["zero"] = sketch.get("zero", 0) + n
        return
    index = _index(magnitude)
    side = sketch.get(key)
    if side is None:
        sketch[key] = {"first": index, "counts": [n]}
    else:
        _add_bucket(side, index, n)


def _side(raw: object) -> dict[int, int]:
    """A stored side as index -> count; anything malformed contributes nothing."""
    if not isinstance(raw, Mapping):
        return {}
    first, counts = raw.get("first"), raw.get("counts")
    if type(first) is not int or not isinstance(counts, list):
        return {}
    return {first + k: c for k, c in enumerate(counts[:MAX_BINS]) if type(c) is int and c > 0}


class Sketch:
    """A sketch to merge and query (the stored form is for writing; this one for reading)."""

    __slots__ = ("neg", "pos", "zero")

    def __init__(self) -> None:
        self.pos: dict[int, int] = {}
        self.neg: dict[int, int] = {}
        self.zero = 0

    @classmethod
    def from_stored(cls, raw: object) -> Sketch:
        sketch = cls()
        sketch.merge_stored(raw)
        return sketch

    @classmethod
    def of(cls, values: Iterable[float]) -> Sketch:
        stored: dict[str, Any] = {}
        for value in values:
            if math.isfinite(value):
                add_value(stored, value)
        return cls.from_stored(stored)

    @property
    def count(self) -> int:
        return self.zero + sum(self.pos.values()) + sum(self.neg.values())

    def merge_stored(self, raw: object) -> None:
        if not isinstance(raw, Mapping):
            return
        for mine, key in ((self.pos, "pos"), (self.neg, "neg")):
            for index, count in _side(raw.get(key)).items():
                mine[index] = mine.get(index, 0) + count
        zero = raw.get("zero")
        if type(zero) is int and zero > 0:
            self.zero += zero
        self._fold()

    def merge(self, other: Sketch) -> None:
        for mine, theirs in ((self.pos, other.pos), (self.neg, other.neg)):
            for index, count in theirs.items():
                mine[index] = mine.get(index, 0) + count
        self.zero += other.zero
        self._fold()

    def _fold(self) -> None:
        """Keep the `MAX_BINS` highest buckets per side, as the stored form does."""
        for side in (self.pos, self.neg):
            if len(side) > MAX_BINS and max(side) - min(side) >= MAX_BINS:
                lo = max(side) - MAX_BINS + 1
                low = [i for i in side if i < lo]
                folded = sum(side.pop(i) for i in low)
                side[lo] = side.get(lo, 0) + folded

    def quantile(self, q: float) -> float:
        """The value at rank q * (count - 1) (the lower of two ranks), to ALPHA; NaN if empty."""
        total = self.count
        if total == 0:
            return math.nan
        rank = q * (total - 1)
        seen = 0
        for index in sorted(self.neg, reverse=True):  # most negative first
            seen += self.neg[index]
            if seen > rank:
                return -representative(index)
        seen += self.zero
        if seen > rank:
            return 0.0
        for index in sorted(self.pos):
            seen += self.pos[index]
            if seen > rank:
                return representative(index)
        return representative(max(self.pos)) if self.pos else 0.0
