from __future__ import annotations

import json
import os
import stat
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from peft_telemetry_gui.core.models import SCHEMA_VERSION, Event, StoreDocument
from peft_telemetry_gui.core.store import NewerSchemaError, Store, StoreError, raw_document

# Events are stamped at NOW and every store that writes them prunes against NOW, so what is kept
# never depends on when the test runs.
NOW = datetime(2026, 11, 23, 15, 30, tzinfo=UTC)


def _at_now() -> datetime:
    return NOW


class FakeClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def _event(at: datetime, n: int = 0) -> Event:
    return Event(
        timestamp=at, category="usage", event_type=f"e{n}", session_id="s", properties={"n": n}
    )


def test_missing_store_reads_as_undecided_and_is_not_created(data_dir: Path) -> None:
    doc = Store(data_dir).read()
    assert doc.consent.decided is False and doc.consent.enabled is False
    assert not data_dir.exists()


def test_write_is_private_and_round_trips(data_dir: Path) -> None:
    store = Store(data_dir, clock=_at_now)
    store.update(lambda doc: doc.events.append(_event(NOW)))
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    (segment,) = data_dir.glob("telemetry.events-*.jsonl")  # layout: docs/store.md, "Layout"
    assert stat.S_IMODE(segment.stat().st_mode) == 0o600
    raw = raw_document(data_dir)
    assert raw["schema_version"] == SCHEMA_VERSION
    assert raw["events"][0]["timestamp"].endswith("Z") or "+00:00" in raw["events"][0]["timestamp"]
    assert Store(data_dir).read().events[0].properties == {"n": 0}
    assert store.lock_path.exists()
    assert [p.name for p in data_dir.iterdir() if ".tmp-" in p.name] == []


def test_cap_keeps_newest_and_retention_drops_old(data_dir: Path) -> None:
    now = datetime(2026, 11, 23, tzinfo=UTC)
    store = Store(data_dir, max_events=5, retention_days=90, clock=FakeClock(now))
    events = [_event(now - timedelta(minutes=10 - i), i) for i in range(10)]
    events.append(_event(now - timedelta(days=91), 99))
    store.update(lambda doc: doc.events.extend(events))
    kept = store.read().events
    assert [e.properties["n"] for e in kept] == [5, 6, 7, 8, 9]


def test_events_are_kept_sorted_by_time(data_dir: Path) -> None:
    store = Store(data_dir, clock=_at_now)
    store.update(lambda doc: doc.events.append(_event(NOW, 2)))
    store.update(lambda doc: doc.events.append(_event(NOW - timedelta(seconds=1), 1)))
    assert [e.properties["n"] for e in store.read().events] == [1, 2]


@pytest.mark.parametrize(
    "content",
    [b"", b"{garbage", b'{"schema_version": 1, "events": "nope"}', b"[1, 2]", b"\xff\xfe\x00"],
    ids=["empty", "garbage", "wrong-schema", "list", "binary"],
)
def test_corrupt_store_is_moved_aside_and_reported(data_dir: Path, content: bytes) -> None:
    data_dir.mkdir()
    store = Store(data_dir)
    store.path.write_bytes(content)
    doc = store.read()
    moved = store.quarantined_files()
    assert len(moved) == 1 and moved[0].read_bytes() == content
    assert doc.quarantined and doc.quarantined[0].moved_to == str(moved[0])
    assert store.quarantine_log == doc.quarantined
    # the fresh store is on disk and carries the notice for other processes (the app's banner)
    assert Store(data_dir).read().quarantined[0].moved_to == str(moved[0])


def test_newer_schema_is_refused_and_left_untouched(data_dir: Path) -> None:
    data_dir.mkdir()
    store = Store(data_dir)
    content = json.dumps({"schema_version": SCHEMA_VERSION + 1, "events": []}).encode()
    store.path.write_bytes(content)
    with pytest.raises(NewerSchemaError, match="newer version"):
        store.read()
    with pytest.raises(NewerSchemaError):
        store.update(lambda doc: None)
    assert store.path.read_bytes() == content
    assert store.quarantined_files() == []


def test_legacy_v0_document_is_migrated(data_dir: Path) -> None:
    data_dir.mkdir()
    store = Store(data_dir)
    store.path.write_text(
        json.dumps(
            {
                "enabled": True,
                "events": [{"event_type": "old", "timestamp": "2026-11-20T10:00:00Z"}],
            }
        )
    )
    doc = store.read()
    assert doc.consent.enabled and doc.consent.decided
    assert [e.event_type for e in doc.events] == ["old"]
    store.update(lambda d: None)
    assert json.loads(store.path.read_text())["schema_version"] == SCHEMA_VERSION


def test_unwritable_folder_gives_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    store = Store(blocker / "data")
    with pytest.raises(StoreError, match="cannot create"):
        store.update(lambda doc: None)


def test_writer_cache_notices_external_changes(data_dir: Path) -> None:
    mine, other = Store(data_dir, clock=_at_now), Store(data_dir, clock=_at_now)
    mine.update(lambda doc: doc.events.append(_event(NOW, 1)))
    other.update(lambda doc: doc.events.append(_event(NOW, 2)))
    mine.update(lambda doc: doc.events.append(_event(NOW, 3)))
    assert sorted(e.properties["n"] for e in Store(data_dir).read().events) == [1, 2, 3]


def test_failed_mutation_writes_nothing(data_dir: Path) -> None:
    store = Store(data_dir, clock=_at_now)
    store.update(lambda doc: doc.events.append(_event(NOW)))
    before = store.path.read_bytes()

    def boom(doc: StoreDocument) -> None:
        doc.events.clear()
        raise RuntimeError("half-way")

    with pytest.raises(RuntimeError):
        store.update(boom)
    assert store.path.read_bytes() == before
    assert len(store.read().events) == 1
    store.update(lambda doc: None)  # the in-memory cache must not carry the half-done change
    assert len(store.read().events) == 1
    assert os.listdir(data_dir).count("telemetry.json") == 1


def test_read_incremental_reuses_known_events_and_reads_new_ones(data_dir: Path) -> None:
    store = Store(data_dir, clock=_at_now)
    store.update(
        lambda doc: doc.events.extend(_event(NOW - timedelta(seconds=10 - i), i) for i in range(5))
    )
    first = store.read()
    # Another process appends one event and the cap prunes the oldest.
    other = Store(data_dir, max_events=5, clock=_at_now)
    other.update(lambda doc: doc.events.append(_event(NOW, 99)))
    second = store.read_incremental(first)
    assert second == store.read()
    assert [e.properties["n"] for e in second.events] == [1, 2, 3, 4, 99]
    assert all(a is b for a, b in zip(first.events[1:], second.events[:4], strict=True))
    assert second.events[-1] not in first.events
    # Nothing changed: everything reused, including the event read the time before.
    third = store.read_incremental(second)
    assert all(a is b for a, b in zip(second.events, third.events, strict=True))


def test_read_incremental_rereads_an_edited_record_and_quarantines_garbage(data_dir: Path) -> None:
    store = Store(data_dir, clock=_at_now)
    store.update(lambda doc: doc.events.append(_event(NOW)))
    first = store.read()
    raw = raw_document(data_dir)  # the whole document in one file, as another tool writes it
    raw["events"][0]["category"] = "error"  # hand edit, same id
    store.path.write_text(json.dumps(raw))
    edited = store.read_incremental(first)
    assert edited.events[0].category == "error" and edited.events[0] is not first.events[0]
    store.path.write_text("{ not json")
    broken = store.read_incremental(edited)
    assert broken.events == [] and broken.quarantined
    assert len(store.quarantined_files()) == 1


def test_store_reads_without_orjson(data_dir: Path) -> None:
    """orjson is an accelerator, not a requirement: the standard library reads the same."""
    import subprocess
    import sys

    store = Store(data_dir, clock=_at_now)
    store.update(lambda doc: doc.events.append(_event(NOW, 7)))
    code = (
        "import sys; sys.modules['orjson'] = None\n"
        "from pathlib import Path\n"
        "from peft_telemetry_gui.core import store\n"
        "assert store._orjson is None\n"
        "s = store.Store(Path(sys.argv[1]))\n"
        "doc = s.read()\n"
        "print(doc.events[0].properties['n'], len(s.read_incremental(doc).events))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(data_dir)], capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["7", "1"]


def test_nan_literal_written_by_another_tool_is_still_readable(data_dir: Path) -> None:
    """orjson refuses NaN, the standard library (and so this store, always) accepts it."""
    store = Store(data_dir)
    store.update(lambda doc: None)
    text = store.path.read_text().replace('"redactions":{}', '"redactions":{},"x":NaN')
    assert "NaN" in text
    store.path.write_text(text)
    assert store.read().quarantined == []
    assert store.quarantined_files() == []


def test_read_incremental_parses_only_new_records_of_a_store_written_file(data_dir: Path) -> None:
    """Records whose bytes were seen before are reused without parsing; an edited record (same
    id, different bytes) and a file laid out by another tool are still read correctly."""
    store = Store(data_dir, max_events=10, clock=_at_now)
    store.update(
        lambda doc: doc.events.extend(_event(NOW - timedelta(seconds=9 - i), i) for i in range(3))
    )
    first = store.read_incremental(store.read())
    writer = Store(data_dir, max_events=10, clock=_at_now)
    writer.update(lambda doc: doc.events.append(_event(NOW, 3)))
    second = store.read_incremental(first)
    assert all(a is b for a, b in zip(first.events, second.events[:3], strict=True))
    assert second == store.read()
    # the whole document rewritten in one file by another tool (a hand edit that keeps the
    # category): events held in the head itself are always read afresh
    text = json.dumps(raw_document(data_dir), separators=(",", ":")).replace('"n":1}', '"n":41}')
    store.path.write_text(text)
    third = store.read_incremental(second)
    assert [e.properties["n"] for e in third.events] == [0, 41, 2, 3]
    assert third.events[1] is not second.events[1]
    # another tool's formatting (spaces, indentation): same content, read the slow way
    store.path.write_text(json.dumps(json.loads(text), indent=2))
    assert store.read_incremental(third) == store.read()


def test_a_line_reads_back_as_the_event_written_whichever_way_it_is_checked() -> None:
    """The strict one-pass decode (a segment in the shape the store writes) and the lenient
    one (a hand edit, an older store) must build the same event, in UTC: a msgspec upgrade
    that changes either fails here, not in users' stores."""
    from peft_telemetry_gui.core.store.segments import decode_line, decode_lines, encode_events

    written = Event(
        id="6f1c2a8e-3b7d-4c55-9a0e-5d2f7b1e9c43",
        timestamp=datetime(2026, 11, 23, 9, 0, tzinfo=timezone(timedelta(hours=1))),
        category="performance",
        event_type="performance",
        session_id="s",
        properties={"a": [1, 2]},
        metric_name="save",
        value=1.5,
        unit="ms",
    )
    assert written.timestamp == datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    assert written.timestamp.tzinfo is UTC
    line = encode_events([written])
    assert decode_lines(line) == [written]
    assert decode_line(line[:-1]) == written
    lenient = Event.from_record(
        json.loads(line) | {"value": "1.5", "timestamp": "2026-11-23T08:00:00"}
    )
    assert lenient == written and lenient.timestamp.tzinfo is UTC
    other_zone = line.replace(b"08:00:00Z", b"10:00:00+02:00")
    assert decode_lines(other_zone)[0].timestamp.tzinfo is UTC
    assert decode_lines(other_zone) == [written]
    with pytest.raises(ValueError):
        Event.from_record({**written.stored_dict(), "category": "telemetry"})
    written.properties["b"] = 1  # an ordinary, mutable record
    assert written.stored_dict()["properties"] == {"a": [1, 2], "b": 1}
    # Every line holds the record's shape: `properties` even when empty, no None fields.
    bare = json.loads(encode_events([written.replace(properties={}, unit=None)]))
    assert list(bare) == [
        "id",
        "timestamp",
        "category",
        "event_type",
        "session_id",
        "properties",
        "metric_name",
        "value",
    ]


def test_malformed_legacy_document_is_set_aside_not_crashing(data_dir: Path) -> None:
    data_dir.mkdir()
    store = Store(data_dir)
    content = b'{"enabled": true, "events": 5}'
    store.path.write_bytes(content)
    doc = store.read()
    assert doc.quarantined and "cannot be migrated" in doc.quarantined[0].reason
    assert store.quarantined_files()[0].read_bytes() == content
