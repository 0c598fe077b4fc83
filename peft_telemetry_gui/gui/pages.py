"""The page registry: which pages the window shows, in which order, and how each is built."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtWidgets import QWidget

from .state import AppState

__all__ = ["PAGES", "PageSpec"]


@dataclass(frozen=True)
class PageSpec:
    name: str  # as given to --page
    title: str
    factory: Callable[[AppState], QWidget]


def _lazy(module: str, cls: str) -> Callable[[AppState], QWidget]:
    """Import a page's module only when the page is first shown: start-up pays for one page."""

    def make(state: AppState) -> QWidget:
        return getattr(importlib.import_module(f"{__package__}.{module}"), cls)(state)

    return make


#: The pages in navigation order. To replace a page, swap its factory here.
PAGES: list[PageSpec] = [
    PageSpec("privacy", "Privacy", _lazy("privacy_page", "PrivacyPage")),
    PageSpec("dashboard", "Dashboard", _lazy("dashboard_page", "DashboardPage")),
    PageSpec("events", "Events", _lazy("events_page", "EventsPage")),
    PageSpec("activity", "Activity", _lazy("activity_page", "ActivityPage")),
    PageSpec("upload", "Upload", _lazy("upload_page", "UploadPage")),
]
