"""Where things live on disk.

One function decides the data directory so the library, the CLI and the desktop app always agree
on which store they are looking at.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import platformdirs

__all__ = [
    "APP_DIR_NAME",
    "DATA_DIR_ENV",
    "STORE_FILE_NAME",
    "ensure_private_dir",
    "resolve_data_dir",
    "resources_dir",
]

APP_DIR_NAME = "peft-telemetry"
DATA_DIR_ENV = "PEFT_TELEMETRY_DIR"
STORE_FILE_NAME = "telemetry.json"


def resolve_data_dir(
    data_dir: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Path:
    """Explicit argument first, then the environment, then the per-user platform default."""
    env = os.environ if environ is None else environ
    if data_dir is not None and str(data_dir) != "":
        return Path(data_dir).expanduser()
    from_env = env.get(DATA_DIR_ENV, "").strip()
    if from_env:
        return Path(from_env).expanduser()
    return Path(platformdirs.user_data_dir(APP_DIR_NAME, appauthor=False))


def ensure_private_dir(path: Path) -> None:
    """Create the folder readable by the owner only: telemetry is nobody else's business."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if os.name == "posix":
        try:
            if path.stat().st_mode & 0o077:
                path.chmod(0o700)
        except OSError:
            pass


def resources_dir() -> Path:
    """The shipped texts and icons: the repo's `resources/`, or the installed copy."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package.parent / "resources", package / "resources"):
        if candidate.is_dir():
            return candidate
    return package.parent / "resources"
