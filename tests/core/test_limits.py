"""Limits that belong to the store (issue 11, part 1): `max_events` and `retention_days` live
in the document; a host's explicit constructor arguments set them; the app and the CLI never
change them as a side effect; no process prunes below them; the user's choice is audit-logged
and wins over a host's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from peft_telemetry_gui.cli import main
from peft_telemetry_gui.core import analytics
from peft_telemetry_gui.core.client import TelemetryClient
from peft_telemetry_gui.core.secrets import MemorySecretStore
from peft_telemetry_gui.core.services.consent import set_consent
from peft_telemetry_gui.core.services.limits import set_limits
from peft_telemetry_gui.core.store import Store

T0 = datetime(2026, 11, 23, 9, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]

#: A real host process: `python -c HOST DATA_DIR COUNT MAX_EVENTS [RETENTION_DAYS]`. Its clock
#: is fixed (one second per call from T0), so its events never depend on the wall clock.
HOST = textwrap.dedent(
    """
    import itertools, sys
    from datetime import UTC, datetime, timedelta
    from peft_telemetry_gui.core.client import TelemetryClient
    from peft_telemetry_gui.core.secrets import MemorySecretStore
    t0 = datetime(2026, 11, 23, 9, tzinfo=UTC)
    ticks = itertools.count()
    limits = {"max_events": int(sys.argv[3])}
    if len(sys.argv) > 4:
        limits["retention_days"] = int(sys.argv[4])
    client = TelemetryClient(
        "Big Host", sys.argv[1], clock=lambda: t0 + timedelta(seconds=next(ticks)),
        secret_store=MemorySecretStore(), environ={}, start_session=False, **limits,
    )
    for i in range(int(sys.argv[2])):
        client.track_event("step", {"i": i})
    print(client.flush(60))
    client.close()
    """
)


def _env() -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }


def _host(data_dir: Path, count: int, *limits: int) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", HOST, str(data_dir), str(count), *map(str, limits)],
        capture_output=True,
        text=True,
        timeout=120,
        env=_env(),
    )
    assert proc.returncode == 0 and proc.stdout.strip() == "True", proc.stderr


def _cli_process(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "peft_telemetry_gui.cli", "--data-dir", str(data_dir), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=_env(),
    )


def _client(data_dir: Path, **kwargs: object) -> TelemetryClient:
    return TelemetryClient(
        "Big Host",
        data_dir,
        clock=lambda: T0,
        secret_store=MemorySecretStore(),
        environ={},
        start_session=False,
        **kwargs,  # type: ignore[arg-type]
    )


def _fill(data_dir: Path, count: int, **kwargs: object) -> None:
    with _client(data_dir, **kwargs) as client:
        for i in range(count):
            client.track_event("step", {"i": i})


def _consent(data_dir: Path) -> None:
    set_consent(Store(data_dir, clock=lambda: T0 - timedelta(hours=1)), enabled=True, actor="cli")


# ------------------------------------------------------------------------------ in one process
def test_a_default_store_never_prunes_below_the_hosts_limit(data_dir: Path) -> None:
    _consent(data_dir)
    _fill(data_dir, 3000, max_events=100_000)
    app = Store(data_dir, clock=lambda: T0)  # the app's and the CLI's: default limits
    set_consent(app, enabled=False, actor="gui")
    set_consent(app, enabled=True, actor="gui")
    doc = Store(data_dir).read()
    assert len(doc.events) == 3000
    assert doc.limits.max_events == 100_000 and doc.limits.retention_days is None
    assert app.max_events == 100_000
    entry = next(e for e in doc.audit_log if e.what == "max_events")
    assert (entry.actor, entry.app_name, entry.from_value, entry.to_value) == (
        "api",
        "Big Host",
        1000,
        100_000,
    )


def test_a_host_without_explicit_limits_keeps_the_stored_ones(data_dir: Path) -> None:
    _consent(data_dir)
    _fill(data_dir, 1500, max_events=5000)
    _fill(data_dir, 10)  # defaults: nothing set, nothing pruned to 1000
    doc = Store(data_dir).read()
    assert len(doc.events) == 1510 and doc.limits.max_events == 5000
    assert [e.what for e in doc.audit_log].count("max_events") == 1


def test_an_unusable_host_limit_sets_nothing(data_dir: Path) -> None:
    _consent(data_dir)
    _fill(data_dir, 5, max_events="lots")
    assert Store(data_dir).read().limits.max_events is None


def test_the_users_choice_wins_over_a_hosts(data_dir: Path) -> None:
    _consent(data_dir)
    change = set_limits(Store(data_dir, clock=lambda: T0), max_events=50, actor="cli")
    assert (change.max_events, change.events_removed) == (50, 0)
    _fill(data_dir, 200, max_events=100_000, retention_days=365)
    doc = Store(data_dir).read()
    assert len(doc.events) == 50  # the host's 100 000 did not override the user's 50
    assert doc.limits.max_events == 50 and doc.limits.retention_days == 365
    assert doc.limits.user_chosen == ["max_events"]
    whats = [(e.what, e.actor, e.method) for e in doc.audit_log if e.what != "consent"]
    assert ("max_events", "cli", "cli") in whats
    assert ("retention_days", "api", "host_api") in whats
    assert ("max_events", "api", "host_api") not in whats


def test_lowering_the_limit_prunes_now_and_the_counts_stay(data_dir: Path) -> None:
    _consent(data_dir)
    _fill(data_dir, 100, max_events=1000)
    change = set_limits(Store(data_dir, clock=lambda: T0), max_events=10, actor="gui")
    assert change.events_removed == 90
    doc = Store(data_dir).read()
    assert len(doc.events) == 10
    assert analytics.compute_with_rollups(doc.events, doc.rollups).analytics.total_events == 100


@pytest.mark.parametrize("bad", [{"max_events": 0}, {"retention_days": 4000}, {"max_events": 1.5}])
def test_a_limit_out_of_range_is_refused_in_words(data_dir: Path, bad: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="keep between"):
        set_limits(Store(data_dir), actor="cli", **bad)  # type: ignore[arg-type]
    assert not (data_dir / "telemetry.json").exists()


# ------------------------------------------------------------------------------ real processes
def test_across_processes_the_cli_keeps_what_a_host_stored(data_dir: Path) -> None:
    _consent(data_dir)
    # 3650 days: the CLI prunes by its wall clock; events of 2026 stay within that until 2036
    _host(data_dir, 3000, 100_000, 3650)
    for command in ("disable", "enable"):
        proc = _cli_process(data_dir, command)
        assert proc.returncode == 0, proc.stderr
    doc = Store(data_dir).read()
    assert len(doc.events) == 3000
    assert (doc.limits.max_events, doc.limits.retention_days) == (100_000, 3650)
    status = json.loads(_cli_process(data_dir, "limits", "--json").stdout)
    assert status["max_events"] == 100_000 and status["events_stored"] == 3000


def test_the_cli_sets_limits_audited_and_a_host_process_respects_them(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _consent(data_dir)
    code = main(["--data-dir", str(data_dir), "limits", "--max-events", "20", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert json.loads(out)["max_events"] == 20
    _host(data_dir, 100, 100_000)
    doc = Store(data_dir).read()
    assert len(doc.events) == 20
    assert analytics.compute_with_rollups(doc.events, doc.rollups).analytics.total_events == 100
    assert main(["--data-dir", str(data_dir), "limits", "--max-events", "0"]) == 2
    assert "--max-events takes 1 to" in capsys.readouterr().err
