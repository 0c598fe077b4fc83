"""Shared fixtures: every test gets its own data folder and never touches the user's keyring."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    for name in ("DO_NOT_TRACK", "PEFT_TELEMETRY_DISABLED", "PEFT_TELEMETRY_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PEFT_TELEMETRY_SECRETS", "file")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    yield


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"
