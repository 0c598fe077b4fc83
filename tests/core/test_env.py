"""What the environment says, read by the composition roots only."""

from __future__ import annotations

import pytest

from peft_telemetry_gui.core.env import env_override, upload_worker_allowed


@pytest.mark.parametrize(
    ("value", "wanted"),
    [(None, True), ("1", True), ("0", False), (" No ", False), ("false", False), ("off", False)],
)
def test_upload_worker_runs_unless_the_environment_says_not_to(
    value: str | None, wanted: bool
) -> None:
    environ = {} if value is None else {"PEFT_TELEMETRY_UPLOAD_WORKER": value}
    assert upload_worker_allowed(environ) is wanted


def test_an_injected_environment_is_the_only_one_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DO_NOT_TRACK", "1")
    monkeypatch.setenv("PEFT_TELEMETRY_UPLOAD_WORKER", "0")
    assert env_override({}) is None
    assert upload_worker_allowed({}) is True
    assert env_override() == "DO_NOT_TRACK=1"
    assert upload_worker_allowed() is False
