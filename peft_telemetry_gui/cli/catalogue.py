"""`peft-telemetry catalogue`: the events and properties each app declared, with their reasons.

What the Privacy page's cards show, for the terminal (`--json`: the stored canonical form).
Every name and text comes from a host's file, so each is shown through `printable`.
"""

from __future__ import annotations

import argparse
from typing import Any

from ..core.catalogue import (
    LIBRARY_EVENTS,
    AppCatalogue,
    DeclaredEvent,
    declared_catalogues,
    example_text,
    sampling_words,
)
from ..core.i18n import N_, tr, trn
from .common import EXIT_OK, add_common_options, emit, open_store, printable, read_store

__all__ = ["NO_CATALOGUE", "add_catalogue_commands"]

NO_CATALOGUE = N_(
    "No app has declared its events; recording follows the categories "
    "(see 'peft-telemetry status')."
)


def _described(text: str, app: AppCatalogue | None) -> str:
    """A description from a catalogue (an event's, a property's) in the user's language.

    The one place they are shown through: the library's own are in our catalogue, a host's
    own translations come with its catalogue (`AppCatalogue.text`)."""
    return app.text(text) if app is not None else tr(text)


def _event_lines(name: str, event: DeclaredEvent, app: AppCatalogue | None = None) -> list[str]:
    if event.unit:
        # Translators: an event's category (an identifier: usage, error, ...) and its unit (ms)
        facts = tr("{category}, in {unit}").format(category=event.category, unit=event.unit)
    else:
        facts = event.category
    description = _described(event.description, app)
    lines = [f"  {printable(name)}  ({printable(facts)})", f"      {printable(description)}"]
    for prop, spec in event.properties.items():
        text = _described(spec.description, app)
        if spec.example is not None:
            text = tr("{description} (example: {example})").format(
                description=text, example=example_text(spec.example)
            )
        lines.append(f"      - {printable(prop)}: {printable(text)}")
    if event.sampled is not False:
        words = printable(sampling_words(event, app))
        lines.append("      " + tr("sampled: {how}").format(how=words))
    return lines


def _app_payload(app: AppCatalogue) -> dict[str, Any]:
    canonical = app.catalogue.canonical() if app.catalogue is not None else None
    return {
        "app_name": app.app_name,
        "app_version": app.app_version,
        "declared_at": app.declared_at,
        "sha256": app.sha256 or None,
        "version": canonical["version"] if canonical else None,
        "events": canonical["events"] if canonical else None,
        "error": app.error or None,
    }


def _app_lines(app: AppCatalogue) -> list[str]:
    who = printable(app.app_name + (f" {app.app_version}" if app.app_version else ""))
    if app.catalogue is None:
        return [
            tr(
                "{app}: its stored catalogue cannot be read ({error}); it is "
                "stored again when the app next starts."
            ).format(app=who, error=printable(app.error))
        ]
    count = len(app.catalogue.events)
    version = printable(app.catalogue.version)
    if app.declared_at:
        saved = printable(app.declared_at[:16].replace("T", " "))
        head = trn(
            "{app} declared {n} event (catalogue {version}, saved {saved} UTC); "
            "nothing else it sends is recorded:",
            "{app} declared {n} events (catalogue {version}, saved {saved} UTC); "
            "nothing else it sends is recorded:",
            count,
        ).format(app=who, n=count, version=version, saved=saved)
    else:
        head = trn(
            "{app} declared {n} event (catalogue {version}); nothing else it sends is recorded:",
            "{app} declared {n} events (catalogue {version}); nothing else it sends is recorded:",
            count,
        ).format(app=who, n=count, version=version)
    lines = [head]
    for name, event in app.catalogue.events.items():
        lines += _event_lines(name, event, app)
    return lines


def cmd_catalogue(args: argparse.Namespace) -> int:
    apps = declared_catalogues(read_store(open_store(args)))
    payload = {
        "apps": [_app_payload(app) for app in apps],
        "library_events": {
            name: event.model_dump(mode="json", exclude_defaults=True)
            for name, event in LIBRARY_EVENTS.items()
        },
    }
    if not apps:
        emit(args, payload, tr(NO_CATALOGUE))
        return EXIT_OK
    lines: list[str] = []
    for app in apps:
        lines += _app_lines(app)
    lines.append(tr("Recorded by the library itself, for every app:"))
    for name, event in LIBRARY_EVENTS.items():
        lines += _event_lines(name, event)
    emit(args, payload, "\n".join(lines))
    return EXIT_OK


def add_catalogue_commands(sub: Any) -> None:
    """Register `catalogue` on the main parser's subparsers."""
    text = tr("show the events and properties each app declared, with their descriptions")
    p = sub.add_parser("catalogue", help=text, description=text)
    add_common_options(p)
    p.set_defaults(func=cmd_catalogue)
