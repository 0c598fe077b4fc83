"""The writer's side of a host's catalogue: load it once, keep it in the store, admit calls.

Runs on the writer thread (the catalogue module brings pydantic). Without a catalogue, or with
one that was refused, every call is admitted as it is and recording follows the categories.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from ..catalogue import Catalogue, CatalogueError, keep_declared, load_catalogue, stored_record
from ..clock import Clock
from ..models import StoreDocument
from .capture import Pending, safe_name

__all__ = ["CatalogueSource", "Declarations"]

log = logging.getLogger("peft_telemetry_gui.core.client")

#: A catalogue file, a host's dict as JSON bytes (`TelemetryClient` makes them), or none.
CatalogueSource = Path | bytes | None


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
        if self.catalogue is None or self._record is None:
            return stored is None
        sha, canonical = self._record
        return (
            isinstance(stored, dict)
            and stored.get("sha256") == sha
            and stored.get("app_version") == self.app_version
            and stored.get("catalogue") == canonical
        )

    def apply(self, doc: StoreDocument) -> None:
        """Put this app's catalogue into `doc` (or take a stale one out); runs under the lock,
        and changes nothing when the store already has it."""
        if self.current(doc):
            return
        if self.catalogue is None:
            doc.catalogues.pop(self.app_name, None)
        else:
            doc.catalogues[self.app_name] = stored_record(
                self.catalogue, app_version=self.app_version, now=self.clock()
            )

    def admit(self, item: Pending) -> int | None:
        """None when the catalogue does not declare the call (it is not recorded); else how
        many of its properties were undeclared and removed from it (0 without a catalogue)."""
        catalogue = self._catalogue if self._loaded else self.catalogue
        if catalogue is None:
            return 0
        if item.error is not None:
            name = "error"
        elif item.metric is not None:
            name = safe_name(item.metric[0])
        else:
            name = safe_name(item.event_type)
        entry = catalogue.entry_for(item.category, name)
        if entry is None:
            return None
        item.properties, removed = keep_declared(name, entry, item.properties)
        return removed
