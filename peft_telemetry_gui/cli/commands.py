"""The local commands: consent, the data itself, export and delete."""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..core.consent import collection_text, validate_categories
from ..core.consent_changes import last_change
from ..core.constants import CATEGORIES
from ..core.env import env_override
from ..core.export import export_data
from ..core.redactions import describe_redactions
from ..core.review import review
from ..core.secrets import default_secret_store
from ..core.services.consent import reset_anonymous_id, set_consent
from ..core.services.delete import delete_all_data, describe_deletion
from ..core.store import StoreError
from .common import (
    EXIT_FAILURE,
    EXIT_OK,
    UsageError,
    data_dir_of,
    emit,
    library_warnings,
    open_store,
    path_arg,
    printable,
    read_store,
)
from .stats import add_data_commands

__all__ = ["add_local_commands"]


def cmd_status(args: argparse.Namespace) -> int:
    store = open_store(args)
    doc = read_store(store)
    consent = doc.consent
    override = env_override()
    anonymous_id = doc.anonymous_id or None  # none before the first "yes"
    change = last_change(doc.audit_log)
    pending = review(doc).added
    payload = {
        "enabled": consent.enabled,
        "decided": consent.decided,
        "categories": {c: consent.categories.get(c, False) for c in CATEGORIES},
        "upload_enabled": consent.upload_enabled,
        "anonymous_id": anonymous_id,
        "data_dir": str(store.data_dir),
        "event_count": len(doc.events),
        "env_override": override,
        "redactions": doc.redactions,
        "quarantined": [n.model_dump(mode="json") for n in doc.quarantined],
        "collection_text_version": collection_text().version,
        "last_change": change.payload() if change else None,
        "pending_review": [item.payload() for item in pending],
    }
    text = collection_text()
    if not consent.decided:
        state = "not decided yet (nothing is recorded)"
    elif consent.enabled:
        state = "on"
    else:
        state = "off"
    lines = [f"Telemetry: {state}"]
    if override:
        lines.append(
            f"  overridden by {printable(override)}: nothing is recorded whatever the setting"
        )
    for c in CATEGORIES:
        mark = "on " if consent.category_on(c) else "off"
        lines.append(f"  {c:<12} {mark}  {text.categories.get(c, '')}")
    lines += [
        f"Upload:        {'on' if consent.upload_enabled else 'off (local only)'}",
        f"Anonymous id:  {anonymous_id or 'none (made only when you first turn telemetry on)'}",
        f"Data folder:   {printable(store.data_dir)}",
        f"Events stored: {len(doc.events)}",
        f"Removed so far by scrubbing: {printable(describe_redactions(doc.redactions))}",
    ]
    for notice in doc.quarantined:
        lines.append(
            f"Note: an unreadable store was moved to {printable(notice.moved_to)} "
            f"({printable(notice.reason)})"
        )
    if change:
        lines.append(f"Last change: {change.sentence()}")
    if pending:
        lines.append("Pending review (not recorded until you run 'peft-telemetry enable'):")
        lines += [f"  added: {printable(item.words())}" for item in pending]
    lines.append("Never collected: " + "; ".join(text.never_collected))
    emit(args, payload, "\n".join(lines))
    return EXIT_OK


def cmd_enable(args: argparse.Namespace) -> int:
    chosen = args.category or []
    try:
        names = validate_categories(chosen)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    # Without --category the user's earlier category choices stay (all on if none is), as
    # with the app's master switch; --category names the complete choice.
    categories = {c: (c in names) for c in CATEGORIES} if names else None
    store = open_store(args)
    pending = review(read_store(store)).added  # what this "yes" accepts (said below)
    consent = set_consent(store, enabled=True, actor="cli", categories=categories)
    on = [c for c in CATEGORIES if consent.category_on(c)]
    off = [c for c in CATEGORIES if not consent.category_on(c)]
    override = env_override()
    note = f" (but {printable(override)} is set: nothing is recorded)" if override else ""
    kept = f"\nStill off: {', '.join(off)} (choose with --category)" if off and not names else ""
    accepted = "".join(f"\nAccepted: {printable(item.words())}" for item in pending)
    emit(
        args,
        {
            "enabled": True,
            "categories": consent.categories,
            "accepted": [item.payload() for item in pending],
        },
        f"Telemetry on for: {', '.join(on) or 'no category'}{note}{kept}{accepted}",
    )
    return EXIT_OK


def cmd_disable(args: argparse.Namespace) -> int:
    store = open_store(args)
    set_consent(store, enabled=False, actor="cli")
    kept = len(read_store(store).events)
    stored = "1 event already stored stays" if kept == 1 else f"{kept} events already stored stay"
    emit(
        args,
        {"enabled": False, "events_kept": kept},
        f"Telemetry off: nothing more is recorded (upload is off too). {stored} on this "
        "computer until you delete them: peft-telemetry delete (which also asks the collector "
        "to erase anything uploaded).",
    )
    return EXIT_OK


def cmd_reset_id(args: argparse.Namespace) -> int:
    new_id = reset_anonymous_id(open_store(args), actor="cli")
    if new_id is None:
        emit(
            args,
            {"anonymous_id": None, "reset": False},
            "There is no anonymous id to reset: one is made only when you first turn telemetry on.",
        )
        return EXIT_OK
    emit(args, {"anonymous_id": new_id, "reset": True}, f"New anonymous id: {new_id}")
    return EXIT_OK


PROP_HELP = (
    "a property; VALUE is stored as a number, true, false or null when it reads as one (NaN, "
    "Infinity and numbers too large to store are refused), else as text; quote it "
    """('KEY="1"') to store text that looks like a number"""
)


def _prop_value(key: str, text: str) -> Any:
    """JSON scalars as themselves, everything else as the text typed. JSON has no NaN or
    infinity (`1e999` overflows to one): the store would keep null, so refuse rather than
    record something other than what the user wrote."""
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return text
    if isinstance(value, float) and not math.isfinite(value):
        raise UsageError(
            f"--prop {key}: {text.strip()} is not a finite number, which the store cannot keep; "
            f"quote it ({key}='\"{text.strip()}\"') to record it as text"
        )
    if isinstance(value, str):
        return value  # `KEY="1"`: text on purpose
    return value if isinstance(value, int | float | bool | type(None)) else text


def _track_failure(path: Path, warnings: list[str]) -> StoreError:
    # The writer's warning says why (read-only, full disk, ...); name the cause in the one line.
    cause = next((w for w in reversed(warnings) if "not saved" in w), None)
    cause = cause or (warnings[-1] if warnings else None)
    return StoreError(f"the event could not be saved to {path}" + (f" ({cause})" if cause else ""))


def cmd_track(args: argparse.Namespace) -> int:
    from ..core.client import TelemetryClient

    if not args.event.strip():
        raise UsageError("the event name is empty")
    props: dict[str, Any] = {}
    for item in args.prop or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--prop takes key=value, not {item!r}")
        props[key.strip()] = _prop_value(key.strip(), value)
    store = open_store(args)
    doc = read_store(store)
    reason = None
    if env_override():
        reason = f"{env_override()} is set"
    elif not doc.consent.category_on("usage"):
        reason = "telemetry is off for usage events (run 'peft-telemetry enable')"
    if reason:
        emit(args, {"recorded": False, "reason": reason}, f"Not recorded: {printable(reason)}.")
        return EXIT_OK
    with library_warnings() as seen:
        client = TelemetryClient(
            app_name="peft-telemetry", data_dir=store.data_dir, start_session=False
        )
        client.track_event(args.event, props)
        ok = client.flush()
        client.close()
    if not ok:
        raise _track_failure(store.path, seen.messages)
    emit(
        args,
        {"recorded": True, "event_type": args.event},
        f"Recorded {printable(args.event)}.",
    )
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    output = path_arg(args.output, "--output")
    doc = read_store(open_store(args))
    result = export_data(doc, output, args.format, overwrite=args.force)
    emit(
        args,
        {"path": str(result.path), "format": result.format, "events": result.event_count},
        f"Exported {result.event_count} events to {printable(result.path)}",
    )
    return EXIT_OK


def cmd_delete(args: argparse.Namespace) -> int:
    store = open_store(args)
    if not args.yes:
        if not sys.stdin.isatty():
            raise UsageError("refusing to delete without --yes (no terminal to ask on)")
        print("This deletes:\n  - " + "\n  - ".join(describe_deletion()), file=sys.stderr)
        try:
            answer = input("Type 'delete' to confirm: ")
        except EOFError:
            answer = ""
        if answer.strip().lower() != "delete":
            print("Nothing deleted.", file=sys.stderr)
            return EXIT_FAILURE
    report = delete_all_data(
        store, actor="cli", secret_store=default_secret_store(store.data_dir), deliver_within=3.0
    )
    for warning in report.warnings:
        print(f"warning: {printable(warning)}", file=sys.stderr)
    emit(
        args,
        {
            "deleted_events": report.events_deleted,
            "files_removed": report.files_removed,
            "warnings": report.warnings,
            "deletion_request": report.deletion_request,
        },
        f"Deleted {report.events_deleted} events and all history. Telemetry is off and the "
        "anonymous id is gone (a new one is made when you next turn telemetry on)."
        + (f"\n{report.deletion_message}" if report.deletion_message else ""),
    )
    return EXIT_OK


def cmd_gui(args: argparse.Namespace) -> int:
    from ..gui.launch import main as launch  # Qt-free; says how to install the app if absent

    return launch(["--data-dir", str(data_dir_of(args))])


Command = Callable[[argparse.Namespace], int]
AddCommand = Callable[[str, Command, str], argparse.ArgumentParser]


def add_local_commands(add: AddCommand) -> None:
    add("status", cmd_status, "show consent, categories, upload, anonymous id and data folder")
    p = add("enable", cmd_enable, "turn telemetry on (all categories, or only those given)")
    p.add_argument("--category", action="append", metavar="C", help=", ".join(CATEGORIES))
    add("disable", cmd_disable, "turn telemetry off")
    add("reset-id", cmd_reset_id, "replace the anonymous id with a new random one")
    p = add("track", cmd_track, "record one event through the same pipeline as the library")
    p.add_argument("event")
    p.add_argument("--prop", action="append", metavar="KEY=VALUE", help=PROP_HELP)
    add_data_commands(add)  # events, stats, limits
    p = add("export", cmd_export, "write everything stored to a file (0600)")
    p.add_argument("--output", "-o", required=True, metavar="FILE")
    p.add_argument(
        "--format",
        choices=("json", "csv", "rollups-csv"),
        default="json",
        help="json: everything (daily summaries included); csv: the raw events; rollups-csv: "
        "the daily counts and statistics",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="replace an existing regular file (links, devices and FIFOs are always refused)",
    )
    p = add("delete", cmd_delete, "delete all local data, the anonymous id included")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    add("gui", cmd_gui, "open the desktop app on this data folder")
