"""`peft-telemetry upload ...` and `peft-telemetry token ...`: upload from the command line.

The token is read from a hidden prompt, or from stdin when stdin is not a terminal, never from
the command line (argv is visible to every user of the machine and lands in shell history).

The sending side (httpx, protobuf) is imported inside the commands that need it, so the other
commands (`status`, `events`, ...) do not pay for it at start-up.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Callable
from typing import Any

from ..core.env import env_override
from ..core.store import Store
from ..core.upload.credentials import TokenUnavailableError, token_state
from ..core.upload.endpoint import UploadError
from ..core.upload.history import HistoryEntry
from ..core.upload.sender import SenderBusyError
from .common import UsageError, add_common_options, emit, open_store, printable

__all__ = ["add_upload_commands", "status_payload"]


def status_payload(store: Store) -> dict[str, Any]:
    """The `upload status --json` object (also handy for the main `status`)."""
    from ..core.upload.status import upload_status

    status = upload_status(store)  # a CLI process runs no worker of its own
    return {
        "upload_enabled": status.upload_enabled,
        "state": status.state,
        "state_text": status.describe(),
        "until": status.until,
        "endpoint": status.endpoint,
        "endpoint_source": status.endpoint_source,
        "endpoint_problem": status.endpoint_problem,
        "queued": status.queued,
        "queued_bytes": status.queued_bytes,
        "drops": status.drops,
        "drops_total": status.drops_total,
        "rejected_total": status.rejected_total,
        "last_success": status.last_success,
        "last_error": status.last_error,
        "last_error_at": status.last_error_at,
        "deletion_pending": status.deletion_pending,
        "blocked_by": status.blocked_by,
        "deletion_problem": status.deletion_problem,
        "token": token_state(store.data_dir),
        "history": [h.model_dump(mode="json") for h in status.history],
    }


def cmd_upload_status(args: argparse.Namespace) -> int:
    payload = status_payload(open_store(args))
    lines = [
        f"Upload: {payload['state_text']}",
        f"  endpoint:   {printable(payload['endpoint'] or '(none)')}"
        + (
            f" (from {payload['endpoint_source']})"
            if payload["endpoint_source"] not in (None, "settings")
            else ""
        ),
        f"  queued:     {payload['queued']:,} records ({payload['queued_bytes']:,} bytes)",
        f"  dropped:    {payload['drops_total']:,}"
        + (f" {payload['drops']}" if payload["drops"] else ""),
        f"  delivered:  last at {payload['last_success'] or 'never'}",
        f"  last error: {printable(payload['last_error'] or 'none')}",
        f"  token:      {payload['token']}",
    ]
    if payload["deletion_pending"]:
        lines.append(f"  deletion requests waiting: {payload['deletion_pending']}")
    if payload["deletion_problem"]:
        lines.append(f"  problem:    {printable(payload['deletion_problem'])}")
    recent = payload["history"][-5:]
    if recent:
        lines.append("  recent requests:")
        for h in recent:
            lines.append(
                f"    {h['at']}  {h['kind']:<16} {h['records']:>5} records "
                f"{h['bytes']:>8} bytes  HTTP {h['status'] or '-'}  {h['outcome']}"
            )
    emit(args, payload, "\n".join(lines))
    return 0


def cmd_upload_enable(args: argparse.Namespace) -> int:
    from ..core.services.upload import enable_upload

    try:
        settings = enable_upload(open_store(args), args.endpoint, actor="cli")
    except UploadError as exc:  # the endpoint, or telemetry is off: the user's to fix
        raise UsageError(str(exc)) from None
    override = env_override()
    note = f" (but {override} is set: nothing is sent from here)" if override else ""
    emit(
        args,
        {"upload_enabled": True, "endpoint": settings.endpoint},
        f"Upload is on ({settings.endpoint or 'endpoint from the environment'}){note}.",
    )
    return 0


def cmd_upload_disable(args: argparse.Namespace) -> int:
    from ..core.services.upload import disable_upload

    dropped = disable_upload(open_store(args), actor="cli")
    emit(
        args,
        {"upload_enabled": False, "discarded": dropped},
        f"Upload is off; {dropped:,} unsent records were discarded.",
    )
    return 0


def _entry_lines(entries: list[HistoryEntry]) -> str:
    return "\n".join(
        f"{e.kind}: {e.records} records, {e.bytes} bytes, HTTP {e.status or '-'}, "
        f"{e.outcome}" + (f" ({printable(e.message)})" if e.message else "")
        for e in entries
    )


def cmd_upload_send_now(args: argparse.Namespace) -> int:
    from ..core.services.upload import EventsBlockedError, send_now

    try:
        entries = send_now(open_store(args), timeout=args.timeout)
    except SenderBusyError as exc:
        # Not a mistake by the user and not a failure: the other sender delivers the queue.
        text = str(exc)
        emit(args, {"sent": False, "reason": "busy", "message": text}, text[:1].upper() + text[1:])
        return 1
    except EventsBlockedError as exc:  # DO_NOT_TRACK: the deletion requests alone went out
        payload = {
            "sent": False,
            "reason": "do_not_track",
            "message": str(exc),
            "requests": [e.model_dump(mode="json") for e in exc.entries],
        }
        emit(args, payload, _entry_lines(exc.entries))
        print(f"peft-telemetry: {printable(str(exc))}", file=sys.stderr)
        return 1
    payload = [e.model_dump(mode="json") for e in entries]
    human = _entry_lines(entries) or "Nothing was sent (nothing queued, or upload is off)."
    emit(args, payload, human)
    failed = entries and entries[-1].outcome in ("retry", "failed")
    return 1 if failed else 0


def cmd_upload_preview(args: argparse.Namespace) -> int:
    from ..core.upload.status import preview_next_batch

    preview = preview_next_batch(open_store(args))
    payload = {
        "kind": preview.kind,
        "records": preview.records,
        "url": preview.url,
        "headers": preview.headers,
        "body": json.loads(preview.body_json) if preview.body_json else None,
        "note": preview.note,
    }
    if preview.kind == "nothing":
        human = preview.note
    else:
        head = [f"POST {preview.url}"] + [f"{k}: {v}" for k, v in preview.headers.items()]
        human = "\n".join([*head, "", preview.body_json])
    emit(args, payload, human)
    return 0


def _timeout_arg(text: str) -> float:
    """`--timeout nan`, `inf`, `0` or `-1` would mean "wait forever" or "fail at once"."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"{text!r} is not between 0 and 3600 seconds")
    return value


def _read_token() -> str:
    if sys.stdin.isatty():
        try:
            return getpass.getpass("Upload token (input hidden): ")
        except EOFError:
            return ""
    return sys.stdin.readline()


TOKEN_ON_ARGV_MESSAGE = (
    "the token is never taken from the command line (other users and the shell history could "
    "see it): run 'peft-telemetry token set' and type it at the hidden prompt, or pipe it on "
    "standard input"
)


def cmd_token_set(args: argparse.Namespace) -> int:
    if args.argv_token or args.option_token is not None:
        raise UsageError(TOKEN_ON_ARGV_MESSAGE)  # refused before anything is read or stored
    from ..core.services.upload import set_token

    store = open_store(args)
    try:
        set_token(store, _read_token(), actor="cli")
    except TokenUnavailableError:
        raise
    except UploadError as exc:
        raise UsageError(str(exc)) from None
    emit(args, {"token": "set"}, "Token saved in the system keyring.")
    return 0


def cmd_token_clear(args: argparse.Namespace) -> int:
    from ..core.services.upload import clear_token

    had = clear_token(open_store(args), actor="cli")
    emit(args, {"token": "not set", "removed": had}, "Token removed." if had else "No token.")
    return 0


def add_upload_commands(sub: Any) -> None:
    """Register `upload` and `token` on the main parser's subparsers."""
    parser_class = getattr(sub, "_parser_class", argparse.ArgumentParser)

    def group(name: str, help_text: str) -> Any:
        p = sub.add_parser(name, help=help_text, description=help_text)
        add_common_options(p)
        inner = p.add_subparsers(
            dest=f"{name}_command", metavar="ACTION", parser_class=parser_class
        )
        inner.required = True
        return inner

    def add(inner: Any, name: str, func: Callable[..., int], text: str) -> argparse.ArgumentParser:
        p = inner.add_parser(name, help=text, description=text)
        add_common_options(p)
        p.set_defaults(func=func)
        return p

    upload = group("upload", "optional upload to an OpenTelemetry collector")
    add(upload, "status", cmd_upload_status, "state, queue, drops, last delivery, history")
    p = add(upload, "enable", cmd_upload_enable, "turn upload on (telemetry must be on)")
    p.add_argument(
        "--endpoint", metavar="URL", help="collector base URL (https; http only to localhost)"
    )
    add(upload, "disable", cmd_upload_disable, "turn upload off and discard unsent records")
    p = add(upload, "send-now", cmd_upload_send_now, "send everything queued now")
    p.add_argument(
        "--timeout",
        type=_timeout_arg,
        default=None,
        metavar="S",
        help="per request (default: OTEL_EXPORTER_OTLP_TIMEOUT, else 10)",
    )
    add(upload, "preview", cmd_upload_preview, "show exactly what the next request would send")
    token = group("token", "the upload token, kept in the system keyring")
    p = add(token, "set", cmd_token_set, "read a token from a hidden prompt (or stdin) and save it")
    # Accepted only to be refused in plain words: left to argparse, `token set abc` ends in
    # "unrecognized arguments: abc", which neither says why nor keeps the token out of stderr.
    p.add_argument("argv_token", nargs="*", help=argparse.SUPPRESS)
    p.add_argument("--token", dest="option_token", nargs="?", const="", help=argparse.SUPPRESS)
    add(token, "clear", cmd_token_clear, "remove the saved token")
