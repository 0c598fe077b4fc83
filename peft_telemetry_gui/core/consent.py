"""Consent policy: what a consent change does to the document, each change audit-logged.

Pure functions over a `StoreDocument` (plus the shipped "what is collected" text): no store, no
lock, no upload queue. `core.services.consent` applies them inside one `Store.update`, together
with what else a change implies (emptying the upload queue), so every user action is one write.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from .constants import CATEGORIES
from .env import DISABLE_ENV_VARS, env_override
from .models import Actor, AuditEntry, ConsentState, StoreDocument, new_anonymous_id
from .paths import resources_dir

__all__ = [
    "DISABLE_ENV_VARS",
    "CollectionText",
    "apply_consent",
    "apply_reset_anonymous_id",
    "apply_sampling",
    "audit",
    "collection_text",
    "env_override",
    "validate_categories",
    "validate_sampling",
]


@dataclass(frozen=True)
class CollectionText:
    """The "what is collected" text: one file, shown by the app and by `status`."""

    version: str
    categories: dict[str, str]
    collected: list[str]
    never_collected: list[str]
    guarantees: list[str]


@lru_cache(maxsize=1)
def collection_text() -> CollectionText:
    path = resources_dir() / "collection.json"
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return CollectionText(
            version=str(raw["version"]),
            categories=dict(raw["categories"]),
            collected=list(raw["collected"]),
            never_collected=list(raw["never_collected"]),
            guarantees=list(raw.get("guarantees", [])),
        )
    except (OSError, ValueError, KeyError, TypeError):
        # A broken install must not stop consent from being recorded; say which text was missing.
        return CollectionText("unavailable", dict.fromkeys(CATEGORIES, ""), [], [], [])


def validate_categories(names: Iterable[str]) -> list[str]:
    out = []
    for name in names:
        key = name.strip().lower()
        if key not in CATEGORIES:
            raise ValueError(f"unknown category {name!r} (choose from {', '.join(CATEGORIES)})")
        out.append(key)
    return out


def validate_sampling(category: str, rate: float) -> str:
    (name,) = validate_categories([category])
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"sampling rate must be between 0 and 1, not {rate}")
    return name


def audit(doc: StoreDocument, at: datetime, actor: Actor, what: str, old: Any, new: Any) -> None:
    """Append one change to the audit log, stamped with the "what is collected" text in force."""
    doc.audit_log.append(
        AuditEntry(
            at=at,
            actor=actor,
            what=what,
            from_value=old,
            to_value=new,
            text_version=collection_text().version,
        )
    )


def apply_consent(
    doc: StoreDocument,
    now: datetime,
    *,
    enabled: bool | None,
    actor: Actor,
    categories: Mapping[str, bool] | None = None,
) -> ConsentState:
    """Turn consent on or off (and optionally set categories), logging every change.

    `enabled=None` keeps the master switch as it is and only changes `categories`, so a
    category toggle cannot undo another process's opt-out when decided under the lock. Turning
    consent on without naming categories keeps the user's category choices (all, if none is
    on). Turning consent on after it was off (or never on) starts a new anonymous id, so data
    from before and after an opt-out cannot be linked. Turning it off also turns upload off.
    """
    cats = dict(categories or {})
    validate_categories(cats)
    consent = doc.consent
    target = consent.enabled if enabled is None else enabled
    if target and not cats and not any(consent.categories.get(c) for c in CATEGORIES):
        cats.update(dict.fromkeys(CATEGORIES, True))
    consent.changed_at = now
    if not consent.decided and enabled is not None:
        audit(doc, now, actor, "decision", "undecided", "enabled" if enabled else "disabled")
        consent.decided = True
    if consent.enabled != target:
        audit(doc, now, actor, "consent", consent.enabled, target)
        if target:
            consent.enabled_since = now
            doc.anonymous_id = new_anonymous_id()
        consent.enabled = target
    elif target and consent.enabled_since is None:
        consent.enabled_since = now
    if not target and consent.upload_enabled:
        audit(doc, now, actor, "upload", True, False)
        consent.upload_enabled = False
    for name, on in cats.items():
        old = consent.categories.get(name, False)
        if old != bool(on):
            audit(doc, now, actor, f"category:{name}", old, bool(on))
            consent.categories[name] = bool(on)
            if on:
                consent.category_since[name] = now
    return consent.model_copy(deep=True)


def apply_sampling(
    doc: StoreDocument, now: datetime, *, category: str, rate: float, actor: Actor
) -> ConsentState:
    name = validate_sampling(category, rate)
    old = doc.consent.sampling.get(name, 1.0)
    if old != rate:
        doc.consent.changed_at = now
        audit(doc, now, actor, f"sampling:{name}", old, rate)
        doc.consent.sampling[name] = rate
    return doc.consent.model_copy(deep=True)


def apply_reset_anonymous_id(doc: StoreDocument, now: datetime, *, actor: Actor) -> str:
    """A new random id. The audit entry names no id: logging old and new would link them."""
    doc.consent.changed_at = now
    audit(doc, now, actor, "anonymous_id", "previous id", "new id")
    doc.anonymous_id = new_anonymous_id()
    return doc.anonymous_id
