"""Re-consent: what was added to the collection since the user consented, and accepting it.

A consent is given to a text: the "what is collected" text plus the catalogues apps declared
(`consent.consent_text_sha256`). `ConsentState.accepted` keeps what that text contained (the
categories and, per app, the declared items). Collection added later (a new category in the
text, a new event or property in a catalogue) is *pending review*: the writer does not record
it until a user action accepts the current text (`apply_accept`). Removals never need review.
Pure functions over a document, like `core/consent.py`; docs/consent.md "Re-consent".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .catalogue import AppCatalogue, declared_catalogues
from .consent import audit, collection_text, consent_text_sha256
from .i18n import N_, tr
from .models import AcceptedText, Actor, Method, StoreDocument

__all__ = [
    "Review",
    "ReviewItem",
    "accept_baseline",
    "apply_accept",
    "current_text",
    "pending_for",
    "review",
]

Item = tuple[str, str, str]  # category, event, property ("" for the event itself)
#: A category as the review names it ("Usage"); shown with `tr`.
_TITLES = {
    "usage": N_("Usage"),
    "error": N_("Error"),
    "performance": N_("Performance"),
    "system": N_("System"),
}
_NO_LONGER = N_("no longer collected")


def _same(text: str) -> str:
    return text


@dataclass(frozen=True, order=True)
class ReviewItem:
    """One added or removed item, with the words the user is shown."""

    app: str
    event: str
    property: str
    category: str
    description: str
    #: How to show `description` in the user's language: the app's catalogue's `text`
    #: (its host's translations), else `tr`. Not part of the item's identity.
    text: Callable[[str], str] | None = field(default=None, compare=False, repr=False)

    def words(self, *, english: bool = False) -> str:
        """ "PEFT Studio: training_started (Usage): Which fine-tuning method people use", in the
        user's language (the app's own translation of its text, when it gave one);
        `english`: as the audit log keeps it."""
        t = _same if english else tr
        category = self.category
        title = t(_TITLES[category]) if category in _TITLES else category.title()
        description = self.description
        if not english and description:
            description = (self.text or tr)(description)
        if not self.event:
            return t(N_("a new category, {category}: {description}")).format(
                category=title, description=description
            )
        what = f"{self.event}.{self.property}" if self.property else self.event
        # Translators: "PEFT Studio: training_started (Usage): Which fine-tuning method …"
        return t(N_("{app}: {what} ({category}): {description}")).format(
            app=self.app, what=what, category=title, description=description
        )

    def payload(self) -> dict[str, str]:
        return {
            "app": self.app,
            "event": self.event,
            "property": self.property,
            "category": self.category,
            "description": self.description,
        }


@dataclass(frozen=True)
class Review:
    """What changed since the accepted text. `added` needs the user's review; `removed` is
    only shown with it."""

    added: tuple[ReviewItem, ...] = ()
    removed: tuple[ReviewItem, ...] = ()

    def pending(self, app: str) -> frozenset[Item]:
        """The items of `app` the writer must not record yet."""
        return frozenset((i.category, i.event, i.property) for i in self.added if i.app == app)

    @property
    def categories(self) -> frozenset[str]:
        """Text categories added since: nothing of them is recorded yet."""
        return frozenset(i.category for i in self.added if not i.event)

    def key(self) -> tuple[tuple[str, str, str], ...]:
        """The same pending set gives the same key (the app asks once per set and run)."""
        return tuple((i.app, i.event, i.property) for i in self.added)


def current_text(doc: StoreDocument, now: datetime | None) -> AcceptedText:
    """What the text in force contains, as `ConsentState.accepted` keeps it."""
    items = {
        c.app_name: sorted(c.catalogue.declared())
        for c in declared_catalogues(doc)
        if c.catalogue is not None
    }
    return AcceptedText(
        text_sha256=consent_text_sha256(doc),
        categories=sorted(collection_text().categories),
        items=items,
        at=now,
    )


def _describe(
    doc: StoreDocument, apps: dict[str, AppCatalogue] | None = None
) -> dict[tuple[str, str, str], tuple[str, str]]:
    """(app, event, property) -> (category, description), from the stored catalogues (put in
    `apps` by name, when given)."""
    out: dict[tuple[str, str, str], tuple[str, str]] = {}
    for c in declared_catalogues(doc):
        if c.catalogue is None:
            continue
        if apps is not None:
            apps[c.app_name] = c
        for name, event in c.catalogue.events.items():
            out[(c.app_name, name, "")] = (event.category, event.description)
            for prop, declared in event.properties.items():
                out[(c.app_name, name, prop)] = (event.category, declared.description)
    return out


def review(doc: StoreDocument) -> Review:
    """Added and removed since the accepted text. Nothing is pending while nothing was
    accepted (consent never given: nothing is recorded), nor for an app that had no catalogue
    when the user accepted (its first catalogue only narrows what the categories allowed; the
    writer takes it as that app's baseline, `accept_baseline`)."""
    accepted = doc.consent.accepted
    if accepted is None:
        return Review()
    now = current_text(doc, None)
    apps: dict[str, AppCatalogue] = {}
    words = _describe(doc, apps)
    texts = collection_text().categories
    added = [
        ReviewItem("", "", "", c, texts.get(c, ""))
        for c in now.categories
        if c not in accepted.categories
    ]
    removed = []
    for app, items in now.items.items():
        if app not in accepted.items:
            continue
        before = {tuple(i) for i in accepted.items[app]}
        for cat, event, prop in set(items) - before:
            _, description = words.get((app, event, prop), (cat, ""))
            text = apps[app].text if app in apps else None
            added.append(ReviewItem(app, event, prop, cat, description, text))
        for cat, event, prop in before - set(items):
            removed.append(ReviewItem(app, event, prop, cat, _NO_LONGER))
    return Review(tuple(sorted(added)), tuple(sorted(removed)))


def pending_for(
    doc: StoreDocument, app: str, declared: frozenset[Item]
) -> tuple[frozenset[Item], frozenset[str]]:
    """What of `declared` (an app's catalogue, stored or about to be) and which text categories
    the writer must hold back for review: measured against `accepted`, or against what
    `accept_baseline` would take for a store whose consent predates this feature."""
    consent = doc.consent
    baseline = consent.accepted
    if baseline is None:
        if not (consent.decided and consent.enabled):
            return frozenset(), frozenset()
        baseline = current_text(doc, None)
    categories = frozenset(collection_text().categories) - set(baseline.categories)
    if app not in baseline.items:
        return frozenset(), categories
    return declared - {tuple(i) for i in baseline.items[app]}, categories


def accept_baseline(doc: StoreDocument) -> bool:
    """Bring `accepted` up to the catalogues stored now where no review is due: a store whose
    consent predates this feature (on, `accepted` None) takes the current text as accepted,
    and an app with its first catalogue since the consent gets it as its baseline. Runs under
    the lock, in the writer's catalogue write; True when it changed something."""
    consent = doc.consent
    if consent.accepted is None:
        if not (consent.decided and consent.enabled):
            return False
        consent.accepted = current_text(doc, consent.changed_at)
        return True
    now = current_text(doc, None)
    missing = {app: items for app, items in now.items.items() if app not in consent.accepted.items}
    consent.accepted.items.update(missing)
    return bool(missing)


def apply_accept(
    doc: StoreDocument,
    now: datetime,
    *,
    actor: Actor,
    method: Method = "",
    **origin: Any,
) -> Review:
    """The user accepts the current text (the review dialog's Allow, `enable`, the first-run
    Allow, the master switch on): `accepted` becomes what is declared now. Logged as one
    "review" entry naming what was added, when anything was pending; returns what was."""
    before = review(doc)
    if before.added:
        audit(
            doc,
            now,
            actor,
            "review",
            [i.words(english=True) for i in before.added],  # the log keeps English
            "accepted",
            method=method,
            **origin,
        )
    doc.consent.accepted = current_text(doc, now)
    return before
