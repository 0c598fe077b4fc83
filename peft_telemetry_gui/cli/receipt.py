"""`peft-telemetry receipt`: a consent receipt with the ledger, and checking one.

`--output FILE` writes the receipt (0600, never over a file without `--force`). `--verify FILE`
checks the hash chain in a receipt; `--verify` alone checks the store's own ledger. Exit 0 when
intact, 1 when altered (each altered entry named: seq, when, what) or when the file is not a
receipt, 2 for a usage mistake.
"""

from __future__ import annotations

import argparse
from typing import Any

from ..core.i18n import tr, trn
from ..core.ledger import LedgerProblem, verify
from ..core.receipt import ATTESTATION, read_receipt, verify_receipt, write_receipt
from .common import (
    EXIT_FAILURE,
    EXIT_OK,
    UsageError,
    add_common_options,
    emit,
    open_store,
    path_arg,
    printable,
    read_store,
)

__all__ = ["add_receipt_commands"]


def _problem(p: LedgerProblem) -> dict[str, Any]:
    return {"seq": p.seq, "at": p.at, "what": p.what, "reason": p.reason, "text": p.describe()}


def _report(
    args: argparse.Namespace,
    source: str,
    counts: tuple[int, int, int],
    problems: tuple[LedgerProblem, ...],
) -> int:
    entries, chained, unchained = counts
    payload = {
        "source": source,
        "intact": not problems,
        "entries": entries,
        "chained": chained,
        "unchained": unchained,
        "problems": [_problem(p) for p in problems],
        "attestation": ATTESTATION,
    }
    if problems:
        lines = [tr("{source}: the ledger was altered:").format(source=printable(source))]
        lines += [f"  {printable(p.describe())}" for p in problems]
    else:
        if unchained:
            intact = trn(
                "{source}: the ledger is intact ({chained} chained entries, {n} unchained "
                "(written before the ledger)).",
                "{source}: the ledger is intact ({chained} chained entries, {n} unchained "
                "(written before the ledger)).",
                unchained,
            )
        else:
            intact = trn(
                "{source}: the ledger is intact ({n} chained entry).",
                "{source}: the ledger is intact ({n} chained entries).",
                chained,
            )
        lines = [intact.format(source=printable(source), chained=chained, n=unchained or chained)]
    lines.append(tr("Note: {attestation}.").format(attestation=tr(ATTESTATION)))
    emit(args, payload, "\n".join(lines))
    return EXIT_FAILURE if problems else EXIT_OK


def cmd_receipt(args: argparse.Namespace) -> int:
    if args.verify is not None:
        if args.force:
            raise UsageError(tr("--force only goes with --output"))
        if args.verify == "":  # `--verify` alone: the store's own ledger
            store = open_store(args)
            check = verify(read_store(store).audit_log)
            counts = (check.entries, check.chained, check.unchained)
            return _report(args, str(store.path), counts, check.problems)
        path = path_arg(args.verify, "--verify")
        result = verify_receipt(read_receipt(path))
        ledger = result.ledger
        return _report(
            args, str(path), (ledger.entries, ledger.chained, ledger.unchained), result.problems
        )
    output = path_arg(args.output, "--output")
    store = open_store(args)
    doc = read_store(store)
    result = write_receipt(
        doc, output, now=store.clock(), retention_days=store.retention_days, overwrite=args.force
    )
    emit(
        args,
        {
            "path": str(result.path),
            "receipt_id": result.receipt_id,
            "entries": result.entries,
            "attestation": ATTESTATION,
        },
        trn(
            "Wrote a consent receipt with {n} ledger entry to {path}.",
            "Wrote a consent receipt with {n} ledger entries to {path}.",
            result.entries,
        ).format(n=result.entries, path=printable(result.path))
        + "\n"
        + tr("Note: {attestation}.").format(attestation=tr(ATTESTATION)),
    )
    return EXIT_OK


def add_receipt_commands(sub: Any) -> None:
    """Register `receipt` on the main parser's subparsers."""
    text = tr("write a consent receipt (Kantara CR v1.1 shape) with the ledger, or check one")
    p = sub.add_parser("receipt", help=text, description=text)
    add_common_options(p)
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--output", metavar="FILE", help=tr("write the receipt here (0600)"))
    what.add_argument(
        "--verify",
        metavar="FILE",
        nargs="?",
        const="",
        help=tr("check the hash chain of a receipt (without FILE: of the store's own ledger)"),
    )
    p.add_argument("--force", action="store_true", help=tr("replace FILE if it exists"))
    p.set_defaults(func=cmd_receipt)
