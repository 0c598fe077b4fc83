"""Rollups: per-day aggregates that survive the pruning of raw events (issue 11, part 2).

The arithmetic is checked against a brute-force reference: every event ever written, kept
aside by the test, and `analytics.compute` over that full list (which the store itself can no
longer see once the cap has pruned it).
"""

from __future__ import annotations

import itertools
import json
import math
import random
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peft_telemetry_gui.core import analytics
from peft_telemetry_gui.core.export import export_data, render_rollups_csv
from peft_telemetry_gui.core.models import SCHEMA_VERSION, Event, StoreDocument
from peft_telemetry_gui.core.services.delete import delete_all_data
from peft_telemetry_gui.core.store import Store
from peft_telemetry_gui.core.store.rollups import MAX_SESSION_IDS, add_events
from peft_telemetry_gui.core.store.sketch import ALPHA, MAX_BINS, Sketch, add_value

T0 = datetime(2026, 11, 20, tzinfo=UTC)
NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)  # after every generated event
SLACK = ALPHA * 1.0001  # float rounding at a bucket's edge


def _store(data_dir: Path, max_events: int = 1000, retention_days: int = 90) -> Store:
    return Store(data_dir, max_events=max_events, retention_days=retention_days, clock=lambda: NOW)


def _write(store: Store, batches: list[list[Event]]) -> None:
    for batch in batches:
        store.update(lambda doc, batch=batch: doc.events.extend(batch))


def _order_stat_ok(estimate: float, values: list[float], q: float) -> bool:
    """Within ALPHA of the value at the lower rank (what a DDSketch-style sketch promises)."""
    ordered = sorted(values)
    x = ordered[math.floor(q * (len(ordered) - 1))]
    return abs(estimate - x) <= SLACK * abs(x) + 1e-9


# ------------------------------------------------------------------------------ the sketch
magnitudes = st.floats(min_value=1.0, max_value=1e4, allow_nan=False)
values = st.one_of(magnitudes, magnitudes.map(lambda v: -v), st.just(0.0))


@given(st.lists(values, min_size=1, max_size=300), st.sampled_from([0.0, 0.25, 0.5, 0.95, 1.0]))
def test_sketch_quantiles_are_within_one_percent_of_the_order_statistic(
    data: list[float], q: float
) -> None:
    assert _order_stat_ok(Sketch.of(data).quantile(q), data, q)


@given(st.lists(values, max_size=200), st.lists(values, max_size=200))
def test_sketches_merge_exactly(left: list[float], right: list[float]) -> None:
    merged = Sketch.of(left)
    merged.merge(Sketch.of(right))
    whole = Sketch.of(left + right)
    assert (merged.pos, merged.neg, merged.zero) == (whole.pos, whole.neg, whole.zero)


def test_a_sketch_keeps_its_bucket_bound_and_its_high_quantiles() -> None:
    rng = random.Random(7)
    data = [10 ** rng.uniform(-6, 9) for _ in range(20_000)]  # 15 decades: the low end folds
    stored: dict[str, Any] = {}
    for v in data:
        add_value(stored, v)
    assert len(stored["pos"]["counts"]) <= MAX_BINS
    sketch = Sketch.from_stored(json.loads(json.dumps(stored)))  # JSON round trip
    assert sketch.count == len(data)
    for q in (0.95, 0.99):  # above the folded low tail: still to 1%
        assert _order_stat_ok(sketch.quantile(q), data, q)
    # p50 (10^1.5) lies more than 4.4 decades below the maximum, in the folded buckets: it
    # reads as the lowest kept bucket, never below the truth
    assert sketch.quantile(0.5) >= sorted(data)[len(data) // 2]


# ------------------------------------------------------------------------------ brute force
def _reference_days(events: list[Event]) -> dict[str, dict[str, Any]]:
    """Per UTC day: counts per (category, type) and per-(metric, unit) count/sum/min/max."""
    days: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"counts": Counter(), "metrics": defaultdict(list)}
    )
    for e in events:
        day = days[e.timestamp.astimezone(UTC).date().isoformat()]
        day["counts"][(e.category, e.event_type)] += 1
        if e.metric_name is not None and e.value is not None:
            day["metrics"][(e.metric_name, e.unit or "")].append(e.value)
    return days


def _check_against_reference(got: analytics.Analytics, want: analytics.Analytics) -> None:
    for key in ("total_events", "event_counts", "category_counts", "daily_counts", "error_count"):
        assert getattr(got, key) == getattr(want, key), key
    assert got.sessions.count == want.sessions.count
    if want.sessions.mean_duration_s is None:
        assert got.sessions.mean_duration_s is None
    else:
        assert got.sessions.mean_duration_s == pytest.approx(want.sessions.mean_duration_s)
    assert got.system_info == want.system_info
    assert set(got.performance) == set(want.performance)
    for name, w in want.performance.items():
        g = got.performance[name]
        assert (g.count, g.min, g.max, g.unit) == (w.count, w.min, w.max, w.unit)
        assert g.avg == pytest.approx(w.avg, rel=1e-9, abs=1e-6)


def _event(day: int, second: int, kind: int, session: int, value: float) -> Event:
    at = T0 + timedelta(days=day, seconds=second)
    sid = f"session-{session}"
    if kind == 0:
        return Event(
            timestamp=at,
            category="performance",
            event_type="performance",
            session_id=sid,
            metric_name=("step_time", "loss")[session % 2],
            value=value,
            unit="ms",
        )
    if kind == 1:
        return Event(
            timestamp=at,
            category="usage",
            event_type="session_started",
            session_id=sid,
            properties={"system": {"os": "Linux", "cpu_count": session}},
        )
    if kind == 2:
        return Event(
            timestamp=at,
            category="usage",
            event_type="session_ended",
            session_id=sid,
            properties={"duration_s": abs(value)},
        )
    if kind == 3:
        return Event(timestamp=at, category="error", event_type="error", session_id=sid)
    return Event(timestamp=at, category="usage", event_type=f"type{kind}", session_id=sid)


events_strategy = st.lists(
    st.builds(
        _event,
        st.integers(0, 4),
        st.integers(0, 86_399),
        st.integers(0, 6),
        st.integers(0, 5),
        st.one_of(magnitudes, magnitudes.map(lambda v: -v), st.just(0.0)),
    ),
    min_size=1,
    max_size=120,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    events=events_strategy,
    cap=st.integers(1, 40),
    cuts=st.lists(st.integers(0, 120), max_size=6),
    first=st.integers(0, 4),
    days=st.integers(1, 5),
)
def test_rollups_match_a_brute_force_reference_after_pruning(
    tmp_path_factory: pytest.TempPathFactory,
    events: list[Event],
    cap: int,
    cuts: list[int],
    first: int,
    days: int,
) -> None:
    store = _store(tmp_path_factory.mktemp("data"), max_events=cap)
    bounds = sorted({0, len(events), *(c for c in cuts if c < len(events))})
    _write(store, [events[a:b] for a, b in itertools.pairwise(bounds)])
    doc = store.read()
    assert len(doc.events) == min(cap, len(events))

    # Per day, every figure the rollup keeps, as the brute force counts it.
    for key, want in _reference_days(events).items():
        record = doc.rollups[key]
        counts = Counter(
            {(c, t): n for c, types in record["counts"].items() for t, n in types.items()}
        )
        assert counts == want["counts"]
        for (name, unit), vals in want["metrics"].items():
            stats = record["metrics"][name][unit]
            assert stats["count"] == len(vals)
            assert (stats["min"], stats["max"]) == (min(vals), max(vals))
            assert stats["sum"] == pytest.approx(math.fsum(vals), rel=1e-9, abs=1e-6)

    # All time, and whole-day ranges: every event, however many the cap pruned.
    since = T0 + timedelta(days=first)
    until = since + timedelta(days=days) - timedelta(microseconds=1)
    for lo, hi in ((None, None), (since, until), (since, None)):
        got = analytics.compute_with_rollups(doc.events, doc.rollups, lo, hi).analytics
        want = analytics.compute(analytics.filter_events(sorted_(events), lo, hi), lo, hi)
        _check_against_reference(got, want)
        assert got.retained_events == len(analytics.filter_events(doc.events, lo, hi))
        for name, stats in got.performance.items():
            vals = [
                e.value
                for e in analytics.filter_events(sorted_(events), lo, hi)
                if e.metric_name == name and e.value is not None
            ]
            assert _order_stat_ok(stats.p50, vals, 0.5)
            assert _order_stat_ok(stats.p95, vals, 0.95)


def sorted_(events: list[Event]) -> list[Event]:
    return sorted(events, key=lambda e: e.timestamp)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    events=events_strategy,
    start=st.integers(0, 5 * 86_400),
    length=st.integers(0, 5 * 86_400),
)
def test_any_range_is_exact_while_its_raw_events_are_all_kept(
    tmp_path_factory: pytest.TempPathFactory, events: list[Event], start: int, length: int
) -> None:
    """Partial days at the edges come from the raw events: exact when none was pruned."""
    store = _store(tmp_path_factory.mktemp("data"))
    _write(store, [events])
    doc = store.read()
    since = T0 + timedelta(seconds=start)
    until = since + timedelta(seconds=length)
    got = analytics.compute_with_rollups(doc.events, doc.rollups, since, until).analytics
    want = analytics.compute(doc.events, since, until)
    _check_against_reference(got, want)
    assert (got.retained_events, got.oldest_retained) == (
        want.retained_events,
        want.oldest_retained,
    )


# ------------------------------------------------------------------------------ bounds
def test_a_heavy_day_stays_under_64_kib(tmp_path: Path) -> None:
    """50 event types and 20 metrics (names at their 100-character bound), values over 12
    decades, 500 sessions with system info: the bound of docs/store.md."""
    rng = random.Random(11)
    at = T0 + timedelta(hours=12)
    events = [
        Event(timestamp=at, category="usage", event_type=f"{k:02d}" * 50, session_id="s")
        for k in range(50)
    ]
    events += [
        Event(
            timestamp=at,
            category="usage",
            event_type="session_started",
            session_id=f"session-{s}",
            properties={"system": {"os": "Linux", "os_version": "6.1.0-18-amd64", "cpu": 64}},
        )
        for s in range(500)
    ]
    for m in range(20):
        name = f"{m:02d}" * 50
        events += [
            Event(
                timestamp=at,
                category="performance",
                event_type="performance",
                session_id="s",
                metric_name=name,
                value=10 ** rng.uniform(-3, 9),
                unit="u" * 20,
                properties={},
            )
            for _ in range(20_000)
        ]
    rollups: dict[str, Any] = {}
    add_events(rollups, events)
    (record,) = rollups.values()
    assert len(json.dumps(record, separators=(",", ":"))) <= 64 * 1024
    assert len(record["sessions"]["ids"]) == MAX_SESSION_IDS and record["sessions"]["full"]


def test_sessions_past_the_daily_cap_are_estimated_not_multiplied(tmp_path: Path) -> None:
    store = _store(tmp_path / "data", max_events=10)
    batches = [
        [
            Event(
                timestamp=T0 + timedelta(minutes=i),
                category="usage",
                event_type="x",
                session_id=f"s{s}",
            )
            for s in range(600)
        ]
        for i in range(3)  # every session again in each batch
    ]
    _write(store, batches)
    doc = store.read()
    count = analytics.compute_with_rollups(doc.events, doc.rollups).analytics.sessions.count
    assert 600 * 0.8 < count < 600 * 1.2


# ------------------------------------------------------------------------------ lifecycle
def _metric(at: datetime, value: float) -> Event:
    return Event(
        timestamp=at,
        category="performance",
        event_type="performance",
        session_id="s",
        metric_name="step_time",
        value=value,
        unit="ms",
    )


def test_retention_removes_whole_days_and_pruning_never_touches_them(tmp_path: Path) -> None:
    clock = [T0]
    store = Store(tmp_path / "data", max_events=2, retention_days=2, clock=lambda: clock[0])
    for day in range(4):
        at = T0 + timedelta(days=day, hours=1)
        clock[0] = at
        _write(store, [[_metric(at, day + 1.0) for _ in range(3)]])
    doc = store.read()
    assert len(doc.events) == 2
    # now = day 3, 01:00; cutoff day 1, 01:00: day 1 is kept whole, day 0 is gone
    assert sorted(doc.rollups) == ["2026-11-21", "2026-11-22", "2026-11-23"]
    stats = analytics.compute_with_rollups(doc.events, doc.rollups).analytics
    assert stats.performance["step_time"].count == 9 and stats.total_events == 9


def test_a_version_1_store_gets_rollups_and_keeps_all_it_held(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    many = [_metric(T0 + timedelta(days=-200 + i % 150, seconds=i), float(i)) for i in range(1500)]
    raw = StoreDocument(events=many).model_dump(mode="json", by_alias=True, exclude_none=True)
    raw["schema_version"] = 1
    del raw["limits"], raw["rollups"]
    (data / "telemetry.json").write_text(json.dumps(raw))
    store = Store(data, clock=lambda: NOW)  # the defaults: 1000 events, 90 days
    store.update(lambda doc: None)  # a consent toggle, say: the first write after upgrading
    doc = store.read()
    assert doc.schema_version == SCHEMA_VERSION == 3  # 3: segments (docs/store.md, "Layout")
    assert len(doc.events) == 1500  # the limits recorded keep what version 1 had
    assert doc.limits.max_events == 1500 and doc.limits.retention_days >= 150
    total = analytics.compute_with_rollups(doc.events, doc.rollups).analytics
    assert total.performance["step_time"].count == 1500


def test_export_carries_the_rollups_and_delete_all_removes_them(tmp_path: Path) -> None:
    store = _store(tmp_path / "data", max_events=3)
    _write(store, [[_metric(T0 + timedelta(hours=h), float(h)) for h in range(10)]])
    doc = store.read()
    out = export_data(doc, tmp_path / "export.json", clock=lambda: NOW)
    exported = json.loads(out.path.read_text())
    assert exported["rollups"] == doc.rollups
    assert exported["analytics"]["performance"]["step_time"]["count"] == 10
    assert len(exported["events"]) == 3
    table = export_data(doc, tmp_path / "rollups.csv", "rollups-csv").path.read_text()
    assert table == render_rollups_csv(doc.rollups)
    rows = table.splitlines()
    assert rows[0] == "day,kind,category,name,unit,count,sum,min,max,p50,p95"
    assert any(
        r.startswith("2026-11-20,metric,performance,step_time,ms,10,45.0,0.0,9.0,") for r in rows
    )

    report = delete_all_data(store, actor="cli")
    assert report.rollup_days_deleted == 1
    after = store.read()
    assert after.rollups == {} and after.events == []
    assert after.limits == doc.limits  # a setting, not data
