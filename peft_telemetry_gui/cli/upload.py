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
from ..core.i18n import N_, tr, trn
from ..core.store import Store
from ..core.upload.credentials import TokenUnavailableError, token_state
from ..core.upload.endpoint import UploadError
from ..core.upload.history import HistoryEntry
from ..core.upload.sender import SenderBusyError
from .common import UsageError, add_common_options, emit, open_store, printable

__all__ = ["add_upload_commands", "status_payload"]

#: How the identifiers `--json` has (a token's state, a request's kind and outcome) read.
_WORDS = {
    # Translators: the upload token's state
    "set": N_("set"),
    # Translators: the upload token's state
    "not set": N_("not set"),
    # Translators: the kind of an upload request: it carried events
    "events": N_("events"),
    # Translators: the kind of an upload request asking the collector to erase data
    "deletion_request": N_("deletion_request"),
    # Translators: an upload request's outcome
    "delivered": N_("delivered"),
    # Translators: an upload request's outcome: some of its records were accepted
    "partial": N_("partial"),
    # Translators: an upload request's outcome: the collector refused it
    "rejected": N_("rejected"),
    # Translators: an upload request's outcome: it is tried again later
    "retry": N_("retry"),
    # Translators: an upload request's outcome
    "failed": N_("failed"),
}


def _word(value: object) -> str:
    """An identifier as the user reads it; any other text (the core's sentence for a missing
    keyring) goes through `tr` as it is, which shows it unchanged when it is not a message."""
    text = str(value)
    return tr(_WORDS.get(text, text))


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
    endpoint = printable(payload["endpoint"] or tr("(none)"))
    if payload["endpoint_source"] not in (None, "settings"):
        # Translators: where the endpoint comes from (an environment variable's name)
        endpoint = tr("{endpoint} (from {source})").format(
            endpoint=endpoint, source=payload["endpoint_source"]
        )
    queued = trn(
        "{n:,} record ({size:,} bytes)",
        "{n:,} records ({size:,} bytes)",
        payload["queued"],
    ).format(n=payload["queued"], size=payload["queued_bytes"])
    dropped = f"{payload['drops_total']:,}" + (f" {payload['drops']}" if payload["drops"] else "")
    if payload["last_success"]:
        delivered = tr("last at {time}").format(time=payload["last_success"])
    else:
        # Translators: nothing was ever delivered
        delivered = tr("last at never")
    # Translators: no upload error so far
    error = printable(payload["last_error"] or tr("none"))
    facts = [
        (tr("endpoint:"), endpoint),
        (tr("queued:"), queued),
        (tr("dropped:"), dropped),
        # Translators: a label: when the last upload was delivered
        (tr("delivered:"), delivered),
        (tr("last error:"), error),
        (tr("token:"), _word(payload["token"])),
    ]
    problem = printable(payload["deletion_problem"]) if payload["deletion_problem"] else ""
    if problem:
        facts.append((tr("problem:"), problem))
    width = max(len(label) for label, _value in facts)
    lines = [tr("Upload: {state}").format(state=payload["state_text"])]
    lines += [f"  {label:<{width}} {value}" for label, value in facts[:6]]
    if payload["deletion_pending"]:
        lines.append(tr("  deletion requests waiting: {n}").format(n=payload["deletion_pending"]))
    lines += [f"  {label:<{width}} {value}" for label, value in facts[6:]]
    recent = payload["history"][-5:]
    if recent:
        lines.append(tr("  recent requests:"))
        for h in recent:
            lines.append(
                "    "
                + trn(
                    "{at}  {kind:<16} {records:>5} record {bytes:>8} bytes  HTTP {status}  "
                    "{outcome}",
                    "{at}  {kind:<16} {records:>5} records {bytes:>8} bytes  HTTP {status}  "
                    "{outcome}",
                    h["records"],
                ).format(
                    at=h["at"],
                    kind=_word(h["kind"]),
                    records=h["records"],
                    bytes=h["bytes"],
                    status=h["status"] or "-",
                    outcome=_word(h["outcome"]),
                )
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
    if settings.endpoint:
        human = tr("Upload is on ({endpoint})").format(endpoint=settings.endpoint)
    else:
        human = tr("Upload is on (endpoint from the environment)")
    if override:
        human = tr("{sentence} (but {variable} is set: nothing is sent from here).").format(
            sentence=human, variable=override
        )
    else:
        human += "."
    emit(args, {"upload_enabled": True, "endpoint": settings.endpoint}, human)
    return 0


def cmd_upload_disable(args: argparse.Namespace) -> int:
    from ..core.services.upload import disable_upload

    dropped = disable_upload(open_store(args), actor="cli")
    emit(
        args,
        {"upload_enabled": False, "discarded": dropped},
        trn(
            "Upload is off; {n:,} unsent record was discarded.",
            "Upload is off; {n:,} unsent records were discarded.",
            dropped,
        ).format(n=dropped),
    )
    return 0


def _entry_lines(entries: list[HistoryEntry]) -> str:
    lines = []
    for e in entries:
        line = trn(
            "{kind}: {records} record, {bytes} bytes, HTTP {status}, {outcome}",
            "{kind}: {records} records, {bytes} bytes, HTTP {status}, {outcome}",
            e.records,
        ).format(
            kind=_word(e.kind),
            records=e.records,
            bytes=e.bytes,
            status=e.status or "-",
            outcome=_word(e.outcome),
        )
        lines.append(line + (f" ({printable(e.message)})" if e.message else ""))
    return "\n".join(lines)


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
    human = _entry_lines(entries) or tr("Nothing was sent (nothing queued, or upload is off).")
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
        raise argparse.ArgumentTypeError(
            tr("{value!r} is not a number of seconds").format(value=text)
        ) from None
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(
            tr("{value!r} is not between 0 and 3600 seconds").format(value=text)
        )
    return value


def _read_token() -> str:
    if sys.stdin.isatty():
        try:
            return getpass.getpass(tr("Upload token (input hidden): "))
        except EOFError:
            return ""
    return sys.stdin.readline()


TOKEN_ON_ARGV_MESSAGE = N_(
    "the token is never taken from the command line (other users and the shell history could "
    "see it): run 'peft-telemetry token set' and type it at the hidden prompt, or pipe it on "
    "standard input"
)


def cmd_token_set(args: argparse.Namespace) -> int:
    if args.argv_token or args.option_token is not None:
        raise UsageError(tr(TOKEN_ON_ARGV_MESSAGE))  # refused before anything is read or stored
    from ..core.services.upload import set_token

    store = open_store(args)
    try:
        set_token(store, _read_token(), actor="cli")
    except TokenUnavailableError:
        raise
    except UploadError as exc:
        raise UsageError(str(exc)) from None
    emit(args, {"token": "set"}, tr("Token saved in the system keyring."))
    return 0


def cmd_token_clear(args: argparse.Namespace) -> int:
    from ..core.services.upload import clear_token

    had = clear_token(open_store(args), actor="cli")
    human = tr("Token removed.") if had else tr("No token.")
    emit(args, {"token": "not set", "removed": had}, human)
    return 0


def add_upload_commands(sub: Any) -> None:
    """Register `upload` and `token` on the main parser's subparsers."""
    parser_class = getattr(sub, "_parser_class", argparse.ArgumentParser)

    # Translators: the placeholder for a subcommand in "usage: peft-telemetry upload ACTION"
    action = tr("ACTION")

    def group(name: str, help_text: str) -> Any:
        p = sub.add_parser(name, help=help_text, description=help_text)
        add_common_options(p)
        inner = p.add_subparsers(dest=f"{name}_command", metavar=action, parser_class=parser_class)
        inner.required = True
        return inner

    def add(inner: Any, name: str, func: Callable[..., int], text: str) -> argparse.ArgumentParser:
        p = inner.add_parser(name, help=text, description=text)
        add_common_options(p)
        p.set_defaults(func=func)
        return p

    upload = group("upload", tr("optional upload to an OpenTelemetry collector"))
    add(upload, "status", cmd_upload_status, tr("state, queue, drops, last delivery, history"))
    p = add(upload, "enable", cmd_upload_enable, tr("turn upload on (telemetry must be on)"))
    p.add_argument(
        "--endpoint", metavar="URL", help=tr("collector base URL (https; http only to localhost)")
    )
    add(upload, "disable", cmd_upload_disable, tr("turn upload off and discard unsent records"))
    p = add(upload, "send-now", cmd_upload_send_now, tr("send everything queued now"))
    p.add_argument(
        "--timeout",
        type=_timeout_arg,
        default=None,
        metavar="S",
        help=tr("per request (default: OTEL_EXPORTER_OTLP_TIMEOUT, else 10)"),
    )
    add(upload, "preview", cmd_upload_preview, tr("show exactly what the next request would send"))
    token = group("token", tr("the upload token, kept in the system keyring"))
    p = add(
        token, "set", cmd_token_set, tr("read a token from a hidden prompt (or stdin) and save it")
    )
    # Accepted only to be refused in plain words: left to argparse, `token set abc` ends in
    # "unrecognized arguments: abc", which neither says why nor keeps the token out of stderr.
    p.add_argument("argv_token", nargs="*", help=argparse.SUPPRESS)
    p.add_argument("--token", dest="option_token", nargs="?", const="", help=argparse.SUPPRESS)
    add(token, "clear", cmd_token_clear, tr("remove the saved token"))
