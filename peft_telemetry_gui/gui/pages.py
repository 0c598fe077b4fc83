"""The page registry: which pages the window shows, in which order, and how each is built."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtWidgets import QWidget

from ..core.i18n import N_, tr
from .state import AppState

__all__ = ["PAGES", "PageSpec"]


@dataclass(frozen=True)
class PageSpec:
    name: str  # as given to --page
    title: str  # English, marked with N_: shown as `label()`
    factory: Callable[[AppState], QWidget]

    def label(self) -> str:
        """The title in the user's language, as the navigation and the View menu show it."""
        return tr(self.title)


def _lazy(module: str, cls: str) -> Callable[[AppState], QWidget]:
    """Import a page's module only when the page is first shown: start-up pays for one page."""

    def make(state: AppState) -> QWidget:
        return getattr(importlib.import_module(f"{__package__}.{module}"), cls)(state)

    return make


#: The pages in navigation order. To replace a page, swap its factory here.
PAGES: list[PageSpec] = [
    # Translators: the names of the window's pages, in its navigation list and View menu
    PageSpec("privacy", N_("Privacy"), _lazy("privacy_page", "PrivacyPage")),
    PageSpec("dashboard", N_("Dashboard"), _lazy("dashboard_page", "DashboardPage")),
    PageSpec("events", N_("Events"), _lazy("events_page", "EventsPage")),
    PageSpec("activity", N_("Activity"), _lazy("activity_page", "ActivityPage")),
    # Translators: "Upload" is a page name (a noun): where sending the data out is set up
    PageSpec("upload", N_("Upload"), _lazy("upload_page", "UploadPage")),
]
