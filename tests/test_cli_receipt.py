"""`peft-telemetry receipt`: writing a consent receipt and checking one, as a user would."""

from __future__ import annotations

import itertools
import json
import stat
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from peft_telemetry_gui.cli import main
from peft_telemetry_gui.core.constants import CATEGORIES
from peft_telemetry_gui.core.services.consent import set_consent, set_sampling
from peft_telemetry_gui.core.store import Store

ROOT = Path(__file__).resolve().parents[1]


def run(capsys: pytest.CaptureFixture[str], data_dir: Path, *args: str) -> tuple[int, str, str]:
    code = main(["--data-dir", str(data_dir), *args])
    out, err = capsys.readouterr()
    return code, out, err


def stepping_clock() -> Callable[[], datetime]:
    ticks = itertools.count()
    return lambda: datetime(2026, 11, 23, 15, 30, tzinfo=UTC) + timedelta(seconds=next(ticks))


@pytest.fixture
def decided(data_dir: Path) -> Store:
    """Consent given on the command line (twice, an opt-out between), one category off, a host
    lowering a rate: six ledger entries."""
    store = Store(data_dir, clock=stepping_clock())
    set_consent(store, enabled=True, actor="cli")
    set_consent(store, enabled=False, actor="cli")
    set_consent(store, enabled=True, actor="cli")
    set_consent(store, enabled=None, actor="cli", categories={"system": False})
    set_sampling(store, category="performance", rate=0.5, actor="api")
    return store


def write(capsys: pytest.CaptureFixture[str], data_dir: Path, target: Path) -> dict[str, Any]:
    code, out, err = run(capsys, data_dir, "receipt", "--output", str(target))
    assert code == 0, err
    assert str(target) in out and "self-attested" in out
    return json.loads(target.read_text(encoding="utf-8"))


def test_receipt_has_the_kantara_fields_and_the_ledger_as_stored(
    capsys: pytest.CaptureFixture[str], data_dir: Path, decided: Store, tmp_path: Path
) -> None:
    target = tmp_path / "receipt.json"
    receipt = write(capsys, data_dir, target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    doc = decided.read()
    for field in ("version", "jurisdiction", "consentTimestamp", "collectionMethod",
                  "consentReceiptID", "language", "piiPrincipalId", "piiControllers",
                  "services", "sensitive"):  # fmt: skip
        assert field in receipt, field
    assert receipt["version"] == "KI-CR-v1.1.0" and receipt["sensitive"] is False
    assert receipt["piiPrincipalId"] == doc.anonymous_id
    assert receipt["consentTimestamp"] == int(doc.audit_log[-2].at.timestamp())  # category:system
    assert receipt["collectionMethod"] == "the peft-telemetry command"
    assert "this computer" in receipt["piiControllers"][0]["piiController"]
    assert receipt["attestation"].startswith("self-attested")
    (service,) = receipt["services"]
    purposes = {p["purposeCategory"][0]: p for p in service["purposes"]}
    assert list(purposes) == list(CATEGORIES)
    assert purposes["usage"]["termination"].startswith("90 days after recording")
    assert purposes["usage"]["consented"] is True and purposes["system"]["consented"] is False
    assert all(p["consentType"] and p["purpose"] for p in purposes.values())
    # The full ledger, exactly as telemetry.json holds it.
    assert receipt["ledger"] == json.loads(decided.path.read_text())["audit_log"]
    assert [e["seq"] for e in receipt["ledger"]] == list(range(1, len(doc.audit_log) + 1))
    assert receipt["ledgerHead"] == {"seq": doc.audit_log[-1].seq, "hash": doc.audit_log[-1].hash}


def test_verify_an_intact_receipt_exits_0(
    capsys: pytest.CaptureFixture[str], data_dir: Path, decided: Store, tmp_path: Path
) -> None:
    target = tmp_path / "receipt.json"
    write(capsys, data_dir, target)
    code, out, err = run(capsys, data_dir, "receipt", "--verify", str(target))
    assert code == 0 and err == ""
    assert "the ledger is intact (6 chained entries)" in out and "self-attested" in out
    code, out, _ = run(capsys, data_dir, "receipt", "--verify", str(target), "--json")
    payload = json.loads(out)
    assert code == 0 and payload["intact"] is True and payload["problems"] == []


def test_an_edited_entry_in_the_receipt_exits_1_naming_it(
    capsys: pytest.CaptureFixture[str], data_dir: Path, decided: Store, tmp_path: Path
) -> None:
    target = tmp_path / "receipt.json"
    receipt = write(capsys, data_dir, target)
    entry = receipt["ledger"][4]  # category:system True -> False: claim it was never switched off
    assert (entry["seq"], entry["what"]) == (5, "category:system")
    entry["to"] = True
    target.write_text(json.dumps(receipt, indent=2))
    code, out, err = run(capsys, data_dir, "receipt", "--verify", str(target))
    assert code == 1 and err == ""
    assert "the ledger was altered" in out
    (line,) = [line for line in out.splitlines() if line.startswith("  entry")]
    assert line.strip() == (
        f"entry 5 ({entry['at']}, category:system): was altered: its content no longer "
        "matches its hash"
    )
    code, out, _ = run(capsys, data_dir, "receipt", "--verify", str(target), "--json")
    payload = json.loads(out)
    assert code == 1 and payload["intact"] is False
    assert [(p["seq"], p["what"]) for p in payload["problems"]] == [(5, "category:system")]


def test_the_newest_entry_cut_from_a_receipt_exits_1(
    capsys: pytest.CaptureFixture[str], data_dir: Path, decided: Store, tmp_path: Path
) -> None:
    target = tmp_path / "receipt.json"
    receipt = write(capsys, data_dir, target)
    receipt["ledger"].pop()
    target.write_text(json.dumps(receipt))
    code, out, _ = run(capsys, data_dir, "receipt", "--verify", str(target))
    assert code == 1
    assert "ledgerHead: says the ledger ends at entry 6, but it ends at entry 5" in out


def test_a_file_that_is_not_a_receipt_is_one_clear_line(
    capsys: pytest.CaptureFixture[str], data_dir: Path, decided: Store, tmp_path: Path
) -> None:
    export = tmp_path / "export.json"
    assert run(capsys, data_dir, "export", "--output", str(export))[0] == 0
    notes = tmp_path / "notes.txt"
    notes.write_text("not json at all")
    for path, why in ((export, "no Kantara receipt version"), (notes, "it is not JSON")):
        code, out, err = run(capsys, data_dir, "receipt", "--verify", str(path))
        assert code == 1 and out == ""
        assert err.count("\n") == 1 and "Traceback" not in err
        assert f"{path} is not a consent receipt" in err and why in err
    code, _, err = run(capsys, data_dir, "receipt", "--verify", str(tmp_path / "missing.json"))
    assert code == 1 and err.count("\n") == 1 and "No such file" in err


def test_verify_without_a_file_checks_the_stores_own_ledger(
    capsys: pytest.CaptureFixture[str], data_dir: Path, decided: Store
) -> None:
    code, out, _ = run(capsys, data_dir, "receipt", "--verify")
    assert code == 0 and "intact" in out and str(decided.path) in out
    raw = json.loads(decided.path.read_text())
    raw["audit_log"][0]["actor"] = "gui"  # "it was the app, not me"
    decided.path.write_text(json.dumps(raw))
    code, out, _ = run(capsys, data_dir, "receipt", "--verify")
    assert code == 1 and "entry 1 (" in out and "decision): was altered" in out


def test_no_overwrite_without_force(
    capsys: pytest.CaptureFixture[str], data_dir: Path, decided: Store, tmp_path: Path
) -> None:
    target = tmp_path / "receipt.json"
    target.write_text("mine")
    code, _, err = run(capsys, data_dir, "receipt", "--output", str(target))
    assert code == 1 and "already exists" in err and target.read_text() == "mine"
    code, _, _ = run(capsys, data_dir, "receipt", "--output", str(target), "--force")
    assert code == 0 and json.loads(target.read_text())["version"] == "KI-CR-v1.1.0"
    link = tmp_path / "link.json"
    link.symlink_to(target)
    code, _, err = run(capsys, data_dir, "receipt", "--output", str(link), "--force")
    assert code == 1 and "symbolic link" in err and link.is_symlink()


def test_nothing_decided_means_no_receipt(
    capsys: pytest.CaptureFixture[str], data_dir: Path, tmp_path: Path
) -> None:
    code, _, err = run(capsys, data_dir, "receipt", "--output", str(tmp_path / "r.json"))
    assert code == 1 and "nothing has been decided yet" in err
    assert not (tmp_path / "r.json").exists()


def test_a_refusal_has_a_receipt_without_an_id(
    capsys: pytest.CaptureFixture[str], data_dir: Path, tmp_path: Path
) -> None:
    assert run(capsys, data_dir, "disable")[0] == 0
    receipt = write(capsys, data_dir, tmp_path / "r.json")
    assert receipt["piiPrincipalId"] == "none"
    assert not any(p["consented"] for p in receipt["services"][0]["purposes"])
    assert [e["what"] for e in receipt["ledger"]] == ["decision"]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["receipt"], "one of the arguments --output --verify is required"),
        (["receipt", "--output", "a.json", "--verify", "b.json"], "not allowed with argument"),
        (["receipt", "--verify", "b.json", "--force"], "--force only goes with --output"),
        (["receipt", "--output", ""], "--output is empty"),
    ],
)
def test_usage_mistakes_exit_2(
    capsys: pytest.CaptureFixture[str], data_dir: Path, args: list[str], says: str
) -> None:
    code, _, err = run(capsys, data_dir, *args)
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert says in err


def test_the_installed_command_round_trip(data_dir: Path, decided: Store, tmp_path: Path) -> None:
    """The same through a real process: what a user types in a shell."""
    target = tmp_path / "r.json"
    base = [sys.executable, "-m", "peft_telemetry_gui.cli", "--data-dir", str(data_dir)]
    done = subprocess.run(
        [*base, "receipt", "--output", str(target)], capture_output=True, text=True, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    done = subprocess.run(
        [*base, "receipt", "--verify", str(target)], capture_output=True, text=True, cwd=ROOT
    )
    assert done.returncode == 0 and "intact" in done.stdout
