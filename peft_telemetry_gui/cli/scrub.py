"""`peft-telemetry scrub [TEXT | -]`: what the scrubber would remove, before anything is stored.

For host developers checking their event shapes, and for anyone who wants to see the promise
kept. It needs no data folder and writes nothing: the scrubber is built in memory with this
machine's real user, host and home folder (so the result is what would really be stored) and a
throwaway key for pseudonyms. Printing what was removed back to the person who typed it is the
point; everything is shown through `printable`, and long removals are elided.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..core.i18n import N_, tr
from ..core.scrub.explain import ScrubExplanation, explain_input, new_tester_scrubber
from .common import EXIT_OK, UsageError, emit, printable

__all__ = ["add_scrub_commands", "human_lines"]

#: The most the tester reads; a larger input is refused rather than tested in part.
MAX_INPUT_CHARS = 1_000_000
_NO_INPUT = N_(
    "give the text to test, or '-' to read it from standard input "
    "(e.g. peft-telemetry scrub 'mail me at a@example.com')"
)
_TOO_LONG = N_("the input is longer than {n:,} characters; test a part of it")


def _too_long() -> UsageError:
    return UsageError(tr(_TOO_LONG).format(n=MAX_INPUT_CHARS))


def _read_stdin() -> str:
    stream = sys.stdin
    if stream is None:
        raise UsageError(tr("there is no standard input to read"))
    buffer = getattr(stream, "buffer", None)
    try:
        if buffer is not None:
            data = buffer.read(MAX_INPUT_CHARS * 4 + 1)
            if len(data) > MAX_INPUT_CHARS * 4:
                raise _too_long()
            text = data.decode("utf-8-sig")
        else:
            text = stream.read(MAX_INPUT_CHARS + 1)
    except UnicodeDecodeError as exc:
        raise UsageError(
            tr("standard input is not UTF-8 text (byte {position} cannot be decoded)").format(
                position=exc.start
            )
        ) from None
    except (OSError, ValueError) as exc:
        raise UsageError(
            tr("cannot read standard input: {reason}").format(reason=printable(exc))
        ) from None
    # What a shell pipe adds (`echo ... |`) is not part of what the user meant to test.
    if text.endswith("\r\n"):
        return text[:-2]
    return text[:-1] if text.endswith("\n") else text


def _input_text(args: argparse.Namespace) -> str:
    given = args.text
    if given is None:
        stream = sys.stdin
        interactive = stream is None or _isatty(stream)
        if interactive:
            raise UsageError(tr(_NO_INPUT))
        text = _read_stdin()
    elif given == "-":
        text = _read_stdin()
    else:
        text = given
    if len(text) > MAX_INPUT_CHARS:
        raise _too_long()
    return text


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (OSError, ValueError):
        return False


def _table(rows: list[tuple[str, ...]], headers: tuple[str, ...]) -> list[str]:
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
    lines = []
    for row in [headers, *rows]:
        cells = [cell.ljust(w) for cell, w in zip(row, widths, strict=True)]
        lines.append("  ".join(cells).rstrip())
    return lines


def human_lines(result: ScrubExplanation) -> list[str]:
    """Scrubbed output, then "rule | what it is | [where |] removed", then one summary line."""
    if result.kind == "properties":
        lines = [tr("Read as event properties (a JSON object or array). Scrubbed:")]
    else:
        lines = [tr("Read as free text (not a JSON object or array). Scrubbed:")]
    # Translators: what the scrubbed text is when nothing is left of it
    shown = result.output_text.split("\n") if result.output_text else [tr("(empty)")]
    lines += [f"  {printable(line)}" for line in shown]
    lines.append("")
    # Where something was matters only in properties; free text has one place.
    keep = (0, 1, 2, 3) if result.kind == "properties" else (0, 1, 3)
    # Translators: the headings of the table of what was removed (rule, what it is, where, removed)
    headers = (tr("rule"), tr("what it is"), tr("where"), tr("removed"))
    rows = [tuple(printable(row[i]) for i in keep) for row in result.rows()]
    if rows:
        lines += _table(rows, tuple(headers[i] for i in keep))
    lines.append(result.summary)
    lines += list(result.notes)
    return lines


def cmd_scrub(args: argparse.Namespace) -> int:
    result = explain_input(_input_text(args), new_tester_scrubber())
    payload = result.payload()
    # Lines are already escaped field by field; `emit` escapes again only what slipped through.
    emit(args, payload, "\n".join(human_lines(result)))
    return EXIT_OK


def add_scrub_commands(sub: Any) -> None:
    """Register `scrub` on the main parser's subparsers (no --data-dir: it reads no store)."""
    text = tr("show what the scrubber removes from a text or an event, and which rule removed it")
    p = sub.add_parser("scrub", help=text, description=text)
    p.add_argument(
        "text",
        nargs="?",
        # Translators: the placeholder for the text to test in "usage: peft-telemetry scrub TEXT"
        metavar=tr("TEXT"),
        help=tr("free text, or event properties as a JSON object; '-' or a pipe reads stdin"),
    )
    # As `add_common_options` does, so `peft-telemetry --json scrub ...` works too.
    p.add_argument(
        "--json",
        action="store_true",
        default=argparse.SUPPRESS,
        help=tr("machine-readable output"),
    )
    p.set_defaults(func=cmd_scrub)
