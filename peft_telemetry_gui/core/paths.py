"""Where things live on disk.

One function decides the data directory so the library, the CLI and the desktop app always agree
on which store they are looking at.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Mapping
from pathlib import Path

import platformdirs

__all__ = [
    "APP_DIR_NAME",
    "DATA_DIR_ENV",
    "SECRETS_FILE_NAME",
    "STORE_FILE_NAME",
    "UPLOAD_FILE_PREFIX",
    "ensure_private_dir",
    "is_data_file_name",
    "open_to_others",
    "resolve_data_dir",
    "resources_dir",
]

APP_DIR_NAME = "peft-telemetry"
DATA_DIR_ENV = "PEFT_TELEMETRY_DIR"
STORE_FILE_NAME = "telemetry.json"
SECRETS_FILE_NAME = "secrets.json"
#: Everything the uploader keeps beside the store starts with this (core/upload/files.py).
UPLOAD_FILE_PREFIX = "upload-"


def is_data_file_name(name: str) -> bool:
    """A file of ours in a data folder: the store, the secrets file, the uploader's files.
    Sweepers and "delete all" touch only these (a data folder may be one the user shares)."""
    return name in (STORE_FILE_NAME, SECRETS_FILE_NAME) or name.startswith(UPLOAD_FILE_PREFIX)


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


def ensure_private_dir(path: Path) -> list[Path]:
    """Create `path` and any missing parents, each 0700; returns the folders made.

    Telemetry is nobody else's business, so what we create is the owner's only, whatever the
    umask (under umask 000 `mkdir -p` would leave 0777 parents). A folder that already exists is
    the user's: its mode is never changed (a 1777 folder keeps its sticky bit, a setgid project
    folder its group); `open_to_others` says when it lets others in.
    """
    missing: list[Path] = []
    here = Path(path)
    while True:
        try:
            st = os.stat(here)
        except FileNotFoundError:
            if here.parent == here:
                raise
            missing.append(here)
            here = here.parent
            continue
        break
    if not stat.S_ISDIR(st.st_mode):
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(here))
    created: list[Path] = []
    for folder in reversed(missing):
        try:
            os.mkdir(folder, 0o700)
        except FileExistsError:
            continue  # another process made it first: not ours to chmod
        created.append(folder)
        _make_private(folder)
    return created


def _make_private(folder: Path) -> None:
    """Exactly 0700 on a folder we just made (a umask may have taken owner bits too); through a
    descriptor, so a folder swapped for a symlink meanwhile is not followed."""
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return
    try:
        if stat.S_IMODE(os.fstat(fd).st_mode) != 0o700:
            os.fchmod(fd, 0o700)
    except OSError:
        pass
    finally:
        os.close(fd)


def open_to_others(path: Path) -> str | None:
    """One line when the existing folder `path` lets its group or others in, else None. Our
    files there stay 0600, but others can see their names (and, if writable, remove them)."""
    if os.name != "posix":
        return None
    try:
        st = os.stat(path)
    except OSError:
        return None
    mode = stat.S_IMODE(st.st_mode)
    if not stat.S_ISDIR(st.st_mode) or not mode & 0o077:
        return None
    return (
        f"the data folder {path} is open to others (mode {mode:o}); it was left as it is. "
        f"Telemetry files in it are private (0600), but others can see their names; "
        f"use a folder only you can open (chmod 700) to keep them out"
    )


def resources_dir() -> Path:
    """The shipped texts and icons: the repo's `resources/`, or the installed copy."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package.parent / "resources", package / "resources"):
        if candidate.is_dir():
            return candidate
    return package.parent / "resources"
