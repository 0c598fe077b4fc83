"""The store on disk: a small JSON head plus event segments (docs/store.md, "Layout").

`telemetry.json` (the head) is the whole document minus its events, plus `segments`: the live
byte ranges of the segment files, in event order. One commit appends the new event lines to a
segment and fsyncs them, then replaces the head atomically; the head is the commit point, so a
crash at any instant leaves the old head (which never names the new bytes) or the new one.

A write costs what it adds: the appended lines, the head, and for pruning the oldest events the
bytes of those events only (the first range's start moves past them; a segment nothing names any
more is deleted). Events that arrive out of time order (two hosts' flushes interleave) end the
last range just before the first event they precede and rewrite the few after it, so segments
stay sorted in time without re-encoding the store. The bytes left unnamed are compacted (a copy
of the live bytes into fresh segments, no re-encoding) once they outweigh the live ones.
"""

from __future__ import annotations

import contextlib
import json
import operator
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ..fsio import fsync_dir
from ..models import Event, StoreDocument
from .document import gc_paused
from .segments import (
    SEGMENT_BYTES,
    Range,
    SegmentShortError,
    append_lines,
    decode_line,
    decode_lines,
    encode_events,
    new_segment_name,
    read_events,
    read_range,
    segment_files,
    skip_lines,
    start_of_last_lines,
)

__all__ = [
    "BadLines",
    "Layout",
    "decode_range",
    "dump_head",
    "load_events",
    "range_events",
    "raw_document",
    "remove_unnamed_segments",
    "write_events",
]

#: More ranges than this (each out-of-order rewrite adds one) and the next write compacts.
MAX_RANGES = 32
_timestamp = operator.attrgetter("timestamp")


@dataclass
class Layout:
    """Where the events of one document are on disk. `exact`: the document's event list is
    exactly the ranges' lines in order (the cheap commit applies); otherwise the next commit
    writes all events afresh (a migrated, repaired or hand-written store)."""

    ranges: list[Range] = field(default_factory=list)
    exact: bool = True

    @property
    def count(self) -> int:
        return sum(r.count for r in self.ranges)

    @property
    def live_bytes(self) -> int:
        return sum(r.end - r.start for r in self.ranges)


@dataclass
class BadLines:
    """What could not be read from one segment: kept aside for the user, never dropped."""

    file: str
    reason: str
    lines: list[bytes] = field(default_factory=list)

    def report(self) -> bytes:
        text = [line.decode("utf-8", "surrogateescape") for line in self.lines]
        return json.dumps({"segment": self.file, "reason": self.reason, "lines": text}).encode()


def dump_head(doc: StoreDocument, ranges: list[Range]) -> bytes:
    """The document without its events, then `segments` (consent stays near the start, where
    `client.peek` looks for it)."""
    body = doc.model_dump_json(by_alias=True, exclude_none=True, exclude={"events"}).encode()
    segments = json.dumps([r.as_json() for r in ranges], separators=(",", ":")).encode()
    return body[:-1] + b',"segments":' + segments + b"}"


def decode_range(data: bytes, rng: Range, bad: list[BadLines]) -> list[Event]:
    """The events of one range; lines that do not parse or validate go to `bad`."""
    if not data:
        return []
    if not data.endswith(b"\n"):
        bad.append(BadLines(rng.file, "the last line is cut short", [data.rsplit(b"\n", 1)[-1]]))
        data = data[: data.rfind(b"\n") + 1]
    try:
        return decode_lines(data)
    except (ValueError, RecursionError):
        pass  # find the culprits line by line
    events: list[Event] = []
    broken = BadLines(rng.file, "")
    for line in data.split(b"\n")[:-1]:
        try:
            events.append(decode_line(line))
        except (ValueError, TypeError, RecursionError) as exc:
            broken.lines.append(line)
            broken.reason = broken.reason or (str(exc).splitlines() or ["invalid record"])[0][:200]
    if broken.lines:
        broken.reason = f"{len(broken.lines)} unreadable line(s): {broken.reason}"
        bad.append(broken)
    return events


def range_events(data_dir: Path, rng: Range, bad: list[BadLines]) -> list[Event]:
    """The events of one range: read a piece at a time in the usual case; read whole, line by
    line, when a line is not as the store writes it (the lines that do not parse go to `bad`)."""
    try:
        return read_events(data_dir, rng)
    except (ValueError, RecursionError):
        return decode_range(read_range(data_dir, rng), rng, bad)


def load_events(
    data_dir: Path, ranges: list[Range], *, strict: bool
) -> tuple[list[Event], Layout, list[BadLines]]:
    """Every live event, in order. `strict` (lock-free readers): a missing or short segment
    raises `SegmentShortError` (the head may have moved on: re-read it). Under the lock it is
    damage: reported in `BadLines`, and the rest is kept."""
    events: list[Event] = []
    bad: list[BadLines] = []
    layout = Layout(list(ranges))
    with gc_paused(sum(r.end - r.start for r in ranges)):
        for rng in ranges:
            try:
                got = range_events(data_dir, rng, bad)
            except SegmentShortError as exc:
                if strict:
                    raise
                data = read_range(data_dir, rng, salvage=True)  # keep every line there is
                mark = len(bad)
                got = decode_range(data, rng, bad)
                why = f"{exc.strerror}: {rng.count - len(got)} of its {rng.count} event(s) lost"
                if len(bad) > mark:  # one report per segment
                    bad[-1].reason = f"{bad[-1].reason}; {why}"
                else:
                    bad.append(BadLines(rng.file, why))
            if len(got) != rng.count:
                layout.exact = False
            events.extend(got)
    if bad:
        layout.exact = False
    stamps = list(map(_timestamp, events))
    if any(map(operator.gt, stamps, stamps[1:])):  # only a hand edit does this
        events.sort(key=_timestamp)
        layout.exact = False
    return events, layout, bad


def remove_unnamed_segments(data_dir: Path, ranges: list[Range]) -> None:
    """After a commit, under the lock: a segment the committed head does not name is either
    superseded or what a killed writer left; neither holds a committed event."""
    named = {r.file for r in ranges}
    for name in segment_files(data_dir):
        if name not in named:
            with contextlib.suppress(OSError):
                os.unlink(data_dir / name)


def _stamp(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _with_times(ranges: list[Range], events: list[Event]) -> list[Range]:
    out: list[Range] = []
    at = 0
    for r in ranges:
        first, last = events[at].timestamp, events[at + r.count - 1].timestamp
        out.append(Range(r.file, r.start, r.end, r.count, _stamp(first), _stamp(last)))
        at += r.count
    return out


def write_events(
    data_dir: Path, events: list[Event], layout: Layout | None, plan: tuple[int, int] | None
) -> list[Range]:
    """Put `events` on disk and return the ranges the new head must name (not committed until
    that head replaces the old one). `plan` = (k, cut) from `prune_appended`: of the `layout`'s
    lines, the first k were pruned and those from `cut` on are rewritten with the new events;
    None (or an inexact layout) writes everything afresh."""
    if layout is None or plan is None or not layout.exact:
        return _with_times(_fresh(data_dir, encode_events(events), len(events)), events)
    k, cut = plan
    old = layout.ranges
    ends: dict[str, int] = {}
    for r in old:
        ends[r.file] = max(ends.get(r.file, 0), r.end)
    if k >= cut:
        ranges: list[Range] = []
        new = events
    else:
        ranges = _cut_back(data_dir, list(old), layout.count - cut)
        ranges = _skip_front(data_dir, ranges, k)
        new = events[cut - k :]
    dead = sum(ends.values()) - sum(r.end - r.start for r in ranges)
    if len(ranges) >= MAX_RANGES or dead > max(2 * SEGMENT_BYTES, sum(ends.values()) // 2):
        body = b"".join(read_range(data_dir, r) for r in ranges) + encode_events(new)
        return _with_times(_fresh(data_dir, body, len(events)), events)
    if new:
        data = encode_events(new)
        last = old[-1].file if old else None
        if last is not None and ends[last] < SEGMENT_BYTES:
            at = append_lines(data_dir, last, data, new=False)
        else:
            last = new_segment_name(segment_files(data_dir))
            at = append_lines(data_dir, last, data, new=True)
        tail = ranges[-1] if ranges else None
        if tail is not None and tail.file == last and tail.end == at:
            ranges[-1] = Range(last, tail.start, at + len(data), tail.count + len(new))
        else:
            ranges.append(Range(last, at, at + len(data), len(new)))
    return _with_times(ranges, events)


def _cut_back(data_dir: Path, ranges: list[Range], b: int) -> list[Range]:
    """Drop the last `b` lines from `ranges` (they are being rewritten)."""
    while b and ranges and ranges[-1].count <= b:
        b -= ranges.pop().count
    if b and ranges:
        r = ranges[-1]
        end = start_of_last_lines(data_dir, r, b)
        ranges[-1] = Range(r.file, r.start, end, r.count - b)
    return ranges


def _skip_front(data_dir: Path, ranges: list[Range], k: int) -> list[Range]:
    """Drop the first `k` lines from `ranges` (pruned)."""
    while k and ranges and ranges[0].count <= k:
        k -= ranges.pop(0).count
    if k and ranges:
        r = ranges[0]
        ranges[0] = Range(r.file, skip_lines(data_dir, r, k), r.end, r.count - k)
    return ranges


def _fresh(data_dir: Path, body: bytes, count: int) -> list[Range]:
    """`body` (`count` whole lines) in new segments of about `SEGMENT_BYTES` each."""
    ranges: list[Range] = []
    names = segment_files(data_dir)
    pos = 0
    while pos < len(body):
        end = body.find(b"\n", min(len(body) - 1, pos + SEGMENT_BYTES - 1)) + 1 or len(body)
        chunk = body[pos:end]
        name = new_segment_name(names)
        names.append(name)
        append_lines(data_dir, name, chunk, new=False)  # a new name: the file is ours alone
        ranges.append(Range(name, 0, len(chunk), chunk.count(b"\n")))
        pos = end
    if ranges:
        fsync_dir(data_dir)
    if sum(r.count for r in ranges) != count:
        raise ValueError("an event record spans more than one line")  # never: JSON escapes \n
    return ranges


def raw_document(data_dir: Path, **json_options: Any) -> dict[str, Any]:
    """The store as one JSON object, as schema 2 held it in one file (the head's fields, then
    `events`), parsed with the standard library alone (`json_options` go to `json.loads`):
    what any JSON consumer of the files sees. For tests and support tools; lock-free, so it
    starts over when a writer moved the head on meanwhile. Raises `FileNotFoundError`."""
    for _attempt in range(5):
        raw = json.loads((data_dir / "telemetry.json").read_bytes(), **json_options)
        ranges = raw.pop("segments", None) or []
        events = list(raw.pop("events", None) or [])
        try:
            for item in ranges:
                data = read_range(data_dir, Range.from_json(item))
                events.extend(json.loads(line, **json_options) for line in data.splitlines())
        except SegmentShortError:
            continue
        raw["events"] = events
        return raw
    raise SegmentShortError(5, "the store kept changing while it was read", str(data_dir))
