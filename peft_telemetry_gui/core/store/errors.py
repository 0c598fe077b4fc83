"""The store's errors, and the wording of OS failures in them."""

from __future__ import annotations

import errno

__all__ = ["NewerSchemaError", "StoreError", "os_message"]


class StoreError(Exception):
    """A problem with the store, worded for the user (the CLI prints it as is)."""


class NewerSchemaError(StoreError):
    """Written by a newer version: we neither overwrite nor quarantine it (it is not corrupt)."""


def os_message(exc: OSError) -> str:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return "the disk is full"
    return exc.strerror or str(exc)
