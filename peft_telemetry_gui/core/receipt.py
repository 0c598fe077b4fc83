"""Consent receipts: what the user agreed to, in a shape others can read, with the ledger.

The shape follows the Kantara Initiative Consent Receipt Specification v1.1 (`version`,
`jurisdiction`, `consentTimestamp` in epoch seconds, `collectionMethod`, `consentReceiptID`,
`language`, `piiPrincipalId`, `piiControllers`, `services[].purposes[]`, `sensitive`, `spiCat`),
with one purpose per category. Our additions sit beside them: `attestation` (the receipt is
self-attested), `generatedAt`, `textVersion`/`textSha256` (the text in force), `ledgerHead`
and `ledger` (every audit entry exactly as stored, hash-chained: `core/ledger.py`).

Nothing here signs anything: the product has no key the user could not read too. So the
receipt says plainly what it is: a record made on this computer, whose chain shows edits made
without recomputing it, not edits by someone who recomputes it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from .consent import collection_text, consent_text_sha256
from .constants import CATEGORIES
from .export import ExportError, write_private_file
from .fsio import read_regular_file
from .i18n import N_, SOURCE_LANGUAGE, language_code, tr
from .ledger import LedgerCheck, LedgerProblem, stored_form, verify
from .models import AuditEntry, StoreDocument

__all__ = [
    "ATTESTATION",
    "RECEIPT_VERSION",
    "ReceiptCheck",
    "ReceiptError",
    "ReceiptResult",
    "build_receipt",
    "read_receipt",
    "verify_receipt",
    "write_receipt",
]

RECEIPT_VERSION = "KI-CR-v1.1.0"
#: In English in the receipt (its content); shown to the user with `tr`.
ATTESTATION = N_(
    "self-attested: produced on this computer; the hash chain shows edits made without "
    "recomputing the chain, not edits by someone who recomputes it"
)
#: A receipt is a few KB per hundred entries; this bound only keeps a FIFO or a huge file out.
MAX_RECEIPT_BYTES = 64 << 20

_METHODS = {
    "first_run_dialog": "the first-run dialog of the desktop app",
    "review_dialog": "the review dialog of the desktop app",
    "upload_page": "the Upload page of the desktop app",
    "privacy_page": "the Privacy page of the desktop app",
    "cli": "the peft-telemetry command",
    "host_api": "the host application's API",
    "environment": "the environment (DO_NOT_TRACK or PEFT_TELEMETRY_DISABLED)",
    "delete": "delete all data",
}


class ReceiptError(ExportError):
    """Worded for the user: nothing to give a receipt for, or a file that is not one."""


@dataclass(frozen=True)
class ReceiptResult:
    path: Path
    receipt_id: str
    entries: int
    bytes_written: int


def _consent_entry(log: list[AuditEntry]) -> AuditEntry:
    """The newest entry that gave, refused or changed consent itself (else the newest)."""
    for entry in reversed(log):
        if entry.what in ("decision", "consent") or entry.what.startswith("category:"):
            return entry
    return log[-1]


def _method_text(entry: AuditEntry) -> str:
    text = _METHODS.get(entry.method, "not recorded (written before methods were)")
    if entry.method == "host_api" and entry.app_name:
        version = f" {entry.app_version}" if entry.app_version else ""
        text += f" ({entry.app_name}{version})"
    return text


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


def _endpoint(doc: StoreDocument) -> str:
    return doc.upload.endpoint or "the endpoint set in the environment"


def _purposes(doc: StoreDocument, retention_days: int) -> list[dict[str, Any]]:
    consent, texts = doc.consent, collection_text().categories
    uploads = consent.enabled and consent.upload_enabled
    out = []
    for name in CATEGORIES:
        on = consent.category_on(name)
        since = consent.category_since.get(name) or consent.enabled_since
        purpose: dict[str, Any] = {
            "purpose": texts.get(name) or name,
            "purposeCategory": [name],
            "consentType": "EXPLICIT",
            "piiCategory": [name],
            "primaryPurpose": False,
            "termination": f"{retention_days} days after recording, or at once when you delete "
            "all data",
            "thirdPartyDisclosure": bool(uploads and on),
            "consented": on,
        }
        if on and since is not None:
            purpose["consentedSince"] = _iso(since)
        if uploads and on:
            purpose["thirdPartyName"] = f"the collector at {_endpoint(doc)}"
        out.append(purpose)
    return out


def _controllers(doc: StoreDocument) -> list[dict[str, Any]]:
    local = {
        "piiController": "you: the data stays on this computer",
        "onBehalf": False,
        "contact": "not applicable",
        "address": "not applicable",
        "email": "not applicable",
        "phone": "not applicable",
    }
    controllers = [local]
    if doc.consent.enabled and doc.consent.upload_enabled:
        where = _endpoint(doc)
        controllers.append(
            {
                "piiController": f"whoever runs the collector at {where} (upload is on)",
                "onBehalf": False,
                "contact": "ask the team that gave you the endpoint",
                "address": "unknown to this app",
                "email": "unknown to this app",
                "phone": "unknown to this app",
            }
        )
    return controllers


def build_receipt(
    doc: StoreDocument,
    *,
    now: datetime,
    retention_days: int,
    receipt_id: str | None = None,
) -> dict[str, Any]:
    """The receipt for what `doc` says now. Refused (ReceiptError) while nothing was decided:
    there is no consent, given or refused, to give a receipt for."""
    if not doc.audit_log:
        raise ReceiptError(
            tr("nothing has been decided yet, so there is no consent to give a receipt for")
        )
    entry = _consent_entry(doc.audit_log)
    check = verify(doc.audit_log)
    # The id exists only once telemetry was allowed; before that there is nobody to name.
    used = bool(doc.anonymous_id) and doc.consent.enabled_since is not None
    uploads = doc.consent.enabled and doc.consent.upload_enabled
    return {
        "version": RECEIPT_VERSION,
        "jurisdiction": "none stated: the data is kept on this computer"
        + ("; uploads go to a collector under its operator's jurisdiction" if uploads else ""),
        "consentTimestamp": int(entry.at.timestamp()),
        "collectionMethod": _method_text(entry),
        "consentReceiptID": receipt_id or str(uuid.uuid4()),
        # The language the consent was asked in (its ledger entry's locale): the text the user
        # read then, in English, German or French. The receipt's own words stay English.
        "language": language_code(entry.locale) or SOURCE_LANGUAGE,
        "piiPrincipalId": doc.anonymous_id if used else "none",
        "piiControllers": _controllers(doc),
        "services": [
            {
                "service": "peft-telemetry: telemetry recorded on this computer",
                "purposes": _purposes(doc, retention_days),
            }
        ],
        "sensitive": False,
        "spiCat": [],
        "attestation": ATTESTATION,
        "generatedAt": _iso(now),
        "consentEnabled": doc.consent.enabled,
        "textVersion": collection_text().version,
        "textSha256": consent_text_sha256(doc),
        "ledgerHead": {"seq": check.head_seq, "hash": check.head_hash},
        "ledger": [stored_form(e) for e in doc.audit_log],
    }


def write_receipt(
    doc: StoreDocument,
    path: Path,
    *,
    now: datetime,
    retention_days: int,
    overwrite: bool = False,
    receipt_id: str | None = None,
) -> ReceiptResult:
    """Atomic 0600 write with the export's rules (no links or devices, no silent overwrite)."""
    receipt = build_receipt(doc, now=now, retention_days=retention_days, receipt_id=receipt_id)
    data = (json.dumps(receipt, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    write_private_file(Path(path), data, overwrite=overwrite)
    return ReceiptResult(Path(path), receipt["consentReceiptID"], len(doc.audit_log), len(data))


def read_receipt(path: Path) -> dict[str, Any]:
    """The receipt in `path`; ReceiptError when the file is not one (OSError when unreadable)."""
    data = read_regular_file(Path(path), MAX_RECEIPT_BYTES)
    try:
        receipt = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise ReceiptError(
            tr("{path} is not a consent receipt: it is not JSON ({reason})").format(
                path=path, reason=exc
            )
        ) from None
    if not isinstance(receipt, dict) or not str(receipt.get("version", "")).startswith("KI-CR-"):
        raise ReceiptError(
            tr("{path} is not a consent receipt: it has no Kantara receipt version").format(
                path=path
            )
        )
    if not isinstance(receipt.get("ledger"), list):
        raise ReceiptError(
            tr("{path} is not a consent receipt of this app: it has no ledger").format(path=path)
        )
    return receipt


@dataclass(frozen=True)
class ReceiptCheck:
    ledger: LedgerCheck
    problems: tuple[LedgerProblem, ...]  # the ledger's, and the receipt's own

    @property
    def intact(self) -> bool:
        return not self.problems


def verify_receipt(receipt: Mapping[str, Any]) -> ReceiptCheck:
    """The ledger's chain, and its end against the `ledgerHead` the receipt was written with
    (entries cut off the end show there, unless the head was edited too)."""
    check = verify(receipt.get("ledger") or [])
    problems = list(check.problems)
    head = receipt.get("ledgerHead")
    if not isinstance(head, Mapping):
        problems.append(
            LedgerProblem.of(-1, None, "", "ledgerHead", N_("is missing from the receipt"))
        )
    elif head.get("seq") != check.head_seq or (
        check.intact and head.get("hash") != check.head_hash
    ):
        problems.append(
            LedgerProblem.of(
                -1,
                None,
                "",
                "ledgerHead",
                N_(
                    "says the ledger ends at entry {said!r}, but it ends at entry {seq}: "
                    "entries were removed from the end, or the head was edited"
                ),
                said=head.get("seq"),
                seq=check.head_seq,
            )
        )
    return ReceiptCheck(check, tuple(problems))
