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


@pytest.mark.parametrize("name", ["DO_NOT_TRACK", "PEFT_TELEMETRY_DISABLED"])
@pytest.mark.parametrize("value", ["1", "2", "true", "TRUE", "yes", "on", "anything", " 2 ", "-1"])
def test_any_value_but_an_explicit_no_opts_out(name: str, value: str) -> None:
    assert env_override({name: value}) == f"{name}={value.strip()}"


@pytest.mark.parametrize("name", ["DO_NOT_TRACK", "PEFT_TELEMETRY_DISABLED"])
@pytest.mark.parametrize("value", ["", "   ", "0", "false", "False", " NO ", "off", "OFF"])
def test_an_explicit_no_or_an_empty_value_leaves_consent_in_charge(name: str, value: str) -> None:
    assert env_override({name: value}) is None


def test_either_variable_is_enough_and_the_first_that_says_no_is_named() -> None:
    both = {"DO_NOT_TRACK": "0", "PEFT_TELEMETRY_DISABLED": "2"}
    assert env_override(both) == "PEFT_TELEMETRY_DISABLED=2"
