"""A catalogue as the store keeps it and as a reader (the app, the CLI) is shown it: the
stored record, each app's catalogue read back, and the words for its texts."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..clock import ensure_utc
from ..i18n import tr
from ..models import StoreDocument
from .model import (
    ATTACHED_BY_LIBRARY,
    LIBRARY_EVENTS,
    Catalogue,
    CatalogueError,
    DeclaredEvent,
    parse_catalogue,
)

__all__ = [
    "AppCatalogue",
    "declared_catalogues",
    "example_text",
    "keep_declared",
    "sampling_words",
    "stored_record",
]


def keep_declared(
    name: str, entry: DeclaredEvent, properties: object
) -> tuple[dict[str, Any] | None, int]:
    """A call's properties with only the declared ones kept, and how many were removed.

    Properties that are not a mapping cannot be declared: all of it goes (one removal)."""
    if properties is None:
        return None, 0
    if not isinstance(properties, dict):
        return {}, 1
    attached = ATTACHED_BY_LIBRARY.get(name, frozenset()) if name in LIBRARY_EVENTS else ()
    declared = entry.properties
    kept = {
        k: v
        for k, v in properties.items()
        if type(k) is str and k in declared and k not in attached
    }
    return kept, len(properties) - len(kept)


def stored_record(
    catalogue: Catalogue, *, app_version: str | None, now: datetime
) -> dict[str, Any]:
    """What `StoreDocument.catalogues[app_name]` holds for one app."""
    return {
        "declared_at": ensure_utc(now).isoformat().replace("+00:00", "Z"),
        "app_version": app_version,
        "sha256": catalogue.sha256(),
        "catalogue": catalogue.canonical(),
        # Apart from the canonical form, so the hash and the consent stay what they were.
        **({"translations": catalogue.translations} if catalogue.translations else {}),
    }


@dataclass(frozen=True)
class AppCatalogue:
    """One app's stored catalogue as a reader sees it; `catalogue` None: `error` says why."""

    app_name: str
    app_version: str | None
    declared_at: str | None
    sha256: str
    catalogue: Catalogue | None
    error: str = ""

    def text(self, source: str) -> str:
        """The one way to show a text of this catalogue (or of the library's own events): the
        host's translation for `i18n.active_language()`, else ours (`tr`), else `source`."""
        if self.catalogue is not None:
            return self.catalogue.text(source)
        return tr(source)


def declared_catalogues(doc: StoreDocument) -> list[AppCatalogue]:
    """Every app's catalogue in the store, by app name. A stored one that no longer validates
    (edited by hand) is returned with `error` set, never raised: the rest still shows."""
    out = []
    for app, record in sorted(doc.catalogues.items(), key=lambda item: item[0].casefold()):
        if not isinstance(record, Mapping):
            record = {"catalogue": record}
        version = record.get("app_version")
        declared_at = record.get("declared_at")
        raw, translations = record.get("catalogue"), record.get("translations")
        try:
            catalogue: Catalogue | None = parse_catalogue(raw)
            error = ""
        except CatalogueError as exc:
            catalogue, error = None, str(exc)
        if catalogue is not None and translations and isinstance(raw, Mapping):
            # Translations edited into something unusable: the catalogue still shows, as written.
            with contextlib.suppress(CatalogueError):
                catalogue = parse_catalogue({**raw, "translations": translations})
        out.append(
            AppCatalogue(
                app_name=app,
                app_version=version if isinstance(version, str) else None,
                declared_at=declared_at if isinstance(declared_at, str) else None,
                sha256=catalogue.sha256() if catalogue is not None else "",
                catalogue=catalogue,
                error=error,
            )
        )
    return out


def example_text(value: object) -> str:
    """An example value as the user reads it: text quoted, numbers and booleans as JSON."""
    return json.dumps(value, ensure_ascii=False)


def sampling_words(event: DeclaredEvent, catalogue: AppCatalogue | Catalogue | None = None) -> str:
    """Whether only some occurrences are recorded, in the app's own words when it gave any
    (translated by `catalogue`, the one the event is from, when given)."""
    if event.sampled is False:
        # Translators: whether an event is sampled
        return tr("no")
    if event.sampled is True:
        return tr("yes: only some occurrences are recorded")
    note = catalogue.text(event.sampled) if catalogue is not None else event.sampled
    return tr("yes: {note}").format(note=note)
