"""The parser and the one rule for endings: user mistakes exit 2 with one line, other
failures exit 1 with one line, never a traceback (unless PEFT_TELEMETRY_DEBUG asks for one)."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Sequence

from .._version import __version__
from ..core.export import ExportError
from ..core.i18n import in_source_language, tr, translate_argparse
from ..core.secrets import SecretStoreError
from ..core.store import StoreError
from .catalogue import add_catalogue_commands
from .commands import Command, add_local_commands
from .common import (
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_USAGE,
    Parser,
    UsageError,
    add_common_options,
    library_warnings,
    printable,
)
from .receipt import add_receipt_commands
from .scrub import add_scrub_commands
from .serve import add_serve_command
from .upload import add_upload_commands

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="peft-telemetry",
        description=tr("See, control, export and delete locally stored telemetry."),
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"%(prog)s {__version__}",
        # argparse (3.11) words this one by a default argument, which never reaches `tr`
        help=tr("show program's version number and exit"),
    )
    add_common_options(parser)
    # Translators: the placeholder for a command's name in "usage: peft-telemetry COMMAND"
    command = tr("COMMAND")
    sub = parser.add_subparsers(dest="command", metavar=command, parser_class=Parser)
    sub.required = True

    def add(name: str, func: Command, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        add_common_options(p)
        p.set_defaults(func=func)
        return p

    add_local_commands(add)
    add_serve_command(add)
    add_upload_commands(sub)
    add_receipt_commands(sub)
    add_catalogue_commands(sub)
    add_scrub_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    translate_argparse()  # argparse's own words ("usage:", "error:") in the user's language
    if os.environ.get("PEFT_TELEMETRY_DEBUG"):
        return _run(argv, debug=True)  # log records and tracebacks as Python prints them
    with library_warnings() as seen:
        code = _run(argv, debug=False)
    if code == EXIT_OK:  # a failure has said its one line; warnings would only add noise
        for line in seen.messages:
            print(tr("peft-telemetry: warning: {message}").format(message=line), file=sys.stderr)
    return code


def _fail(message: object, code: int) -> int:
    print(
        tr("peft-telemetry: error: {message}").format(message=printable(message)), file=sys.stderr
    )
    return code


def _os_error(exc: OSError) -> str:
    reason = exc.strerror or str(exc) or type(exc).__name__
    return f"{exc.filename}: {reason}" if exc.filename else reason


def _run(argv: Sequence[str] | None, *, debug: bool) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if getattr(args, "json", False):  # for scripts: English, whatever the locale
            with in_source_language():
                return int(args.func(args))
        return int(args.func(args))
    except UsageError as exc:
        return _fail(exc, EXIT_USAGE)
    except (StoreError, ExportError, SecretStoreError) as exc:
        return _fail(str(exc) or type(exc).__name__, EXIT_FAILURE)
    except KeyboardInterrupt:
        print(tr("peft-telemetry: interrupted"), file=sys.stderr)
        return EXIT_FAILURE
    except BrokenPipeError:
        # `peft-telemetry events | head`: the reader left; that is not an error to report.
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILURE
    except OSError as exc:
        return _fail(_os_error(exc), EXIT_FAILURE)
    except Exception as exc:  # a bug: still one line, with a way to get the details
        if debug:
            raise
        print(
            tr(
                "peft-telemetry: unexpected error ({error}); "
                "set PEFT_TELEMETRY_DEBUG=1 for details and please report it"
            ).format(error=f"{type(exc).__name__}: {printable(exc)}"),
            file=sys.stderr,
        )
        return EXIT_FAILURE
