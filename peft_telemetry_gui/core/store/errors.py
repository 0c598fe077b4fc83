"""The store's errors, and the wording of OS failures in them."""

from __future__ import annotations

import errno

from ..fsio import NotRegularFileError
from ..i18n import N_, tr

__all__ = ["NewerSchemaError", "StoreError", "os_message"]


class StoreError(Exception):
    """A problem with the store, worded for the user (the CLI prints it as is)."""


class NewerSchemaError(StoreError):
    """Written by a newer version: we neither overwrite nor quarantine it (it is not corrupt)."""


#: What `fsio` says a path is instead of a file (it sits below the translations): the same
#: words, marked here, so the user reads them in their language.
_NOT_A_FILE = (
    N_("a FIFO, not a regular file"),
    N_("a folder, not a regular file"),
    N_("a character device, not a regular file"),
    N_("a block device, not a regular file"),
    N_("a socket, not a regular file"),
    N_("not a regular file"),
)


def os_message(exc: OSError) -> str:
    """The OS failure in the user's words (the OS's own `strerror` is as the system has it)."""
    if isinstance(exc, NotRegularFileError) and exc.strerror in _NOT_A_FILE:
        return tr(exc.strerror)
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return tr("the disk is full")
    return exc.strerror or str(exc)
