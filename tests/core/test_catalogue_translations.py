"""A host's translations of its catalogue's texts: stored with it, shown in the user's language,
never part of what the user consented to (the hash).

Real stores in tmp_path, real clients and writer threads; the language comes from the
environment, as gettext reads it.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from peft_telemetry_gui import TelemetryClient
from peft_telemetry_gui.core.catalogue import (
    LIBRARY_EVENTS,
    CatalogueError,
    declared_catalogues,
    parse_catalogue,
    sampling_words,
)
from peft_telemetry_gui.core.consent import consent_text_sha256
from peft_telemetry_gui.core.event_view import ExplainContext, explain
from peft_telemetry_gui.core.i18n import tr
from peft_telemetry_gui.core.models import Event
from peft_telemetry_gui.core.review import review
from peft_telemetry_gui.core.secrets import MemorySecretStore
from peft_telemetry_gui.core.services.consent import set_consent
from peft_telemetry_gui.core.store import Store

NOW = datetime(2026, 11, 23, 15, 30, tzinfo=UTC)

PLAIN: dict[str, Any] = {
    "version": "2026-12",
    "events": {
        "training_started": {
            "category": "usage",
            "description": "Which fine-tuning method people use",
            "properties": {"rank": {"description": "adapter rank", "example": 16}},
        },
        "checkpoint_save": {
            "category": "performance",
            "description": "How long saving takes",
            "unit": "ms",
            "sampled": "one save in ten",
        },
    },
}
TRANSLATED: dict[str, Any] = {
    **copy.deepcopy(PLAIN),
    "translations": {
        "de": {
            "Which fine-tuning method people use": "Welche Feinabstimmungsmethode genutzt wird",
            "adapter rank": "Rang des Adapters",
            "one save in ten": "jedes zehnte Speichern",
        }
    },
}


def _language(monkeypatch: pytest.MonkeyPatch, lang: str) -> None:
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", lang)


def _client(data_dir: Path, catalogue: dict[str, Any]) -> TelemetryClient:
    return TelemetryClient(
        data_dir=data_dir,
        app_name="Test App",
        catalogue=catalogue,
        secret_store=MemorySecretStore(),
        environ={},
        clock=lambda: NOW,
    )


def _declare(data_dir: Path, catalogue: dict[str, Any]) -> None:
    with _client(data_dir, catalogue) as client:
        assert client.flush()


def test_a_german_user_reads_the_hosts_german_text(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _declare(data_dir, TRANSLATED)
    (app,) = declared_catalogues(Store(data_dir).read())  # read back, as the app and CLI do
    _language(monkeypatch, "de_DE.UTF-8")
    assert app.text("Which fine-tuning method people use") == (
        "Welche Feinabstimmungsmethode genutzt wird"
    )
    assert app.text("adapter rank") == "Rang des Adapters"
    assert app.text("How long saving takes") == "How long saving takes"  # not translated
    event = app.catalogue.events["checkpoint_save"]  # type: ignore[union-attr]
    assert sampling_words(event, app).endswith("jedes zehnte Speichern")


def test_a_french_user_without_a_french_translation_reads_english(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _declare(data_dir, TRANSLATED)
    (app,) = declared_catalogues(Store(data_dir).read())
    _language(monkeypatch, "fr_FR.UTF-8")
    assert app.text("Which fine-tuning method people use") == (
        "Which fine-tuning method people use"
    )


def test_the_librarys_own_descriptions_go_through_our_catalogue(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _declare(data_dir, TRANSLATED)
    (app,) = declared_catalogues(Store(data_dir).read())
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    monkeypatch.setenv("LANGUAGE", "pseudo")
    library = LIBRARY_EVENTS["session_ended"].description
    assert app.text(library) == tr(library) != library
    assert app.text(library).startswith("⟦")


def test_translations_change_neither_the_hash_nor_what_was_consented_to(
    data_dir: Path,
) -> None:
    assert parse_catalogue(TRANSLATED).sha256() == parse_catalogue(PLAIN).sha256()
    assert "translations" not in parse_catalogue(TRANSLATED).canonical()
    set_consent(Store(data_dir, clock=lambda: NOW - timedelta(hours=1)), actor="cli", enabled=True)
    _declare(data_dir, PLAIN)
    before = Store(data_dir).read()
    _declare(data_dir, TRANSLATED)  # the same catalogue with translations added
    after = Store(data_dir).read()
    record = after.catalogues["Test App"]
    assert record["translations"] == TRANSLATED["translations"]  # stored, beside the catalogue
    assert record["sha256"] == before.catalogues["Test App"]["sha256"]
    assert record["catalogue"] == before.catalogues["Test App"]["catalogue"]
    assert consent_text_sha256(after) == consent_text_sha256(before)
    assert review(after).added == ()  # nothing to re-consent to


@pytest.mark.parametrize(
    ("translations", "expected"),
    [
        ({"German": {"adapter rank": "Rang"}}, "is not a short language code"),
        ({"de": {"a description nobody wrote": "x"}}, "is not a description"),
        ({"de": {"adapter rank": 5}}, "translations.de.adapter rank"),
        ({"de": {"adapter rank": ""}}, "at least 1 character"),
        ({"de": {"adapter rank": "x" * 1001}}, "at most 1000 characters"),
        ({"de": ["Rang"]}, "translations.de"),
        ({f"l{chr(97 + i // 26)}{chr(97 + i % 26)}": {} for i in range(51)}, "more than 50"),
    ],
)
def test_bad_translations_are_refused_with_one_line(
    translations: dict[str, Any], expected: str
) -> None:
    with pytest.raises(CatalogueError) as caught:
        parse_catalogue({**copy.deepcopy(PLAIN), "translations": translations})
    message = str(caught.value)
    assert expected in message
    assert "\n" not in message


def test_the_events_page_explanation_and_the_review_use_the_hosts_translation(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_consent(Store(data_dir, clock=lambda: NOW - timedelta(hours=1)), actor="cli", enabled=True)
    _declare(
        data_dir, {"version": "1", "events": {"other": {"category": "usage", "description": "x"}}}
    )
    with _client(data_dir, TRANSLATED) as client:
        client.track_event("training_started", {"rank": 8})
        assert client.flush()
    doc = Store(data_dir).read()
    _language(monkeypatch, "de_DE.UTF-8")
    (added, *_) = [i for i in review(doc).added if i.event == "training_started" and not i.property]
    assert added.words().endswith("Welche Feinabstimmungsmethode genutzt wird")
    assert added.words(english=True).endswith("Which fine-tuning method people use")
    started = Event(
        timestamp=NOW,
        category="usage",
        event_type="training_started",
        session_id="s1",
        properties={"rank": 8},
    )
    explanation = explain(started, ExplainContext.build(doc, {}))
    assert explanation.text == "Welche Feinabstimmungsmethode genutzt wird"
    assert explanation.properties["rank"] == "Rang des Adapters"
