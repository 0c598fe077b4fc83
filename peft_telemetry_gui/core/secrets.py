"""Per-install secrets (the identifier-hashing key, the upload token) kept out of the store.

The OS keyring is preferred; where none exists a 0600 file in the data folder stands in, and
callers can ask which one is in use so the app and CLI can say so plainly.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import secrets
import threading
from pathlib import Path
from typing import Protocol

from .fsio import atomic_write, read_regular_file
from .i18n import tr
from .paths import SECRETS_FILE_NAME, ensure_private_dir

__all__ = [
    "HMAC_KEY_NAME",
    "KEYRING_SERVICE",
    "UPLOAD_TOKEN_NAME",
    "FileSecretStore",
    "KeyringSecretStore",
    "MemorySecretStore",
    "SecretStore",
    "SecretStoreError",
    "default_secret_store",
    "keyring_available",
    "load_or_create_hmac_key",
]

log = logging.getLogger(__name__)

KEYRING_SERVICE = "peft-telemetry"
HMAC_KEY_NAME = "hmac-key"
UPLOAD_TOKEN_NAME = "upload-token"
#: A few keys and tokens; anything bigger (or a FIFO) is not our file and is never read.
_MAX_SECRETS_BYTES = 1 << 20


class SecretStoreError(Exception):
    """The secret store could not be used; worded for the user."""


class SecretStore(Protocol):
    kind: str  # "keyring", "file" or "memory": shown to the user

    def get(self, name: str) -> str | None: ...
    def set(self, name: str, value: str) -> None: ...
    def delete(self, name: str) -> None: ...


class MemorySecretStore:
    kind = "memory"

    def __init__(self) -> None:
        self._values: dict[str, str] = {}

    def get(self, name: str) -> str | None:
        return self._values.get(name)

    def set(self, name: str, value: str) -> None:
        self._values[name] = value

    def delete(self, name: str) -> None:
        self._values.pop(name, None)


class FileSecretStore:
    """A 0600 JSON file: the fallback where no keyring backend exists."""

    kind = "file"

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def _load(self) -> dict[str, str]:
        try:
            raw = json.loads(read_regular_file(self.path, _MAX_SECRETS_BYTES).decode("utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise SecretStoreError(
                tr("cannot read {path}: {error}").format(path=self.path, error=exc)
            ) from exc
        return {str(k): str(v) for k, v in raw.items()} if isinstance(raw, dict) else {}

    def _save(self, values: dict[str, str]) -> None:
        ensure_private_dir(self.path.parent)
        atomic_write(self.path, json.dumps(values).encode())

    def get(self, name: str) -> str | None:
        with self._lock:
            return self._load().get(name)

    def set(self, name: str, value: str) -> None:
        with self._lock:
            values = self._load()
            values[name] = value
            self._save(values)

    def delete(self, name: str) -> None:
        with self._lock:
            values = self._load()
            if name in values:
                del values[name]
                if values:
                    self._save(values)
                else:
                    with contextlib.suppress(FileNotFoundError):
                        self.path.unlink()


class KeyringSecretStore:
    """The OS keyring. Entries are namespaced by data folder so two stores never share keys."""

    kind = "keyring"

    def __init__(self, data_dir: Path, service: str = KEYRING_SERVICE) -> None:
        digest = hashlib.sha256(str(Path(data_dir).resolve()).encode()).hexdigest()[:12]
        self.service = service
        self._prefix = f"{digest}:"

    def get(self, name: str) -> str | None:
        import keyring
        import keyring.errors

        try:
            return keyring.get_password(self.service, self._prefix + name)
        except keyring.errors.KeyringError as exc:
            raise SecretStoreError(
                tr("the keyring refused to read {name}: {error}").format(name=name, error=exc)
            ) from exc

    def set(self, name: str, value: str) -> None:
        import keyring
        import keyring.errors

        try:
            keyring.set_password(self.service, self._prefix + name, value)
        except keyring.errors.KeyringError as exc:
            raise SecretStoreError(
                tr("the keyring refused to store {name}: {error}").format(name=name, error=exc)
            ) from exc

    def delete(self, name: str) -> None:
        import keyring
        import keyring.errors

        try:
            keyring.delete_password(self.service, self._prefix + name)
        except keyring.errors.PasswordDeleteError:
            pass  # nothing was stored under that name
        except keyring.errors.KeyringError as exc:
            raise SecretStoreError(
                tr("the keyring refused to delete {name}: {error}").format(name=name, error=exc)
            ) from exc


def keyring_available() -> bool:
    """True when a real keyring backend (not the fail/null placeholder) is configured."""
    try:
        import keyring
        from keyring.backends import chainer, fail

        backend = keyring.get_keyring()
        if isinstance(backend, fail.Keyring):
            return False
        if isinstance(backend, chainer.ChainerBackend):
            return bool(backend.backends)
        return "null" not in type(backend).__module__
    except Exception:  # a broken keyring install must not take the app down
        return False


def default_secret_store(data_dir: Path) -> SecretStore:
    """Keyring when there is one, else the 0600 file in the data folder.

    `PEFT_TELEMETRY_SECRETS=file` forces the file (for headless machines and tests).
    """
    if os.environ.get("PEFT_TELEMETRY_SECRETS", "").lower() != "file" and keyring_available():
        return KeyringSecretStore(data_dir)
    return FileSecretStore(Path(data_dir) / SECRETS_FILE_NAME)


def load_or_create_hmac_key(store: SecretStore) -> bytes:
    """The per-install key for hashing identifiers; created on first use."""
    try:
        value = store.get(HMAC_KEY_NAME)
        if value:
            return bytes.fromhex(value)
        key = secrets.token_bytes(32)
        store.set(HMAC_KEY_NAME, key.hex())
        return key
    except (SecretStoreError, ValueError, OSError) as exc:
        # Hashing must still work: an ephemeral key keeps identifiers unlinkable, only unstable.
        log.warning("no persistent key for hashing identifiers (%s); using a temporary one", exc)
        return secrets.token_bytes(32)
