"""What every command shares: options, the one-line error rule, output, the data folder."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

from ..core import analytics
from ..core.i18n import tr
from ..core.models import StoreDocument
from ..core.paths import resolve_data_dir
from ..core.store import Store

__all__ = [
    "EXIT_FAILURE",
    "EXIT_OK",
    "EXIT_USAGE",
    "LibraryWarnings",
    "Parser",
    "UsageError",
    "add_common_options",
    "data_dir_of",
    "emit",
    "json_text",
    "library_warnings",
    "open_store",
    "path_arg",
    "printable",
    "read_store",
    "time_arg",
]

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2

#: What a terminal acts on instead of showing: C0 controls (newline, escape, carriage return),
#: DEL, C1 controls (U+009B is a one-character CSI on some terminals), the line and paragraph
#: separators, the bidi marks, embeddings, overrides and isolates (which reorder what follows on
#: the line), and lone surrogates (which cannot even be encoded for output).
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
#: In `json.dumps` output every C0 control left is indentation (it escapes those in strings).
_JSON_UNSAFE = re.compile(
    "[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    return _NAMED.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def printable(value: object) -> str:
    """`value` as one inert line: stored names and values come from host apps (and files anyone
    could edit), so a newline, an escape sequence or a bidi override in them must be shown, not
    obeyed: `\\x1b[2J` stays eight visible characters and a record can never forge a line."""
    return _UNSAFE.sub(_escape, str(value))


def json_text(payload: Any) -> str:
    """Exact JSON that is also inert on a terminal. `json.dumps` escapes C0 controls only; the
    other characters of `_UNSAFE` become `\\uXXXX` escapes, which every parser reads back as the
    very same string (they only occur inside strings: JSON's own syntax is plain ASCII)."""
    text = json.dumps(payload, indent=2, default=str, ensure_ascii=False)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


class UsageError(Exception):
    """A mistake in what the user typed: exit 2."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line, no usage dump: the user already sees what they typed.
        raise UsageError(
            tr("{message} (see '{prog} --help')").format(message=message, prog=self.prog)
        )


def add_common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        default=argparse.SUPPRESS,
        help=tr("data folder (default: $PEFT_TELEMETRY_DIR or the per-user data folder)"),
    )
    parser.add_argument(
        "--json",
        action="store_true",
        default=argparse.SUPPRESS,
        help=tr("machine-readable output"),
    )


def time_arg(text: str, option: str, *, end_of_day: bool = False) -> Any:
    """An empty value (an unset shell variable) is a mistake, not "no filter": the user asked
    for a bound and would silently get everything."""
    if not text.strip():
        raise UsageError(
            tr("{option} is empty; give a date or time (or leave the option out)").format(
                option=option
            )
        )
    try:
        return analytics.parse_time(text, end_of_day=end_of_day)
    except ValueError as exc:
        raise UsageError(f"{option}: {exc}") from None  # the reason comes from the core


def path_arg(text: str, option: str) -> Path:
    if not text.strip():
        raise UsageError(tr("{option} is empty; give a file name").format(option=option))
    if "\x00" in text:
        raise UsageError(
            tr("{option} contains a NUL character, which no file name can hold").format(
                option=option
            )
        )
    return Path(text).expanduser()


def emit(args: argparse.Namespace, payload: Any, human: str) -> None:
    """Print the result. Commands escape each stored field with `printable`; escaping all but
    the newlines of `human` again here is the net for any field a command forgot."""
    if getattr(args, "json", False):
        print(json_text(payload))
    elif human:
        print("\n".join(printable(line) for line in human.split("\n")))


def data_dir_of(args: argparse.Namespace) -> Path:
    """`--data-dir ""` (an unset shell variable) must not quietly mean the real store."""
    given = getattr(args, "data_dir", None)
    if given is not None and not str(given).strip():
        raise UsageError(
            tr("{option} is empty; give a folder (or leave the option out)").format(
                option="--data-dir"
            )
        )
    if given is not None and "\x00" in str(given):
        raise UsageError(
            tr("{option} contains a NUL character, which no folder name can hold").format(
                option="--data-dir"
            )
        )
    return resolve_data_dir(given)


def open_store(args: argparse.Namespace) -> Store:
    return Store(data_dir_of(args))


def read_store(store: Store) -> StoreDocument:
    """A store set aside on the way (corrupt, too large) is reported once, by the store's own
    warning, which `main` prints as one `peft-telemetry: warning:` line."""
    return store.read()


class LibraryWarnings(logging.Handler):
    """What the library logs while one command runs, kept as one inert line per message.

    Without it Python's last-resort handler prints each warning, and any traceback attached to
    it, straight to stderr: a failing command would say three things instead of one.
    """

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except Exception:  # a malformed log call must not break the command
            text = str(record.msg)
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            text = f"{text} ({type(exc).__name__}: {exc})"
        line = printable(text)
        if line not in self.messages:
            self.messages.append(line)


@contextlib.contextmanager
def library_warnings() -> Iterator[LibraryWarnings]:
    """Collect the package's log records for the duration; the caller decides what to show."""
    logger = logging.getLogger(__name__.partition(".")[0])
    handler = LibraryWarnings()
    propagate = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate
