"""How a request leaves the machine: proxy, trusted CAs, client certificate, timeout, compression.

All of it comes from the environment the owner injected (a host's `environ`, else the process's
own), read the way users already configure their tools, never from `os.environ` behind an
injected mapping's back (httpx's `trust_env` would do exactly that, so it stays off):

* proxies: `https_proxy`/`HTTPS_PROXY`, `all_proxy`/`ALL_PROXY` and `no_proxy`/`NO_PROXY`
  (lower case first, as in urllib and curl; names, `.suffix`, `*`, IP addresses, CIDR ranges,
  optional `:port`). Loopback destinations are never proxied (as browsers do): plain http is
  only allowed to this computer, and a proxy elsewhere would carry it across a network in clear
  text, so `http_proxy` never applies.
* TLS: `OTEL_EXPORTER_OTLP_[LOGS_]CERTIFICATE` (the CAs to trust), else `SSL_CERT_FILE` /
  `SSL_CERT_DIR`, else certifi's bundle; `..._CLIENT_CERTIFICATE` and `..._CLIENT_KEY` (mTLS).
* `OTEL_EXPORTER_OTLP_[LOGS_]TIMEOUT` (milliseconds, as the OTLP exporter specification says)
  and `..._COMPRESSION` (`gzip` or `none`).

The signal-specific `_LOGS_` variable wins over the general one, as the specification says.
A setting that cannot be used never falls back to something weaker (no unverified TLS, no
direct connection instead of the proxy): the request is not made and the user is told why.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import ssl
from collections.abc import Mapping
from urllib.parse import urlsplit

import httpx

from ..i18n import tr
from .endpoint import UploadError, is_loopback_host

__all__ = [
    "ConnectionSetupError",
    "Connections",
    "otlp_compression",
    "otlp_setting",
    "otlp_timeout",
    "proxy_for",
    "tls_context",
]

log = logging.getLogger(__name__)

_GENERAL, _LOGS = "OTEL_EXPORTER_OTLP_", "OTEL_EXPORTER_OTLP_LOGS_"
_MAX_TIMEOUT = 3600.0


class ConnectionSetupError(UploadError):
    """A proxy, CA or client certificate setting that cannot be used, in one line."""


def _env(environ: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if environ is None else environ


def otlp_setting(environ: Mapping[str, str] | None, name: str) -> tuple[str, str] | None:
    """(variable, value) of `OTEL_EXPORTER_OTLP_LOGS_<name>`, else `OTEL_EXPORTER_OTLP_<name>`."""
    env = _env(environ)
    for variable in (_LOGS + name, _GENERAL + name):
        value = str(env.get(variable, "") or "").strip()
        if value:
            return variable, value
    return None


def otlp_timeout(environ: Mapping[str, str] | None) -> float | None:
    """Seconds from `..._TIMEOUT` (milliseconds); None when unset or unusable (one warning)."""
    setting = otlp_setting(environ, "TIMEOUT")
    if setting is None:
        return None
    variable, value = setting
    try:
        millis = float(value) if value.isascii() else float("nan")
    except ValueError:
        millis = float("nan")
    if not 0 < millis <= _MAX_TIMEOUT * 1000:  # also false for nan
        log.warning("%s=%r is not a timeout in milliseconds; using the default", variable, value)
        return None
    return millis / 1000


def otlp_compression(environ: Mapping[str, str] | None) -> bool | None:
    """True for `gzip`, False for `none`, None when unset or unknown (one warning)."""
    setting = otlp_setting(environ, "COMPRESSION")
    if setting is None:
        return None
    variable, value = setting
    if value.lower() in ("gzip", "none"):
        return value.lower() == "gzip"
    log.warning("%s=%r is not gzip or none; using gzip", variable, value)
    return None


def _plain(env: Mapping[str, str], name: str) -> tuple[str, str] | None:
    """`name` in lower case first, then upper case (urllib's and curl's order)."""
    for variable in (name.lower(), name.upper()):
        value = str(env.get(variable, "") or "").strip()
        if value:
            return variable, value
    return None


def _no_proxy_match(host: str, port: int, entries: str) -> bool:
    try:
        address: ipaddress.IPv4Address | ipaddress.IPv6Address | None = ipaddress.ip_address(host)
    except ValueError:
        address = None
    for raw in entries.split(","):
        entry = raw.strip().lower()
        if not entry:
            continue
        if entry == "*":
            return True
        name, entry_port = entry, None
        if entry.startswith("["):  # [v6] or [v6]:port
            name, _, rest = entry[1:].partition("]")
            entry_port = rest[1:] if rest.startswith(":") else None
        elif entry.count(":") == 1:
            name, entry_port = entry.split(":")
        if entry_port is not None and entry_port != str(port):
            continue
        if address is not None:
            try:
                if address in ipaddress.ip_network(name, strict=False):
                    return True
            except ValueError:
                pass
            continue
        name = name.lstrip("*").lstrip(".")
        if name and (host == name or host.endswith("." + name)):
            return True
    return False


def proxy_for(url: str, environ: Mapping[str, str] | None) -> tuple[str, str] | None:
    """(variable, proxy URL) to send `url` through, or None to connect directly."""
    env = _env(environ)
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if not host or is_loopback_host(host):
        return None
    scheme = parts.scheme.lower()
    setting = _plain(env, f"{scheme}_proxy") or _plain(env, "all_proxy")
    if setting is None:
        return None
    no_proxy = _plain(env, "no_proxy")
    port = parts.port or (443 if scheme == "https" else 80)
    if no_proxy is not None and _no_proxy_match(host, port, no_proxy[1]):
        return None
    return setting


def _shown(proxy_url: str) -> str:
    """The proxy without any user name or password (those are secrets)."""
    try:
        parts = urlsplit(proxy_url)
        netloc = parts.hostname or ""
        if parts.port:
            netloc = f"{netloc}:{parts.port}"
        return f"{parts.scheme}://{netloc}" if parts.scheme else netloc or "(unreadable)"
    except ValueError:
        return "(unreadable)"


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]


def tls_context(environ: Mapping[str, str] | None) -> ssl.SSLContext:
    """The context https requests verify servers with (and present a client certificate
    from). Raises ConnectionSetupError naming the variable and what is wrong."""
    import certifi

    env = _env(environ)
    ca = otlp_setting(env, "CERTIFICATE")
    cafile = capath = None
    if ca is not None:
        source, cafile = ca
    elif str(env.get("SSL_CERT_FILE", "") or "").strip():  # OpenSSL's names: upper case only
        source, cafile = "SSL_CERT_FILE", str(env["SSL_CERT_FILE"]).strip()
    elif str(env.get("SSL_CERT_DIR", "") or "").strip():
        source, capath = "SSL_CERT_DIR", str(env["SSL_CERT_DIR"]).strip()
    else:
        source, cafile = "certifi", certifi.where()
    try:
        context = ssl.create_default_context(cafile=cafile, capath=capath)
    except (OSError, ssl.SSLError, ValueError) as exc:
        raise ConnectionSetupError(
            tr(
                "the CA certificates in {path} ({source}) cannot be used ({reason}); nothing "
                "is sent until that is fixed"
            ).format(path=cafile or capath, source=source, reason=_reason(exc))
        ) from None
    cert, key = otlp_setting(env, "CLIENT_CERTIFICATE"), otlp_setting(env, "CLIENT_KEY")
    if key is not None and cert is None:
        raise ConnectionSetupError(
            tr("{key} is set without {certificate}; nothing is sent until both are set").format(
                key=key[0], certificate=f"{_GENERAL}CLIENT_CERTIFICATE"
            )
        )
    if cert is not None:
        try:
            context.load_cert_chain(cert[1], key[1] if key else None)
        except (OSError, ssl.SSLError, ValueError) as exc:
            if key:
                message = tr(
                    "the client certificate from {certificate} and {key} cannot be used "
                    "({reason}); nothing is sent until that is fixed"
                ).format(certificate=cert[0], key=key[0], reason=_reason(exc))
            else:
                message = tr(
                    "the client certificate from {certificate} cannot be used ({reason}); "
                    "nothing is sent until that is fixed"
                ).format(certificate=cert[0], reason=_reason(exc))
            raise ConnectionSetupError(message) from None
    return context


class Connections:
    """The httpx clients of one sender, built on first use: one per (TLS, proxy), so a bad CA
    setting only stops https requests, and each destination gets its own proxy decision.

    An injected `transport` (tests) carries every request itself: no proxy, no TLS setup."""

    def __init__(
        self,
        environ: Mapping[str, str] | None,
        *,
        timeout: float,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.environ = environ
        self.timeout = timeout
        self.transport = transport
        self._clients: dict[tuple[bool, str | None], httpx.Client] = {}

    def _client(self, transport: httpx.BaseTransport | None) -> httpx.Client:
        return httpx.Client(
            transport=transport, timeout=self.timeout, follow_redirects=False, trust_env=False
        )

    def client_for(self, url: str) -> httpx.Client:
        """Raises ConnectionSetupError when the settings for `url` cannot be used."""
        if self.transport is not None:
            key: tuple[bool, str | None] = (False, None)
            if key not in self._clients:
                self._clients[key] = self._client(self.transport)
            return self._clients[key]
        tls = urlsplit(url).scheme.lower() == "https"
        proxy = proxy_for(url, self.environ)
        key = (tls, proxy[1] if proxy else None)
        client = self._clients.get(key)
        if client is not None:
            return client
        verify: ssl.SSLContext | bool = tls_context(self.environ) if tls else True
        try:
            transport = httpx.HTTPTransport(
                verify=verify,
                trust_env=False,
                proxy=httpx.Proxy(proxy[1]) if proxy else None,
            )
        except (ValueError, ImportError, httpx.InvalidURL) as exc:
            # Only the proxy URL can be refused here (an unknown scheme, socks without socksio)
            if proxy:
                message = tr(
                    "the proxy {proxy} ({variable}) cannot be used ({reason}); nothing is sent "
                    "until that is fixed"
                ).format(proxy=_shown(proxy[1]), variable=proxy[0], reason=_reason(exc))
            else:
                message = tr(
                    "the proxy (none) cannot be used ({reason}); nothing is sent until that is "
                    "fixed"
                ).format(reason=_reason(exc))
            raise ConnectionSetupError(message) from None
        client = self._clients[key] = self._client(transport)
        return client

    def close(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            try:
                client.close()
            except Exception:  # closing must never fail a shutdown
                log.debug("closing an upload connection failed", exc_info=True)
