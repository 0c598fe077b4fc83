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
)
from ..core.i18n import N_, tr
from ..core.models import StoreDocument
from .state import AppState
from .widgets import heading

__all__ = ["NO_CATALOGUE", "CatalogueSection", "EventCard"]

NO_CATALOGUE = N_("No app has declared its events; recording follows the categories above.")


def _described(text: str, app: AppCatalogue | None) -> str:
    """A text of a catalogue (an event's or a property's description, a sampling note, a
    unit) in the user's language: every such text is shown through here. The library's own
    events' texts are in our catalogue; a host's own translations come with its catalogue."""
    return app.text(text) if app is not None else tr(text)


def _sampling(event: DeclaredEvent, app: AppCatalogue | None) -> str:
    """Whether only some occurrences are recorded (as `core.catalogue.sampling_words`), the
    app's own words shown through `_described`."""
    if event.sampled is False:
        # Translators: "sampled: no": every occurrence of the event is recorded
        return tr("no")
    if event.sampled is True:
        return tr("yes: only some occurrences are recorded")
    # Translators: {note} is the app's own words on which occurrences are recorded
    return tr("yes: {note}").format(note=_described(event.sampled, app))


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
        self,
        name: str,
        event: DeclaredEvent,
        category_title: str,
        parent: QWidget | None = None,
        *,
        app: AppCatalogue | None = None,
    ) -> None:
        """`app`: the catalogue the event is declared in (its host's translations); None for
        the library's own events."""
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        self.title = _plain(name)
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        facts = [tr("Category: {category}").format(category=category_title)]
        if event.unit:
            # Translators: the unit of an event's value, such as "unit: ms"
            facts.append(tr("unit: {unit}").format(unit=_described(event.unit, app)))
        # Translators: whether only some occurrences of an event are recorded: "sampled: no"
        facts.append(tr("sampled: {sampling}").format(sampling=_sampling(event, app)))
        self.facts = _plain(" · ".join(facts))
        description = _described(event.description, app)
        self.description = _plain(description)
        lines = []
        for prop, spec in event.properties.items():
            what = _described(spec.description, app)
            if spec.example is None:
                # Translators: a property of an event and what it is for
                line = tr("•  {property}: {description}")
                example = ""
            else:
                # Translators: a property of an event, what it is for, and an example value
                line = tr("•  {property}: {description} (example: {example})")
                example = example_text(spec.example)
            lines.append(line.format(property=prop, description=what, example=example))
        self.properties = _plain("\n".join(lines) or tr("No properties."), indent=8)
        for widget in (self.title, self.description, self.facts, self.properties):
            layout.addWidget(widget)
        self.setAccessibleName(tr("Declared event {name}").format(name=name))
        self.setAccessibleDescription(
            f"{description}. {self.facts.text()}. {self.properties.text()}"
        )


class CatalogueSection(QGroupBox):
    """ "What apps declared": the cards of every app's catalogue, then the library's own
    events; without any catalogue, one plain sentence. `titles` names the categories in
    English (marked with `N_`), translated where a card shows them."""

    def __init__(
        self, state: AppState, titles: Mapping[str, str], parent: QWidget | None = None
    ) -> None:
        super().__init__(tr("What apps declared"), parent)
        self._titles = dict(titles)
        self._shown: dict[str, Any] | None = None
        self._layout = QVBoxLayout(self)
        self.empty = _plain(tr(NO_CATALOGUE))
        self.empty.setAccessibleName(tr("Declared events"))
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
                # Translators: {app} is an app's name and version, {error} why its file is unusable
                words = tr(
                    "{app}: its declared events cannot be shown ({error}). They are stored again "
                    "when the app next starts."
                )
                problem = _plain(words.format(app=who, error=app.error))
                self.problems[app.app_name] = problem
                layout.addWidget(problem)
                continue
            # Translators: {app} is an app's name and version, {version} its catalogue's version
            title = tr("{app} (catalogue {version}): only these are recorded")
            layout.addWidget(_heading(title.format(app=who, version=app.catalogue.version)))
            for name, event in app.catalogue.events.items():
                self._add_card(layout, app, name, event)
        layout.addWidget(_heading(tr("Recorded by the library itself, for every app")))
        for name, event in LIBRARY_EVENTS.items():
            self._add_card(layout, None, name, event)
        return body

    def _add_card(
        self, layout: QVBoxLayout, app: AppCatalogue | None, name: str, event: DeclaredEvent
    ) -> None:
        title = self._titles.get(event.category)
        category = tr(title) if title else event.category.title()
        card = EventCard(name, event, category, app=app)
        self.cards[(app.app_name if app is not None else "", name)] = card
        layout.addWidget(card)
