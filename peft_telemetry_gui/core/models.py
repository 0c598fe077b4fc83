"""The one schema for the store, the exports and the CLI's `--json` output.

Every byte the product writes about a user goes through these models, so what the user is shown
and what is kept can never drift apart.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime
from typing import Any, Literal

import msgspec
import msgspec.structs
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import core_schema as cs

from .clock import ensure_utc
from .constants import CATEGORIES, Category

__all__ = [
    "CATEGORIES",
    "SCHEMA_VERSION",
    "AcceptedText",
    "Actor",
    "AuditEntry",
    "Category",
    "ConsentState",
    "Event",
    "Method",
    "QuarantineNotice",
    "StoreDocument",
    "StoreLimits",
    "UploadSettings",
    "new_anonymous_id",
    "new_event_id",
]

#: 2: `limits` and `rollups` (docs/store.md, "Limits" and "Rollups"); 3: the events in segment
#: files beside the head (docs/store.md, "Layout"). Older versions are migrated forward.
SCHEMA_VERSION = 3

Actor = Literal["gui", "cli", "api"]


def new_anonymous_id() -> str:
    """Random, never derived from the machine: it must not be re-identifiable."""
    return secrets.token_hex(16)


def new_event_id() -> str:
    return str(uuid.uuid4())


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


def _utc(value: datetime | None) -> datetime | None:
    return None if value is None else ensure_utc(value)


class AcceptedText(_Model):
    """The text a consent was given to: its SHA-256 (`consent.consent_text_sha256`), the
    categories of the "what is collected" text, and per app the declared items
    [category, event, property or ""]. Collection added later waits for the user's review."""

    text_sha256: str = ""
    categories: list[str] = Field(default_factory=list)
    items: dict[str, list[tuple[str, str, str]]] = Field(default_factory=dict)
    at: datetime | None = None

    _norm = field_validator("at")(_utc)


class ConsentState(_Model):
    """What the user said, and since when: the `since` stamps let any process drop events
    recorded while (or before) consent was off, whoever turned it off."""

    decided: bool = False
    enabled: bool = False
    categories: dict[str, bool] = Field(default_factory=lambda: dict.fromkeys(CATEGORIES, True))
    sampling: dict[str, float] = Field(default_factory=lambda: dict.fromkeys(CATEGORIES, 1.0))
    upload_enabled: bool = False
    changed_at: datetime | None = None
    enabled_since: datetime | None = None
    category_since: dict[str, datetime] = Field(default_factory=dict)
    #: What the user consented to (docs/consent.md "Re-consent"); None: nothing on record yet.
    accepted: AcceptedText | None = None

    _norm = field_validator("changed_at", "enabled_since")(_utc)

    @field_validator("category_since")
    @classmethod
    def _norm_since(cls, value: dict[str, datetime]) -> dict[str, datetime]:
        return {key: ensure_utc(moment) for key, moment in value.items()}

    def category_on(self, category: str) -> bool:
        return self.enabled and self.categories.get(category, False)

    def allows(self, category: str, at: datetime) -> bool:
        """True when an event of `category` stamped `at` was recorded under consent."""
        if not self.category_on(category):
            return False
        if self.enabled_since is not None and at < self.enabled_since:
            return False
        since = self.category_since.get(category)
        return not (since is not None and at < since)


#: How a change was made, as a consent receipt names it.
Method = Literal[
    "first_run_dialog",
    "privacy_page",
    "review_dialog",
    "upload_page",
    "cli",
    "host_api",
    "environment",
    "delete",
    "",
]


class AuditEntry(_Model):
    """One consent change. `from`/`to` are python keywords, hence the aliases.

    The ledger fields (`seq`, `prev_hash`, `hash`) chain every entry to the one before, so an
    edited entry shows (see `core/ledger.py`); entries written before they existed have the
    defaults and are chained from the first entry that has them."""

    at: datetime
    actor: Actor
    what: str
    from_value: Any = Field(default=None, alias="from")
    to_value: Any = Field(default=None, alias="to")
    text_version: str = ""
    text_sha256: str = ""  # of the "what is collected" text (and catalogue) in force
    locale: str = ""
    method: Method = ""
    app_name: str | None = None  # the host app that made the change (actor "api")
    app_version: str | None = None
    seq: int = 0
    prev_hash: str = ""
    hash: str = ""

    _norm = field_validator("at")(_utc)


def _no_properties() -> dict[str, Any]:
    return {}


class Event(msgspec.Struct, kw_only=True, omit_defaults=True, gc=False):
    """One recorded event, as a compact row: a msgspec struct, not a pydantic model.

    A store holds up to hundreds of thousands of these and the app keeps them all in memory:
    a struct has no per-instance dict and is not tracked by the cyclic garbage collector, and
    msgspec checks a segment's JSON lines straight into structs (docs/store.md, "Events in
    memory": 100 000 events in ~0.12 s and ~80 MB, where pydantic models took ~0.5 s and
    ~255 MB). Built in code, nothing is checked but the timestamp (made UTC, as every stored
    one is); records from outside go through `from_record`, which checks and converts."""

    id: str = msgspec.field(default_factory=new_event_id)
    timestamp: datetime
    category: Category
    event_type: str
    session_id: str
    #: In every line, even empty: `omit_defaults` drops an empty value of a plain `dict`
    #: factory, but cannot compare a value with what `_no_properties` makes.
    properties: dict[str, Any] = msgspec.field(default_factory=_no_properties)
    # error events
    error_type: str | None = None
    error_message: str | None = None
    stack: list[str] | None = None
    # performance events
    metric_name: str | None = None
    value: float | None = None
    unit: str | None = None

    def __post_init__(self) -> None:
        if self.timestamp.tzinfo is not UTC:
            self.timestamp = ensure_utc(self.timestamp)

    def stored_dict(self) -> dict[str, Any]:
        """The record exactly as a segment line holds it (what the user is shown)."""
        record: dict[str, Any] = msgspec.to_builtins(self)
        return record

    @classmethod
    def from_record(cls, raw: object) -> Event:
        """An event from a record of unknown origin (a hand-edited line, an older store, an
        import): checked and converted leniently, as the store always has (whole-number
        values, a timestamp without a zone, read as UTC). `ValueError` when it is not one."""
        try:
            return msgspec.convert(raw, cls, strict=False)
        except (msgspec.ValidationError, TypeError, AttributeError) as exc:
            raise ValueError(f"not an event record: {exc}") from None

    @classmethod
    def __get_pydantic_core_schema__(cls, _source: Any, _handler: Any) -> cs.CoreSchema:
        """Inside pydantic models (`StoreDocument.events`, an export): events are kept as they
        are, records checked by `from_record`, and each is written as its `stored_dict`."""
        return cs.no_info_plain_validator_function(
            _as_event,
            serialization=cs.plain_serializer_function_ser_schema(
                Event.stored_dict, return_schema=cs.dict_schema()
            ),
        )

    def replace(self, **changes: Any) -> Event:
        """A copy with `changes` (an edited event is a new one: see docs/store.md)."""
        return msgspec.structs.replace(self, **changes)


def _as_event(value: object) -> Event:
    return value if type(value) is Event else Event.from_record(value)


class QuarantineNotice(_Model):
    """A store that could not be read was moved aside; kept so every front end can say so."""

    at: datetime
    moved_to: str
    reason: str

    _norm = field_validator("at")(_utc)


class UploadSettings(_Model):
    endpoint: str | None = None


class StoreLimits(_Model):
    """How much the store keeps, for every process that writes it (docs/store.md, "Limits").

    None means never set: each process then applies its own default (1000 events, 90 days).
    A host's constructor sets them; a field the user chose (Privacy page, `peft-telemetry
    limits`) is named in `user_chosen`, and hosts no longer change it."""

    max_events: int | None = None
    retention_days: int | None = None
    user_chosen: list[str] = Field(default_factory=list)
    changed_at: datetime | None = None

    _norm = field_validator("changed_at")(_utc)

    @field_validator("max_events", "retention_days", mode="before")
    @classmethod
    def _whole(cls, value: Any) -> int | None:
        """A hand-edited limit that is not a whole number >= 1 reads as "not set" (the
        defaults), rather than making the whole store unreadable."""
        if type(value) is int and value >= 1:
            return value
        if type(value) is float and value.is_integer() and value >= 1:
            return int(value)
        return None


class StoreDocument(_Model):
    schema_version: int = SCHEMA_VERSION
    #: "" until consent is first turned on (no identifier before a yes); kept once made.
    anonymous_id: str = ""
    consent: ConsentState = Field(default_factory=ConsentState)
    audit_log: list[AuditEntry] = Field(default_factory=list)
    redactions: dict[str, int] = Field(default_factory=dict)
    quarantined: list[QuarantineNotice] = Field(default_factory=list)
    upload: UploadSettings = Field(default_factory=UploadSettings)
    #: app name -> the events it declared. `core/catalogue.py` owns the record's shape and
    #: checks each one on reading: a hand-edited record must not make the store unreadable.
    catalogues: dict[str, Any] = Field(default_factory=dict)
    limits: StoreLimits = Field(default_factory=StoreLimits)
    #: UTC day ("2026-11-23") -> that day's aggregates, kept when raw events are pruned.
    #: `core/store/rollups.py` owns the record's shape and reads each one defensively (a
    #: hand-edited day is skipped, never makes the store unreadable). Never named "events":
    #: `incremental` finds the events array by its key.
    rollups: dict[str, Any] = Field(default_factory=dict)
    events: list[Event] = Field(default_factory=list)

    @model_validator(mode="after")
    def _id_while_on(self) -> StoreDocument:
        """Always an id while consent is on: a store edited by hand, or migrated from the seed
        prototype, may say "on" without one (a made-up one would be different on every read
        of a file not yet rewritten, as any unwritten default is)."""
        if self.consent.enabled and not self.anonymous_id:
            self.anonymous_id = new_anonymous_id()
        return self
