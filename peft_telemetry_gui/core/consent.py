"""Consent policy: what a consent change does to the document, each change audit-logged.

Pure functions over a `StoreDocument` (plus the shipped "what is collected" text): no store, no
lock, no upload queue. `core.services.consent` applies them inside one `Store.update`, together
with what else a change implies (emptying the upload queue), so every user action is one write.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from .catalogue import declared_catalogues
from .constants import CATEGORIES
from .env import DISABLE_ENV_VARS, env_override
from .i18n import active_language, tr
from .ledger import append as ledger_append
from .ledger import content_sha256, default_method, locale_from_environ
from .models import Actor, AuditEntry, ConsentState, Method, StoreDocument, new_anonymous_id
from .paths import resources_dir

__all__ = [
    "DISABLE_ENV_VARS",
    "USER_ACTORS",
    "CollectionText",
    "apply_consent",
    "apply_host_consent",
    "apply_reset_anonymous_id",
    "apply_sampling",
    "apply_undo",
    "audit",
    "categories_chosen",
    "collection_text",
    "collection_text_sha256",
    "consent_text_sha256",
    "env_override",
    "host_categories",
    "revertible",
    "validate_categories",
    "validate_sampling",
]


#: The actors that are the user: a change by one of them is the user's own choice.
USER_ACTORS: tuple[Actor, ...] = ("gui", "cli")


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
            raise ValueError(
                tr("unknown category {name!r} (choose from {choices})").format(
                    name=name, choices=", ".join(CATEGORIES)
                )
            )
        out.append(key)
    return out


def validate_sampling(category: str, rate: float) -> str:
    (name,) = validate_categories([category])
    if not 0.0 <= rate <= 1.0:
        raise ValueError(tr("sampling rate must be between 0 and 1, not {rate}").format(rate=rate))
    return name


@lru_cache(maxsize=1)
def collection_text_sha256() -> str:
    """SHA-256 of the "what is collected" text in force, as `collection_text()` loaded it
    (canonical JSON of its fields: the wording counts, the file's spacing does not)."""
    return content_sha256(asdict(collection_text()))


def consent_text_sha256(doc: StoreDocument) -> str:
    """SHA-256 of what a consent is given to: the "what is collected" text plus every app's
    stored catalogue (canonical form; one that no longer validates is left out: it is shown as
    "cannot be read" and admits nothing). Without catalogues it is `collection_text_sha256()`,
    so stores without any keep the value entries had before catalogues were hashed."""
    catalogues = {
        c.app_name: c.catalogue.canonical() for c in declared_catalogues(doc) if c.catalogue
    }
    if not catalogues:
        return collection_text_sha256()
    return content_sha256({"text": asdict(collection_text()), "catalogues": catalogues})


def audit(
    doc: StoreDocument,
    at: datetime,
    actor: Actor,
    what: str,
    old: Any,
    new: Any,
    *,
    method: Method = "",
    app_name: str | None = None,
    app_version: str | None = None,
    locale: str | None = None,
) -> None:
    """Append one change to the ledger (`core/ledger.py`: seq, prev_hash, hash), stamped with
    the text in force (version; SHA-256 of the text and the stored catalogues,
    `consent_text_sha256`), how the change was made and the user's locale.

    `method` defaults to what the actor implies (`cli`, `host_api`; the app's callers name
    theirs). `locale` None means what this process shows: for the user's own changes (the app,
    the CLI: `USER_ACTORS`) the language their texts are shown in, `i18n.active_language()`
    ("de", or "en" when Spanish was asked for and English shown), which is what a receipt
    should say they saw; for a host (actor "api") its environment's message locale. A host
    that was given an environment (`environ=`) passes `ledger.locale_from_environ(environ)`."""
    if locale is None:
        shown = actor in USER_ACTORS
        locale = active_language() if shown else locale_from_environ(os.environ)
    ledger_append(
        doc.audit_log,
        AuditEntry(
            at=at,
            actor=actor,
            what=what,
            from_value=old,
            to_value=new,
            text_version=collection_text().version,
            text_sha256=consent_text_sha256(doc),
            locale=locale,
            method=method or default_method(actor),
            app_name=app_name,
            app_version=app_version,
        ),
    )


def apply_consent(
    doc: StoreDocument,
    now: datetime,
    *,
    enabled: bool | None,
    actor: Actor,
    categories: Mapping[str, bool] | None = None,
    method: Method = "",
    app_name: str | None = None,
    app_version: str | None = None,
    locale: str | None = None,
) -> ConsentState:
    """Turn consent on or off (and optionally set categories), logging every change.

    `enabled=None` keeps the master switch as it is and only changes `categories`, so a
    category toggle cannot undo another process's opt-out when decided under the lock. Turning
    consent on without naming categories keeps the user's category choices (all, if none is
    on: the app's master switch and `peft-telemetry enable`, where the user acts; a host goes
    through `apply_host_consent`, which never turns on what it did not name). Turning consent
    on after it was off (or never on) makes a new anonymous id, so data from before and after
    an opt-out cannot be linked; before the first "on" there is none. Turning it off also
    turns upload off. `method`, `app_name`, `app_version` and `locale` go into every entry.
    """
    cats = dict(categories or {})
    validate_categories(cats)

    def log(what: str, old: Any, new: Any) -> None:
        audit(
            doc,
            now,
            actor,
            what,
            old,
            new,
            method=method,
            app_name=app_name,
            app_version=app_version,
            locale=locale,
        )

    consent = doc.consent
    target = consent.enabled if enabled is None else enabled
    if target and not cats and not any(consent.categories.get(c) for c in CATEGORIES):
        cats.update(dict.fromkeys(CATEGORIES, True))
    consent.changed_at = now
    if not consent.decided and enabled is not None:
        log("decision", "undecided", "enabled" if enabled else "disabled")
        consent.decided = True
    if consent.enabled != target:
        log("consent", consent.enabled, target)
        if target:
            consent.enabled_since = now
            doc.anonymous_id = new_anonymous_id()
        consent.enabled = target
    elif target and consent.enabled_since is None:
        consent.enabled_since = now
    if target and not doc.anonymous_id:
        doc.anonymous_id = new_anonymous_id()  # on, yet no id (a hand-edited store): make one
    if not target and consent.upload_enabled:
        log("upload", True, False)
        consent.upload_enabled = False
    for name, on in cats.items():
        old = consent.categories.get(name, False)
        if old != bool(on):
            log(f"category:{name}", old, bool(on))
            consent.categories[name] = bool(on)
            if on:
                consent.category_since[name] = now
    return consent.model_copy(deep=True)


def apply_sampling(
    doc: StoreDocument,
    now: datetime,
    *,
    category: str,
    rate: float,
    actor: Actor,
    method: Method = "",
) -> ConsentState:
    name = validate_sampling(category, rate)
    old = doc.consent.sampling.get(name, 1.0)
    if old != rate:
        doc.consent.changed_at = now
        audit(doc, now, actor, f"sampling:{name}", old, rate, method=method)
        doc.consent.sampling[name] = rate
    return doc.consent.model_copy(deep=True)


def apply_reset_anonymous_id(
    doc: StoreDocument, now: datetime, *, actor: Actor, method: Method = ""
) -> str | None:
    """A new random id; None, changing nothing, while there is none (consent was never on:
    an id is only made by the first "yes"). The audit entry names no id: logging old and new
    would link them."""
    if not doc.anonymous_id:
        return None
    doc.consent.changed_at = now
    audit(doc, now, actor, "anonymous_id", "previous id", "new id", method=method)
    doc.anonymous_id = new_anonymous_id()
    return doc.anonymous_id


def categories_chosen(doc: StoreDocument) -> bool:
    """Whether a category choice was ever made: a user (app or CLI) ticked or unticked one, or
    they no longer all stand at their default (on). Until then a host's plain `enable()` may
    turn them all on; afterwards it keeps them as they are. Delete all starts over."""
    if any(e.actor in USER_ACTORS and e.what.startswith("category:") for e in doc.audit_log):
        return True
    return not all(doc.consent.categories.get(c, False) for c in CATEGORIES)


def host_categories(categories: object) -> dict[str, bool]:
    """What a host passed as `categories=`, checked: a mapping of known names to booleans."""
    if categories is None:
        return {}
    if not isinstance(categories, Mapping):
        raise ValueError(f"categories must be a mapping of category to bool, not {categories!r}")
    names = validate_categories(str(name) for name in categories)
    return {name: bool(on) for name, on in zip(names, categories.values(), strict=True)}


def apply_host_consent(
    doc: StoreDocument,
    now: datetime,
    *,
    enabled: bool,
    categories: Mapping[str, bool] | None = None,
    app_name: str | None = None,
    app_version: str | None = None,
    locale: str | None = None,
) -> ConsentState:
    """A host app's `enable()`/`disable()`: the user's choices win (docs/consent.md).

    Off is always allowed. On turns the master switch on and keeps every category as it is
    once a choice was made (`categories_chosen`); all on only before that. A host naming
    categories changes just those (on or off: off only collects less); while the master switch
    was off and nothing was chosen, the others stay off, so nothing the host did not name
    starts being collected. Every entry carries actor "api", method "host_api" and the app.
    """
    named = host_categories(categories)
    origin: dict[str, Any] = {
        "actor": "api",
        "method": "host_api",
        "app_name": app_name,
        "app_version": app_version,
        "locale": locale,
    }
    if not enabled:
        return apply_consent(doc, now, enabled=False, **origin)
    consent = doc.consent
    chosen = categories_chosen(doc)
    wanted = {c: consent.categories.get(c, False) for c in CATEGORIES}  # as they are
    if not named and not chosen:
        wanted = dict.fromkeys(CATEGORIES, True)
    elif named and not chosen and not consent.enabled:
        wanted = dict.fromkeys(CATEGORIES, False)
    wanted.update(named)
    return apply_consent(doc, now, enabled=True, categories=wanted, **origin)


def _field(entry: AuditEntry) -> str | None:
    """The switch an entry changed, when Undo can put it back."""
    what = entry.what
    if what in ("consent", "upload") or what.startswith(("category:", "sampling:")):
        return what
    return None


def revertible(entries: Iterable[AuditEntry]) -> bool:
    return any(_field(e) is not None for e in entries)


def apply_undo(
    doc: StoreDocument,
    now: datetime,
    entries: Iterable[AuditEntry],
    *,
    actor: Actor,
    method: Method = "",
) -> ConsentState:
    """Put back what `entries` (another process's changes, oldest first) switched, each only
    where it still stands as they left it: a later change by anyone else wins. Upload is only
    ever put back *off*: sending data away is switched on on the Upload page, nowhere else."""
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for entry in entries:
        key = _field(entry)
        if key is not None:
            before.setdefault(key, entry.from_value)
            after[key] = entry.to_value
    consent = doc.consent
    now_value = {
        "consent": consent.enabled,
        "upload": consent.upload_enabled,
        **{f"category:{c}": consent.categories.get(c, False) for c in CATEGORIES},
        **{f"sampling:{c}": consent.sampling.get(c, 1.0) for c in CATEGORIES},
    }
    back = {k: v for k, v in before.items() if k in now_value and now_value[k] == after[k]}
    for key, rate in back.items():
        if key.startswith("sampling:") and isinstance(rate, int | float):
            with_rate = float(rate)
            if 0.0 <= with_rate <= 1.0:
                apply_sampling(
                    doc, now, category=key[9:], rate=with_rate, actor=actor, method=method
                )
    enabled = back.get("consent")
    cats = {k[9:]: bool(v) for k, v in back.items() if k.startswith("category:")}
    if enabled is not None or cats:
        if enabled is True:  # keep the others exactly as they are
            cats = {**{c: consent.categories.get(c, False) for c in CATEGORIES}, **cats}
        on = None if enabled is None else bool(enabled)
        apply_consent(doc, now, enabled=on, actor=actor, categories=cats, method=method)
    if back.get("upload") is False and consent.upload_enabled:
        audit(doc, now, actor, "upload", True, False, method=method)
        consent.upload_enabled = False
    return consent.model_copy(deep=True)
