"""Which language the user sees, as gettext reads the environment, and the pseudo-locale."""

from __future__ import annotations

import pytest

from peft_telemetry_gui.core import i18n


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, "en"),
        ({"LANG": "C.UTF-8", "LANGUAGE": "de"}, "en"),  # gettext ignores LANGUAGE under C
        ({"LANG": "de_DE.UTF-8"}, "de"),
        ({"LANG": "fr_CA.UTF-8"}, "fr"),
        ({"LANG": "en_US.UTF-8", "LANGUAGE": "de"}, "de"),
        ({"LANG": "en_US.UTF-8", "LANGUAGE": "es:fr:de"}, "fr"),  # first one shipped
        ({"LANG": "es_ES.UTF-8"}, "en"),  # not shipped: English shown, and said
        ({"LC_ALL": "de_AT.UTF-8", "LANG": "fr_FR.UTF-8"}, "de"),
        ({"LC_MESSAGES": "fr_FR", "LANG": "de_DE"}, "fr"),
        ({"LANGUAGE": "pseudo"}, "pseudo"),
        ({"PEFT_TELEMETRY_LANGUAGE": "fr"}, "fr"),  # the app's choice, even without a locale
        ({"PEFT_TELEMETRY_LANGUAGE": "fr", "LANG": "de_DE.UTF-8"}, "fr"),
        ({"PEFT_TELEMETRY_LANGUAGE": "es", "LANG": "de_DE.UTF-8"}, "de"),
    ],
)
def test_the_language_shown_follows_the_environment_as_gettext_reads_it(
    environ: dict[str, str], expected: str
) -> None:
    assert i18n.active_language(environ) == expected


def test_pseudo_brackets_and_accents_every_text_and_keeps_its_placeholders(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LANGUAGE", "pseudo")
    assert i18n.tr("Export…") == "⟦Éẋþóŕţ…⟧"
    assert i18n.trn("{n} event", "{n} events", 2).format(n=2) == "⟦2 éṽéñţš⟧"
    # Placeholders, markup and entities survive: the text still formats and renders.
    assert i18n.tr("<b>{name}</b> %(prog)s &amp; {n:,}") == "⟦<b>{name}</b> %(prog)s &amp; {n:,}⟧"
    assert i18n.tr("") == ""  # never the catalogue's header


def test_a_marked_constant_is_the_source_text_until_it_is_shown() -> None:
    assert i18n.N_("Usage") == "Usage"


def test_every_shipped_language_has_a_compiled_catalogue() -> None:
    for language in i18n.TRANSLATED:
        assert i18n.catalogue_path(language).is_file(), language


def test_a_receipt_names_the_language_the_consent_was_asked_in(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import UTC, datetime

    from peft_telemetry_gui.core.receipt import build_receipt
    from peft_telemetry_gui.core.services.consent import set_consent
    from peft_telemetry_gui.core.store import Store

    store = Store(tmp_path / "data")
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    set_consent(store, enabled=True, actor="cli")
    now = datetime(2026, 12, 1, tzinfo=UTC)
    assert build_receipt(store.read(), now=now, retention_days=30)["language"] == "fr"
    monkeypatch.setenv("LANG", "es_ES.UTF-8")  # asked for Spanish, shown English
    set_consent(store, enabled=False, actor="cli")
    assert build_receipt(store.read(), now=now, retention_days=30)["language"] == "en"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("", "Kept 1,234,567 events, 0.5 s each (12.3%)"),
        ("de", "Kept 1.234.567 events, 0,5 s each (12,3%)"),
        ("fr", "Kept 1\u202f234\u202f567 events, 0,5 s each (12,3%)"),
    ],
)
def test_numbers_in_a_translated_text_are_written_as_the_language_writes_them(
    monkeypatch: pytest.MonkeyPatch, language: str, expected: str
) -> None:
    """A German reader takes "1,000" for one: a number handed to a translated text's format
    gets the language's separators (the English source text stands in for the translation)."""
    if language:
        monkeypatch.setenv(i18n.OVERRIDE_VARIABLE, language)
    text = i18n.tr("Kept {n:,} events, {s} s each ({share:.1f}%)")
    assert text.format(n=1234567, s=0.5, share=12.34) == expected
    assert i18n.tr("{flag} {name!r}").format(flag=True, name="x") == "True 'x'"  # not numbers


def test_an_events_explanation_gives_the_category_text_in_the_users_language(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import UTC, datetime

    from peft_telemetry_gui.core.consent import collection_text
    from peft_telemetry_gui.core.event_view import ExplainContext, explain
    from peft_telemetry_gui.core.models import Event
    from peft_telemetry_gui.core.store import Store

    monkeypatch.setenv("LANG", "de_DE.UTF-8")
    doc = Store(tmp_path / "data").read()
    context = ExplainContext.build(doc, collection_text().categories)
    event = Event(
        event_type="checkpoint_saved",
        category="usage",
        session_id="s1",
        timestamp=datetime(2026, 12, 1, tzinfo=UTC),
    )
    assert explain(event, context).text.startswith("Welche Funktionen Sie nutzen")
