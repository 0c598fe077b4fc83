"""Issue 12: the data behind a chart as CSV (the table twin's rows, formulas quoted, written
atomically), instants named with their zone, and each category's share of every time bucket
adding up to the bucket (from raw events and from rollups alike)."""

from __future__ import annotations

import csv
import io
import os
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from peft_telemetry_gui.core import analytics
from peft_telemetry_gui.core.analytics.buckets import TimeBuckets, category_counts
from peft_telemetry_gui.core.chart_data import file_stem, format_instant, render_csv, write_csv
from peft_telemetry_gui.core.export import ExportError
from peft_telemetry_gui.core.models import Event
from peft_telemetry_gui.core.store import Store

NOW = datetime(2026, 11, 23, 15, 30, tzinfo=UTC)
CATEGORIES = ("usage", "error", "performance", "system")


def _events(n: int, span: timedelta) -> list[Event]:
    """`n` events evenly over `span` before NOW, categories in a fixed uneven pattern."""
    pattern = "uuuepuusuue"
    names = {"u": "usage", "e": "error", "p": "performance", "s": "system"}
    return [
        Event(
            timestamp=NOW - span + span * (i / n),
            category=names[pattern[i % len(pattern)]],
            event_type=f"t{i % 3}",
            session_id=f"s{i // 10}",
        )
        for i in range(n)
    ]


def _by_bucket(events: list[Event], buckets: TimeBuckets, since, until) -> dict[str, list[int]]:
    """The reference: each event put in its bucket one at a time."""
    step = timedelta(hours=1) if buckets.size == "hour" else timedelta(days=1)
    result: dict[str, list[int]] = {}
    for event in events:
        if (since and event.timestamp < since) or (until and event.timestamp > until):
            continue
        i = int((event.timestamp - buckets.starts[0]) / step)
        result.setdefault(event.category, [0] * len(buckets.starts))[i] += 1
    return result


@pytest.mark.parametrize(
    ("span", "since", "until"),
    [
        (timedelta(days=6), None, None),  # whole days from the rollups, the last from raw
        (timedelta(days=6), NOW - timedelta(days=4, hours=5), NOW - timedelta(hours=30)),
        (timedelta(hours=40), NOW - timedelta(hours=30), NOW - timedelta(hours=2)),  # hourly
    ],
)
def test_category_shares_add_up_to_every_bucket(tmp_path: Path, span, since, until) -> None:
    events = _events(600, span)
    store = Store(tmp_path / "data", clock=lambda: NOW)
    store.update(lambda doc: doc.events.extend(events))
    doc = store.read()
    figures = analytics.compute_with_rollups(doc.events, doc.rollups, since, until)
    buckets = figures.buckets(doc.events)
    series = category_counts(buckets, figures.raw, doc.rollups, since, until)
    assert list(series) == [c for c in CATEGORIES if c in series]  # a fixed order
    assert [sum(col) for col in zip(*series.values(), strict=True)] == buckets.counts
    assert {name: sum(v) for name, v in series.items()} == figures.analytics.category_counts
    assert series == _by_bucket(events, buckets, since, until)


def test_category_shares_cover_pruned_events_from_the_rollups(tmp_path: Path) -> None:
    events = _events(400, timedelta(days=5))
    store = Store(tmp_path / "data", max_events=50, clock=lambda: NOW)
    for k in range(0, len(events), 50):
        store.update(lambda doc, k=k: doc.events.extend(events[k : k + 50]))
    doc = store.read()
    assert len(doc.events) == 50  # the rest live on in the rollups only
    figures = analytics.compute_with_rollups(doc.events, doc.rollups)
    buckets = figures.buckets(doc.events)
    series = category_counts(buckets, figures.raw, doc.rollups, None, None)
    assert {name: sum(v) for name, v in series.items()} == Counter(e.category for e in events)
    assert [sum(col) for col in zip(*series.values(), strict=True)] == buckets.counts


def test_category_shares_of_an_unsorted_list_are_the_same() -> None:
    events = _events(200, timedelta(days=2))
    shuffled = events[1::2] + events[::2]
    buckets = analytics.time_buckets(events)
    assert analytics.time_buckets(shuffled) == buckets
    expected = category_counts(buckets, events, {}, None, None)
    assert category_counts(buckets, shuffled, {}, None, None) == expected
    assert expected == _by_bucket(events, buckets, None, None)


def test_category_shares_that_do_not_add_up_are_not_shown() -> None:
    events = _events(30, timedelta(hours=10))
    buckets = analytics.time_buckets(events)
    wrong = buckets.model_copy(update={"counts": [c + 1 for c in buckets.counts]})
    assert category_counts(buckets, events, {}, None, None)
    assert category_counts(wrong, events, {}, None, None) == {}
    empty = TimeBuckets(size="day", starts=[], counts=[])
    assert category_counts(empty, [], {}, None, None) == {}


def test_csv_is_the_rows_as_shown_with_formulas_quoted() -> None:
    rows = [["=SUM(A1)", "1,234", "-5"], ["+cmd", "0", "@x"], ["plain, with comma", "7", "8"]]
    text = render_csv(["Event type", "Count", "%"], rows)
    parsed = list(csv.reader(io.StringIO(text)))
    assert parsed == [
        ["Event type", "Count", "%"],
        ["'=SUM(A1)", "1,234", "-5"],
        ["'+cmd", "0", "'@x"],
        ["plain, with comma", "7", "8"],
    ]


def test_write_csv_is_all_or_nothing(tmp_path: Path) -> None:
    target = tmp_path / "chart.csv"
    write_csv(target, ["A"], [["1"]])
    write_csv(target, ["A"], [["2"]])  # a save over an older one replaces it
    assert target.read_text(encoding="utf-8") == "A\n2\n"
    missing = tmp_path / "gone" / "chart.csv"
    with pytest.raises(ExportError, match="does not exist"):
        write_csv(missing, ["A"], [["1"]])
    assert not missing.parent.exists()


@pytest.fixture
def kolkata(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Local time half an hour off a whole hour, with a zone name."""
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()
    assert os.environ.get("TZ") != "Asia/Kolkata"


def test_instants_carry_their_zone(kolkata: None) -> None:
    start = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    assert format_instant(start, "hour") == "2026-11-23 15:30 IST"
    assert format_instant(start.replace(hour=0), "day") == "2026-11-23 (UTC day)"


def test_file_stem_from_a_title() -> None:
    assert file_stem("Events over time") == "events-over-time"
    assert file_stem("Distribution") == "distribution"
    assert file_stem("!!!") == "chart"
