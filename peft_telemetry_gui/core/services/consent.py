"""Consent changes as user actions: the policy plus the upload queue, in one write."""

from __future__ import annotations

from collections.abc import Mapping

from ..consent import (
    apply_consent,
    apply_reset_anonymous_id,
    apply_sampling,
    validate_categories,
    validate_sampling,
)
from ..constants import CATEGORIES
from ..models import Actor, ConsentState, StoreDocument
from ..store import Store
from ..upload.queue import UploadQueue

__all__ = ["record_decision", "reset_anonymous_id", "set_consent", "set_sampling"]


def set_consent(
    store: Store,
    *,
    enabled: bool | None,
    actor: Actor,
    categories: Mapping[str, bool] | None = None,
) -> ConsentState:
    """See `consent.apply_consent`; decided under the lock, and an opt-out (or a category
    switched off) takes the queued uploads with it in the same write."""
    validate_categories(dict(categories or {}))  # a usage mistake fails before the lock

    def mutate(doc: StoreDocument) -> ConsentState:
        consent = apply_consent(
            doc, store.clock(), enabled=enabled, actor=actor, categories=categories
        )
        UploadQueue(store).sync_with_consent_locked(doc)
        return consent

    return store.update(mutate)


def record_decision(store: Store, *, accepted: bool, actor: Actor) -> ConsentState:
    """The first-run answer: yes turns everything on, no records a decline (not "never asked")."""
    categories = dict.fromkeys(CATEGORIES, True) if accepted else None
    return set_consent(store, enabled=accepted, actor=actor, categories=categories)


def set_sampling(store: Store, *, category: str, rate: float, actor: Actor) -> ConsentState:
    validate_sampling(category, rate)
    return store.update(
        lambda doc: apply_sampling(doc, store.clock(), category=category, rate=rate, actor=actor)
    )


def reset_anonymous_id(store: Store, *, actor: Actor) -> str:
    return store.update(lambda doc: apply_reset_anonymous_id(doc, store.clock(), actor=actor))
