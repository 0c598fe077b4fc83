"""Whether a data folder can be used at all, known before the user tries.

A front end disables what cannot work instead of letting a tick in a box look like it did
something: a `--data-dir` that names a file, a folder on a read-only mount. Only what the
operating system says up front is checked here (`os.access` knows read-only mounts); a write
can still fail later for other reasons (a full disk, another process's lock), and says so then.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..i18n import tr

__all__ = ["StoreAccess", "check_access", "unreadable"]


@dataclass(frozen=True, slots=True)
class StoreAccess:
    """What can be done with the store; `reason` says why not, worded for the user."""

    readable: bool = True
    writable: bool = True
    reason: str = ""

    @property
    def usable(self) -> bool:
        return self.readable and self.writable


def check_access(data_dir: Path) -> StoreAccess:
    """The folder, or the nearest folder above it that exists (the store makes the rest on
    its first write)."""
    probe = data_dir
    while not os.path.lexists(probe) and probe.parent != probe:
        probe = probe.parent
    if not probe.is_dir():
        if probe == data_dir:
            reason = tr(
                "The data folder {data_dir} is a file, not a folder: nothing can be shown or "
                "saved. Start the app with --data-dir naming a folder."
            ).format(data_dir=data_dir)
        else:
            reason = tr(
                "The data folder {data_dir} is inside {probe}, which is a file, not a folder: "
                "nothing can be shown or saved. Start the app with --data-dir naming a folder."
            ).format(data_dir=data_dir, probe=probe)
        return StoreAccess(readable=False, writable=False, reason=reason)
    if not os.access(probe, os.W_OK | os.X_OK):
        return StoreAccess(
            readable=True,
            writable=False,
            reason=tr(
                "The data folder {probe} is read-only: you can look at your data and export "
                "it, but no change can be saved (consent, limits, delete)."
            ).format(probe=probe),
        )
    return StoreAccess()


def unreadable(message: str) -> StoreAccess:
    """The store could not be read (`StoreError`'s message, already worded for the user)."""
    return StoreAccess(readable=False, writable=False, reason=message)
