"""Declared events (issue 9 §2): with a catalogue only what it declares is recorded.

Real stores in tmp_path, real clients and writer threads; the malformed catalogues are real
files (a FIFO included) and real dicts.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from peft_telemetry_gui import TelemetryClient
from peft_telemetry_gui.core.catalogue import (
    MAX_CATALOGUE_BYTES,
    CatalogueError,
    declared_catalogues,
    load_catalogue,
    parse_catalogue,
)
from peft_telemetry_gui.core.redactions import describe_redactions
from peft_telemetry_gui.core.secrets import MemorySecretStore
from peft_telemetry_gui.core.services.consent import set_consent
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
            "description": "How long saving takes",
            "unit": "ms",
            "sampled": "one save in ten",
        },
    },
}
WITH_ERRORS: dict[str, Any] = {
    "version": "2026-12b",
    "events": {
        **CATALOGUE["events"],
        "error": {
            "category": "error",
            "description": "What went wrong, so it can be fixed",
            "properties": {"phase": "training or export"},
        },
    },
}


def _consent(data_dir: Path, **kwargs: Any) -> None:
    """Consent given an hour before the client's clock: its events are all allowed."""
    set_consent(Store(data_dir, clock=lambda: NOW - timedelta(hours=1)), actor="cli", **kwargs)


def _client(data_dir: Path, **kwargs: Any) -> TelemetryClient:
    kwargs.setdefault("secret_store", MemorySecretStore())
    kwargs.setdefault("environ", {})
    kwargs.setdefault("clock", lambda: NOW)
    kwargs.setdefault("app_name", "Test App")
    return TelemetryClient(data_dir=data_dir, **kwargs)


def _events(data_dir: Path) -> dict[str, Any]:
    return {(e.metric_name or e.event_type): e for e in Store(data_dir).read().events}


def _catalogue_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.WARNING and "catalogue" in r.getMessage()
    ]


def test_only_declared_events_and_properties_are_recorded(data_dir: Path) -> None:
    _consent(data_dir, enabled=True)
    with _client(data_dir, catalogue=CATALOGUE) as client:
        client.track_event(
            "training_started",
            {"algorithm": "lora by alice@example.com", "rank": 16, "dataset": "/home/a/x.jsonl"},
        )
        client.track_event("prompt_typed", {"text": "my secret prompt"})
        client.track_performance("checkpoint_save", 12.5)
        client.track_performance("tokens_per_second", 900.0)
        try:
            raise RuntimeError("boom")
        except RuntimeError as exc:
            client.track_error(exc, {"phase": "training"})  # no "error" entry: not recorded
        assert client.flush()
        assert client.dropped == 3
    events = _events(data_dir)
    kept = {"session_started", "training_started", "checkpoint_save", "session_ended"}
    assert set(events) == kept
    # The undeclared property is gone; scrubbing still ran on the declared value.
    assert events["training_started"].properties == {"algorithm": "lora by [email]", "rank": 16}
    assert events["checkpoint_save"].value == 12.5 and events["checkpoint_save"].unit == "ms"
    text = Store(data_dir).path.read_text(encoding="utf-8")
    assert "my secret prompt" not in text and "x.jsonl" not in text and "boom" not in text
    redactions = Store(data_dir).read().redactions
    assert redactions["undeclared"] == 4  # 3 events and 1 property
    assert redactions["email"] == 1
    assert "4 undeclared events or properties" in describe_redactions(redactions)


def test_errors_are_recorded_when_the_catalogue_declares_an_error_event(data_dir: Path) -> None:
    _consent(data_dir, enabled=True)
    with _client(data_dir, catalogue=WITH_ERRORS, start_session=False) as client:
        try:
            raise ValueError("bad rank for /home/alice/run.yaml")
        except ValueError as exc:
            client.track_error(exc, {"phase": "training", "config": {"lr": 1e-4}})
        assert client.flush()
        assert client.dropped == 0
    (event,) = Store(data_dir).read().events
    assert event.category == "error" and event.error_type == "ValueError"
    assert event.error_message == "bad rank for [path]/run.yaml" and event.stack
    assert event.properties == {"phase": "training"}
    assert Store(data_dir).read().redactions["undeclared"] == 1


def test_the_library_events_stay_recorded_with_only_their_own_properties(data_dir: Path) -> None:
    _consent(data_dir, enabled=True, categories={"system": False})
    with _client(data_dir, catalogue=CATALOGUE, app_version="2.1") as client:
        # A host cannot smuggle data in under the library's names.
        client.track_event(
            "session_started", {"app_name": "Other", "system": {"user": "alice"}, "note": "x"}
        )
        assert client.flush()
    started = [e for e in Store(data_dir).read().events if e.event_type == "session_started"]
    assert [e.properties for e in started] == [
        {"app_name": "Test App", "app_version": "2.1"},
        {"app_name": "Other"},
    ]
    ended = _events(data_dir)["session_ended"]
    assert set(ended.properties) == {"duration_s"}


def test_the_catalogue_is_kept_in_the_store_before_any_decision(data_dir: Path) -> None:
    """A file path: stored at the host's start, while nothing is recorded yet, so the user can
    read what the app would record before deciding."""
    path = data_dir.parent / "events.json"
    path.write_text(json.dumps(CATALOGUE), encoding="utf-8")
    with _client(data_dir, catalogue=str(path), app_version="2.1") as client:
        client.track_event("training_started", {"rank": 8})
        assert client.flush()
    doc = Store(data_dir).read()
    assert doc.events == [] and not doc.consent.decided
    (app,) = declared_catalogues(doc)
    assert (app.app_name, app.app_version, app.declared_at) == (
        "Test App",
        "2.1",
        "2026-11-23T15:30:00Z",
    )
    assert app.catalogue == parse_catalogue(CATALOGUE)
    assert app.sha256 == parse_catalogue(CATALOGUE).sha256()
    assert doc.catalogues["Test App"]["catalogue"] == parse_catalogue(CATALOGUE).canonical()

    # The same catalogue again: the store is not rewritten.
    before = Store(data_dir).stat_key()
    with _client(data_dir, catalogue=path, app_version="2.1") as client:
        assert client.flush()
    assert Store(data_dir).stat_key() == before

    # The app without a catalogue now: the stale one goes (recording follows the categories).
    with _client(data_dir) as client:
        assert client.flush()
    assert Store(data_dir).read().catalogues == {}


def test_a_delete_all_is_followed_by_the_catalogue_again_on_the_next_write(
    data_dir: Path,
) -> None:
    from peft_telemetry_gui.core.services.delete import delete_all_data

    _consent(data_dir, enabled=True)
    with _client(data_dir, catalogue=CATALOGUE, start_session=False) as client:
        assert client.flush()
        delete_all_data(Store(data_dir), actor="cli")
        assert Store(data_dir).read().catalogues == {}
        _consent(data_dir, enabled=True)
        client.enable()
        client.track_event("training_started", {"rank": 4})
        assert client.flush()
    assert "Test App" in Store(data_dir).read().catalogues


def test_the_dict_is_read_once_a_later_change_by_the_host_changes_nothing(
    data_dir: Path,
) -> None:
    _consent(data_dir, enabled=True)
    catalogue = json.loads(json.dumps(CATALOGUE))
    with _client(data_dir, catalogue=catalogue, start_session=False) as client:
        catalogue["events"]["anything"] = {"category": "usage", "description": "late"}
        client.track_event("anything")
        assert client.flush()
    assert Store(data_dir).read().events == []


def _fifo(tmp_path: Path) -> Path:
    path = tmp_path / "events.fifo"
    os.mkfifo(path)
    return path


def _big(tmp_path: Path) -> Path:
    path = tmp_path / "big.json"
    text = json.dumps(CATALOGUE)
    path.write_text(text + " " * (MAX_CATALOGUE_BYTES + 1 - len(text)), encoding="utf-8")
    return path


def _file(text: str) -> Callable[[Path], Path]:
    def make(tmp_path: Path) -> Path:
        path = tmp_path / "events.json"
        path.write_text(text, encoding="utf-8")
        return path

    return make


def _with(**event: Any) -> dict[str, Any]:
    return {"version": "1", "events": {"training_started": event}}


MALFORMED: dict[str, Callable[[Path], object]] = {
    "bad JSON": _file('{"version": "1", "events": {'),
    "not an object": _file("[1, 2]"),
    "duplicate event": _file(
        '{"version": "1", "events": {"a": {"category": "usage", "description": "x"},'
        ' "a": {"category": "usage", "description": "y"}}}'
    ),
    "missing file": lambda tmp_path: tmp_path / "absent.json",
    "a folder": lambda tmp_path: tmp_path,
    "a FIFO": _fifo,
    "too big": _big,
    "wrong type": lambda _: _with(category="usage", description=5),
    "unknown category": lambda _: _with(category="telemetry", description="x"),
    "system category": lambda _: _with(category="system", description="x"),
    "no version": lambda _: {"events": {}},
    "unknown field": lambda _: _with(category="usage", description="x", units="ms"),
    "NaN example": lambda _: _with(
        category="usage", description="x", properties={"p": {"description": "d", "example": 1e999}}
    ),
    "library event": lambda _: {
        "version": "1",
        "events": {"session_started": {"category": "usage", "description": "x"}},
    },
    "error not named error": lambda _: {
        "version": "1",
        "events": {"crash": {"category": "error", "description": "x"}},
    },
    "not JSON values": lambda _: _with(category="usage", description=object()),
    "neither path nor dict": lambda _: 5,
}


@pytest.mark.faults
@pytest.mark.parametrize("case", list(MALFORMED))
def test_a_malformed_catalogue_is_refused_with_one_warning_and_categories_decide(
    case: str, data_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _consent(data_dir, enabled=True)
    catalogue = MALFORMED[case](tmp_path)
    with (
        caplog.at_level(logging.WARNING),
        _client(data_dir, catalogue=catalogue, start_session=False) as client,
    ):
        client.track_event("anything", {"a": 1, "b": "two"})
        client.track_performance("whatever", 3.0)
        assert client.flush()
        assert client.dropped == 0
    warnings = _catalogue_warnings(caplog)
    assert len(warnings) == 1, warnings
    assert "recording follows the categories" in warnings[0]
    events = _events(data_dir)
    assert events["anything"].properties == {"a": 1, "b": "two"}
    assert "whatever" in events
    assert Store(data_dir).read().catalogues == {}


def test_each_refusal_says_where_the_mistake_is(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match=r"events\.training_started\.category: unknown"):
        parse_catalogue(_with(category="telemetry", description="x"))
    with pytest.raises(CatalogueError, match=r"events\.training_started\.description"):
        parse_catalogue(_with(category="usage", description=5))
    with pytest.raises(CatalogueError, match="no such file"):
        load_catalogue(tmp_path / "absent.json")
    with pytest.raises(CatalogueError, match="a FIFO"):
        load_catalogue(_fifo(tmp_path))
    with pytest.raises(CatalogueError, match="over the 1 MiB limit"):
        load_catalogue(_big(tmp_path))
    with pytest.raises(CatalogueError, match="'a' is declared twice"):
        load_catalogue(MALFORMED["duplicate event"](tmp_path))  # type: ignore[arg-type]


def test_short_and_long_forms_are_one_canonical_catalogue(tmp_path: Path) -> None:
    short = parse_catalogue(CATALOGUE)
    longer = json.loads(json.dumps(CATALOGUE))
    longer["events"]["training_started"]["properties"]["algorithm"] = {
        "description": "LoRA variant"
    }
    path = tmp_path / "events.json"
    path.write_text("\ufeff" + json.dumps(longer, indent=4), encoding="utf-8")  # BOM, indented
    assert load_catalogue(path).canonical() == short.canonical()
    assert load_catalogue(path).sha256() == short.sha256()
    changed = json.loads(json.dumps(CATALOGUE))
    changed["events"]["training_started"]["properties"]["seed"] = "random seed"
    grown = parse_catalogue(changed)
    assert grown.sha256() != short.sha256()
    assert grown.declared() - short.declared() == {("usage", "training_started", "seed")}


def test_a_hand_edited_stored_catalogue_does_not_make_the_store_unreadable(
    data_dir: Path,
) -> None:
    with _client(data_dir, catalogue=CATALOGUE, start_session=False) as client:
        assert client.flush()
    raw = json.loads(Store(data_dir).path.read_text(encoding="utf-8"))
    raw["catalogues"]["Test App"]["catalogue"]["events"]["training_started"]["category"] = 7
    raw["catalogues"]["Broken"] = "nonsense"
    Store(data_dir).path.write_text(json.dumps(raw), encoding="utf-8")
    apps = declared_catalogues(Store(data_dir).read())
    assert [(a.app_name, a.catalogue is None) for a in apps] == [
        ("Broken", True),
        ("Test App", True),
    ]
    assert "category" in apps[1].error
    assert Store(data_dir).read().quarantined == []
