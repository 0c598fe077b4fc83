"""Which consent an event was recorded under: the ledger entry each uploaded record cites.

For an event of category C stamped T, the consent it rests on is the newest audit entry at or
before T that set consent for C: the first decision, the master switch, or C's own switch. The
ledger is replayed up to T, so that entry is only cited when, by the ledger itself, both the
master switch and C stood on at T; and only when it is chained (it has a `seq` and a hash, and
names the text it was given to by its SHA-256). Anything else (a store written before the ledger
existed, a hand-edited log, a clock that disagrees with the entries) cites nothing: the record is
still queued, and sent without the attributes, which the shipped collector config drops. A proof
that cannot be shown is better missing than made up.

Runs inside the store lock (the upload sink), on the document just written: the ledger as the
store knows it when the event is queued.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from ..models import AuditEntry
from .records import ConsentProof

__all__ = ["ConsentProofs", "consent_entry", "proof_of"]

_MASTER = ("decision", "consent")


def _turns_on(value: object) -> bool:
    """`consent` and `category:*` entries say True/False; `decision` says "enabled"/"disabled"."""
    return value is True or value == "enabled"


def consent_entry(log: Sequence[AuditEntry], category: str, at: datetime) -> AuditEntry | None:
    """The entry an event of `category` stamped `at` was recorded under, or None when the
    ledger does not show that consent was on for it then.

    Entries are taken in ledger order, skipping those stamped after `at` (another process's
    clock may run a little behind: order in the ledger is the order of the changes)."""
    own = f"category:{category}"
    master = False
    category_on = True  # a category starts on (ConsentState's default); each change is logged
    latest: AuditEntry | None = None
    for entry in log:
        if entry.at > at:
            continue
        if entry.what in _MASTER:
            master = _turns_on(entry.to_value)
        elif entry.what == own:
            category_on = _turns_on(entry.to_value)
        else:
            continue
        latest = entry
    if latest is None or not (master and category_on):
        return None
    return latest


def proof_of(entry: AuditEntry | None) -> ConsentProof | None:
    """What a record carries for `entry`: None for an entry outside the chain (written before
    the ledger, `seq` 0) or one that names no text."""
    if entry is None or not entry.hash:
        return None
    return ConsentProof.from_raw({"seq": entry.seq, "text_sha256": entry.text_sha256})


class ConsentProofs:
    """The proofs for one batch of events, from one document's ledger.

    Only the entries that set consent are kept (sampling, upload and id changes never count).
    Nearly every event is newer than the newest of them: those share one replay per category.
    An older event (stamped before a change the same flush saw) is replayed up to its time."""

    def __init__(self, log: Sequence[AuditEntry]) -> None:
        self._log = [e for e in log if e.what in _MASTER or e.what.startswith("category:")]
        self._newest = max((e.at for e in self._log), default=None)
        self._current: dict[str, ConsentProof | None] = {}

    def for_event(self, category: str, at: datetime) -> ConsentProof | None:
        if self._newest is None:
            return None
        if at < self._newest:
            return proof_of(consent_entry(self._log, category, at))
        if category not in self._current:
            self._current[category] = proof_of(consent_entry(self._log, category, self._newest))
        return self._current[category]
