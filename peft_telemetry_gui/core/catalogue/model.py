"""The catalogue itself: its model, its validation, its canonical form and hash (the
package's docstring says what a catalogue is)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ..fsio import read_regular_file
from ..i18n import N_, active_language, tr
from ..ledger import content_sha256

__all__ = [
    "ATTACHED_BY_LIBRARY",
    "DECLARABLE_CATEGORIES",
    "LIBRARY_EVENTS",
    "MAX_CATALOGUE_BYTES",
    "MAX_TRANSLATED_LANGUAGES",
    "Catalogue",
    "CatalogueError",
    "DeclaredEvent",
    "DeclaredProperty",
    "catalogue_sha256",
    "load_catalogue",
    "parse_catalogue",
]

#: A catalogue is a text a person reads: a bigger file is a mistake, refused unread.
MAX_CATALOGUE_BYTES = 1 << 20
MAX_EVENTS = 1000
MAX_PROPERTIES = 200
#: `track_event`, `track_error`, `track_performance`. System information is the library's own
#: (it rides on `session_started`): no call of a host records an event of that category.
DECLARABLE_CATEGORIES = ("usage", "error", "performance")

#: A catalogue's optional `translations`: languages, and texts per language.
MAX_TRANSLATED_LANGUAGES = 50
MAX_TRANSLATED_TEXTS = 5000
_LANGUAGE_CODE = re.compile(r"[a-z]{2,3}")

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


def _check_translations(value: object) -> object:
    """`{"de": {"<English text>": "<German>"}}`: short lower-case language codes, strings only."""
    if not isinstance(value, dict):
        return value  # the type check says what is wrong
    if len(value) > MAX_TRANSLATED_LANGUAGES:
        raise ValueError(f"more than {MAX_TRANSLATED_LANGUAGES} languages")
    for language, texts in value.items():
        if not isinstance(language, str) or not _LANGUAGE_CODE.fullmatch(language):
            raise ValueError(
                f"language {language!r} is not a short language code such as 'de' or 'fr'"
            )
        if isinstance(texts, dict) and len(texts) > MAX_TRANSLATED_TEXTS:
            raise ValueError(f"{language}: more than {MAX_TRANSLATED_TEXTS} texts")
    return value


def _texts(events: Mapping[str, DeclaredEvent]) -> frozenset[str]:
    out: set[str] = set()
    for event in events.values():
        out.add(event.description)
        out.update(prop.description for prop in event.properties.values())
        if isinstance(event.sampled, str):
            out.add(event.sampled)
    return frozenset(out)


class Catalogue(_Frozen):
    """What a host declared: `version` (its own label) and the events by name.

    `translations` (optional) maps, per language, the catalogue's own texts (descriptions,
    property descriptions, sampling notes) to the host's translation of them. It is not part
    of the canonical form or the hash: a translation added later is not a change to consent to.
    """

    version: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    events: dict[Name, DeclaredEvent]
    translations: dict[str, dict[Text, Text]] = Field(default_factory=dict)

    @field_validator("translations", mode="before")
    @classmethod
    def _translations_shape(cls, value: object) -> object:
        return _check_translations(value)

    @field_validator("translations")
    @classmethod
    def _translations_known(
        cls, value: dict[str, dict[str, str]], info: ValidationInfo
    ) -> dict[str, dict[str, str]]:
        """Only the catalogue's own texts: a text that is not one is a typo or a stale entry."""
        events = info.data.get("events")
        if not value or events is None:  # no events: their own error is reported
            return value
        texts = _texts(events)
        for language, translated in value.items():
            for source in translated:
                if source not in texts:
                    raise ValueError(
                        f"{language}: {source!r} is not a description, property description "
                        "or sampling note of this catalogue"
                    )
        return value

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

    def texts(self) -> frozenset[str]:
        """The catalogue's texts a person reads, which `translations` may translate."""
        return _texts(self.events)

    def canonical(self) -> dict[str, Any]:
        """One JSON form per meaning (short forms expanded, defaults left out): what is stored,
        hashed and, later, compared for what was added or removed. Without `translations`."""
        return self.model_dump(mode="json", exclude_defaults=True, exclude={"translations"})

    def text(self, source: str, language: str | None = None) -> str:
        """`source` (one of this catalogue's texts) in the user's language: the host's own
        translation, else ours (the library's texts are in our catalogue), else as written."""
        translated = self.translations.get(language or active_language(), {}).get(source)
        return translated or tr(source)

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
        description=N_("That the app was started (once per session), with its name and version."),
        properties={
            "app_name": DeclaredProperty(description=N_("the app's name"), example="PEFT Studio"),
            "app_version": DeclaredProperty(description=N_("the app's version"), example="2.1.0"),
            "system": DeclaredProperty(
                description=N_(
                    "operating system and version, Python version, CPU count and "
                    "memory; only while System information is allowed"
                )
            ),
        },
    )
    ended = DeclaredEvent(
        category="usage",
        description=N_("That the app was closed, and how long the session lasted."),
        properties={
            "duration_s": DeclaredProperty(
                description=N_("session length in seconds"), example=5400
            )
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
