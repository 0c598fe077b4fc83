"""Fixtures shared by the core tests."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


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
