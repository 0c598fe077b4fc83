"""Which stored events reached the collector, and when: the Events page's "Uploaded" line.

A user looking at one event wants to know whether it left the machine. The queue only says
what is still waiting and the history only counts records per request, so each delivered
request's event ids are appended here (under the store lock, after the collector said yes):
one line per event, `<event id> <UTC time> <D|P>`, P when the collector rejected part of that
request (it does not say which records). Append-only like the sent-ids log; kept at most
`MAX_LINES` lines (the newest half is kept when it grows past that: an event older than that
has long been pruned from a store of usual size). It starts with `upload-`, so delete-all
removes it with the rest.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from ..clock import ensure_utc
from ..fsio import atomic_write
from ..i18n import tr
from ..models import StoreDocument
from ..store import Store
from .files import DELIVERED_FILE, append_lines, read_small_file
from .queue import read_queue
from .salvage import damage_reason

__all__ = [
    "MAX_LINES",
    "Delivery",
    "UploadFacts",
    "delivery_status",
    "read_deliveries",
    "remember_deliveries_locked",
    "upload_facts",
]

log = logging.getLogger(__name__)

#: ~60 bytes a line: 100 000 lines are ~6 MB, under the files' 8 MB read bound.
MAX_LINES = 100_000


@dataclass(frozen=True, slots=True)
class Delivery:
    at: datetime
    partial: bool  # the collector rejected some records of that request (not which)


def read_deliveries(store: Store) -> dict[str, Delivery]:
    """Event id -> its latest delivery; a torn or damaged line is skipped."""
    try:
        data = read_small_file(store.data_dir / DELIVERED_FILE)
    except OSError:
        return {}
    found: dict[str, Delivery] = {}
    for line in data.split(b"\n")[:-1]:
        parts = line.decode("ascii", errors="replace").split(" ")
        if len(parts) != 3 or parts[2] not in ("D", "P"):
            continue
        try:
            at = ensure_utc(datetime.fromisoformat(parts[1]))
        except ValueError:
            continue
        found[parts[0]] = Delivery(at, parts[2] == "P")
    return found


def remember_deliveries_locked(
    store: Store, event_ids: Iterable[str], at: datetime, *, partial: bool
) -> None:
    """Append one line per event id (under the store lock, after the collector's answer). A
    full disk is logged, not raised: the delivery itself happened and is in the history."""
    mark = "P" if partial else "D"
    stamp = ensure_utc(at).isoformat()
    lines = [f"{event_id} {stamp} {mark}\n" for event_id in event_ids if " " not in event_id]
    if not lines:
        return
    path = store.data_dir / DELIVERED_FILE
    try:
        append_lines(path, "".join(lines).encode("ascii", "replace"))
        _bound_locked(store)
    except OSError as exc:
        log.warning("could not note delivered events in %s: %s", path, damage_reason(exc))


#: No line is shorter (an id, a space, a 25-character UTC time, a space, a mark, a newline).
_MIN_LINE_BYTES = 30


def _bound_locked(store: Store) -> None:
    """Keep the newest half once past `MAX_LINES`. A stat first: the file is read (up to 6 MB)
    only when its size says it may hold that many lines, not after every delivery."""
    path = store.data_dir / DELIVERED_FILE
    if path.stat().st_size <= MAX_LINES * _MIN_LINE_BYTES:
        return
    data = read_small_file(path)
    lines = data.split(b"\n")[:-1]
    if len(lines) > MAX_LINES:
        kept = lines[-(MAX_LINES // 2) :]
        atomic_write(path, b"\n".join(kept) + b"\n")


@dataclass(frozen=True)
class UploadFacts:
    """What is known about uploads for a document's events, read once per document."""

    upload_on: bool = False
    delivered: Mapping[str, Delivery] = field(default_factory=dict)
    waiting: frozenset[str] = frozenset()


def upload_facts(store: Store, doc: StoreDocument) -> UploadFacts:
    """Read off the GUI thread: the delivery log and the queue's ids."""
    return UploadFacts(
        upload_on=doc.consent.upload_enabled,
        delivered=read_deliveries(store),
        waiting=frozenset(record.id for record in read_queue(store)),
    )


def delivery_status(
    event_id: str, facts: UploadFacts, words: Callable[[datetime], str] = datetime.isoformat
) -> str:
    """One sentence for the event's detail view; `words` says a time (the app: with its zone)."""
    delivery = facts.delivered.get(event_id)
    if delivery is not None:
        when = words(delivery.at)
        if delivery.partial:
            return tr(
                "Uploaded to the collector on {when}; the collector rejected some records of "
                "that request"
            ).format(when=when)
        return tr("Uploaded to the collector on {when}").format(when=when)
    if event_id in facts.waiting:
        return tr("Waiting to be uploaded (in the upload queue)")
    if facts.upload_on:
        return tr("Not uploaded (recorded before upload was on, or dropped from the queue)")
    return tr("Not uploaded: upload is off, so it stays on this computer")
