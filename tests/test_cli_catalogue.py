"""`peft-telemetry catalogue`: what each app declared, as a user reads it in a terminal."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from peft_telemetry_gui import TelemetryClient
from peft_telemetry_gui.cli import main
from peft_telemetry_gui.core.catalogue import parse_catalogue
from peft_telemetry_gui.core.secrets import MemorySecretStore
from peft_telemetry_gui.core.store import Store

NOW = datetime(2026, 11, 23, 15, 30, tzinfo=UTC)
CATALOGUE: dict[str, Any] = {
    "version": "2026-12",
    "events": {
        "training_started": {
            "category": "usage",
            "description": "Which fine-tuning method people use",
            "properties": {
                "algorithm": "LoRA variant",
                "rank": {"description": "adapter rank", "example": 16},
            },
        },
        "checkpoint_save": {
            "category": "performance",
            "description": "How long saving takes\x1b[2J",
            "unit": "ms",
            "sampled": "one save in ten",
        },
    },
}


def run(capsys: pytest.CaptureFixture[str], data_dir: Path, *args: str) -> tuple[int, str, str]:
    code = main(["--data-dir", str(data_dir), *args])
    out, err = capsys.readouterr()
    return code, out, err


def declare(data_dir: Path, catalogue: object = CATALOGUE) -> None:
    """A host app starts with its catalogue (no consent needed for it to be stored)."""
    with TelemetryClient(
        app_name="PEFT Studio",
        app_version="2.1.0",
        data_dir=data_dir,
        catalogue=catalogue,  # type: ignore[arg-type]
        clock=lambda: NOW,
        environ={},
        secret_store=MemorySecretStore(),
    ) as client:
        assert client.flush()


def test_catalogue_shows_each_event_with_its_reasons(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    declare(data_dir)
    code, out, err = run(capsys, data_dir, "catalogue")
    assert (code, err) == (0, "")
    first = "PEFT Studio 2.1.0 declared 2 events (catalogue 2026-12, saved 2026-11-23 15:30 UTC)"
    assert first in out
    assert "nothing else it sends is recorded" in out
    assert "  training_started  (usage)\n      Which fine-tuning method people use\n" in out
    assert "      - algorithm: LoRA variant\n" in out
    assert "      - rank: adapter rank (example: 16)\n" in out
    assert "  checkpoint_save  (performance, in ms)" in out
    assert "sampled: yes: one save in ten" in out
    assert "\x1b" not in out and "How long saving takes\\x1b[2J" in out  # shown, not obeyed
    assert "Recorded by the library itself, for every app:" in out
    assert "  session_started  (usage)" in out and "duration_s" in out


def test_catalogue_json_is_the_stored_canonical_form(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    declare(data_dir)
    code, out, _ = run(capsys, data_dir, "catalogue", "--json")
    assert code == 0
    payload = json.loads(out)
    (app,) = payload["apps"]
    canonical = parse_catalogue(CATALOGUE).canonical()
    assert app == {
        "app_name": "PEFT Studio",
        "app_version": "2.1.0",
        "declared_at": "2026-11-23T15:30:00Z",
        "sha256": parse_catalogue(CATALOGUE).sha256(),
        "version": "2026-12",
        "events": canonical["events"],
        "error": None,
    }
    assert app["events"]["training_started"]["properties"]["algorithm"] == {
        "description": "LoRA variant"
    }
    assert set(payload["library_events"]) == {"session_started", "session_ended"}


def test_without_a_catalogue_it_says_so_plainly(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    code, out, err = run(capsys, data_dir, "catalogue")
    assert (code, err) == (0, "")
    assert out.strip() == (
        "No app has declared its events; recording follows the categories "
        "(see 'peft-telemetry status')."
    )
    code, out, _ = run(capsys, data_dir, "catalogue", "--json")
    assert code == 0 and json.loads(out)["apps"] == []


def test_a_refused_catalogue_is_not_shown_as_declared(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    declare(data_dir, {"version": "1", "events": {"x": {"category": "nope", "description": "d"}}})
    code, out, _ = run(capsys, data_dir, "catalogue")
    assert code == 0 and out.startswith("No app has declared its events")


def test_an_unreadable_stored_catalogue_is_named_and_the_rest_still_shows(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    declare(data_dir)
    store = Store(data_dir)
    raw = json.loads(store.path.read_text(encoding="utf-8"))
    raw["catalogues"]["Other Tool"] = {"catalogue": {"version": 3, "events": {}}}
    store.path.write_text(json.dumps(raw), encoding="utf-8")
    code, out, err = run(capsys, data_dir, "catalogue")
    assert (code, err) == (0, "")
    assert "Other Tool: its stored catalogue cannot be read (version: " in out
    assert "PEFT Studio 2.1.0 declared 2 events" in out
    code, out, _ = run(capsys, data_dir, "catalogue", "--json")
    other = next(a for a in json.loads(out)["apps"] if a["app_name"] == "Other Tool")
    assert other["events"] is None and other["error"].startswith("version:")
