"""The per-user JSON store, shared by every process that touches it.

Writes follow the filelock model: a sibling `.lock` file serialises writers, the document is
re-read under the lock, merged, written to a temp file in the same folder, fsynced and swapped in
with `os.replace`, so a reader (or a crash) only ever sees a whole document. A document we cannot
read is moved aside and reported, never silently overwritten.

Layout (a DAG, in import order): `sketch` -> `rollups` (per-day aggregates);
`errors`, `rollups` -> `migrate` -> `document` -> `incremental`; `errors` -> `quarantine`,
`lockfile`; `reserve`; `store` (the `Store` class) uses them all.
Import from the package.
"""

from __future__ import annotations

from .document import _orjson as _orjson  # tests check which parser is in use
from .document import loads
from .errors import NewerSchemaError, StoreError
from .migrate import MIGRATIONS, migrate
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
    "StoreError",
    "loads",
    "migrate",
]
