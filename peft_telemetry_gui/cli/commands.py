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
from ..core.i18n import N_, tr, trn
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
        lines = [tr("Telemetry: not decided yet (nothing is recorded)")]
    elif consent.enabled:
        lines = [tr("Telemetry: on")]
    else:
        lines = [tr("Telemetry: off")]
    if override:
        lines.append(
            tr("  overridden by {variable}: nothing is recorded whatever the setting").format(
                variable=printable(override)
            )
        )
    # Translators: the state of a category of telemetry, in a column ("usage  on")
    on = tr("on")
    # Translators: the state of a category of telemetry, in a column ("usage  off")
    off = tr("off")
    width = max(len(on), len(off))
    for c in CATEGORIES:
        mark = on if consent.category_on(c) else off
        described = tr(text.categories[c]) if c in text.categories else ""
        lines.append(f"  {c:<12} {mark:<{width}}  {described}")
    facts = [
        # Translators: the upload switch is on
        (tr("Upload:"), tr("on") if consent.upload_enabled else tr("off (local only)")),
        (
            tr("Anonymous id:"),
            anonymous_id or tr("none (made only when you first turn telemetry on)"),
        ),
        (tr("Data folder:"), printable(store.data_dir)),
        (tr("Events stored:"), str(len(doc.events))),
    ]
    width = max(len(label) for label, _value in facts)
    lines += [f"{label:<{width}} {value}" for label, value in facts]
    lines.append(
        tr("Removed so far by scrubbing: {what}").format(
            what=printable(describe_redactions(doc.redactions))
        )
    )
    for notice in doc.quarantined:
        lines.append(
            tr("Note: an unreadable store was moved to {path} ({reason})").format(
                path=printable(notice.moved_to), reason=printable(notice.reason)
            )
        )
    if change:
        lines.append(tr("Last change: {change}").format(change=change.sentence()))
    if pending:
        lines.append(tr("Pending review (not recorded until you run 'peft-telemetry enable'):"))
        lines += [tr("  added: {what}").format(what=printable(item.words())) for item in pending]
    never = "; ".join(tr(item) for item in text.never_collected)
    lines.append(tr("Never collected: {items}").format(items=never))
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
    if on:
        human = tr("Telemetry on for: {categories}").format(categories=", ".join(on))
    else:
        human = tr("Telemetry on for: no category")
    if override:
        human = tr("{sentence} (but {variable} is set: nothing is recorded)").format(
            sentence=human, variable=printable(override)
        )
    if off and not names:
        human += "\n" + tr("Still off: {categories} (choose with --category)").format(
            categories=", ".join(off)
        )
    for item in pending:
        human += "\n" + tr("Accepted: {what}").format(what=printable(item.words()))
    emit(
        args,
        {
            "enabled": True,
            "categories": consent.categories,
            "accepted": [item.payload() for item in pending],
        },
        human,
    )
    return EXIT_OK


def cmd_disable(args: argparse.Namespace) -> int:
    store = open_store(args)
    set_consent(store, enabled=False, actor="cli")
    kept = len(read_store(store).events)
    human = trn(
        "Telemetry off: nothing more is recorded (upload is off too). {n} event already stored "
        "stays on this computer until you delete them: peft-telemetry delete (which also asks "
        "the collector to erase anything uploaded).",
        "Telemetry off: nothing more is recorded (upload is off too). {n} events already stored "
        "stay on this computer until you delete them: peft-telemetry delete (which also asks "
        "the collector to erase anything uploaded).",
        kept,
    ).format(n=kept)
    emit(args, {"enabled": False, "events_kept": kept}, human)
    return EXIT_OK


def cmd_reset_id(args: argparse.Namespace) -> int:
    new_id = reset_anonymous_id(open_store(args), actor="cli")
    if new_id is None:
        emit(
            args,
            {"anonymous_id": None, "reset": False},
            tr(
                "There is no anonymous id to reset: one is made only when you first turn "
                "telemetry on."
            ),
        )
        return EXIT_OK
    human = tr("New anonymous id: {id}").format(id=new_id)
    emit(args, {"anonymous_id": new_id, "reset": True}, human)
    return EXIT_OK


PROP_HELP = N_(
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
            tr(
                "--prop {key}: {value} is not a finite number, which the store cannot keep; "
                "quote it ({key}='\"{value}\"') to record it as text"
            ).format(key=key, value=text.strip())
        )
    if isinstance(value, str):
        return value  # `KEY="1"`: text on purpose
    return value if isinstance(value, int | float | bool | type(None)) else text


def _track_failure(path: Path, warnings: list[str]) -> StoreError:
    # The writer's warning says why (read-only, full disk, ...); name the cause in the one line.
    cause = next((w for w in reversed(warnings) if "not saved" in w), None)
    cause = cause or (warnings[-1] if warnings else None)
    if cause:
        return StoreError(
            tr("the event could not be saved to {path} ({cause})").format(path=path, cause=cause)
        )
    return StoreError(tr("the event could not be saved to {path}").format(path=path))


def cmd_track(args: argparse.Namespace) -> int:
    from ..core.client import TelemetryClient

    if not args.event.strip():
        raise UsageError(tr("the event name is empty"))
    props: dict[str, Any] = {}
    for item in args.prop or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(tr("--prop takes key=value, not {item!r}").format(item=item))
        props[key.strip()] = _prop_value(key.strip(), value)
    store = open_store(args)
    doc = read_store(store)
    reason = human = None  # the reason in English for --json, and as the user reads it
    override = env_override()
    if override:
        reason = f"{override} is set"
        human = tr("Not recorded: {variable} is set.").format(variable=printable(override))
    elif not doc.consent.category_on("usage"):
        reason = "telemetry is off for usage events (run 'peft-telemetry enable')"
        human = tr("Not recorded: telemetry is off for usage events (run 'peft-telemetry enable').")
    if reason:
        emit(args, {"recorded": False, "reason": reason}, human or "")
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
        tr("Recorded {event}.").format(event=printable(args.event)),
    )
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    output = path_arg(args.output, "--output")
    doc = read_store(open_store(args))
    result = export_data(doc, output, args.format, overwrite=args.force)
    emit(
        args,
        {"path": str(result.path), "format": result.format, "events": result.event_count},
        trn(
            "Exported {n} event to {path}", "Exported {n} events to {path}", result.event_count
        ).format(n=result.event_count, path=printable(result.path)),
    )
    return EXIT_OK


def cmd_delete(args: argparse.Namespace) -> int:
    store = open_store(args)
    if not args.yes:
        if not sys.stdin.isatty():
            raise UsageError(tr("refusing to delete without --yes (no terminal to ask on)"))
        print(tr("This deletes:") + "\n  - " + "\n  - ".join(describe_deletion()), file=sys.stderr)
        # Translators: the word a user types to confirm deleting everything (lower case)
        word = tr("delete")
        try:
            answer = input(tr("Type '{word}' to confirm: ").format(word=word))
        except EOFError:
            answer = ""
        if answer.strip().lower() not in (word.lower(), "delete"):  # English always works
            print(tr("Nothing deleted."), file=sys.stderr)
            return EXIT_FAILURE
    report = delete_all_data(
        store, actor="cli", secret_store=default_secret_store(store.data_dir), deliver_within=3.0
    )
    for warning in report.warnings:
        print(tr("warning: {message}").format(message=printable(warning)), file=sys.stderr)
    emit(
        args,
        {
            "deleted_events": report.events_deleted,
            "files_removed": report.files_removed,
            "warnings": report.warnings,
            "deletion_request": report.deletion_request,
        },
        trn(
            "Deleted {n} event and all history. Telemetry is off and the anonymous id is gone "
            "(a new one is made when you next turn telemetry on).",
            "Deleted {n} events and all history. Telemetry is off and the anonymous id is gone "
            "(a new one is made when you next turn telemetry on).",
            report.events_deleted,
        ).format(n=report.events_deleted)
        + (f"\n{report.deletion_message}" if report.deletion_message else ""),
    )
    return EXIT_OK


def cmd_gui(args: argparse.Namespace) -> int:
    from ..gui.launch import main as launch  # Qt-free; says how to install the app if absent

    return launch(["--data-dir", str(data_dir_of(args))])


Command = Callable[[argparse.Namespace], int]
AddCommand = Callable[[str, Command, str], argparse.ArgumentParser]


def add_local_commands(add: AddCommand) -> None:
    add("status", cmd_status, tr("show consent, categories, upload, anonymous id and data folder"))
    p = add("enable", cmd_enable, tr("turn telemetry on (all categories, or only those given)"))
    # The categories' names, as the user types them after --category.
    p.add_argument("--category", action="append", metavar="C", help=", ".join(CATEGORIES))
    add("disable", cmd_disable, tr("turn telemetry off"))
    add("reset-id", cmd_reset_id, tr("replace the anonymous id with a new random one"))
    p = add("track", cmd_track, tr("record one event through the same pipeline as the library"))
    # Translators: the placeholder for an event's name in "usage: peft-telemetry track event"
    p.add_argument("event", metavar=tr("event"))
    p.add_argument("--prop", action="append", metavar="KEY=VALUE", help=tr(PROP_HELP))
    add_data_commands(add)  # events, stats, limits
    p = add("export", cmd_export, tr("write everything stored to a file (0600)"))
    p.add_argument("--output", "-o", required=True, metavar="FILE")
    p.add_argument(
        "--format",
        choices=("json", "csv", "rollups-csv"),
        default="json",
        help=tr(
            "json: everything (daily summaries included); csv: the raw events; rollups-csv: "
            "the daily counts and statistics"
        ),
    )
    p.add_argument(
        "--force",
        action="store_true",
        help=tr("replace an existing regular file (links, devices and FIFOs are always refused)"),
    )
    p = add("delete", cmd_delete, tr("delete all local data, the anonymous id included"))
    p.add_argument("--yes", action="store_true", help=tr("do not ask for confirmation"))
    add("gui", cmd_gui, tr("open the desktop app on this data folder"))
