"""Delete everything: the user's "forget me" button, in the app and the CLI."""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from pathlib import Path

from ..consent import audit
from ..fsio import temp_files
from ..i18n import N_, tr
from ..models import Actor, StoreDocument
from ..paths import UPLOAD_FILE_PREFIX, is_data_file_name
from ..secrets import HMAC_KEY_NAME, UPLOAD_TOKEN_NAME, SecretStore, SecretStoreError
from ..store import Store
from ..upload.deletion import (
    prepare_deletion_request,
    read_deletion_requests,
    write_deletion_requests_locked,
)
from ..upload.files import DELETION_COPY_FILE, DELETION_FILE, SENT_IDS_FILE
from ..upload.runtime import UploadRuntime

__all__ = ["DeleteReport", "delete_all_data", "describe_deletion"]

log = logging.getLogger(__name__)

#: Where the secrets are kept (`SecretStore.kind`), as a warning names it.
_SECRET_STORE_NAMES = {
    # Translators: where secrets are kept: "could not remove secrets from the keyring"
    "keyring": N_("keyring"),
    # Translators: where secrets are kept: the secrets file in the data folder
    "file": N_("file"),
    # Translators: where secrets are kept: only in this program's memory
    "memory": N_("memory"),
}


@dataclass
class DeleteReport:
    events_deleted: int = 0
    rollup_days_deleted: int = 0
    audit_entries_deleted: int = 0
    files_removed: list[str] = field(default_factory=list)
    secrets_removed: bool = False
    warnings: list[str] = field(default_factory=list)
    #: When upload had been on: what became of the request to erase the old id on the collector
    #: ("delivered", "pending", "busy", ...) and one line saying so; None when none was needed.
    deletion_request: str | None = None
    deletion_message: str = ""


def describe_deletion() -> list[str]:
    """What the confirmation (dialog or prompt) names before anything is removed."""
    return [
        tr("all recorded events"),
        tr("the daily counts and statistics kept for them"),
        tr("the history of consent changes"),
        tr("the redaction counters"),
        tr("files set aside after a corrupt store"),
        tr(
            "queued uploads and the upload token (a copy stays in the keyring only until the "
            "collector has the deletion request)"
        ),
        tr("the key used to hash identifiers"),
        tr("your anonymous id (telemetry is turned off; a new one is made only if you turn it on)"),
    ]


def _leftover_files(data_dir: Path) -> list[Path]:
    """Files set aside, the uploader's files, and every temp copy of ours (whoever's pid): a
    killed writer's copy of the store, or of `secrets.json` with the hashing key in it. Called
    under the store lock, where none of them is being written (the secrets file's temp copy
    might be, by a process that then fails to save and says so)."""
    # Corrupt copies include the segment files moved aside with a head (`*.jsonl`); the live
    # segments go with the commit of the empty document (no head names them any more).
    patterns = ("telemetry.corrupt-*.json", "telemetry.corrupt-*.jsonl", UPLOAD_FILE_PREFIX + "*")
    found: list[Path] = [path for path, _pid in temp_files(data_dir, is_data_file_name)]
    for pattern in patterns:
        with contextlib.suppress(OSError):
            found.extend(p for p in data_dir.glob(pattern) if p.is_file())
    return found


def _remove(paths: list[Path], report: DeleteReport) -> None:
    for path in paths:
        try:
            path.unlink()
            report.files_removed.append(path.name)
        except OSError as exc:
            report.warnings.append(
                tr("could not remove {path}: {error}").format(path=path, error=exc.strerror or exc)
            )


def delete_all_data(
    store: Store,
    *,
    actor: Actor,
    secret_store: SecretStore | None = None,
    deliver_within: float | None = None,
    runtime: UploadRuntime | None = None,
    app_name: str | None = None,
) -> DeleteReport:
    """Leave an empty store: one audit entry, no anonymous id, consent off, no secrets.
    `app_name`: the host app that asked (actor "api"), named in that entry as a consent change
    from a host is, so the desktop app can say which app deleted everything.

    With `deliver_within` (seconds; the app and the CLI pass one) a deletion request queued for
    the collector is sent right away, so the user is told at once whether it arrived; it stays
    queued for later senders otherwise.
    """
    report = DeleteReport()
    runtime = runtime or UploadRuntime(autostart=False)

    def mutate(doc: StoreDocument) -> None:
        now = store.clock()
        deletion = prepare_deletion_request(
            store, doc, runtime.deletion_tokens, secret_store
        )  # needs the old id
        report.events_deleted = len(doc.events)
        report.rollup_days_deleted = len(doc.rollups)
        report.audit_entries_deleted = len(doc.audit_log)
        fresh = StoreDocument()  # no anonymous id until the next "yes"
        fresh.consent.decided = doc.consent.decided
        fresh.consent.changed_at = now
        fresh.upload = doc.upload
        fresh.limits = doc.limits  # settings, like the endpoint; the rollups go (data)
        # The ledger starts again at 1: the history it chained is what the user asked to erase.
        audit(fresh, now, actor, "all data deleted", None, None, method="delete", app_name=app_name)
        for name in StoreDocument.model_fields:
            setattr(doc, name, getattr(fresh, name))
        # Files are removed under the same lock so no writer re-creates them in between. The
        # record of delivered ids goes last, once the deletion requests made from it are on
        # disk: a crash in between must not lose the ids the collector still has to erase.
        # (Everything else goes first: on a full disk that is the room the requests need.)
        leftovers = _leftover_files(store.data_dir)
        last = [p for p in leftovers if p.name == SENT_IDS_FILE]
        kept = {DELETION_FILE, DELETION_COPY_FILE}
        _remove([p for p in leftovers if p.name not in kept and p not in last], report)
        write_deletion_requests_locked(store, deletion)
        _remove(last, report)

    # Essential: on a full disk it may spend the store's reserve, and as a last resort remove the
    # old document (all of it is being erased) before writing the small fresh one.
    store.update(mutate, essential=True, discard_old_if_full=True)
    if secret_store is not None:
        try:
            secret_store.delete(HMAC_KEY_NAME)
            secret_store.delete(UPLOAD_TOKEN_NAME)
            report.secrets_removed = True
        except (SecretStoreError, OSError) as exc:
            kind = secret_store.kind
            where = tr(_SECRET_STORE_NAMES[kind]) if kind in _SECRET_STORE_NAMES else kind
            # Translators: {where} is "keyring", "file" or "memory" (where secrets are kept)
            message = tr("could not remove secrets from the {where}: {error}")
            report.warnings.append(message.format(where=where, error=exc))
    if deliver_within is not None:
        _deliver_deletion_request(store, report, deliver_within, runtime)
    return report


def _deliver_deletion_request(
    store: Store, report: DeleteReport, timeout: float, runtime: UploadRuntime
) -> None:
    if not read_deletion_requests(store):
        return  # the usual case (upload was never on): no need to load the HTTP machinery
    from .upload import deliver_deletion_requests  # httpx and protobuf, only when needed

    try:
        delivery = deliver_deletion_requests(store, runtime=runtime, timeout=timeout)
    except Exception as exc:  # the local deletion is done; this is only a courtesy
        log.warning("deletion request not sent now", exc_info=True)
        report.deletion_request = "pending"
        report.deletion_message = tr(
            "The deletion request will be retried later ({error})."
        ).format(error=exc)
        return
    if delivery.outcome != "none":
        report.deletion_request = delivery.outcome
        report.deletion_message = delivery.message
