"""What becomes of a batch once the collector answered: the queue and the history agree.

Delivered and finally refused records leave the queue; a retryable answer leaves them queued.
Each request is one history entry, so the user can see every request that left the machine.
"""

from __future__ import annotations

from datetime import datetime

from ..i18n import trn
from ..store import Store
from .deletion import bump_deletion_attempts, clear_deletion_request
from .delivered import remember_deliveries_locked
from .history import HistoryEntry, UploadState, remember_sent_ids_locked, update_state
from .queue import UploadQueue
from .records import DeletionRequest, QueuedRecord
from .transport import Answer

__all__ = ["DELETION_FINAL_ATTEMPTS", "settle_deletion", "settle_events"]

DELETION_FINAL_ATTEMPTS = 10  # a deletion request the server keeps *refusing* (401, 400, ...)


def settle_events(
    store: Store,
    queue: UploadQueue,
    chunk: list[QueuedRecord],
    size: int,
    answer: Answer,
    at: datetime,
) -> HistoryEntry:
    """Record the request in the history and take the records out unless it is to be retried."""
    entry = HistoryEntry(
        at=at, records=len(chunk), bytes=size, status=answer.status, outcome="retry"
    )
    if answer.retryable:
        entry.message = answer.message
        update_state(store, lambda s: s.record(entry))
        return entry
    if answer.ok:  # first the append-only notes of who and what reached the collector
        with store.lock():
            remember_sent_ids_locked(store, (r.anonymous_id for r in chunk))
            partial = bool(answer.rejected or answer.partial_message)
            remember_deliveries_locked(store, (r.id for r in chunk), at, partial=partial)
    queue.remove({r.id for r in chunk})
    if answer.ok:
        entry.rejected = answer.rejected
        if answer.rejected or answer.partial_message:
            entry.outcome = "partial"
            counts = {
                "accepted": len(chunk) - answer.rejected,
                "total": len(chunk),
                "rejected": answer.rejected,
            }
            if answer.partial_message:  # the collector's own words, as it sent them
                message = trn(
                    "the collector accepted {accepted} of {total} record and rejected "
                    "{rejected}: {detail}",
                    "the collector accepted {accepted} of {total} records and rejected "
                    "{rejected}: {detail}",
                    len(chunk),
                ).format(**counts, detail=answer.partial_message)
            else:
                message = trn(
                    "the collector accepted {accepted} of {total} record and rejected {rejected}",
                    "the collector accepted {accepted} of {total} records and rejected {rejected}",
                    len(chunk),
                ).format(**counts)
            entry.message = message
        else:
            entry.outcome = "delivered"
        anonymous_ids = {r.anonymous_id for r in chunk}

        def delivered(state: UploadState) -> None:
            state.record(entry)
            for anonymous_id in anonymous_ids:
                state.remember_sent_id(anonymous_id)

        update_state(store, delivered)
        return entry
    entry.outcome, entry.rejected, entry.message = "rejected", len(chunk), answer.message

    def refused(state: UploadState) -> None:
        state.record(entry)
        state.count_drop("rejected", len(chunk))

    update_state(store, refused)
    return entry


def settle_deletion(
    store: Store, request: DeletionRequest, size: int, answer: Answer, at: datetime
) -> tuple[HistoryEntry, bool]:
    """Record the attempt; True when the request is finished (delivered, or refused for the
    last time) and has left the pending file. Outages keep it pending forever."""
    gave_up = (
        not answer.ok and not answer.retryable and request.attempts + 1 >= DELETION_FINAL_ATTEMPTS
    )
    message = answer.message
    if gave_up:
        attempts = request.attempts + 1
        message = trn(
            "gave up on the deletion request after {n} refusal: {reason}",
            "gave up on the deletion request after {n} refusals: {reason}",
            attempts,
        ).format(n=attempts, reason=message)
    entry = HistoryEntry(
        at=at,
        kind="deletion_request",
        records=1,
        bytes=size,
        status=answer.status,
        outcome="delivered" if answer.ok else ("failed" if gave_up else "retry"),
        message="" if answer.ok else message,
    )
    update_state(store, lambda s: s.record(entry))
    if answer.ok or gave_up:
        clear_deletion_request(store, request.id)
        return entry, True
    bump_deletion_attempts(store, request.id)
    return entry, False
