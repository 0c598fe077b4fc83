"""The store's layout: a JSON head plus append-only event segments (docs/store.md, "Layout").

Real files, real processes: writers killed with SIGKILL at random instants and with SIGXFSZ
at exact bytes of a segment append or of the head's temp copy, torn tails, concurrent writers
whose batches arrive out of time order, and a randomised run held against the one-file
semantics (sort, retention, cap) computed by brute force.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from peft_telemetry_gui.core.models import SCHEMA_VERSION, Event, StoreDocument
from peft_telemetry_gui.core.services.delete import delete_all_data
from peft_telemetry_gui.core.services.limits import set_limits
from peft_telemetry_gui.core.store import NewerSchemaError, Store, StoreError, raw_document

NOW = datetime(2026, 11, 23, 15, 30, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]


def _at_now() -> datetime:
    return NOW


def _event(at: datetime, n: int, pad: int = 0, **props: Any) -> Event:
    return Event(
        timestamp=at,
        category="usage",
        event_type="e",
        session_id="s",
        properties={"n": n, **({"pad": "x" * pad} if pad else {}), **props},
    )


def _head(data: Path) -> dict[str, Any]:
    return json.loads((data / "telemetry.json").read_bytes())


def _segments(data: Path) -> list[Path]:
    return sorted(data.glob("telemetry.events-*.jsonl"))


def _ns(store: Store) -> list[int]:
    return [e.properties["n"] for e in store.read().events]


# ------------------------------------------------------------------------------ layout
def test_a_flush_appends_its_lines_and_rewrites_only_the_head(data_dir: Path) -> None:
    store = Store(data_dir, max_events=1000, clock=_at_now)
    store.update(
        lambda d: d.events.extend(
            _event(NOW - timedelta(hours=1, seconds=-i), i) for i in range(300)
        )
    )
    (segment,) = _segments(data_dir)
    before = segment.read_bytes()
    inode = segment.stat().st_ino
    store.update(lambda d: d.events.extend(_event(NOW, 300 + i) for i in range(5)))
    after = segment.read_bytes()
    assert segment.stat().st_ino == inode and after.startswith(before)  # appended, not rewritten
    assert after[len(before) :].count(b"\n") == 5
    head = _head(data_dir)
    assert "events" not in head and head["schema_version"] == SCHEMA_VERSION == 3
    assert head["segments"] == [
        {
            "file": segment.name,
            "start": 0,
            "end": len(after),
            "count": 305,
            "first": "2026-11-23T14:30:00Z",
            "last": "2026-11-23T15:30:00Z",
        }
    ]
    # consent stays near the start of the head, where a host's first call looks for it
    assert (
        (data_dir / "telemetry.json").read_bytes().startswith(b'{"schema_version":3,"anonymous_id"')
    )
    assert raw_document(data_dir)["events"] == [e.stored_dict() for e in store.read().events]
    assert Store(data_dir).read().events == store.read().events


def test_the_cap_moves_the_start_and_whole_pruned_segments_are_deleted(data_dir: Path) -> None:
    store = Store(data_dir, max_events=1500, clock=_at_now)
    start = NOW - timedelta(days=1)
    for batch in range(6):  # ~2 KB per event: a new 4 MiB segment every ~2000 events
        first = batch * 500
        store.update(
            lambda d, f=first: d.events.extend(
                _event(start + timedelta(seconds=f + i), f + i, pad=2000) for i in range(500)
            )
        )
    assert _ns(store) == list(range(1500, 3000))
    head = _head(data_dir)
    named = {r["file"] for r in head["segments"]}
    assert {p.name for p in _segments(data_dir)} == named  # nothing pruned is left on disk
    assert head["segments"][0]["start"] > 0  # the oldest kept sit mid-segment
    assert sum(r["count"] for r in head["segments"]) == 1500


def test_late_events_are_merged_in_time_order_and_earlier_bytes_are_kept(data_dir: Path) -> None:
    store = Store(data_dir, max_events=100, clock=_at_now)
    store.update(
        lambda d: d.events.extend(_event(NOW - timedelta(seconds=60 - i), i) for i in range(50))
    )
    (segment,) = _segments(data_dir)
    before = segment.read_bytes()
    # Another host's batch, stamped among the last ten stored: those ten are rewritten after it.
    late = [_event(NOW - timedelta(seconds=15.5 - i), 100 + i) for i in range(3)]
    store.update(lambda d: d.events.extend(late))
    assert segment.read_bytes().startswith(before)
    stamps = [e.timestamp for e in store.read().events]
    assert stamps == sorted(stamps) and len(stamps) == 53
    assert _ns(store)[:44] == list(range(44)) and set(_ns(store)) == {*range(50), 100, 101, 102}
    ranges = _head(data_dir)["segments"]
    assert len(ranges) == 2 and ranges[0]["count"] + ranges[1]["count"] == 53


def _reference(events: list[Event], cutoff: datetime, cap: int) -> list[str]:
    """The one-file store's semantics, by brute force: stable sort, retention, newest `cap`."""
    kept = [e for e in sorted(events, key=lambda e: e.timestamp) if e.timestamp >= cutoff]
    return [e.id for e in kept[-cap:]]


def test_random_appends_late_batches_and_limit_changes_match_the_one_file_semantics(
    data_dir: Path,
) -> None:
    rng = random.Random(11)
    clock = [NOW]
    store = Store(data_dir, clock=lambda: clock[0])
    reader = Store(data_dir)
    every: list[Event] = []
    cap, retention = 1000, 90
    shown = reader.read()
    for step in range(80):
        clock[0] += timedelta(minutes=rng.randint(0, 90))
        roll = rng.random()
        if roll < 0.1:
            cap = rng.choice([20, 50, 200, 1000])
            retention = rng.choice([1, 2, 90])
            set_limits(store, actor="cli", max_events=cap, retention_days=retention)
        else:
            skew = timedelta(minutes=rng.choice([0, 0, 0, 5, 30, 300]))  # a late host
            batch = [
                _event(clock[0] - skew + timedelta(seconds=rng.randint(-60, 0)), step * 100 + i)
                for i in range(rng.randint(1, 40))
            ]
            every.extend(batch)
            store.update(lambda d, b=batch: d.events.extend(b))
        cutoff = clock[0] - timedelta(days=retention)
        want = _reference(every, cutoff, cap)
        every = [e for e in every if e.id in set(want)]  # what is pruned never comes back
        assert [e.id for e in store.read().events] == want, step
        shown = reader.read_incremental(shown)
        assert [e.id for e in shown.events] == want, step
    assert [e["id"] for e in raw_document(data_dir)["events"]] == want


def test_a_replaced_event_list_is_laid_out_afresh(data_dir: Path) -> None:
    store = Store(data_dir, clock=_at_now)
    store.update(lambda d: d.events.extend(_event(NOW, i) for i in range(10)))
    (old,) = _segments(data_dir)
    store.update(lambda d: setattr(d, "events", [e for e in d.events if e.properties["n"] % 2]))
    assert _ns(store) == [1, 3, 5, 7, 9]
    assert not old.exists() and len(_segments(data_dir)) == 1


def test_many_late_batches_are_compacted_and_stay_exact(data_dir: Path) -> None:
    """Each late batch ends a range early; past 32 ranges (or more dead bytes than live) the
    live bytes are copied into fresh segments, and what is read never changes."""
    store = Store(data_dir, max_events=10_000, clock=_at_now)
    every: list[Event] = []
    counts: list[int] = []
    for b in range(90):
        # a host 10 s late each time: its batch lands before the other host's last one
        at = NOW - timedelta(days=1) + timedelta(seconds=20 * b - (10 if b % 2 else 0))
        batch = [_event(at + timedelta(seconds=i), b * 100 + i, pad=200) for i in range(15)]
        every.extend(batch)
        store.update(lambda d, batch=batch: d.events.extend(batch))
        counts.append(len(_head(data_dir)["segments"]))
    assert max(counts) == 32 and counts[-1] < 32  # compacted once it reached the bound
    want = [e.id for e in sorted(every, key=lambda e: e.timestamp)]
    assert [e.id for e in Store(data_dir).read().events] == want
    live = sum(r["end"] - r["start"] for r in _head(data_dir)["segments"])
    on_disk = sum(p.stat().st_size for p in _segments(data_dir))
    assert on_disk <= 2 * live + 8 * (1 << 20)


@pytest.mark.parametrize("kind", ["fifo", "symlink"])
def test_a_segment_that_is_not_a_regular_file_is_refused_and_left_alone(
    data_dir: Path, kind: str
) -> None:
    store = Store(data_dir, clock=_at_now)
    store.update(lambda d: d.events.append(_event(NOW, 1)))
    (segment,) = _segments(data_dir)
    segment.unlink()
    if kind == "fifo":
        os.mkfifo(segment)
    else:
        segment.symlink_to(data_dir / "elsewhere.jsonl")
        (data_dir / "elsewhere.jsonl").write_text("")
    head = (data_dir / "telemetry.json").read_bytes()
    for attempt in (Store(data_dir).read, lambda: Store(data_dir).update(lambda d: None)):
        with pytest.raises(StoreError, match=segment.name):
            attempt()
    assert (data_dir / "telemetry.json").read_bytes() == head
    assert segment.is_symlink() if kind == "symlink" else segment.is_fifo()


# ------------------------------------------------------------------------------ migration
def test_a_schema_2_file_is_migrated_on_the_first_write_losing_nothing(data_dir: Path) -> None:
    data_dir.mkdir(mode=0o700)
    events = [_event(NOW - timedelta(minutes=i), i) for i in range(30)]
    doc = StoreDocument(events=events)
    raw = doc.model_dump(mode="json", by_alias=True, exclude_none=True)
    raw["schema_version"] = 2
    original = json.dumps(raw).encode()
    (data_dir / "telemetry.json").write_bytes(original)
    store = Store(data_dir, clock=_at_now)
    read = store.read()
    assert [e.id for e in read.events] == [e.id for e in sorted(events, key=lambda e: e.timestamp)]
    assert (data_dir / "telemetry.json").read_bytes() == original, "a read must not rewrite"
    store.update(lambda d: None)
    head = _head(data_dir)
    assert head["schema_version"] == 3 and "events" not in head and len(_segments(data_dir)) == 1
    assert Store(data_dir).read().events == read.events


def test_a_newer_schema_is_refused_and_nothing_is_touched(data_dir: Path) -> None:
    store = Store(data_dir, clock=_at_now)
    store.update(lambda d: d.events.append(_event(NOW, 1)))
    head = _head(data_dir)
    head["schema_version"] = 4
    (data_dir / "telemetry.json").write_text(json.dumps(head))
    files = {p.name: p.read_bytes() for p in data_dir.iterdir() if p.is_file()}
    with pytest.raises(NewerSchemaError):
        Store(data_dir).read()
    with pytest.raises(NewerSchemaError):
        Store(data_dir).update(lambda d: d.events.append(_event(NOW, 2)))
    assert {p.name: p.read_bytes() for p in data_dir.iterdir() if p.is_file()} == files


# ------------------------------------------------------------------------------ damage
def test_a_corrupt_segment_line_is_kept_aside_and_reported_the_rest_kept(data_dir: Path) -> None:
    store = Store(data_dir, clock=_at_now)
    store.update(
        lambda d: d.events.extend(_event(NOW - timedelta(seconds=9 - i), i) for i in range(10))
    )
    (segment,) = _segments(data_dir)
    lines = segment.read_bytes().split(b"\n")
    lines[4] = b'{"id":"broken", "timestamp": "\xff\xfe not a time'
    segment.write_bytes(b"\n".join(lines))
    fresh = Store(data_dir, clock=_at_now)
    doc = fresh.read()
    assert [e.properties["n"] for e in doc.events] == [0, 1, 2, 3, 5, 6, 7, 8, 9]
    (notice,) = doc.quarantined
    report = json.loads(Path(notice.moved_to).read_bytes())
    assert report["segment"] == segment.name and "1 unreadable line" in notice.reason
    assert report["lines"][0].encode("utf-8", "surrogateescape") == lines[4]  # byte for byte
    assert Store(data_dir).read().quarantined == [notice]  # persisted; not reported twice
    assert len(list(data_dir.glob("telemetry.corrupt-*"))) == 1


def test_a_missing_segment_is_reported_not_silently_dropped(data_dir: Path) -> None:
    store = Store(data_dir, clock=_at_now)
    store.update(lambda d: d.events.extend(_event(NOW, i) for i in range(3)))
    (segment,) = _segments(data_dir)
    segment.unlink()
    doc = Store(data_dir, clock=_at_now).read()
    assert doc.events == [] and "is missing: 3 of its 3 event(s) lost" in doc.quarantined[0].reason


def test_a_torn_tail_past_the_committed_end_is_never_read(data_dir: Path) -> None:
    """What a writer killed mid-append leaves: bytes no head names. The next append goes after
    them (appends never touch a byte before them) and its range starts past them."""
    store = Store(data_dir, clock=_at_now)
    store.update(lambda d: d.events.extend(_event(NOW, i) for i in range(3)))
    (segment,) = _segments(data_dir)
    committed = segment.read_bytes()
    with segment.open("ab") as handle:
        handle.write(b'{"id":"half-written","timest')
    assert _ns(Store(data_dir)) == [0, 1, 2] and not Store(data_dir).read().quarantined
    store.update(lambda d: d.events.append(_event(NOW, 3)))
    assert segment.read_bytes().startswith(committed + b'{"id":"half-written","timest{"id"')
    fresh = Store(data_dir)
    assert [e.properties["n"] for e in fresh.read().events] == [0, 1, 2, 3]
    assert not fresh.read().quarantined
    ranges = _head(data_dir)["segments"]
    assert [(r["start"], r["count"]) for r in ranges] == [(0, 3), (len(committed) + 28, 1)]


def test_delete_all_removes_the_segments_and_opting_out_leaves_them(data_dir: Path) -> None:
    from peft_telemetry_gui.core.services.consent import set_consent

    store = Store(data_dir, clock=_at_now)
    set_consent(store, enabled=True, actor="cli")
    store.update(lambda d: d.events.extend(_event(NOW, i) for i in range(5)))
    (segment,) = _segments(data_dir)
    content = segment.read_bytes()
    set_consent(store, enabled=False, actor="cli")
    assert _segments(data_dir) == [segment] and segment.read_bytes() == content
    report = delete_all_data(store, actor="cli")
    assert report.events_deleted == 5 and _segments(data_dir) == []
    assert _head(data_dir)["segments"] == [] and Store(data_dir).read().events == []


# ------------------------------------------------------------------------------ crashes
_WRITER = """
import sys
from datetime import UTC, datetime, timedelta
from peft_telemetry_gui.core.models import Event
from peft_telemetry_gui.core.store import Store

data, first, batches, size, cap, pad = sys.argv[1], *map(int, sys.argv[2:7])
now = datetime(2026, 11, 23, 15, 30, tzinfo=UTC)
store = Store(data, max_events=cap, clock=lambda: now + timedelta(days=1))
for b in range(first, first + batches):
    late = timedelta(seconds=30 if b % 3 == 2 else 0)  # every third batch arrives late
    batch = [
        Event(timestamp=now + timedelta(seconds=b * 10 + i) - late, category="usage",
              event_type="crash", session_id="s", properties={"b": b, "i": i, "p": "x" * pad})
        for i in range(size)
    ]
    store.update(lambda d, batch=batch: (d.redactions.update({f"b{b}": 1}), d.events.extend(batch)))
    print("DONE", b, flush=True)
"""


def _run_writer(
    data: Path,
    first: int,
    batches: int,
    *,
    size: int = 20,
    cap: int = 1_000_000,  # never reached: every batch written stays
    pad: int = 100,
    fsize: int | None = None,
) -> subprocess.Popen[str]:
    code = _WRITER
    if fsize is not None:  # die by SIGXFSZ once any file write would pass `fsize` bytes
        code = (
            "import resource, signal\nsignal.signal(signal.SIGXFSZ, signal.SIG_DFL)\n"
            f"resource.setrlimit(resource.RLIMIT_FSIZE, ({fsize}, {fsize}))\n" + code
        )
    args = [str(data), str(first), str(batches), str(size), str(cap), str(pad)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", code, *args], stdout=subprocess.PIPE, text=True, env=env
    )


def _check_whole(data: Path, done: int, *, size: int = 20) -> int:
    """The store holds batches 0..m-1, each whole, m = `done` (the batches reported written)
    or one more (killed after its commit), in time order, nothing quarantined; returns m."""
    store = Store(data, max_events=1_000_000, clock=lambda: NOW + timedelta(days=1))
    doc = store.read()
    assert not doc.quarantined and not store.quarantine_log
    assert not list(data.glob("telemetry.corrupt-*"))
    by_batch: dict[int, int] = {}
    for e in doc.events:
        by_batch[e.properties["b"]] = by_batch.get(e.properties["b"], 0) + 1
    batches = sorted(by_batch)
    assert batches == list(range(len(batches))), batches
    assert len(batches) in (done, done + 1), (batches, done)
    assert all(n == size for n in by_batch.values()), by_batch
    ours = {key for key in doc.redactions if not key.startswith("pad-")}
    assert ours == {f"b{b}" for b in batches}  # the head moved with the events
    stamps = [e.timestamp for e in doc.events]
    assert stamps == sorted(stamps)
    # Killed before its first commit, a writer leaves no head at all: the old state, empty.
    raw = raw_document(data) if store.path.exists() else {"events": []}
    assert [e["id"] for e in raw["events"]] == [e.id for e in doc.events]
    return len(batches)


@pytest.mark.faults
def test_sigkill_at_random_instants_leaves_the_old_state_or_the_new(data_dir: Path) -> None:
    rng = random.Random(5)
    data_dir.mkdir(mode=0o700)
    total = 0
    # 25 kills; more (up to 100) while too few batches were written for the kills to have
    # landed among writes: on a loaded machine many writers die still importing.
    for round_ in range(100):
        proc = _run_writer(data_dir, total, 50)
        time.sleep(0.05 + rng.random() * 0.25)  # somewhere in imports, appends or head writes
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate(timeout=30)
        done = sum(1 for line in out.splitlines() if line.startswith("DONE"))
        total = _check_whole(data_dir, total + done)
        if round_ >= 24 and total > 25:
            break
    assert total > 25, "the writers were killed before writing anything"


@pytest.mark.faults
@pytest.mark.parametrize("where", ["append", "head"])
def test_a_writer_killed_at_exact_bytes_of_its_append_or_head_leaves_a_whole_store(
    data_dir: Path, where: str
) -> None:
    """SIGXFSZ at every 97th byte of the segment append, or of the head's temp copy."""
    data_dir.mkdir(mode=0o700)
    proc = _run_writer(data_dir, 0, 3)
    assert proc.wait(60) == 0
    total = 3
    (segment,) = _segments(data_dir)
    seg_size, head_size = segment.stat().st_size, (data_dir / "telemetry.json").stat().st_size
    batch_bytes = (seg_size // 60) * 20  # one batch of 20 lines
    if where == "append":
        limits = range(seg_size + 1, seg_size + batch_bytes, 97)
    else:
        # a head far larger than the segment: its temp copy is what passes the limit
        proc = _run_writer(data_dir, 3, 1, size=20)
        assert proc.wait(60) == 0
        total = 4
        big = Store(data_dir, clock=lambda: NOW + timedelta(days=1))
        big.update(lambda d: d.redactions.update({f"pad-{i:05d}": 1 for i in range(6000)}))
        seg_size = max(p.stat().st_size for p in _segments(data_dir))
        head_size = (data_dir / "telemetry.json").stat().st_size
        assert head_size > seg_size + 4 * batch_bytes
        limits = range(seg_size + 2 * batch_bytes, head_size, 997)
    kills = 0
    for limit in limits:
        proc = _run_writer(data_dir, total, 1, fsize=limit)
        out, _ = proc.communicate(timeout=60)
        if proc.returncode == -signal.SIGXFSZ:
            kills += 1
        done = out.count("DONE")
        if proc.returncode == -signal.SIGXFSZ:
            kills += 1
            assert done == 0
        total = _check_whole(data_dir, total + done)
    assert kills >= 5, f"only {kills} writes were cut short"


@pytest.mark.faults
def test_concurrent_writers_with_late_batches_lose_nothing_while_a_reader_polls(
    data_dir: Path,
) -> None:
    data_dir.mkdir(mode=0o700)
    Store(data_dir).update(lambda d: None)
    procs = [_run_writer(data_dir, k * 1000, 25, size=10, pad=300) for k in range(4)]
    reader = Store(data_dir, max_events=10_000)
    shown = reader.read()
    polls = 0
    while any(p.poll() is None for p in procs):
        shown = reader.read_incremental(shown)
        stamps = [e.timestamp for e in shown.events]
        assert stamps == sorted(stamps) and not shown.quarantined
        polls += 1
    assert all(p.wait(60) == 0 for p in procs)
    doc = Store(data_dir, max_events=10_000).read()
    assert sorted((e.properties["b"], e.properties["i"]) for e in doc.events) == sorted(
        (k * 1000 + b, i) for k in range(4) for b in range(25) for i in range(10)
    )
    assert [e.id for e in reader.read_incremental(shown).events] == [e.id for e in doc.events]
    assert polls > 3
