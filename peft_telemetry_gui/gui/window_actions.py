"""The window's Export and Delete all: where to, are you sure, and what was done.

`MainWindow`'s data half (split off to keep modules short). The work itself is the view-model's
(`AppState.export_to`, `AppState.delete_all`, on its write pool); here are only the questions
and the answers shown to the user.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

from ..core.export import ExportResult
from ..core.i18n import tr, trn
from .state import AppState
from .widgets import Banner

__all__ = ["WindowDataActions"]


class WindowDataActions:
    """Mixed into `MainWindow` (a `QWidget`), which provides what is declared here."""

    state: AppState
    error_banner: Banner
    last_message: QMessageBox | None
    statusBar: Any  # QMainWindow.statusBar

    def _export_menu_from_button(self) -> None:
        self.export(None)

    def export(self, fmt: str | None) -> None:
        """Ask where (the file dialog confirms overwriting), then export on the worker."""
        filters = {"json": tr("JSON (*.json)"), "csv": tr("CSV spreadsheet (*.csv)")}
        wanted = [filters[fmt]] if fmt else list(filters.values())
        path, chosen = QFileDialog.getSaveFileName(
            self,
            tr("Export telemetry data"),
            str(Path.home() / f"peft-telemetry-export.{fmt or 'json'}"),
            ";;".join(wanted),
        )
        if not path:
            return
        kind = fmt or ("csv" if chosen == filters["csv"] or path.endswith(".csv") else "json")
        confirmed = True  # the dialog asked before choosing an existing file
        if not path.lower().endswith(f".{kind}"):
            path += f".{kind}"
            confirmed = False  # a name the dialog never saw: never replace a file under it
        self.state.export_to(Path(path), kind, overwrite=confirmed)  # type: ignore[arg-type]

    def _on_export_finished(self, result: ExportResult) -> None:
        self.error_banner.hide()
        n = result.event_count
        text = trn(
            "Exported {n:,} event as {format} to\n{path}",
            "Exported {n:,} events as {format} to\n{path}",
            n,
        )
        self._inform(
            tr("Export finished"), text.format(n=n, format=result.format.upper(), path=result.path)
        )

    def confirm_delete(self) -> bool:
        from ..core.services.delete import describe_deletion

        items = "\n".join(f"•  {line}" for line in describe_deletion())
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(tr("Delete all telemetry data?"))
        box.setText(tr("This deletes, from this computer:"))
        box.setInformativeText(
            tr("{items}\n\nThis cannot be undone. Export first to keep a copy.").format(items=items)
        )
        delete_button = box.addButton(tr("Delete all"), QMessageBox.ButtonRole.DestructiveRole)
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(cancel)
        box.exec()
        return box.clickedButton() is delete_button

    def delete_all(self) -> None:
        if self.confirm_delete():
            self.state.delete_all()

    def _on_delete_finished(self, report: Any) -> None:  # core.services.delete.DeleteReport
        n, changes = report.events_deleted, report.audit_entries_deleted
        # Translators: {changes} is "{n} consent changes" (translated on its own, with its count)
        text = trn(
            "Deleted {n:,} event and {changes}.", "Deleted {n:,} events and {changes}.", n
        ).format(
            n=n,
            changes=trn("{n:,} consent change", "{n:,} consent changes", changes).format(n=changes),
        )
        text += " " + tr(
            "Telemetry is off and the anonymous id is gone (a new one is made only when you "
            "turn telemetry on again)."
        )
        if report.deletion_message:
            text += "\n\n" + report.deletion_message
        if report.warnings:
            text += (
                "\n\n" + tr("Some things could not be removed:") + "\n" + "\n".join(report.warnings)
            )
        self._inform(tr("All data deleted"), text)

    def _inform(self, title: str, text: str) -> QMessageBox:
        """Non-blocking, so background updates keep flowing while the message is up."""
        box = QMessageBox(QMessageBox.Icon.Information, title, text, parent=self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        self.statusBar().showMessage(text.splitlines()[0], 10_000)
        self.last_message = box
        return box
