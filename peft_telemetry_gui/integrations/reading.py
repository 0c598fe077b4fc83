"""The facade's reads of the store: only what was appended since its last read.

Their dashboard asks for analytics on every visit, and a full read of 100 000 events costs a
quarter of a second; `Store.read_incremental` (the desktop app's own way of re-reading) makes a
repeated read cost a few milliseconds. Its reader is a `Store` object of its own, so the
client's writer, which reads through its own object, never makes it forget what it knows.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from ..core.clock import Clock

if TYPE_CHECKING:
    from ..core.models import StoreDocument
    from ..core.store import Store

__all__ = ["StoreReader"]


class StoreReader:
    """One caller at a time (the router's thread pool may ask concurrently). The documents
    handed out share `Event` objects with each other: callers only read them."""

    def __init__(self, data_dir: Path, clock: Clock) -> None:
        self._data_dir = data_dir
        self._clock = clock
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._store: Store | None = None
        self._last: StoreDocument | None = None

    def read(self) -> StoreDocument:
        if self._pid != os.getpid():
            # A forked child: a thread of the parent may have held the lock at the fork and
            # does not exist here. Start afresh (what is known is still true, but cheap to redo).
            self._lock, self._pid = threading.Lock(), os.getpid()
            self._store = self._last = None
        with self._lock:
            if self._store is None:
                from ..core.store import Store

                self._store = Store(self._data_dir, clock=self._clock)
            self._last = self._store.read_incremental(self._last)
            return self._last
