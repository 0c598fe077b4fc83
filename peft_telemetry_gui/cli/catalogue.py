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
from .common import EXIT_OK, add_common_options, emit, open_store, printable, read_store

__all__ = ["NO_CATALOGUE", "add_catalogue_commands"]

NO_CATALOGUE = (
    "No app has declared its events; recording follows the categories "
    "(see 'peft-telemetry status')."
)


def _event_lines(name: str, event: DeclaredEvent) -> list[str]:
    facts = event.category + (f", in {event.unit}" if event.unit else "")
    lines = [f"  {printable(name)}  ({printable(facts)})", f"      {printable(event.description)}"]
    for prop, spec in event.properties.items():
        example = "" if spec.example is None else f" (example: {example_text(spec.example)})"
        lines.append(f"      - {printable(prop)}: {printable(spec.description + example)}")
    if event.sampled is not False:
        lines.append(f"      sampled: {printable(sampling_words(event))}")
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
            f"{who}: its stored catalogue cannot be read ({printable(app.error)}); it is "
            "stored again when the app next starts."
        ]
    count = len(app.catalogue.events)
    when = f", saved {app.declared_at[:16].replace('T', ' ')} UTC" if app.declared_at else ""
    lines = [
        f"{who} declared {count} event{'' if count == 1 else 's'} (catalogue "
        f"{printable(app.catalogue.version)}{printable(when)}); nothing else it sends is recorded:"
    ]
    for name, event in app.catalogue.events.items():
        lines += _event_lines(name, event)
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
        emit(args, payload, NO_CATALOGUE)
        return EXIT_OK
    lines: list[str] = []
    for app in apps:
        lines += _app_lines(app)
    lines.append("Recorded by the library itself, for every app:")
    for name, event in LIBRARY_EVENTS.items():
        lines += _event_lines(name, event)
    emit(args, payload, "\n".join(lines))
    return EXIT_OK


def add_catalogue_commands(sub: Any) -> None:
    """Register `catalogue` on the main parser's subparsers."""
    text = "show the events and properties each app declared, with their descriptions"
    p = sub.add_parser("catalogue", help=text, description=text)
    add_common_options(p)
    p.set_defaults(func=cmd_catalogue)
