"""The writer's side of a host's catalogue: load it once, keep it in the store, admit calls.

Runs on the writer thread (the catalogue module brings pydantic). Without a catalogue, or with
one that was refused, every call is admitted as it is and recording follows the categories.
What the catalogue (or the "what is collected" text) added since the user consented waits for
their review (`core/review.py`): dropped here, and counted as "pending_review".
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..catalogue import Catalogue, CatalogueError, keep_declared, load_catalogue, stored_record
from ..clock import Clock
from ..models import StoreDocument
from ..review import accept_baseline, pending_for
from .capture import Pending, safe_name

__all__ = ["Admission", "CatalogueSource", "Declarations"]

log = logging.getLogger("peft_telemetry_gui.core.client")

#: A catalogue file, a host's dict as JSON bytes (`TelemetryClient` makes them), or none.
CatalogueSource = Path | bytes | None

#: Why a call, or a property of it, was not recorded (also its redaction-report label).
Refusal = Literal["undeclared", "pending_review"]


@dataclass(frozen=True, slots=True)
class Admission:
    """What the catalogue says about one call: refused whole (`refused`), or admitted with
    `removed` properties taken out, counted by reason. The writer counts both into the
    event's own redaction counts, so a retried write counts them exactly once."""

    refused: Refusal | None = None
    removed: Counter[str] = field(default_factory=Counter)


#: The common case (no catalogue, or nothing to take out); the writer only reads it.
ADMITTED = Admission()


class Declarations:
    def __init__(
        self, source: CatalogueSource, app_name: str, app_version: str | None, clock: Clock
    ) -> None:
        self.app_name = app_name
        # Stored as text: a host's version may be a number, or any object with a __str__.
        self.app_version = None if app_version is None else safe_name(app_version, 50)
        self.clock = clock
        self._source = source
        self._loaded = source is None
        self._catalogue: Catalogue | None = None
        self._record: tuple[str, dict[str, Any]] | None = None  # sha256, canonical form
        #: Held back for the user's review, as of the last document seen: items, categories.
        self._pending: tuple[frozenset[tuple[str, str, str]], frozenset[str]] = (
            frozenset(),
            frozenset(),
        )

    @property
    def catalogue(self) -> Catalogue | None:
        """Loaded once, on first use. A catalogue that cannot be used is refused with one
        warning and recording follows the categories, as it does without one."""
        if not self._loaded:
            self._loaded = True
            try:
                self._catalogue = load_catalogue(self._source or b"")
                self._record = (self._catalogue.sha256(), self._catalogue.canonical())
            except CatalogueError as exc:
                log.warning(
                    "telemetry catalogue refused; recording follows the categories: %s", exc
                )
        return self._catalogue

    def current(self, doc: StoreDocument) -> bool:
        """Whether the store holds this app's catalogue as it is now (none: none)."""
        stored = doc.catalogues.get(self.app_name)
        self.catalogue  # noqa: B018 - loaded once, here at the latest
        self._see(doc)
        if self._needs_baseline(doc):
            return False
        if self.catalogue is None or self._record is None:
            return stored is None
        sha, canonical = self._record
        return (
            isinstance(stored, dict)
            and stored.get("sha256") == sha
            and stored.get("app_version") == self.app_version
            and stored.get("catalogue") == canonical
            # A translation added or changed is stored too (not hashed: no re-consent).
            and (stored.get("translations") or {}) == self.catalogue.translations
        )

    def apply(self, doc: StoreDocument) -> None:
        """Put this app's catalogue into `doc` (or take a stale one out); runs under the lock,
        and changes nothing when the store already has it. Also where an app's first
        catalogue since the consent becomes its accepted baseline (`review.accept_baseline`)."""
        if self.current(doc):
            return
        accept_baseline(doc)  # a consent from before re-consent: the text it was given to
        if self.catalogue is None:
            doc.catalogues.pop(self.app_name, None)
        else:
            doc.catalogues[self.app_name] = stored_record(
                self.catalogue, app_version=self.app_version, now=self.clock()
            )
        accept_baseline(doc)  # this app's first catalogue since the consent only narrows
        self._see(doc)

    def _declared(self) -> frozenset[tuple[str, str, str]]:
        return self._catalogue.declared() if self._catalogue is not None else frozenset()

    def _needs_baseline(self, doc: StoreDocument) -> bool:
        accepted = doc.consent.accepted
        if accepted is None:
            return doc.consent.decided and doc.consent.enabled
        return self._catalogue is not None and self.app_name not in accepted.items

    def _see(self, doc: StoreDocument) -> None:
        self._pending = pending_for(doc, self.app_name, self._declared())

    def admit(self, item: Pending) -> Admission:
        """Whether the call is recorded, and which of its properties are taken out (the
        undeclared ones, and those waiting for the user's review)."""
        catalogue = self._catalogue if self._loaded else self.catalogue
        items, categories = self._pending
        if item.category in categories:
            return Admission("pending_review")
        if catalogue is None:
            return ADMITTED
        if item.error is not None:
            name = "error"
        elif item.metric is not None:
            name = safe_name(item.metric[0])
        else:
            name = safe_name(item.event_type)
        entry = catalogue.entry_for(item.category, name)
        if entry is None:
            return Admission("undeclared")
        if (item.category, name, "") in items:
            return Admission("pending_review")
        item.properties, undeclared = keep_declared(name, entry, item.properties)
        held = []
        if items and item.properties:
            held = [k for k in item.properties if (item.category, name, k) in items]
            for key in held:
                del item.properties[key]
        if not (undeclared or held):
            return ADMITTED
        return Admission(removed=Counter(undeclared=undeclared, pending_review=len(held)))
