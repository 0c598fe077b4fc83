"""Where upload goes: the endpoint rules and the standard OTLP environment variables.

The endpoint must be https; plain http is accepted only for loopback, where nothing crosses a
network. The OTLP variables win over the saved endpoint, as with any OpenTelemetry exporter.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from ..i18n import tr

__all__ = [
    "ENV_ENDPOINT",
    "ENV_HEADERS",
    "ENV_LOGS_ENDPOINT",
    "ENV_LOGS_HEADERS",
    "LOGS_PATH",
    "EndpointError",
    "LogsUrl",
    "UploadError",
    "is_loopback_host",
    "otlp_headers",
    "resolve_logs_url",
    "validate_endpoint",
]

ENV_ENDPOINT = "OTEL_EXPORTER_OTLP_ENDPOINT"
ENV_LOGS_ENDPOINT = "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT"
ENV_HEADERS = "OTEL_EXPORTER_OTLP_HEADERS"
ENV_LOGS_HEADERS = "OTEL_EXPORTER_OTLP_LOGS_HEADERS"
LOGS_PATH = "/v1/logs"


class UploadError(Exception):
    """A refused upload setting, worded for the user."""


class EndpointError(UploadError, ValueError):
    """The endpoint is not acceptable (not https, or http to a non-loopback host)."""


def is_loopback_host(host: str) -> bool:
    """True only for a literal loopback address or the name `localhost` itself.

    Never resolved, and no look-alikes: `foo.localhost` and `localhost.` reach whatever a
    resolver (or a hosts file, or a search domain) makes of them, possibly another machine, so
    plain http to them could cross a network in clear text.
    """
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback  # 127.0.0.0/8 and ::1, literals only
    except ValueError:
        return False


def validate_endpoint(url: str) -> str:
    """The normalised endpoint (no trailing slash), or EndpointError saying what is wrong."""
    text = (url or "").strip()
    if not text:
        raise EndpointError(tr("the upload endpoint is empty"))
    try:
        parts = urlsplit(text)
        host = parts.hostname or ""
        _ = parts.port  # raises on a malformed port
    except ValueError as exc:
        raise EndpointError(
            tr("{url!r} is not a valid URL ({error})").format(url=text, error=exc)
        ) from exc
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http") or not host:
        raise EndpointError(
            tr("{url!r} is not an http(s) URL, e.g. https://collector.example.com").format(url=text)
        )
    if parts.username or parts.password:
        raise EndpointError(
            tr("the endpoint must not contain a user name or password; set a token instead")
        )
    if parts.query or parts.fragment:
        raise EndpointError(tr("the endpoint must not contain a query string or fragment"))
    if scheme == "http" and not is_loopback_host(host):
        raise EndpointError(
            tr(
                "plain http is only allowed to this computer (localhost, 127.0.0.1 or ::1, "
                "written exactly so); use https for {host}"
            ).format(host=host)
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
