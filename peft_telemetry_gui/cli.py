"""`peft-telemetry`: the same powers as the desktop app, for scripts and headless machines.

A thin argparse front over `core`: every figure and every change comes from the same functions
the app calls. User mistakes end in one line and exit 2; other failures in one line and exit 1.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from . import __version__
from .cli_upload import add_upload_commands
from .core import analytics
from .core.consent import (
    collection_text,
    env_override,
    reset_anonymous_id,
    set_consent,
    validate_categories,
)
from .core.delete import delete_all_data, describe_deletion
from .core.export import ExportError, export_data
from .core.models import CATEGORIES, StoreDocument
from .core.paths import resolve_data_dir
from .core.redactions import describe_redactions
from .core.secrets import SecretStoreError, default_secret_store
from .core.store import Store, StoreError

__all__ = ["main"]

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """A mistake in what the user typed: exit 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line, no usage dump: the user already sees what they typed.
        raise UsageError(f"{message} (see '{self.prog} --help')")


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        default=argparse.SUPPRESS,
        help="data folder (default: $PEFT_TELEMETRY_DIR or the per-user data folder)",
    )
    parser.add_argument(
        "--json", action="store_true", default=argparse.SUPPRESS, help="machine-readable output"
    )


def _time_arg(text: str, *, end_of_day: bool = False) -> Any:
    try:
        return analytics.parse_time(text, end_of_day=end_of_day)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _emit(args: argparse.Namespace, payload: Any, human: str) -> None:
    if getattr(args, "json", False):
        print(json.dumps(payload, indent=2, default=str, ensure_ascii=False))
    elif human:
        print(human)


def data_dir_of(args: argparse.Namespace) -> Path:
    """`--data-dir ""` (an unset shell variable) must not quietly mean the real store."""
    given = getattr(args, "data_dir", None)
    if given is not None and not str(given).strip():
        raise UsageError("--data-dir is empty; give a folder (or leave the option out)")
    return resolve_data_dir(given)


def _store(args: argparse.Namespace) -> Store:
    return Store(data_dir_of(args))


def _read(store: Store) -> StoreDocument:
    doc = store.read()
    for notice in store.quarantine_log:
        print(
            f"warning: the store could not be read ({notice.reason}); it was moved to "
            f"{notice.moved_to} and a new one was started",
            file=sys.stderr,
        )
    return doc


# ---------------------------------------------------------------------------- commands
def cmd_status(args: argparse.Namespace) -> int:
    store = _store(args)
    doc = _read(store)
    consent = doc.consent
    override = env_override()
    # A store that was never written has no id yet: showing the placeholder of this one read
    # would print a different "id" every time.
    anonymous_id = doc.anonymous_id if store.path.exists() else None
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
        lines.append(f"  overridden by {override}: nothing is recorded whatever the setting")
    for c in CATEGORIES:
        mark = "on " if consent.category_on(c) else "off"
        lines.append(f"  {c:<12} {mark}  {text.categories.get(c, '')}")
    lines += [
        f"Upload:        {'on' if consent.upload_enabled else 'off (local only)'}",
        f"Anonymous id:  {anonymous_id or 'none yet (made when you first decide)'}",
        f"Data folder:   {store.data_dir}",
        f"Events stored: {len(doc.events)}",
        f"Removed so far by scrubbing: {describe_redactions(doc.redactions)}",
    ]
    for notice in doc.quarantined:
        lines.append(f"Note: an unreadable store was moved to {notice.moved_to} ({notice.reason})")
    lines.append("Never collected: " + "; ".join(text.never_collected))
    _emit(args, payload, "\n".join(lines))
    return EXIT_OK


def cmd_enable(args: argparse.Namespace) -> int:
    chosen = args.category or []
    try:
        names = validate_categories(chosen)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    categories = {c: (c in names) for c in CATEGORIES} if names else dict.fromkeys(CATEGORIES, True)
    consent = set_consent(_store(args), enabled=True, actor="cli", categories=categories)
    on = [c for c in CATEGORIES if consent.category_on(c)]
    note = f" (but {env_override()} is set: nothing is recorded)" if env_override() else ""
    _emit(
        args,
        {"enabled": True, "categories": consent.categories},
        f"Telemetry on for: {', '.join(on) or 'no category'}{note}",
    )
    return EXIT_OK


def cmd_disable(args: argparse.Namespace) -> int:
    set_consent(_store(args), enabled=False, actor="cli")
    _emit(args, {"enabled": False}, "Telemetry off. Stored events are kept until you delete them.")
    return EXIT_OK


def cmd_reset_id(args: argparse.Namespace) -> int:
    new_id = reset_anonymous_id(_store(args), actor="cli")
    _emit(args, {"anonymous_id": new_id}, f"New anonymous id: {new_id}")
    return EXIT_OK


def _prop_value(text: str) -> Any:
    try:
        value = json.loads(text)
    except ValueError:
        return text
    return value if isinstance(value, int | float | bool | type(None)) else text


def cmd_track(args: argparse.Namespace) -> int:
    from .core.client import TelemetryClient

    props: dict[str, Any] = {}
    for item in args.prop or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--prop takes key=value, not {item!r}")
        props[key.strip()] = _prop_value(value)
    store = _store(args)
    doc = _read(store)
    reason = None
    if env_override():
        reason = f"{env_override()} is set"
    elif not doc.consent.category_on("usage"):
        reason = "telemetry is off for usage events (run 'peft-telemetry enable')"
    if reason:
        _emit(args, {"recorded": False, "reason": reason}, f"Not recorded: {reason}.")
        return EXIT_OK
    client = TelemetryClient(
        app_name="peft-telemetry", data_dir=store.data_dir, start_session=False
    )
    client.track_event(args.event, props)
    ok = client.flush()
    client.close()
    if not ok:
        raise StoreError(f"the event could not be saved to {store.path}")
    _emit(args, {"recorded": True, "event_type": args.event}, f"Recorded {args.event}.")
    return EXIT_OK


def _summary(event_dict: dict[str, Any]) -> str:
    if "metric_name" in event_dict:
        return (
            f"{event_dict['metric_name']} = {event_dict.get('value')} {event_dict.get('unit', '')}"
        )
    if "error_type" in event_dict:
        return f"{event_dict['error_type']}: {event_dict.get('error_message', '')}"
    props = event_dict.get("properties") or {}
    return ", ".join(f"{k}={v}" for k, v in list(props.items())[:4])


def cmd_events(args: argparse.Namespace) -> int:
    doc = _read(_store(args))
    since = _time_arg(args.since) if args.since else None
    until = _time_arg(args.until, end_of_day=True) if args.until else None
    events = analytics.filter_events(doc.events, since, until, event_type=args.type)
    records = [e.stored_dict() for e in events]
    lines = [
        f"{r['timestamp'][:19].replace('T', ' ')}  {r['category']:<11}  "
        f"{r['event_type']:<24}  {_summary(r)[:80]}"
        for r in records
    ]
    _emit(args, records, "\n".join(lines) if lines else "No events stored for that selection.")
    return EXIT_OK


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def cmd_stats(args: argparse.Namespace) -> int:
    doc = _read(_store(args))
    since = _time_arg(args.since) if args.since else None
    until = _time_arg(args.until, end_of_day=True) if args.until else None
    result = analytics.compute(doc.events, since, until)
    lines = [
        f"Events: {result.total_events}   Sessions: {result.sessions.count}   "
        f"Mean session: {_fmt(result.sessions.mean_duration_s)} s   Errors: {result.error_count}",
    ]
    if result.event_counts:
        lines.append("By type:")
        lines += [f"  {name:<28} {n}" for name, n in result.event_counts.items()]
        lines.append("By category:")
        lines += [f"  {name:<28} {n}" for name, n in result.category_counts.items()]
    if result.performance:
        lines.append(
            f"  {'metric':<28} {'count':>6} {'avg':>9} {'min':>9} {'max':>9} "
            f"{'p50':>9} {'p95':>9} unit"
        )
        for name, m in result.performance.items():
            lines.append(
                f"  {name:<28} {m.count:>6} {_fmt(m.avg):>9} {_fmt(m.min):>9} {_fmt(m.max):>9} "
                f"{_fmt(m.p50):>9} {_fmt(m.p95):>9} {m.unit}"
            )
    _emit(args, result.model_dump(mode="json"), "\n".join(lines))
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    doc = _read(_store(args))
    output = Path(args.output).expanduser()
    result = export_data(doc, output, args.format, overwrite=args.force)
    _emit(
        args,
        {"path": str(result.path), "format": result.format, "events": result.event_count},
        f"Exported {result.event_count} events to {result.path}",
    )
    return EXIT_OK


def cmd_delete(args: argparse.Namespace) -> int:
    store = _store(args)
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
        print(f"warning: {warning}", file=sys.stderr)
    _emit(
        args,
        {
            "deleted_events": report.events_deleted,
            "files_removed": report.files_removed,
            "warnings": report.warnings,
            "deletion_request": report.deletion_request,
        },
        f"Deleted {report.events_deleted} events and all history. Telemetry is off; "
        "a new anonymous id was made."
        + (f"\n{report.deletion_message}" if report.deletion_message else ""),
    )
    return EXIT_OK


def cmd_gui(args: argparse.Namespace) -> int:
    try:
        from .gui.app import main as gui_main
    except ImportError as exc:
        raise StoreError(f"the desktop app is not available: {exc}") from exc
    argv = ["--data-dir", str(data_dir_of(args))]
    return gui_main(argv)


# ---------------------------------------------------------------------------- parser
Command = Callable[[argparse.Namespace], int]
_EXTRA_COMMANDS: list[Callable[[Any, Callable[[argparse.ArgumentParser], None]], None]] = [
    add_upload_commands
]


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="peft-telemetry",
        description="See, control, export and delete locally stored telemetry.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _common(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    def add(name: str, func: Command, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        _common(p)
        p.set_defaults(func=func)
        return p

    add("status", cmd_status, "show consent, categories, upload, anonymous id and data folder")
    p = add("enable", cmd_enable, "turn telemetry on (all categories, or only those given)")
    p.add_argument("--category", action="append", metavar="C", help=", ".join(CATEGORIES))
    add("disable", cmd_disable, "turn telemetry off")
    add("reset-id", cmd_reset_id, "replace the anonymous id with a new random one")
    p = add("track", cmd_track, "record one event through the same pipeline as the library")
    p.add_argument("event")
    p.add_argument("--prop", action="append", metavar="KEY=VALUE")
    p = add("events", cmd_events, "list stored events")
    p.add_argument("--since", metavar="ISO")
    p.add_argument("--until", metavar="ISO")
    p.add_argument("--type", metavar="T")
    p = add("stats", cmd_stats, "counts per type/category/day and performance statistics")
    p.add_argument("--since", metavar="ISO")
    p.add_argument("--until", metavar="ISO")
    p = add("export", cmd_export, "write everything stored to a file (0600)")
    p.add_argument("--output", "-o", required=True, metavar="FILE")
    p.add_argument("--format", choices=("json", "csv"), default="json")
    p.add_argument("--force", action="store_true", help="replace an existing file")
    p = add("delete", cmd_delete, "delete all local data and start a new anonymous id")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    add("gui", cmd_gui, "open the desktop app on this data folder")
    for register in _EXTRA_COMMANDS:
        register(sub, _common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        return int(args.func(args))
    except UsageError as exc:
        print(f"peft-telemetry: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (StoreError, ExportError, SecretStoreError) as exc:
        print(f"peft-telemetry: error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print("peft-telemetry: interrupted", file=sys.stderr)
        return EXIT_FAILURE
    except BrokenPipeError:
        # `peft-telemetry events | head`: the reader left; that is not an error to report.
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILURE
    except OSError as exc:
        print(f"peft-telemetry: error: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAILURE
    except Exception as exc:  # a bug: still one line, with a way to get the details
        if os.environ.get("PEFT_TELEMETRY_DEBUG"):
            raise
        print(
            f"peft-telemetry: unexpected error ({type(exc).__name__}: {exc}); "
            "set PEFT_TELEMETRY_DEBUG=1 for details and please report it",
            file=sys.stderr,
        )
        return EXIT_FAILURE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
