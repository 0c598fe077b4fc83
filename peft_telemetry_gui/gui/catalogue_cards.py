"""Data cards: what each app declared it records, one card per event, on the Privacy page.

Every text here comes from a host's catalogue (`core/catalogue.py`), a file anyone could have
written, so each label is plain text: markup in a description is shown, never rendered. The
cards are rebuilt only when the stored catalogues change, not on every live reload.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QGroupBox, QLabel, QVBoxLayout, QWidget

from ..core.catalogue import (
    LIBRARY_EVENTS,
    AppCatalogue,
    DeclaredEvent,
    declared_catalogues,
    example_text,
    sampling_words,
)
from ..core.models import StoreDocument
from .state import AppState
from .widgets import heading

__all__ = ["NO_CATALOGUE", "CatalogueSection", "EventCard"]

NO_CATALOGUE = "No app has declared its events; recording follows the categories above."


def _plain(text: str, *, indent: int = 0) -> QLabel:
    label = QLabel()
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setText(text)
    label.setWordWrap(True)
    label.setIndent(indent)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def _heading(text: str) -> QLabel:
    label = heading("", 2)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setText(text)
    label.setAccessibleName(text)
    return label


class EventCard(QFrame):
    """One declared event: what it is for, its category, each property and why (with an
    example value), and whether it is sampled."""

    def __init__(
        self, name: str, event: DeclaredEvent, category_title: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        self.title = _plain(name)
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        facts = [f"Category: {category_title}"]
        if event.unit:
            facts.append(f"unit: {event.unit}")
        facts.append(f"sampled: {sampling_words(event)}")
        self.facts = _plain(" · ".join(facts))
        self.description = _plain(event.description)
        lines = []
        for prop, spec in event.properties.items():
            example = "" if spec.example is None else f" (example: {example_text(spec.example)})"
            lines.append(f"•  {prop}: {spec.description}{example}")
        self.properties = _plain("\n".join(lines) or "No properties.", indent=8)
        for widget in (self.title, self.description, self.facts, self.properties):
            layout.addWidget(widget)
        self.setAccessibleName(f"Declared event {name}")
        self.setAccessibleDescription(
            f"{event.description}. {self.facts.text()}. {self.properties.text()}"
        )


class CatalogueSection(QGroupBox):
    """ "What apps declared": the cards of every app's catalogue, then the library's own
    events; without any catalogue, one plain sentence."""

    def __init__(
        self, state: AppState, titles: Mapping[str, str], parent: QWidget | None = None
    ) -> None:
        super().__init__("What apps declared", parent)
        self._titles = dict(titles)
        self._shown: dict[str, Any] | None = None
        self._layout = QVBoxLayout(self)
        self.empty = _plain(NO_CATALOGUE)
        self.empty.setAccessibleName("Declared events")
        self._layout.addWidget(self.empty)
        self._body: QWidget | None = None
        #: (app name, or "" for the library's own, event name) -> its card
        self.cards: dict[tuple[str, str], EventCard] = {}
        #: app name -> why its stored catalogue could not be shown
        self.problems: dict[str, QLabel] = {}
        state.document_changed.connect(self._on_document_changed)
        if state.document is not None:
            self._on_document_changed(state.document)

    def _on_document_changed(self, doc: StoreDocument) -> None:
        if doc.catalogues == self._shown:
            return
        self._shown = dict(doc.catalogues)
        apps = declared_catalogues(doc)
        if self._body is not None:
            self._layout.removeWidget(self._body)
            self._body.deleteLater()
            self._body = None
        self.cards, self.problems = {}, {}
        self.empty.setVisible(not apps)
        if apps:
            self._body = self._build(apps)
            self._layout.addWidget(self._body)

    def _build(self, apps: list[AppCatalogue]) -> QWidget:
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(0, 0, 0, 0)
        for app in apps:
            who = app.app_name + (f" {app.app_version}" if app.app_version else "")
            if app.catalogue is None:
                problem = _plain(
                    f"{who}: its declared events cannot be shown ({app.error}). They are "
                    "stored again when the app next starts."
                )
                self.problems[app.app_name] = problem
                layout.addWidget(problem)
                continue
            layout.addWidget(
                _heading(f"{who} (catalogue {app.catalogue.version}): only these are recorded")
            )
            for name, event in app.catalogue.events.items():
                self._add_card(layout, app.app_name, name, event)
        layout.addWidget(_heading("Recorded by the library itself, for every app"))
        for name, event in LIBRARY_EVENTS.items():
            self._add_card(layout, "", name, event)
        return body

    def _add_card(self, layout: QVBoxLayout, app: str, name: str, event: DeclaredEvent) -> None:
        card = EventCard(name, event, self._titles.get(event.category, event.category.title()))
        self.cards[(app, name)] = card
        layout.addWidget(card)
