"""Consent changes as user actions: the policy plus the upload queue, in one write."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from ..consent import (
    USER_ACTORS,
    apply_consent,
    apply_host_consent,
    apply_reset_anonymous_id,
    apply_sampling,
    apply_undo,
    host_categories,
    validate_categories,
    validate_sampling,
)
from ..constants import CATEGORIES
from ..models import Actor, AuditEntry, ConsentState, Method, StoreDocument
from ..review import Review, apply_accept
from ..store import Store

__all__ = [
    "accept_review",
    "record_decision",
    "reset_anonymous_id",
    "set_consent",
    "set_consent_from_host",
    "set_sampling",
    "undo_changes",
]


def _with_queue(store: Store, change: Callable[[StoreDocument], ConsentState]) -> ConsentState:
    """One write: the change, and an opt-out (or a category switched off) takes the queued
    uploads with it."""
    from ..upload.queue import UploadQueue  # at the first change: the app starts without it

    def mutate(doc: StoreDocument) -> ConsentState:
        consent = change(doc)
        UploadQueue(store).sync_with_consent_locked(doc)
        return consent

    return store.update(mutate)


def set_consent(
    store: Store,
    *,
    enabled: bool | None,
    actor: Actor,
    categories: Mapping[str, bool] | None = None,
    method: Method = "",
) -> ConsentState:
    """See `consent.apply_consent`; decided under the lock."""
    validate_categories(dict(categories or {}))  # a usage mistake fails before the lock

    def change(doc: StoreDocument) -> ConsentState:
        now = store.clock()
        first = not doc.consent.decided
        state = apply_consent(
            doc, now, enabled=enabled, actor=actor, categories=categories, method=method
        )
        # The user says yes to what is shown now; any first "yes" was given to this text.
        if enabled and (actor in USER_ACTORS or first):
            apply_accept(doc, now, actor=actor, method=method)
            state = doc.consent.model_copy(deep=True)
        return state

    return _with_queue(store, change)


def set_consent_from_host(
    store: Store,
    *,
    enabled: bool,
    categories: Mapping[str, bool] | None = None,
    app_name: str | None = None,
    app_version: str | None = None,
    locale: str | None = None,
) -> ConsentState:
    """A host app's `enable()`/`disable()`: see `consent.apply_host_consent` (the user's
    category choices win). Decided under the lock, like every change."""
    host_categories(categories)  # a host's mistake fails before the lock

    def change(doc: StoreDocument) -> ConsentState:
        first = not doc.consent.decided
        origin = {"app_name": app_name, "app_version": app_version, "locale": locale}
        now = store.clock()
        state = apply_host_consent(doc, now, enabled=enabled, categories=categories, **origin)
        if enabled and first:  # the host showed its own consent screen: that text was accepted
            apply_accept(doc, now, actor="api", method="host_api", **origin)
            state = doc.consent.model_copy(deep=True)
        return state

    return _with_queue(store, change)


def record_decision(
    store: Store, *, accepted: bool, actor: Actor, method: Method = ""
) -> ConsentState:
    """The first-run answer: yes turns everything on, no records a decline (not "never asked")."""
    categories = dict.fromkeys(CATEGORIES, True) if accepted else None
    return set_consent(store, enabled=accepted, actor=actor, categories=categories, method=method)


def accept_review(store: Store, *, actor: Actor, method: Method = "") -> Review:
    """The user accepts what was added since they consented (`review.apply_accept`): what
    was pending is recorded from then on. Returns what was accepted (empty: nothing was)."""
    return store.update(lambda doc: apply_accept(doc, store.clock(), actor=actor, method=method))


def undo_changes(
    store: Store, entries: Sequence[AuditEntry], *, actor: Actor, method: Method = ""
) -> ConsentState:
    """Put back what another process changed (the app's notice); see `consent.apply_undo`."""
    entries = list(entries)
    return _with_queue(
        store,
        lambda doc: apply_undo(doc, store.clock(), entries, actor=actor, method=method),
    )


def set_sampling(
    store: Store, *, category: str, rate: float, actor: Actor, method: Method = ""
) -> ConsentState:
    validate_sampling(category, rate)
    return store.update(
        lambda doc: apply_sampling(
            doc, store.clock(), category=category, rate=rate, actor=actor, method=method
        )
    )


def reset_anonymous_id(store: Store, *, actor: Actor, method: Method = "") -> str | None:
    """The new id, or None when there is none to replace (consent was never on)."""
    return store.update(
        lambda doc: apply_reset_anonymous_id(doc, store.clock(), actor=actor, method=method)
    )
