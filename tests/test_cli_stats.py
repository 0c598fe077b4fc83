"""`stats` counts every event recorded in the range, not only the raw events the cap kept
(issue 11, part 2): the example of the issue, exactly as written, with a real host."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from peft_telemetry_gui.cli import main
from peft_telemetry_gui.core.client import TelemetryClient
from peft_telemetry_gui.core.secrets import MemorySecretStore
from peft_telemetry_gui.core.services.consent import set_consent
from peft_telemetry_gui.core.store import Store

T0 = datetime(2026, 11, 21, tzinfo=UTC)


def _cli(capsys: pytest.CaptureFixture[str], data_dir: Path, *args: str) -> str:
    code = main(["--data-dir", str(data_dir), *args])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


@pytest.fixture
def two_days_of_steps(data_dir: Path) -> Path:
    """max_events=1000; 5000 step_time values 1..5000, 30 s apart: two UTC days."""
    set_consent(Store(data_dir, clock=lambda: T0), enabled=True, actor="cli")
    ticks = [0]

    def clock() -> datetime:
        """Each call on the host's thread is the next tick (every event's stamp is fixed);
        the writer's thread reads the time without moving it."""
        now = ticks[0]
        if threading.current_thread() is threading.main_thread():
            ticks[0] += 1
        return T0 + timedelta(seconds=30 * now)

    client = TelemetryClient(
        "steps",
        data_dir,
        max_events=1000,
        clock=clock,
        secret_store=MemorySecretStore(),
        environ={},
    )
    for value in range(1, 5001):
        client.track_performance("step_time", value)
    client.close()
    return data_dir


def test_the_issue_example_holds_exactly(
    capsys: pytest.CaptureFixture[str], two_days_of_steps: Path
) -> None:
    stats = json.loads(_cli(capsys, two_days_of_steps, "stats", "--json"))
    step = stats["performance"]["step_time"]
    assert step["count"] == 5000
    assert (step["min"], step["max"], step["avg"]) == (1, 5000, 2500.5)
    assert step["p50"] == pytest.approx(2500, rel=0.01)
    assert step["p95"] == pytest.approx(4750, rel=0.01)
    assert step["unit"] == "ms"
    assert stats["retained_events"] == 1000  # the cap; session_ended is among the newest
    assert stats["total_events"] == 5002  # 5000 steps, session_started, session_ended
    assert sorted(stats["daily_counts"]) == ["2026-11-21", "2026-11-22"]
    assert stats["oldest_retained"].startswith("2026-11-22")
    assert stats["sessions"]["count"] == 1
    events = json.loads(_cli(capsys, two_days_of_steps, "events", "--json"))
    assert len(events) == 1000
    # the shape of `stats --json` is kept, two keys added
    assert {
        "total_events",
        "event_counts",
        "category_counts",
        "daily_counts",
        "sessions",
        "performance",
        "system_info",
        "retained_events",
        "oldest_retained",
    } <= set(stats)


def test_a_range_of_whole_days_and_one_of_a_partial_day(
    capsys: pytest.CaptureFixture[str], two_days_of_steps: Path
) -> None:
    first = json.loads(_cli(capsys, two_days_of_steps, "stats", "--until", "2026-11-21", "--json"))
    assert first["performance"]["step_time"]["count"] == 2879  # 00:00:00 .. 23:59:30, minus start
    assert first["retained_events"] == 0  # all of that day's raw events were pruned
    # A partial day comes from the raw events that are left: the newest 1000, all in range.
    late = json.loads(
        _cli(capsys, two_days_of_steps, "stats", "--since", "2026-11-22T12:00:00Z", "--json")
    )
    assert late["retained_events"] == late["total_events"]


def test_stats_says_what_the_raw_events_are(
    capsys: pytest.CaptureFixture[str], two_days_of_steps: Path
) -> None:
    out = _cli(capsys, two_days_of_steps, "stats")
    assert "Raw events kept: the newest 1,000, since 2026-11-22" in out
    assert "counts and statistics cover the whole range" in out
    assert "step_time" in out and " 5000 " in out


def test_a_store_that_is_not_full_is_not_called_the_newest_max(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    """Five events in a store that keeps 1000: "the newest 1,000" would be untrue."""
    set_consent(Store(data_dir, clock=lambda: T0), enabled=True, actor="cli")
    with TelemetryClient(
        "five",
        data_dir,
        clock=lambda: T0,
        secret_store=MemorySecretStore(),
        environ={},
        start_session=False,
    ) as client:
        for i in range(5):
            client.track_event("step", {"i": i})
    out = _cli(capsys, data_dir, "stats")
    assert "Raw events kept: the newest 5 (at most 1,000), since 2026-11-21 00:00 UTC" in out
