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

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from .clock import ensure_utc
from .fsio import read_regular_file
from .ledger import content_sha256
from .models import StoreDocument

__all__ = [
    "ATTACHED_BY_LIBRARY",
    "DECLARABLE_CATEGORIES",
    "LIBRARY_EVENTS",
    "MAX_CATALOGUE_BYTES",
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

#: A catalogue is a text a person reads: a bigger file is a mistake, refused unread.
MAX_CATALOGUE_BYTES = 1 << 20
MAX_EVENTS = 1000
MAX_PROPERTIES = 200
#: `track_event`, `track_error`, `track_performance`. System information is the library's own
#: (it rides on `session_started`): no call of a host records an event of that category.
DECLARABLE_CATEGORIES = ("usage", "error", "performance")

Name = Annotated[str, StringConstraints(min_length=1, max_length=100)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=1000)]


class CatalogueError(ValueError):
    """A catalogue that cannot be used, with one line saying where and why."""


class _Frozen(BaseModel):
    # strict: a description of 5 is a mistake to report, not a "5" to make up.
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, allow_inf_nan=False)


def _check_name(name: str, what: str) -> str:
    if name != name.strip() or not name.isprintable():
        raise ValueError(f"{what} {name!r} has surrounding spaces or control characters")
    return name


class DeclaredProperty(_Frozen):
    description: Text
    example: Annotated[str, StringConstraints(max_length=200)] | int | float | bool | None = None


class DeclaredEvent(_Frozen):
    category: str
    description: Text
    properties: dict[Name, DeclaredProperty] = Field(default_factory=dict)
    unit: Annotated[str, StringConstraints(min_length=1, max_length=20)] | None = None
    #: True, or a note in words ("one training run in ten"); False: every occurrence.
    sampled: bool | Annotated[str, StringConstraints(min_length=1, max_length=200)] = False

    @field_validator("category")
    @classmethod
    def _known_category(cls, value: str) -> str:
        if value not in DECLARABLE_CATEGORIES:
            raise ValueError(
                f"unknown category {value!r} (choose from {', '.join(DECLARABLE_CATEGORIES)}; "
                "system information is recorded by the library itself)"
            )
        return value

    @field_validator("properties", mode="before")
    @classmethod
    def _short_form(cls, value: object) -> object:
        """`"rank": "adapter rank"` is short for `"rank": {"description": "adapter rank"}`."""
        if isinstance(value, dict):
            if len(value) > MAX_PROPERTIES:
                raise ValueError(f"more than {MAX_PROPERTIES} properties")
            return {
                _check_name(k, "property") if isinstance(k, str) else k: (
                    {"description": v} if isinstance(v, str) else v
                )
                for k, v in value.items()
            }
        return value


class Catalogue(_Frozen):
    """What a host declared: `version` (its own label) and the events by name."""

    version: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    events: dict[Name, DeclaredEvent]

    @model_validator(mode="after")
    def _names(self) -> Catalogue:
        if len(self.events) > MAX_EVENTS:
            raise ValueError(f"more than {MAX_EVENTS} events")
        for name, event in self.events.items():
            _check_name(name, "event")
            if name in LIBRARY_EVENTS:
                raise ValueError(
                    f"{name!r} is recorded by the library itself; leave it out of the catalogue"
                )
            if event.category == "error" and name != "error":
                raise ValueError(
                    f"event {name!r}: errors are declared once, as an event named 'error'"
                )
        return self

    def canonical(self) -> dict[str, Any]:
        """One JSON form per meaning (short forms expanded, defaults left out): what is stored,
        hashed and, later, compared for what was added or removed."""
        return self.model_dump(mode="json", exclude_defaults=True)

    def sha256(self) -> str:
        return content_sha256(self.canonical())

    def entry_for(self, category: str, name: str) -> DeclaredEvent | None:
        """The entry that covers a call of `category` named `name`, or None: not recorded."""
        if category == "usage" and name in LIBRARY_EVENTS:
            return LIBRARY_EVENTS[name]
        entry = self.events.get(name)
        return entry if entry is not None and entry.category == category else None

    def declared(self) -> frozenset[tuple[str, str, str]]:
        """(category, event, property or "") for everything declared: a set difference of two
        of these says what was added or removed."""
        items = set()
        for name, event in self.events.items():
            items.add((event.category, name, ""))
            items.update((event.category, name, prop) for prop in event.properties)
        return frozenset(items)


def _library_events() -> Mapping[str, DeclaredEvent]:
    started = DeclaredEvent(
        category="usage",
        description="That the app was started (once per session), with its name and version.",
        properties={
            "app_name": DeclaredProperty(description="the app's name", example="PEFT Studio"),
            "app_version": DeclaredProperty(description="the app's version", example="2.1.0"),
            "system": DeclaredProperty(
                description="operating system and version, Python version, CPU count and "
                "memory; only while System information is allowed"
            ),
        },
    )
    ended = DeclaredEvent(
        category="usage",
        description="That the app was closed, and how long the session lasted.",
        properties={
            "duration_s": DeclaredProperty(description="session length in seconds", example=5400)
        },
    )
    return MappingProxyType({"session_started": started, "session_ended": ended})


#: Recorded by the library itself, whatever a catalogue says (listed as such to the user).
LIBRARY_EVENTS: Mapping[str, DeclaredEvent] = _library_events()
#: Properties the library adds at write time (under their own consent): never from a call.
ATTACHED_BY_LIBRARY: Mapping[str, frozenset[str]] = MappingProxyType(
    {"session_started": frozenset({"system"})}
)


def catalogue_sha256(catalogue: Catalogue) -> str:
    return catalogue.sha256()


def _one_line(exc: ValidationError) -> str:
    errors = exc.errors()
    first = errors[0]
    where = ".".join(str(part) for part in first["loc"]) or "the catalogue"
    message = str(first["msg"]).removeprefix("Value error, ")
    more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
    return f"{where}: {message}{more}"


def parse_catalogue(raw: object) -> Catalogue:
    """A catalogue from JSON-like values (a host's dict, a parsed file, the stored form)."""
    if not isinstance(raw, Mapping):
        raise CatalogueError(f"a catalogue is a JSON object, not {type(raw).__name__}")
    try:
        return Catalogue.model_validate(dict(raw))
    except ValidationError as exc:
        raise CatalogueError(_one_line(exc)) from None
    except (TypeError, ValueError, RecursionError) as exc:
        raise CatalogueError(f"unusable values ({type(exc).__name__}: {exc})") from None


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise CatalogueError(f"{key!r} is declared twice")
        out[key] = value
    return out


def load_catalogue(
    source: str | os.PathLike[str] | bytes, *, max_bytes: int = MAX_CATALOGUE_BYTES
) -> Catalogue:
    """A catalogue from a file (a path) or from JSON bytes; `CatalogueError` names the file.

    The file must be a regular file of at most `max_bytes` (a FIFO is never opened, a huge
    file never read: `fsio.read_regular_file`)."""
    if isinstance(source, bytes):
        where, data = "catalogue", source
        if len(data) > max_bytes:
            raise CatalogueError(f"{where}: over the {max_bytes >> 10} KiB limit")
    else:
        where = os.fspath(source)
        try:
            data = read_regular_file(Path(source), max_bytes)
        except FileNotFoundError:
            raise CatalogueError(f"{where}: no such file") from None
        except OSError as exc:
            raise CatalogueError(f"{where}: {exc.strerror or exc}") from None
    try:
        raw = json.loads(data.decode("utf-8-sig"), object_pairs_hook=_no_duplicates)
    except CatalogueError as exc:
        raise CatalogueError(f"{where}: {exc}") from None
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise CatalogueError(f"{where}: not valid JSON ({exc})") from None
    try:
        return parse_catalogue(raw)
    except CatalogueError as exc:
        raise CatalogueError(f"{where}: {exc}") from None


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


def declared_catalogues(doc: StoreDocument) -> list[AppCatalogue]:
    """Every app's catalogue in the store, by app name. A stored one that no longer validates
    (edited by hand) is returned with `error` set, never raised: the rest still shows."""
    out = []
    for app, record in sorted(doc.catalogues.items(), key=lambda item: item[0].casefold()):
        if not isinstance(record, Mapping):
            record = {"catalogue": record}
        version = record.get("app_version")
        declared_at = record.get("declared_at")
        try:
            catalogue: Catalogue | None = parse_catalogue(record.get("catalogue"))
            error = ""
        except CatalogueError as exc:
            catalogue, error = None, str(exc)
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


def sampling_words(event: DeclaredEvent) -> str:
    """Whether only some occurrences are recorded, in the app's own words when it gave any."""
    if event.sampled is False:
        return "no"
    if event.sampled is True:
        return "yes: only some occurrences are recorded"
    return f"yes: {event.sampled}"
