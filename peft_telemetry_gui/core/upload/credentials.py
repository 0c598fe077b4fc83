"""The upload token: only ever in the OS keyring (never in the store, an export or a log).

Where no keyring backend exists we say so plainly and upload keeps working without a token.
"Delete all data" removes the token but leaves a deletion request that must still authenticate,
so it hands the token over under a per-request name (and in memory, see `UploadRuntime`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import MutableMapping
from pathlib import Path

from ..i18n import N_, tr
from ..secrets import (
    UPLOAD_TOKEN_NAME,
    KeyringSecretStore,
    SecretStore,
    SecretStoreError,
    keyring_available,
)
from .endpoint import UploadError

__all__ = [
    "DELETION_TOKEN_PREFIX",
    "NO_KEYRING_MESSAGE",
    "NO_KEYRING_STATE",
    "TokenUnavailableError",
    "check_token",
    "deletion_token",
    "forget_deletion_token",
    "get_token",
    "keep_deletion_token",
    "token_state",
    "token_store",
]

log = logging.getLogger(__name__)

#: Marked only (code compares these values): translated where shown (`tr(NO_KEYRING_MESSAGE)`).
NO_KEYRING_MESSAGE = N_(
    "No keyring backend is available on this system, so the upload token cannot be stored "
    "safely and was not saved. Upload still works without a token (for collectors that do "
    "not require one)."
)
#: What `token_state` says before anyone tried to save a token: nothing was refused yet.
NO_KEYRING_STATE = N_(
    "No keyring backend is available on this system, so an upload token cannot be stored "
    "safely (none can be saved). Upload still works without a token (for collectors that do "
    "not require one)."
)
DELETION_TOKEN_PREFIX = "deletion-token:"


class TokenUnavailableError(UploadError, SecretStoreError):
    """No keyring: the token cannot be kept safely."""


def token_store(data_dir: Path, secret_store: SecretStore | None = None) -> SecretStore | None:
    """The keyring for this data folder, or None when there is none.

    A plain file is deliberately not a fallback for the token: it would sit next to the data
    the user may share. `PEFT_TELEMETRY_SECRETS=file` (headless machines, tests) means "no
    keyring" here too. An injected store is used as is unless it is a file store.
    """
    if secret_store is not None:
        return None if secret_store.kind == "file" else secret_store
    if os.environ.get("PEFT_TELEMETRY_SECRETS", "").lower() == "file" or not keyring_available():
        return None
    return KeyringSecretStore(Path(data_dir))


def check_token(token: str) -> str:
    """The token as sent (a pasted `Bearer ` prefix dropped), or UploadError in plain words."""
    value = (token or "").strip()
    if value.lower().startswith("bearer "):
        value = value[7:].strip()
    if not value:
        raise UploadError(tr("the token is empty"))
    if len(value) > 4096 or any(ord(c) < 33 or ord(c) == 127 for c in value):
        raise UploadError(tr("the token must be a single line without spaces (at most 4096 chars)"))
    return value


def get_token(data_dir: Path, secret_store: SecretStore | None = None) -> str | None:
    """The token, or None (no keyring, none set, or the keyring refused: upload goes on)."""
    secrets = token_store(data_dir, secret_store)
    if secrets is None:
        return None
    try:
        return secrets.get(UPLOAD_TOKEN_NAME) or None
    except (SecretStoreError, OSError):
        return None


def token_state(data_dir: Path, secret_store: SecretStore | None = None) -> str:
    """ "set", "not set", or the plain no-keyring sentence: what the page and `status` show."""
    secrets = token_store(data_dir, secret_store)
    if secrets is None:
        return NO_KEYRING_STATE
    try:
        return "set" if secrets.get(UPLOAD_TOKEN_NAME) else "not set"
    except (SecretStoreError, OSError) as exc:
        return tr("the keyring could not be read ({error})").format(error=type(exc).__name__)


def keep_deletion_token(
    data_dir: Path,
    request_id: str,
    token: str,
    memory: MutableMapping[str, str],
    secret_store: SecretStore | None = None,
) -> None:
    """A copy for this process (`memory`) and, where a keyring exists, one for later ones."""
    memory[request_id] = token
    secrets = token_store(data_dir, secret_store)
    if secrets is None:  # no keyring: memory only (a plain file is never a home for a token)
        return
    try:
        secrets.set(DELETION_TOKEN_PREFIX + request_id, token)
    except (SecretStoreError, OSError) as exc:
        log.warning("deletion request token kept in memory only: %s", type(exc).__name__)


def deletion_token(
    data_dir: Path,
    request_id: str,
    memory: MutableMapping[str, str],
    secret_store: SecretStore | None = None,
) -> str | None:
    """The token a pending deletion request authenticates with (None: send it without)."""
    token = memory.get(request_id)
    if token:
        return token
    secrets = token_store(data_dir, secret_store)
    if secrets is None:
        return None
    try:
        return secrets.get(DELETION_TOKEN_PREFIX + request_id) or None
    except (SecretStoreError, OSError):
        return None


def forget_deletion_token(
    data_dir: Path,
    request_id: str,
    memory: MutableMapping[str, str],
    secret_store: SecretStore | None = None,
) -> None:
    """The request was delivered (or abandoned, or the user cleared the token): drop its copy."""
    memory.pop(request_id, None)
    secrets = token_store(data_dir, secret_store)
    if secrets is None:
        return
    try:
        secrets.delete(DELETION_TOKEN_PREFIX + request_id)
    except (SecretStoreError, OSError) as exc:
        log.warning("deletion request token not removed from the keyring: %s", type(exc).__name__)
