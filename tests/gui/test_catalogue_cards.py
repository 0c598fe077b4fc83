"""The Privacy page's data cards: one per declared event, from the catalogue in the store."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from peft_telemetry_gui import TelemetryClient
from peft_telemetry_gui.core.secrets import MemorySecretStore
from peft_telemetry_gui.core.services.consent import set_consent
from peft_telemetry_gui.core.store import Store
from peft_telemetry_gui.gui.catalogue_cards import NO_CATALOGUE

CATALOGUE: dict[str, Any] = {
    "version": "2026-12",
    "events": {
        "training_started": {
            "category": "usage",
            "description": "Which fine-tuning method people use",
            "properties": {
                "algorithm": {"description": "LoRA variant", "example": "lora"},
                "rank": "adapter rank",
            },
        },
        "checkpoint_save": {
            "category": "performance",
            "description": "<b>How long</b> saving takes",
            "unit": "ms",
            "sampled": True,
        },
    },
}


def declare(store: Store, catalogue: object = CATALOGUE) -> None:
    """A host app starts with its catalogue, through the real client and writer."""
    with TelemetryClient(
        app_name="PEFT Studio",
        app_version="2.1.0",
        data_dir=store.data_dir,
        catalogue=catalogue,  # type: ignore[arg-type]
        clock=store.clock,
        environ={},
        secret_store=MemorySecretStore(),
        start_session=False,
    ) as client:
        assert client.flush()


def test_each_declared_event_has_a_card_with_its_reasons(make_window, store) -> None:
    declare(store)
    section = make_window(store).pages["privacy"].declared
    assert section.title() == "What apps declared"
    assert not section.empty.isVisibleTo(section)
    card = section.cards[("PEFT Studio", "training_started")]
    assert card.title.text() == "training_started"
    assert card.description.text() == "Which fine-tuning method people use"
    assert card.facts.text() == "Category: Usage · sampled: no"
    assert card.properties.text() == (
        '•  algorithm: LoRA variant (example: "lora")\n•  rank: adapter rank'
    )
    saving = section.cards[("PEFT Studio", "checkpoint_save")]
    assert saving.facts.text() == (
        "Category: Performance · unit: ms · sampled: yes: only some occurrences are recorded"
    )
    # A host's text is shown as it is, never rendered as markup.
    assert saving.description.textFormat() == Qt.TextFormat.PlainText
    assert saving.description.text() == "<b>How long</b> saving takes"
    assert saving.properties.text() == "No properties."
    assert "LoRA variant" in card.accessibleDescription()
    # The library's own events are listed too, as such.
    assert {("", "session_started"), ("", "session_ended")} <= set(section.cards)


def test_without_a_catalogue_the_page_says_so_plainly(make_window, store) -> None:
    section = make_window(store).pages["privacy"].declared
    assert section.empty.isVisibleTo(section)
    assert section.empty.text() == NO_CATALOGUE
    assert NO_CATALOGUE == (
        "No app has declared its events; recording follows the categories above."
    )
    assert section.cards == {}


def test_a_catalogue_declared_while_the_app_is_open_appears(qtbot, make_window, store) -> None:
    section = make_window(store).pages["privacy"].declared
    assert section.cards == {}
    declare(store)
    qtbot.waitUntil(lambda: ("PEFT Studio", "checkpoint_save") in section.cards, timeout=5000)
    assert not section.empty.isVisibleTo(section)


def test_what_the_catalogue_kept_out_is_in_the_redaction_report(make_window, store) -> None:
    set_consent(store, enabled=True, actor="cli")
    with TelemetryClient(
        app_name="PEFT Studio",
        data_dir=store.data_dir,
        catalogue=CATALOGUE,
        clock=store.clock,
        environ={},
        secret_store=MemorySecretStore(),
        start_session=False,
    ) as client:
        client.track_event("training_started", {"rank": 8, "prompt": "my words"})
        client.track_event("prompt_typed", {"text": "my words"})
        assert client.flush()
    page = make_window(store).pages["privacy"]
    assert page.redactions.text() == "Removed so far: 2 undeclared events or properties."


def test_a_card_shows_the_hosts_translation_in_the_users_language(
    qtbot, monkeypatch, make_window, store
) -> None:
    """Issue 13: a host's catalogue may translate its descriptions; the card shows them."""
    monkeypatch.setenv("LANGUAGE", "de")
    monkeypatch.setenv("LANG", "de_DE.UTF-8")
    catalogue = {
        "version": "1",
        "events": {
            "export_done": {
                "category": "usage",
                "description": "An export finished",
                "properties": {"rows": "how many rows"},
            }
        },
        "translations": {"de": {"An export finished": "Ein Export ist fertig"}},
    }
    declare(store, catalogue)
    window = make_window(store)
    section = window.pages["privacy"].declared
    qtbot.waitUntil(lambda: ("PEFT Studio", "export_done") in section.cards, timeout=5000)
    card = section.cards[("PEFT Studio", "export_done")]
    assert card.description.text() == "Ein Export ist fertig"
    assert "how many rows" in card.properties.text()  # not translated by the host: as written
