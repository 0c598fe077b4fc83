"""Shared fixtures: every test gets its own data folder and never touches the user's keyring."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    # The language variables too: every test sees the source (English) texts whatever the
    # machine's locale; a test of another language sets LANGUAGE/LANG itself.
    for name in (
        *("DO_NOT_TRACK", "PEFT_TELEMETRY_DISABLED", "PEFT_TELEMETRY_DIR"),
        *("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG", "PEFT_TELEMETRY_LANGUAGE"),
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PEFT_TELEMETRY_SECRETS", "file")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    yield


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def no_upload_worker(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Upload tests drive their own worker (fast timings) or send in the caller's thread: the
    process-wide worker a client would start must not race them."""
    monkeypatch.setenv("PEFT_TELEMETRY_UPLOAD_WORKER", "0")
    yield


@pytest.fixture
def rx() -> Iterator[Any]:
    """A scripted OTLP/HTTP receiver on 127.0.0.1 (tests/upload_receiver.py)."""
    from upload_receiver import Receiver

    with Receiver() as receiver:
        yield receiver


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Any]:
    """A real tmpfs on request (needs root, else the test is skipped): `tmpfs("2m")` mounts one
    and returns its path, `tmpfs.read_only(path)` remounts it read-only (root ignores a folder's
    mode bits, not a read-only mount); every one is unmounted after the test."""
    mounted: list[Path] = []

    def mount(size: str = "2m", mode: str = "0700") -> Path:
        where = tmp_path / f"tmpfs-{len(mounted)}"
        where.mkdir()
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size},mode={mode}", "tmpfs", str(where)],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.strip()}")
        mounted.append(where)
        return where

    def read_only(where: Path) -> None:
        subprocess.run(["mount", "-o", "remount,ro", str(where)], check=True)

    mount.read_only = read_only  # type: ignore[attr-defined]
    yield mount
    for where in reversed(mounted):
        if subprocess.run(["umount", str(where)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(where)], capture_output=True)


@pytest.fixture
def immutable() -> Iterator[Any]:
    """`chattr +i` on a folder: refuses new files even to root (chmod does not stop root)."""
    locked: list[Path] = []

    def lock(path: Path) -> None:
        if shutil.which("chattr") is None:
            pytest.skip("chattr not available")
        done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"chattr +i not supported here: {done.stderr.strip()}")
        locked.append(path)
        probe = path / ".probe"
        try:
            probe.touch()
        except OSError:
            return
        probe.unlink()
        pytest.skip("chattr +i did not make the folder read-only")

    def unlock(path: Path) -> None:
        subprocess.run(["chattr", "-i", str(path)], check=True)
        locked.remove(path)

    lock.unlock = unlock  # type: ignore[attr-defined]
    yield lock
    for path in locked:
        subprocess.run(["chattr", "-i", str(path)], check=False)
