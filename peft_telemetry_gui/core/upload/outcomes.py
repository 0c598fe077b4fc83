"""What becomes of a batch once the collector answered: the queue and the history agree.

Delivered and finally refused records leave the queue; a retryable answer leaves them queued.
Each request is one history entry, so the user can see every request that left the machine.
"""

from __future__ import annotations

from datetime import datetime

from ..store import Store
from .history import HistoryEntry, UploadState, update_state
from .queue import UploadQueue
from .records import QueuedRecord
from .transport import Answer

__all__ = ["settle_events"]


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
    queue.remove({r.id for r in chunk})
    if answer.ok:
        entry.rejected = answer.rejected
        if answer.rejected or answer.partial_message:
            entry.outcome = "partial"
            entry.message = (
                f"the collector accepted {len(chunk) - answer.rejected} of {len(chunk)} "
                f"records and rejected {answer.rejected}"
                + (f": {answer.partial_message}" if answer.partial_message else "")
            )
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
