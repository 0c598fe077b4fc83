"""What every command shares: options, the one-line error rule, output, the data folder."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, NoReturn

from ..core import analytics
from ..core.models import StoreDocument
from ..core.paths import resolve_data_dir
from ..core.store import Store

__all__ = [
    "EXIT_FAILURE",
    "EXIT_OK",
    "EXIT_USAGE",
    "Parser",
    "UsageError",
    "add_common_options",
    "data_dir_of",
    "emit",
    "open_store",
    "read_store",
    "time_arg",
]

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """A mistake in what the user typed: exit 2."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line, no usage dump: the user already sees what they typed.
        raise UsageError(f"{message} (see '{self.prog} --help')")


def add_common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        default=argparse.SUPPRESS,
        help="data folder (default: $PEFT_TELEMETRY_DIR or the per-user data folder)",
    )
    parser.add_argument(
        "--json", action="store_true", default=argparse.SUPPRESS, help="machine-readable output"
    )


def time_arg(text: str, *, end_of_day: bool = False) -> Any:
    try:
        return analytics.parse_time(text, end_of_day=end_of_day)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def emit(args: argparse.Namespace, payload: Any, human: str) -> None:
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


def open_store(args: argparse.Namespace) -> Store:
    return Store(data_dir_of(args))


def read_store(store: Store) -> StoreDocument:
    doc = store.read()
    for notice in store.quarantine_log:
        print(
            f"warning: the store could not be read ({notice.reason}); it was moved to "
            f"{notice.moved_to} and a new one was started",
            file=sys.stderr,
        )
    return doc
