"""Declared events: the catalogue a host ships, as the user is shown it and the writer obeys it.

A host may pass `TelemetryClient(..., catalogue="events.json")` (or a dict). With a catalogue,
only declared events and declared properties are recorded: allowlisting, the strongest privacy a
host can promise. Here the catalogue is parsed and validated into a frozen model (any mistake is
a `CatalogueError` with one line saying where), given one canonical JSON form and its SHA-256
(what a later re-consent compares), and kept per app in the store (`StoreDocument.catalogues`),
where the app and the CLI read it back. Qt-free; pydantic is fine here because the host's
import of the client never reaches this module (the writer thread loads it).

Which calls a catalogue entry covers:
- `track_event(name)`: an entry `name` of category "usage";
- `track_performance(name)` / `timer(name)`: an entry `name` of category "performance" (its
  `unit` is what the user is shown; the value keeps the unit it was recorded with);
- `track_error`: an entry named "error" of category "error" (its properties are the ones
  `track_error(exc, properties)` may carry; type, scrubbed message and frames are always kept);
- `session_started` / `session_ended`: the library's own (`LIBRARY_EVENTS`), always allowed
  with exactly their properties; a catalogue must not declare them.
"""

from __future__ import annotations

from .model import (
    ATTACHED_BY_LIBRARY,
    DECLARABLE_CATEGORIES,
    LIBRARY_EVENTS,
    MAX_CATALOGUE_BYTES,
    MAX_TRANSLATED_LANGUAGES,
    Catalogue,
    CatalogueError,
    DeclaredEvent,
    DeclaredProperty,
    catalogue_sha256,
    load_catalogue,
    parse_catalogue,
)
from .stored import (
    AppCatalogue,
    declared_catalogues,
    example_text,
    keep_declared,
    sampling_words,
    stored_record,
)

__all__ = [
    "ATTACHED_BY_LIBRARY",
    "DECLARABLE_CATEGORIES",
    "LIBRARY_EVENTS",
    "MAX_CATALOGUE_BYTES",
    "MAX_TRANSLATED_LANGUAGES",
    "AppCatalogue",
    "Catalogue",
    "CatalogueError",
    "DeclaredEvent",
    "DeclaredProperty",
    "catalogue_sha256",
    "declared_catalogues",
    "example_text",
    "keep_declared",
    "load_catalogue",
    "parse_catalogue",
    "sampling_words",
    "stored_record",
]
