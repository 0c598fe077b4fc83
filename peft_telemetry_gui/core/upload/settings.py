"""Switching upload on and off, where it goes, and the token: each change audit-logged.

Upload is a second, separate consent on top of local recording: it can only be turned on while
local consent is on, and turning either off empties the queue at once. The endpoint must be
https; plain http is accepted only for loopback, where nothing crosses a network.

The token lives only in the OS keyring (never in the store, an export or a log). Where no keyring
backend exists we say so plainly and upload keeps working without a token.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..consent import audit
from ..models import Actor, StoreDocument, UploadSettings
from ..secrets import (
    UPLOAD_TOKEN_NAME,
    KeyringSecretStore,
    SecretStore,
    SecretStoreError,
    keyring_available,
)
from ..store import Store
from .queue import clear_queue_locked

__all__ = [
    "ENV_ENDPOINT",
    "ENV_HEADERS",
    "ENV_LOGS_ENDPOINT",
    "ENV_LOGS_HEADERS",
    "NO_KEYRING_MESSAGE",
    "EndpointError",
    "LogsUrl",
    "TokenUnavailableError",
    "UploadError",
    "clear_token",
    "disable_upload",
    "enable_upload",
    "get_token",
    "otlp_headers",
    "resolve_logs_url",
    "set_token",
    "token_state",
    "token_store",
    "validate_endpoint",
]

ENV_ENDPOINT = "OTEL_EXPORTER_OTLP_ENDPOINT"
ENV_LOGS_ENDPOINT = "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT"
ENV_HEADERS = "OTEL_EXPORTER_OTLP_HEADERS"
ENV_LOGS_HEADERS = "OTEL_EXPORTER_OTLP_LOGS_HEADERS"
LOGS_PATH = "/v1/logs"

NO_KEYRING_MESSAGE = (
    "No keyring backend is available on this system, so the upload token cannot be stored "
    "safely and was not saved. Upload still works without a token (for collectors that do "
    "not require one)."
)


class UploadError(Exception):
    """A refused upload setting, worded for the user."""


class EndpointError(UploadError, ValueError):
    """The endpoint is not acceptable (not https, or http to a non-loopback host)."""


class TokenUnavailableError(UploadError, SecretStoreError):
    """No keyring: the token cannot be kept safely."""


# ------------------------------------------------------------------------------ endpoint
def _is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.") or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def validate_endpoint(url: str) -> str:
    """The normalised endpoint (no trailing slash), or EndpointError saying what is wrong."""
    text = (url or "").strip()
    if not text:
        raise EndpointError("the upload endpoint is empty")
    try:
        parts = urlsplit(text)
        host = parts.hostname or ""
        _ = parts.port  # raises on a malformed port
    except ValueError as exc:
        raise EndpointError(f"{text!r} is not a valid URL ({exc})") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http") or not host:
        raise EndpointError(f"{text!r} is not an http(s) URL, e.g. https://collector.example.com")
    if parts.username or parts.password:
        raise EndpointError(
            "the endpoint must not contain a user name or password; set a token instead"
        )
    if parts.query or parts.fragment:
        raise EndpointError("the endpoint must not contain a query string or fragment")
    if scheme == "http" and not _is_loopback(host):
        raise EndpointError(
            f"plain http is only allowed to this computer (localhost); use https for {host}"
        )
    return text.rstrip("/")


@dataclass(frozen=True)
class LogsUrl:
    """Where `POST` goes, and where that came from (shown to the user)."""

    url: str
    source: str  # "settings", or the name of the environment variable


def _logs_url(base: str) -> str:
    return base if base.endswith(LOGS_PATH) else base + LOGS_PATH


def resolve_logs_url(
    endpoint: str | None, environ: Mapping[str, str] | None = None
) -> LogsUrl | None:
    """The standard OTLP variables win over the saved endpoint, as with any OTel exporter:
    `OTEL_EXPORTER_OTLP_LOGS_ENDPOINT` used as is, else `OTEL_EXPORTER_OTLP_ENDPOINT` plus
    `/v1/logs`, else the endpoint saved with `enable_upload`. Raises EndpointError for an
    unacceptable value (never silently falls back to another destination)."""
    env = os.environ if environ is None else environ
    logs = env.get(ENV_LOGS_ENDPOINT, "").strip()
    if logs:
        return LogsUrl(validate_endpoint(logs), ENV_LOGS_ENDPOINT)
    base = env.get(ENV_ENDPOINT, "").strip()
    if base:
        return LogsUrl(validate_endpoint(base).rstrip("/") + LOGS_PATH, ENV_ENDPOINT)
    if endpoint:
        return LogsUrl(_logs_url(validate_endpoint(endpoint)), "settings")
    return None


def otlp_headers(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """`OTEL_EXPORTER_OTLP_HEADERS` then `..._LOGS_HEADERS` (`k=v,k2=v2`, url-decoded).

    Malformed entries are skipped; values are never logged (they often carry credentials).
    """
    env = os.environ if environ is None else environ
    headers: dict[str, str] = {}
    for name in (ENV_HEADERS, ENV_LOGS_HEADERS):
        for item in env.get(name, "").split(","):
            key, sep, value = item.partition("=")
            key, value = unquote(key.strip()), unquote(value.strip())
            if not sep or not key or any(c in key + value for c in "\r\n\0"):
                continue
            headers[key] = value
    return headers


# ------------------------------------------------------------------------------- switches
def enable_upload(
    store: Store,
    endpoint: str | None,
    *,
    actor: Actor,
    environ: Mapping[str, str] | None = None,
) -> UploadSettings:
    """Turn upload on. Refused unless local consent is on; the endpoint (or the OTLP
    environment variables, when no endpoint is given) must be acceptable."""
    normalised = validate_endpoint(endpoint) if endpoint else None
    if normalised is None and resolve_logs_url(None, environ) is None:
        raise EndpointError(
            f"give an upload endpoint (e.g. https://collector.example.com) or set {ENV_ENDPOINT}"
        )

    def mutate(doc: StoreDocument) -> UploadSettings:
        consent = doc.consent
        if not consent.enabled:
            raise UploadError(
                "telemetry is off: turn it on first (upload only sends what is recorded "
                "locally with your consent)"
            )
        now = store.clock()
        if normalised is not None and doc.upload.endpoint != normalised:
            audit(doc, now, actor, "upload endpoint", doc.upload.endpoint, normalised)
            doc.upload.endpoint = normalised
        if not consent.upload_enabled:
            audit(doc, now, actor, "upload", False, True)
            consent.upload_enabled = True
            consent.changed_at = now
        return doc.upload.model_copy()

    return store.update(mutate)


def disable_upload(store: Store, *, actor: Actor) -> int:
    """Turn upload off and empty the queue at once. Returns how many queued records were
    discarded. The endpoint is kept, so switching back on is one click."""

    def mutate(doc: StoreDocument) -> int:
        if doc.consent.upload_enabled:
            now = store.clock()
            audit(doc, now, actor, "upload", True, False)
            doc.consent.upload_enabled = False
            doc.consent.changed_at = now
        return clear_queue_locked(store)

    return store.update(mutate)


# ---------------------------------------------------------------------------------- token
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


def _check_token(token: str) -> str:
    value = (token or "").strip()
    if value.lower().startswith("bearer "):
        value = value[7:].strip()
    if not value:
        raise UploadError("the token is empty")
    if len(value) > 4096 or any(ord(c) < 33 or ord(c) == 127 for c in value):
        raise UploadError("the token must be a single line without spaces (at most 4096 chars)")
    return value


def set_token(
    store: Store, token: str, *, actor: Actor, secret_store: SecretStore | None = None
) -> None:
    """Save the token in the keyring; raises TokenUnavailableError (plain words) without one.
    The audit log records that a token was set, never its value."""
    value = _check_token(token)
    secrets = token_store(store.data_dir, secret_store)
    if secrets is None:
        raise TokenUnavailableError(NO_KEYRING_MESSAGE)
    had = secrets.get(UPLOAD_TOKEN_NAME) is not None
    secrets.set(UPLOAD_TOKEN_NAME, value)

    def mutate(doc: StoreDocument) -> None:
        audit(doc, store.clock(), actor, "upload token", "set" if had else "not set", "set")

    store.update(mutate)


def clear_token(store: Store, *, actor: Actor, secret_store: SecretStore | None = None) -> bool:
    """Remove the token; True when one was stored. Without a keyring there is nothing to clear.

    The copies kept for pending deletion requests go too: the user asked for no token to be
    kept, so those requests are then sent without one."""
    from .queue import forget_deletion_token, read_deletion_requests

    secrets = token_store(store.data_dir, secret_store)
    if secrets is None:
        return False
    had = secrets.get(UPLOAD_TOKEN_NAME) is not None
    secrets.delete(UPLOAD_TOKEN_NAME)
    for request in read_deletion_requests(store):
        forget_deletion_token(store.data_dir, request.id, secrets)
    if had:
        store.update(lambda doc: audit(doc, store.clock(), actor, "upload token", "set", "not set"))
    return had


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
        return NO_KEYRING_MESSAGE
    try:
        return "set" if secrets.get(UPLOAD_TOKEN_NAME) else "not set"
    except (SecretStoreError, OSError) as exc:
        return f"the keyring could not be read ({type(exc).__name__})"
