"""What the user does in the app: consent, export, receipt, delete. `AppState`'s writing half.

Each action is one core service call on `AppState`'s serial write pool (one `Store.update` per
user action), worded errors back through `AppState.error`; split off to keep the view-model
short. No logic here: the services decide, the pages only ask.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core import export
from ..core.models import AuditEntry
from ..core.secrets import SecretStore
from ..core.services import consent
from ..core.store import Store

if TYPE_CHECKING:
    from PySide6.QtCore import SignalInstance

    from ..core.upload.runtime import UploadRuntime

__all__ = ["StateActions"]


class StateActions:
    """Mixed into `AppState`, which provides what is declared here."""

    store: Store
    consent_notice: tuple[AuditEntry, ...]
    consent_notice_changed: SignalInstance
    export_finished: SignalInstance
    receipt_exported: SignalInstance
    delete_finished: SignalInstance
    _secret_store_factory: Callable[[Path], SecretStore]
    upload_runtime: UploadRuntime
    _write: Callable[..., None]

    def set_enabled(self, enabled: bool) -> None:
        """The master switch. Turning it on keeps the categories the user chose, unless none
        is on (then all are, as a plain "yes" means)."""
        self._consent(consent.set_consent, enabled=enabled)

    def set_category(self, name: str, on: bool) -> None:
        self._consent(consent.set_consent, enabled=None, categories={name: on})

    def record_decision(self, accepted: bool) -> None:
        self._consent(consent.record_decision, accepted=accepted, method="first_run_dialog")

    def reset_anonymous_id(self) -> None:
        self._consent(consent.reset_anonymous_id)

    def accept_review(self) -> None:  # what was added since the consent: gui/review_dialog.py
        self._consent(consent.accept_review, method="review_dialog")

    def dismiss_consent_notice(self) -> None:
        self.consent_notice = ()
        self.consent_notice_changed.emit(())

    def undo_consent_notice(self) -> None:
        """Put back what the notice names, in one write, as the user's own change; where
        something changed again since, that later change stays (`consent.apply_undo`)."""
        entries = self.consent_notice
        self.dismiss_consent_notice()
        if entries:
            self._consent(consent.undo_changes, entries=entries)

    def _consent(self, action: Callable[..., Any], **options: Any) -> None:
        """A consent action of the user's, on the write pool: actor "gui", and the Privacy
        page as the method unless the caller names another."""
        options.setdefault("method", "privacy_page")
        store = self.store
        self._write(lambda: action(store, actor="gui", **options))

    def export_to(self, path: Path, fmt: export.ExportFormat, *, overwrite: bool = True) -> None:
        """Export what is stored now (read fresh, not the possibly older copy on screen).

        `overwrite` only for a name the file dialog already confirmed."""
        store = self.store
        self._write(
            lambda: export.export_data(store.read(), Path(path), fmt, overwrite=overwrite),
            self.export_finished.emit,
        )

    def export_receipt(self, path: Path, overwrite: bool = True) -> None:
        """A consent receipt with the ledger, from what is stored now (read fresh: the receipt
        must show the ledger as it is, not as this window last saw it). `overwrite` only for a
        name the file dialog already confirmed."""
        store = self.store

        def run() -> Any:
            from ..core.receipt import write_receipt

            return write_receipt(
                store.read(),
                Path(path),
                now=store.clock(),
                retention_days=store.retention_days,
                overwrite=overwrite,
            )

        self._write(run, self.receipt_exported.emit)

    def delete_all(self) -> None:
        store, factory, runtime = self.store, self._secret_store_factory, self.upload_runtime

        def run() -> Any:
            # Imported on first use: it pulls in the upload machinery, not needed to start.
            from ..core.services.delete import delete_all_data

            return delete_all_data(
                store,
                actor="gui",
                secret_store=factory(store.data_dir),
                deliver_within=3.0,
                runtime=runtime,
            )

        self._write(run, self.delete_finished.emit)
