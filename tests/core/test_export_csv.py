"""CSV export cells (issue 12): a missing field is an empty cell, never the JSON word `null`;
a stack is one readable cell. A real client writes a real store in tmp_path; the file is read
back with the `csv` module, as a spreadsheet would."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

from peft_telemetry_gui import TelemetryClient
from peft_telemetry_gui.core.export import CSV_COLUMNS, export_data
from peft_telemetry_gui.core.secrets import FileSecretStore
from peft_telemetry_gui.core.services.consent import set_consent
from peft_telemetry_gui.core.store import Store

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
STACK_SEPARATOR = " | "  # documented in `export.csv_value`


def _inner() -> None:
    raise KeyError("missing-key")


def _outer() -> None:
    _inner()


def _exported(data_dir: Path, out: Path) -> list[dict[str, str]]:
    store = Store(data_dir, clock=lambda: NOW)
    set_consent(store, enabled=True, actor="cli")
    secrets = FileSecretStore(data_dir / "secrets.json")
    with TelemetryClient(
        data_dir=data_dir, secret_store=secrets, environ={}, clock=lambda: NOW
    ) as client:
        client.track_event("training_started", {"algorithm": "lora"})
        client.track_performance("save", 12.5, "ms")
        try:
            _outer()
        except KeyError as exc:
            client.track_error(exc)
    export_data(store.read(), out, "csv")
    with out.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames or ()) == CSV_COLUMNS
        return list(reader)


def test_missing_fields_are_empty_cells_never_null(data_dir: Path, tmp_path: Path) -> None:
    rows = _exported(data_dir, tmp_path / "export.csv")
    assert not [(r["event_type"], k) for r in rows for k, v in r.items() if v == "null"]
    started = next(r for r in rows if r["event_type"] == "training_started")
    for column in ("stack", "error_type", "error_message", "metric_name", "value", "unit"):
        assert started[column] == "", column
    perf = next(r for r in rows if r["event_type"] == "performance")
    assert perf["stack"] == "" and perf["error_type"] == ""
    assert json.loads(started["properties"])["algorithm"] == "lora"  # present: still JSON


def test_a_stack_is_one_readable_cell_of_its_frames(data_dir: Path, tmp_path: Path) -> None:
    rows = _exported(data_dir, tmp_path / "export.csv")
    error = next(r for r in rows if r["event_type"] == "error")
    stored = next(e for e in Store(data_dir).read().events if e.stack)
    cell = error["stack"]
    assert cell == STACK_SEPARATOR.join(stored.stack)
    assert "\n" not in cell and not cell.startswith(("[", '"'))  # frames, not JSON text
    frames = cell.split(STACK_SEPARATOR)
    assert len(frames) == len(stored.stack) >= 2
    assert "_outer" in cell and "_inner" in cell
    assert cell.index("_outer") < cell.index("_inner")  # outermost call first, as stored
