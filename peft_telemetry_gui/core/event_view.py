"""One stored event as a person reads it, searches it and takes it away: Qt-free, so the CLI can
say the same things the Events page says.

- `readable_fields`: the event as a short list of labelled fields (what a viewer like Windows'
  Diagnostic Data Viewer shows next to the raw record);
- `explain`: why the event exists, in the words of whoever decided it is recorded: the host's
  catalogue when it declared the event, the library when it is one of its own, else the
  category's "what is collected" text the user consented to;
- `search_text`: every field in one lower-case string, so a search finds a property key, a
  value, an error message or a stack frame, not only what the table's columns show;
- `export_bytes`: a selection of events as JSON or CSV, the bytes a file gets.

`ExplainContext.build` is the per-document part (which app each session belongs to, the parsed
catalogues, the time span): one pass over the events, meant for a worker thread, after which
explaining the selected event is a few dictionary lookups.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import compress, count, islice, repeat
from operator import attrgetter
from typing import Any, Literal

from .catalogue import LIBRARY_EVENTS, AppCatalogue, DeclaredEvent, declared_catalogues
from .export import render_csv
from .i18n import N_, tr
from .models import Event, StoreDocument

__all__ = [
    "CATEGORY_TITLES",
    "ContextBuilder",
    "EventExportFormat",
    "ExplainContext",
    "Explanation",
    "category_title",
    "declared_name",
    "explain",
    "export_bytes",
    "field_texts",
    "property_texts",
    "readable_fields",
    "readable_text",
    "search_text",
]

EventExportFormat = Literal["json", "csv"]

_timestamp = attrgetter("timestamp")
_type = attrgetter("event_type")
#: The categories as people read them, everywhere they are shown (the stored value is an
#: identifier and stays as it is); translated where shown: `category_title`.
CATEGORY_TITLES = {
    # Translators: a telemetry category: which features are used
    "usage": N_("Usage"),
    # Translators: a telemetry category: errors that happened
    "error": N_("Errors"),
    # Translators: a telemetry category: timings of operations
    "performance": N_("Performance"),
    # Translators: a telemetry category: operating system, memory, CPU count
    "system": N_("System information"),
}


def category_title(name: str) -> str:
    """A category in the user's language ("usage" -> "Usage"); an unknown one as stored."""
    return tr(CATEGORY_TITLES[name]) if name in CATEGORY_TITLES else name


@dataclass(frozen=True)
class Explanation:
    """`text`: what the event is for; `source`: whose words those are, said plainly."""

    text: str
    source: str
    properties: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ExplainContext:
    """What explaining any one event of a document needs, computed once per document."""

    catalogues: tuple[AppCatalogue, ...] = ()
    #: session id -> the app that started it (its `session_started` event says so)
    session_apps: Mapping[str, str] = field(default_factory=dict)
    #: the category's "what is collected" text, as the user was shown it
    category_texts: Mapping[str, str] = field(default_factory=dict)
    oldest: datetime | None = None
    newest: datetime | None = None

    @classmethod
    def build(cls, doc: StoreDocument, category_texts: Mapping[str, str]) -> ExplainContext:
        """The context of `doc` from scratch (`ContextBuilder` reuses the last one's work)."""
        return ContextBuilder().build(doc, category_texts)


def _session_apps(events: Sequence[Event], into: dict[str, str]) -> None:
    # The filter runs in C (`compress`, `map`); Python code only for the sessions' starts.
    for event in compress(events, map("session_started".__eq__, map(_type, events))):
        app = event.properties.get("app_name")
        if isinstance(app, str) and app:
            into[event.session_id] = app


class ContextBuilder:
    """Builds each document's `ExplainContext`, reusing the previous document's work: a reload
    reuses the event objects and mostly appends (and prunes the oldest), so only the new
    events are looked at, and the catalogues are parsed again only when they changed. For
    one worker thread (not thread-safe); the first build is a few C-speed passes, about
    15 ms at 100 000 events."""

    #: How far into the previous list the new first event is looked for (pruned from the front)
    MAX_PRUNED = 50_000

    def __init__(self) -> None:
        self._events: Sequence[Event] = ()
        self._apps: dict[str, str] = {}
        self._span: tuple[datetime | None, datetime | None] = (None, None)
        self._raw_catalogues: dict[str, Any] | None = None
        self._catalogues: tuple[AppCatalogue, ...] = ()

    def _kept(self, events: Sequence[Event]) -> int | None:
        """How many of the previous events `events` starts with, in order (after the oldest
        were pruned); None when it is not such a continuation."""
        prev = self._events
        if not prev or not events:
            return None
        same = map(operator.is_, islice(prev, self.MAX_PRUNED), repeat(events[0]))
        pruned = next(compress(count(), same), None)  # C-speed, stops at the first
        if pruned is None:
            return None
        kept = len(prev) - pruned
        if kept > len(events) or events[kept - 1] is not prev[-1]:
            return None
        return kept

    def build(self, doc: StoreDocument, category_texts: Mapping[str, str]) -> ExplainContext:
        events = doc.events
        kept = self._kept(events)
        if kept is None:
            self._apps, new = {}, events
            oldest = min(map(_timestamp, events), default=None)
            newest = max(map(_timestamp, events), default=None)
        else:
            new = events[kept:]
            oldest, newest = self._span
            if events[0] is not self._events[0]:  # the oldest were pruned
                oldest = min(map(_timestamp, events), default=None)
            if new:
                latest = max(map(_timestamp, new))
                newest = latest if newest is None else max(newest, latest)
        _session_apps(new, self._apps)
        self._events, self._span = events, (oldest, newest)
        if doc.catalogues != self._raw_catalogues:
            self._raw_catalogues = dict(doc.catalogues)
            self._catalogues = tuple(declared_catalogues(doc)) if doc.catalogues else ()
        apps = dict(self._apps)  # the context outlives this build; the builder goes on
        return ExplainContext(self._catalogues, apps, dict(category_texts), oldest, newest)


def declared_name(event: Event) -> str:
    """The name a catalogue entry would have for this event (`Catalogue.entry_for`): a
    metric's name, "error" for an error, else the event type."""
    if event.category == "performance" and event.metric_name:
        return event.metric_name
    if event.category == "error":
        return "error"
    return event.event_type


def _entry(catalogue: AppCatalogue, event: Event) -> DeclaredEvent | None:
    if catalogue.catalogue is None:
        return None
    return catalogue.catalogue.entry_for(event.category, declared_name(event))


def _from_entry(entry: DeclaredEvent, source: str, text: Callable[[str], str] = tr) -> Explanation:
    """`text`: the catalogue's way to show its texts in the user's language (`AppCatalogue.text`;
    `tr` for the library's own)."""
    props = {name: text(prop.description) for name, prop in entry.properties.items()}
    return Explanation(text(entry.description), source, props)


def explain(event: Event, context: ExplainContext) -> Explanation:
    """The event's explanation: its app's catalogue entry; failing that (the session's start was
    pruned), the one app whose catalogue declares it; the library's own words for its events;
    else the category's text."""
    name = declared_name(event)
    if event.category == "usage" and name in LIBRARY_EVENTS:
        return _from_entry(LIBRARY_EVENTS[name], tr("Recorded by the library itself"))
    app = context.session_apps.get(event.session_id)
    mine = [c for c in context.catalogues if c.app_name == app]
    candidates = mine or [c for c in context.catalogues if app is None]
    found = [(c, e) for c in candidates if (e := _entry(c, event)) is not None]
    if len(found) == 1:
        catalogue, entry = found[0]
        source = tr("Declared by {app} in its catalogue").format(app=catalogue.app_name)
        return _from_entry(entry, source, catalogue.text)
    title = category_title(event.category)
    # The "what is collected" texts are in our catalogue (resources/collection.json).
    described = context.category_texts.get(event.category)
    text = tr(described) if described else tr("No description is available.")
    source = tr("What the {category} category collects (no app declared this event)")
    return Explanation(text, source.format(category=title))


def _value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _utc(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def readable_fields(event: Event) -> list[tuple[str, str]]:
    """Labelled fields in reading order; fields the event does not have are left out."""
    fields = [
        (tr("Time"), _utc(event.timestamp)),
        (tr("Category"), category_title(event.category)),
        # Translators: an event's type (its name), as a field label
        (tr("Type"), event.event_type),
    ]
    if event.metric_name is not None:
        fields.append((tr("Metric"), event.metric_name))
    if event.value is not None:
        unit = f" {event.unit}" if event.unit else ""
        fields.append((tr("Value"), f"{event.value:g}{unit}"))
    if event.error_type is not None:
        fields.append((tr("Error type"), event.error_type))
    if event.error_message is not None:
        fields.append((tr("Error message"), event.error_message))
    prop = tr("Property {key}")
    fields.extend((prop.format(key=key), _value(value)) for key, value in event.properties.items())
    if event.stack:
        fields.append((tr("Stack"), "\n".join(event.stack)))
    fields.append((tr("Session"), event.session_id))
    fields.append((tr("Event id"), event.id))
    return fields


def readable_text(event: Event, explanation: Explanation, upload: str | None = None) -> str:
    """The readable view: the fields, whether it was uploaded (when known), then what the event
    is for and whose words say so."""
    # Translators: a field label and its value, as in "Time: 2026-12-01 14:02:00 UTC"
    labelled = tr("{label}: {value}")
    lines = [labelled.format(label=label, value=value) for label, value in readable_fields(event)]
    if upload is not None:
        # Translators: whether the event was uploaded, as in "Upload: delivered"
        lines.append(tr("Upload: {state}").format(state=upload))
    lines += [
        "",
        tr("What this is: {text}").format(text=explanation.text),
        # Translators: whose words explain the event, as in "Source: Declared by ..."
        tr("Source: {source}").format(source=explanation.source),
    ]
    described = [(k, v) for k, v in explanation.properties.items() if k in event.properties]
    if described:
        lines += ["", tr("Properties, as declared:")]
        lines += [f"  {labelled.format(label=name, value=text)}" for name, text in described]
    return "\n".join(lines)


def _flatten(value: Any, out: list[str]) -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            out.append(str(key))
            _flatten(item, out)
    elif isinstance(value, list | tuple):
        for item in value:
            _flatten(item, out)
    elif value is not None:
        out.append(value if isinstance(value, str) else str(value))


def field_texts(event: Event, *, ids: bool = True) -> list[str]:
    """Every stored field as text, keys and values alike, as stored (not lower-cased);
    without the event and session ids when `ids` is False (a caller that matches those on its
    own need not keep 68 characters per event for it)."""
    parts = [event.id, event.session_id] if ids else []
    parts += [event.category, event.event_type]
    for optional in (event.metric_name, event.unit, event.error_type, event.error_message):
        if optional is not None:
            parts.append(optional)
    if event.value is not None:
        parts.append(str(event.value))  # as the stored JSON writes it
    _flatten(event.properties, parts)
    if event.stack:
        parts.extend(event.stack)
    return parts


def property_texts(properties: Mapping[str, Any]) -> list[str]:
    """The keys and values of `properties`, nested ones included, each as its own text."""
    out: list[str] = []
    _flatten(properties, out)
    return out


def search_text(event: Event) -> str:
    """Every stored field, lower-case and tab-separated (a tab never comes from a search box,
    so a match never spans two fields)."""
    return "\t".join(field_texts(event)).lower()


def export_bytes(events: Sequence[Event], fmt: EventExportFormat) -> bytes:
    """The events (in the order given: the table's) as a file's bytes. JSON: a list of the
    stored records, exactly as the raw view shows them; CSV: the columns of the full export."""
    if fmt == "json":
        records = [event.stored_dict() for event in events]
        return (json.dumps(records, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    if fmt == "csv":
        return render_csv(list(events)).encode("utf-8")  # the full export's cells, exactly
    raise ValueError(f"unknown format {fmt!r} (choose json or csv)")
