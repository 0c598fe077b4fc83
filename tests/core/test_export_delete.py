from __future__ import annotations

import csv
import json
import stat
from pathlib import Path

import pytest

from peft_telemetry_gui import TelemetryClient
from peft_telemetry_gui.core.export import ExportDocument, ExportError, export_data
from peft_telemetry_gui.core.secrets import HMAC_KEY_NAME, FileSecretStore
from peft_telemetry_gui.core.services.consent import set_consent
from peft_telemetry_gui.core.services.delete import delete_all_data
from peft_telemetry_gui.core.store import Store


def _filled(data_dir: Path) -> Store:
    store = Store(data_dir)
    set_consent(store, enabled=True, actor="cli")
    secrets = FileSecretStore(data_dir / "secrets.json")
    with TelemetryClient(data_dir=data_dir, secret_store=secrets, environ={}) as client:
        client.track_event("training_started", {"algorithm": "lora"})
        client.track_performance("save", 12.5, "ms")
        try:
            raise ValueError("=SUM(A1:A9)")
        except ValueError as exc:
            client.track_error(exc)
    return store


def test_json_export_holds_everything_and_parses_with_the_schema(
    data_dir: Path, tmp_path: Path
) -> None:
    store = _filled(data_dir)
    out = tmp_path / "export.json"
    result = export_data(store.read(), out, "json")
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    doc = ExportDocument.model_validate_json(out.read_bytes())
    raw = json.loads(out.read_text())
    assert set(raw) >= {"schema_version", "exported_at", "consent", "audit_log", "events"}
    assert raw["anonymous_id"] == store.read().anonymous_id
    assert result.event_count == len(doc.events) == 5
    assert doc.analytics.total_events == 5


def test_csv_export_has_one_row_per_event_and_defuses_formulas(
    data_dir: Path, tmp_path: Path
) -> None:
    store = _filled(data_dir)
    out = tmp_path / "export.csv"
    export_data(store.read(), out, "csv")
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 5
    assert {r["event_type"] for r in rows} >= {"training_started", "performance", "error"}
    started = next(r for r in rows if r["event_type"] == "training_started")
    assert json.loads(started["properties"])["algorithm"] == "lora"
    perf = next(r for r in rows if r["event_type"] == "performance")
    assert (perf["metric_name"], float(perf["value"]), perf["unit"]) == ("save", 12.5, "ms")
    error = next(r for r in rows if r["event_type"] == "error")
    assert error["error_message"] == "'=SUM(A1:A9)"  # a spreadsheet shows it, never runs it


def test_export_never_silently_overwrites(data_dir: Path, tmp_path: Path) -> None:
    store = _filled(data_dir)
    out = tmp_path / "mine.json"
    out.write_text("my own notes")
    with pytest.raises(ExportError, match="already exists"):
        export_data(store.read(), out, "json")
    assert out.read_text() == "my own notes"
    export_data(store.read(), out, "json", overwrite=True)
    assert json.loads(out.read_text())["events"]


def test_export_to_a_missing_folder_is_a_clear_error(data_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="does not exist"):
        export_data(Store(data_dir).read(), tmp_path / "nope" / "x.json", "json")


def test_delete_leaves_nothing_of_the_old_data_or_id(data_dir: Path) -> None:
    store = _filled(data_dir)
    before = store.read()
    old_id = before.anonymous_id
    event_ids = [e.id for e in before.events]
    session_ids = {e.session_id for e in before.events}
    (data_dir / "telemetry.corrupt-20260101T000000Z.json").write_text(old_id)
    secrets = FileSecretStore(data_dir / "secrets.json")
    assert secrets.get(HMAC_KEY_NAME)

    report = delete_all_data(store, actor="gui", secret_store=secrets)

    after = store.read()
    assert report.events_deleted == 5 and report.secrets_removed
    assert after.events == [] and after.redactions == {} and after.quarantined == []
    assert [e.what for e in after.audit_log] == ["all data deleted"]
    assert after.consent.enabled is False and after.anonymous_id != old_id
    assert secrets.get(HMAC_KEY_NAME) is None
    blob = b"".join(p.read_bytes() for p in data_dir.rglob("*") if p.is_file())
    for needle in [old_id, *event_ids, *session_ids, "training_started", "SUM(A1"]:
        assert needle.encode() not in blob, needle


def test_delete_also_drops_events_still_buffered_in_a_running_host(data_dir: Path) -> None:
    store = Store(data_dir)
    set_consent(store, enabled=True, actor="cli")
    secrets = FileSecretStore(data_dir / "secrets.json")
    client = TelemetryClient(
        data_dir=data_dir, secret_store=secrets, environ={}, flush_interval=60, start_session=False
    )
    try:
        assert client.flush()  # the writer is up; what follows stays in memory
        client.track_event("buffered_before_delete")
        delete_all_data(Store(data_dir), actor="gui", secret_store=secrets)
        assert client.flush()
    finally:
        client.close()
    assert Store(data_dir).read().events == []
