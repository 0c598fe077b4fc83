"""The per-user JSON store, shared by every process that touches it.

Writes follow the filelock model: a sibling `.lock` file serialises writers, the document is
re-read under the lock, merged, its new events appended to a segment file and fsynced, and the
head written to a temp file in the same folder, fsynced and swapped in with `os.replace`, so a
reader (or a crash) only ever sees a whole document. A document we cannot
read is moved aside and reported, never silently overwritten.

Modules (a DAG, in import order): `sketch` -> `rollups` (per-day aggregates); `segments` (the
event files); `errors`, `rollups` -> `migrate` -> `document` -> `layout` (head + segments) ->
`incremental`, `commit`; `errors` -> `quarantine`, `lockfile`; `reserve`; `prune`; `reads`
(the lock-free half of `Store`); `access` (can the folder be used at all); `store` (the
`Store` class) uses them all.
Import from the package.
"""

from __future__ import annotations

from .access import StoreAccess, check_access, unreadable
from .document import _orjson as _orjson  # tests check which parser is in use
from .document import loads
from .errors import NewerSchemaError, StoreError
from .layout import raw_document
from .migrate import MIGRATIONS, migrate
from .quarantine import describe_notice
from .reserve import RESERVE_FILE_NAME
from .store import (
    DEFAULT_LOCK_RETRIES,
    DEFAULT_MAX_EVENTS,
    DEFAULT_MAX_FILE_BYTES,
    DEFAULT_RESERVE_MAX_BYTES,
    DEFAULT_RETENTION_DAYS,
    Store,
)

__all__ = [
    "DEFAULT_LOCK_RETRIES",
    "DEFAULT_MAX_EVENTS",
    "DEFAULT_MAX_FILE_BYTES",
    "DEFAULT_RESERVE_MAX_BYTES",
    "DEFAULT_RETENTION_DAYS",
    "MIGRATIONS",
    "RESERVE_FILE_NAME",
    "NewerSchemaError",
    "Store",
    "StoreAccess",
    "StoreError",
    "check_access",
    "describe_notice",
    "loads",
    "migrate",
    "raw_document",
    "unreadable",
]
