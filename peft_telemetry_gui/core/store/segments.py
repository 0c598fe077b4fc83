"""Event segments: append-only JSON-lines files beside the store's head (docs/store.md, "Layout").

A segment is `telemetry.events-<seq>-<8 hex>.jsonl`, one event per line, exactly the record the
one-file store held. Bytes in a segment are never changed: a writer only appends (`O_APPEND`),
so a reader holding an older head still finds its bytes, and a crash mid-append leaves bytes
no head names. The head says which byte ranges are live (`Range`): pruning moves a
range's start, a rewrite of the newest few events ends one range early and starts another, and
a segment no range names is deleted after the head that dropped it is committed.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from ..fsio import NotRegularFileError, fsync_dir
from ..models import Event

__all__ = [
    "SEGMENT_BYTES",
    "Range",
    "SegmentShortError",
    "append_lines",
    "decode_line",
    "decode_lines",
    "encode_events",
    "is_segment_name",
    "new_segment_name",
    "read_events",
    "read_range",
    "segment_files",
    "skip_lines",
    "start_of_last_lines",
]

#: A new segment is started once the one being appended to is this big: the unit in which
#: pruned space is given back (a whole segment is deleted once no range names it).
SEGMENT_BYTES = 4 << 20
_SEGMENT_RE = re.compile(r"telemetry\.events-(?P<seq>[0-9]{1,12})-[0-9a-f]{8}\.jsonl")
_O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CHUNK = 1 << 16
#: A segment's lines, all at once: the bytes between "[" and "]" with each newline a comma.
_LINES = msgspec.json.Decoder(list[Event])
_DECODE_BYTES = 1 << 20
_LINE = msgspec.json.Decoder(Event)
_ENCODER = msgspec.json.Encoder()


class SegmentShortError(OSError):
    """A segment is missing or shorter than a head says: the head changed under a lock-free
    reader (retry with the new one), or, under the lock, the store is damaged."""


@dataclass(frozen=True, slots=True)
class Range:
    """Live bytes [start, end) of one segment holding `count` events, `first`..`last` in time."""

    file: str
    start: int
    end: int
    count: int
    first: str = ""
    last: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "start": self.start,
            "end": self.end,
            "count": self.count,
            "first": self.first,
            "last": self.last,
        }

    @classmethod
    def from_json(cls, raw: object) -> Range:
        """A range as a head records it; `ValueError` for anything else (a damaged head)."""
        if not isinstance(raw, dict):
            raise ValueError("segments: a range is not an object")
        name, start, end, count = (raw.get(k) for k in ("file", "start", "end", "count"))
        if not (isinstance(name, str) and is_segment_name(name)):
            raise ValueError(f"segments: {name!r} is not a segment file name")
        if not all(type(v) is int and v >= 0 for v in (start, end, count)):
            raise ValueError("segments: start, end and count must be whole numbers")
        if end < start or (count == 0) != (end == start):
            raise ValueError(f"segments: the range {start}..{end} of {name} is inconsistent")
        return cls(name, start, end, count, str(raw.get("first", "")), str(raw.get("last", "")))


def is_segment_name(name: str) -> bool:
    return _SEGMENT_RE.fullmatch(name) is not None


def segment_seq(name: str) -> int:
    match = _SEGMENT_RE.fullmatch(name)
    return int(match["seq"]) if match else 0


def new_segment_name(after: list[str]) -> str:
    """A name never used before in this folder (a random part too: a reader holding a very old
    head must never find a different file under a name it remembers)."""
    seq = max((segment_seq(name) for name in after), default=0) + 1
    return f"telemetry.events-{seq:06d}-{secrets.token_hex(4)}.jsonl"


def segment_files(data_dir: Path) -> list[str]:
    """Names of every segment file in `data_dir` (regular files or not: the caller decides)."""
    try:
        return sorted(name for name in os.listdir(data_dir) if is_segment_name(name))
    except OSError:
        return []


def read_range(data_dir: Path, rng: Range, *, salvage: bool = False) -> bytes:
    """The live bytes of `rng`: regular files only, opened non-blocking (a FIFO swapped in
    cannot hang a reader), and `SegmentShortError` when the file is gone or too short; with
    `salvage`, what there is instead (the damaged store's repair keeps every line it can)."""
    if salvage:
        try:
            return read_range(data_dir, rng)
        except SegmentShortError:
            try:
                with open(data_dir / rng.file, "rb") as handle:
                    handle.seek(rng.start)
                    return handle.read(rng.end - rng.start)
            except FileNotFoundError:
                return b""
    fd = _open_range(data_dir, rng)
    try:
        data = os.pread(fd, rng.end - rng.start, rng.start)
    finally:
        os.close(fd)
    if len(data) != rng.end - rng.start:
        raise SegmentShortError(
            5, f"{rng.file} is shorter than its head says", str(data_dir / rng.file)
        )
    return data


def _open_range(data_dir: Path, rng: Range) -> int:
    """A descriptor on `rng`'s segment: a regular file, opened non-blocking (a FIFO swapped in
    cannot hang a reader), at least as long as the range says."""
    path = data_dir / rng.file
    try:
        fd = os.open(path, os.O_RDONLY | _O_NONBLOCK | _O_CLOEXEC | _O_NOFOLLOW)
    except FileNotFoundError as exc:
        raise SegmentShortError(2, f"{rng.file} is missing", str(path)) from exc
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotRegularFileError(22, "not a regular file", str(path))
        if st.st_size < rng.end:
            raise SegmentShortError(5, f"{rng.file} is shorter than its head says", str(path))
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_events(data_dir: Path, rng: Range) -> list[Event]:
    """The events of `rng`, read and checked a megabyte at a time: the app's first read of a
    100 000-event store held a 26 MB segment whole, plus two copies of it, at its peak.
    Raises what `read_range` raises, and `ValueError` when a line is not in the shape `Store`
    writes (the caller then reads the range whole, line by line, to report it)."""
    fd = _open_range(data_dir, rng)
    events: list[Event] = []
    carry = b""
    try:
        at = rng.start
        while at < rng.end:
            piece = os.pread(fd, min(_DECODE_BYTES, rng.end - at), at)
            if not piece:
                raise SegmentShortError(
                    5, f"{rng.file} is shorter than its head says", str(data_dir / rng.file)
                )
            at += len(piece)
            block = carry + piece if carry else piece
            cut = block.rfind(b"\n") + 1
            carry = block[cut:]
            if cut:
                events += decode_lines(block[:cut] if carry else block)
    finally:
        os.close(fd)
    if carry:
        raise ValueError("the last line is cut short")
    return events


def encode_events(events: list[Event]) -> bytes:
    """One compact record per line (`Event` leaves out what is empty or None)."""
    return _ENCODER.encode_lines(events)


def decode_lines(data: bytes) -> list[Event]:
    """The events of whole lines (`data` ends with a newline), checked by msgspec straight from
    the bytes, a megabyte of lines at a time (a 26 MB segment decoded at once needed two more
    copies of it alive). Raises `ValueError` when any line is not in the shape `Store` writes;
    the caller then goes line by line (`decode_line`)."""
    events: list[Event] = []
    start, size = 0, len(data)
    while start < size:
        end = data.find(b"\n", min(start + _DECODE_BYTES, size) - 1) + 1
        if end == 0:
            raise ValueError("the last line is cut short")
        lines = data[start : end - 1].replace(b"\n", b",")
        chunk = _LINES.decode(b"[" + lines + b"]")
        _share_names(chunk)
        events += chunk
        start = end
    if len(events) != data.count(b"\n"):
        raise ValueError("a line holds more than one record")
    return events


def _share_names(events: list[Event]) -> None:
    """One string object per distinct event type, session and metric: msgspec makes a new one
    for every line, and a store repeats a handful of each a hundred thousand times (~15 MB of
    the app's memory at 100 000 events, for ~10 ms of this loop)."""
    names: dict[str, str] = {}
    share = names.setdefault
    for event in events:
        event.event_type = share(event.event_type, event.event_type)
        event.session_id = share(event.session_id, event.session_id)
        if event.metric_name is not None:
            event.metric_name = share(event.metric_name, event.metric_name)
            if event.unit is not None:
                event.unit = share(event.unit, event.unit)


def decode_line(line: bytes) -> Event:
    """An event from one line: in the shape `Store` writes, checked strictly; anything else
    (a hand edit, a NaN, a value written as text) leniently, as the store always has."""
    try:
        return _LINE.decode(line)
    except msgspec.DecodeError:
        return Event.from_record(json.loads(line))  # the lenient parser: NaN, huge numbers


def append_lines(data_dir: Path, name: str, data: bytes, *, new: bool) -> int:
    """Append `data` to segment `name` in one `O_APPEND` write, fsync it, and return the offset
    it starts at. Never a byte before it is touched: not what a killed writer left at the end
    (no head names it; the new range simply starts after it), and not what another writer
    committed, even one that took a lock file deleted under us (docs/store.md, "Under faults":
    the writer that lost the lock then fails its commit check, and its bytes stay unnamed). A
    new file's folder entry is fsynced too, before any head can name it."""
    path = data_dir / name
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | _O_CLOEXEC | _O_NOFOLLOW
    fd = os.open(path, flags | (os.O_EXCL if new else 0), 0o600)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotRegularFileError(22, "not a regular file", str(path))
        written = os.write(fd, data)
        end = os.lseek(fd, 0, os.SEEK_CUR)  # after an O_APPEND write: the end of ours
        if written != len(data):  # a regular file takes it whole, unless it is full
            raise OSError(28, "No space left on device (short write)", str(path))
        os.fsync(fd)
    finally:
        os.close(fd)
    if new:
        fsync_dir(data_dir)
    return end - len(data)


def skip_lines(data_dir: Path, rng: Range, k: int) -> int:
    """The byte offset just past the first `k` lines of `rng` (0 < k < rng.count): reads only
    those lines, so pruning the oldest events costs what they weigh, not the store's size."""
    path = data_dir / rng.file
    with open(path, "rb") as handle:
        handle.seek(rng.start)
        pos, left = rng.start, k
        while left:
            chunk = handle.read(min(_CHUNK, rng.end - pos))
            if not chunk:
                raise SegmentShortError(5, f"{rng.file} is shorter than its head says", str(path))
            at = -1
            while left:
                at = chunk.find(b"\n", at + 1)
                if at < 0:
                    break
                left -= 1
            if left == 0:
                return pos + at + 1
            pos += len(chunk)
    return pos


def start_of_last_lines(data_dir: Path, rng: Range, k: int) -> int:
    """The byte offset where the last `k` lines of `rng` begin (0 < k < rng.count): reads
    backwards over those lines only (a rewrite of the newest events after a late one)."""
    path = data_dir / rng.file
    buf, buf_start = b"", rng.end
    with open(path, "rb") as handle:
        while buf_start > rng.start:
            start = max(rng.start, buf_start - _CHUNK)
            handle.seek(start)
            buf = handle.read(buf_start - start) + buf
            buf_start = start
            # The range ends with a newline: the (k+1)-th from the end closes the line before.
            at = len(buf)
            for _ in range(k + 1):
                at = buf.rfind(b"\n", 0, at)
                if at < 0:
                    break
            else:
                return buf_start + at + 1
    return rng.start
