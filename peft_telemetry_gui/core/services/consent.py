"""Consent changes as user actions: the policy plus the upload queue, in one write."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from ..consent import (
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
from ..store import Store
from ..upload.queue import UploadQueue

__all__ = [
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
    return _with_queue(
        store,
        lambda doc: apply_consent(
            doc, store.clock(), enabled=enabled, actor=actor, categories=categories, method=method
        ),
    )


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
        return apply_host_consent(
            doc,
            store.clock(),
            enabled=enabled,
            categories=categories,
            app_name=app_name,
            app_version=app_version,
            locale=locale,
        )

    return _with_queue(store, change)


def record_decision(
    store: Store, *, accepted: bool, actor: Actor, method: Method = ""
) -> ConsentState:
    """The first-run answer: yes turns everything on, no records a decline (not "never asked")."""
    categories = dict.fromkeys(CATEGORIES, True) if accepted else None
    return set_consent(store, enabled=accepted, actor=actor, categories=categories, method=method)


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
