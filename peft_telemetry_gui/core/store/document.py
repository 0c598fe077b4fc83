"""Bytes <-> `StoreDocument`: the parser choice, the GC pause around big parses, migration."""

from __future__ import annotations

import contextlib
import gc
import json
import os
import threading
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from ..models import SCHEMA_VERSION, StoreDocument
from .migrate import finish_migration, migrate
from .segments import Range

try:  # optional: about 3x faster than the standard library on a large store
    import orjson as _orjson
except ImportError:  # pragma: no cover - exercised by test_store_reads_without_orjson
    _orjson = None

__all__ = ["dump_document", "gc_paused", "loads", "parse_document", "parse_head"]

#: Below this size the cyclic GC costs little while parsing; above it, it dominates (see below).
_GC_PAUSE_MIN_BYTES = 1 << 20


def loads(data: bytes) -> Any:
    """Parse a store document: orjson when installed, the standard library otherwise.

    orjson is strict where `json` is lenient (NaN/Infinity literals, huge integers, UTF-16 or
    lone surrogates), so anything orjson refuses is retried with `json`: a file this version
    could read before is never quarantined just because a faster parser is installed, and a
    truly broken one reports the standard library's message, as before.
    """
    if _orjson is not None:
        try:
            return _orjson.loads(data)
        except _orjson.JSONDecodeError:
            pass
    return json.loads(data)


class _GcPause:
    """The count of parses that currently hold the cyclic garbage collector off.

    Process-wide on purpose: the collector is one switch for the whole interpreter, so every
    reader in every thread (and every `Store`) must share one count. Otherwise the first to
    finish would re-enable it under the others, or enable a collector the host application had
    turned off.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0
        self._was_enabled = False

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        with self._lock:
            if self._depth == 0:
                self._was_enabled = gc.isenabled()
                gc.disable()
            self._depth += 1
        try:
            yield
        finally:
            with self._lock:
                self._depth -= 1
                if self._depth == 0 and self._was_enabled:
                    gc.enable()

    def reset_in_forked_child(self) -> None:
        """A child forked mid-parse inherits a count no thread of its will ever bring back to
        zero (and maybe a held lock): start over, with the collector as it was before."""
        self._lock = threading.Lock()
        if self._depth and self._was_enabled:
            gc.enable()
        self._depth = 0


_gc_pause = _GcPause()
os.register_at_fork(after_in_child=_gc_pause.reset_in_forked_child)


@contextlib.contextmanager
def gc_paused(size: int) -> Iterator[None]:
    """Hold off the cyclic garbage collector while a large document becomes objects.

    Parsing 100 000 events allocates millions of containers; every few thousand of them CPython
    runs a collection that walks the whole young heap, and the big ones walk everything alive
    (the previous document included). Measured on a 27 MB store: orjson 300 ms with the collector
    running, 90 ms without. Nothing built here is cyclic garbage, so pausing only delays work,
    and the pause is counted so concurrent readers never re-enable it under each other (nor
    enable a collector the host application had turned off).
    """
    if size < _GC_PAUSE_MIN_BYTES:
        yield
        return
    with _gc_pause.paused():
        yield


def parse_document(data: bytes, now: datetime | None = None) -> StoreDocument:
    """A document held in one file (schema 2 and older, or a head with its events inline),
    migrated; any `ValueError` means "unreadable: quarantine it"."""
    return parse_head(data, now)[0]


def parse_head(data: bytes, now: datetime | None = None) -> tuple[StoreDocument, list[Range]]:
    """The head (`now`: the reader's time, for `finish_migration`) and the segment ranges it
    names. Events in the file itself (an older schema, or a document written whole by another
    tool) are in the returned document; the next write lays them out afresh. Any `ValueError`
    means "unreadable: quarantine it"."""
    with gc_paused(len(data)):
        try:
            raw = loads(data)
        except RecursionError:
            raise ValueError("the document is nested too deeply") from None
        if not isinstance(raw, dict):
            raise ValueError("the document is not a JSON object")
        if raw.get("schema_version") == SCHEMA_VERSION:
            segments = raw.pop("segments", None)
            if segments is not None and not isinstance(segments, list):
                raise ValueError("segments: not a list")
            ranges = [Range.from_json(item) for item in segments or ()]
            return StoreDocument.model_validate(raw), ranges
        raw.pop("segments", None)  # an older version never has them: a stray key
        version = raw.get("schema_version", 0)
        try:
            migrated = migrate(raw)
        except (TypeError, KeyError, AttributeError, RecursionError) as exc:
            # A malformed old document is as unreadable as a corrupt one: set it aside.
            raise ValueError(
                f"an older document that cannot be migrated ({type(exc).__name__}: {exc})"
            ) from exc
        doc = finish_migration(StoreDocument.model_validate(migrated), version, now)
        return doc, []


def dump_document(doc: StoreDocument) -> bytes:
    """The whole document as one compact JSON object (schema 2's one file; what an export
    holds): `events` last and `id` first in every record."""
    return doc.model_dump_json(by_alias=True, exclude_none=True).encode()
