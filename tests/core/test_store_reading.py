"""Reading segments a megabyte at a time into msgspec structs (docs/store.md, "Events in memory").

Segments of a few megabytes, so lines cross the pieces a range is read in; real files only.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from peft_telemetry_gui.core.models import Event
from peft_telemetry_gui.core.store import Store

NOW = datetime(2026, 11, 23, 15, 30, tzinfo=UTC)
#: ~450 bytes a line: 8 000 of them fill three and a half of the one-megabyte pieces.
N = 8_000


def _at_now() -> datetime:
    return NOW


def _events(n: int) -> list[Event]:
    start = NOW - timedelta(days=1)
    return [
        Event(
            timestamp=start + timedelta(seconds=i),
            category="performance" if i % 3 == 0 else "usage",
            event_type="performance" if i % 3 == 0 else f"step_{i % 7}",
            session_id=f"session-{i // 500}",
            properties={"n": i, "pad": "é" * (i % 300)},  # lines of every length, some 2-byte
            metric_name="step_time" if i % 3 == 0 else None,
            value=float(i) if i % 3 == 0 else None,
            unit="ms" if i % 3 == 0 else None,
        )
        for i in range(n)
    ]


def _filled(data_dir: Path, n: int = N) -> tuple[Store, list[Event], Path]:
    store = Store(data_dir, max_events=n, clock=_at_now)
    events = _events(n)
    store.update(lambda doc: doc.events.extend(events))
    (segment,) = data_dir.glob("telemetry.events-*.jsonl")
    assert n < N or segment.stat().st_size > 3 << 20  # the pieces' boundaries fall in lines
    return store, events, segment


def _edit_line(segment: Path, at: int, new: bytes) -> None:
    """Line `at` replaced in place, padded with JSON whitespace to its old length (the head's
    byte ranges stay true, as after a hand edit that kept the length)."""
    lines = segment.read_bytes().split(b"\n")
    assert len(new) <= len(lines[at])
    lines[at] = new + b" " * (len(lines[at]) - len(new))
    segment.write_bytes(b"\n".join(lines))


def test_a_segment_of_several_megabytes_reads_back_exactly(data_dir: Path) -> None:
    _store, written, _segment = _filled(data_dir)
    doc = Store(data_dir, clock=_at_now).read()
    assert doc.events == written
    assert doc.quarantined == []


def test_a_hand_edited_line_deep_in_a_big_segment_is_read_leniently(data_dir: Path) -> None:
    _store, written, segment = _filled(data_dir)
    at = 5_001  # in the third megabyte, a performance event
    record = written[at].stored_dict()
    record["timestamp"] = record["timestamp"].removesuffix("Z")  # no zone: read as UTC
    record["value"] = "2.5"  # a number written as text
    _edit_line(segment, at, json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode())
    doc = Store(data_dir, clock=_at_now).read()
    assert len(doc.events) == N and doc.quarantined == []
    assert doc.events[at] == written[at].replace(value=2.5)
    assert doc.events[at].timestamp.tzinfo is UTC
    assert doc.events[:at] == written[:at] and doc.events[at + 1 :] == written[at + 1 :]


def test_a_broken_line_deep_in_a_big_segment_is_set_aside_and_the_rest_kept(
    data_dir: Path,
) -> None:
    _store, written, segment = _filled(data_dir)
    _edit_line(segment, 6_500, b'{"id": "cut", "timestamp": "2026-11-')
    doc = Store(data_dir, clock=_at_now).read()
    assert doc.events == written[:6_500] + written[6_501:]
    (notice,) = doc.quarantined
    assert "1 unreadable line" in notice.reason


def test_repeated_names_are_one_string_each_after_a_read_and_a_re_read(data_dir: Path) -> None:
    """The app's memory at 100 000 events: a name repeated on every line is held once, not
    once per line (within each megabyte read)."""
    store, _written, _segment = _filled(data_dir, n=2_000)
    reader = Store(data_dir, max_events=N, clock=_at_now)
    doc = reader.read()
    steps = [e for e in doc.events if e.event_type == "step_1"]
    assert len(steps) > 100 and len({id(e.event_type) for e in steps}) == 1
    perf = [e for e in doc.events if e.metric_name is not None]
    assert len({id(e.metric_name) for e in perf}) == 1 and len({id(e.unit) for e in perf}) == 1
    in_session = [e for e in doc.events if e.session_id == "session-1"]
    assert len({id(e.session_id) for e in in_session}) == 1
    more = _events(2_200)[2_000:]
    store.update(lambda d: d.events.extend(more))
    again = reader.read_incremental(doc)
    new = [e for e in again.events[-200:] if e.event_type == "step_1"]
    assert len(new) > 10 and len({id(e.event_type) for e in new}) == 1
