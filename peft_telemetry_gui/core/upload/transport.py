"""One HTTP request to the collector, and its answer in the user's words.

Only 429, 502, 503, 504 and network failures are retryable; everything else is final for that
batch. `Retry-After` is read in both forms RFC 9110 allows.
"""

from __future__ import annotations

import email.utils
import re
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from ..i18n import tr
from .encode import decode_response

__all__ = ["RETRYABLE_STATUSES", "Answer", "host_of", "parse_retry_after", "plain_status", "post"]

RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})
_DELAY_SECONDS = re.compile(r"[0-9]{1,10}")  # bounded: `Backoff` caps it at an hour anyway


@dataclass
class Answer:
    status: int | None  # None: no HTTP answer (refused, timeout, ...)
    retryable: bool
    message: str
    retry_after: float | None = None
    rejected: int = 0
    partial_message: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def host_of(url: str) -> str:
    return httpx.URL(url).host or url


def plain_status(status: int, url: str, detail: str) -> str:
    host = host_of(url)
    if status == 429:
        return tr("{host} asked us to slow down (HTTP 429); will retry later").format(host=host)
    if status in (502, 503, 504):
        return tr("{host} is temporarily unavailable (HTTP {status}); will retry later").format(
            host=host, status=status
        )
    if status in (401, 403):
        return tr("{host} refused the upload token (HTTP {status}); check the token").format(
            host=host, status=status
        )
    if status == 404:
        return tr("nothing at {url} accepts logs (HTTP 404); check the endpoint").format(url=url)
    if status == 413:
        return tr("{host} found the batch too large (HTTP 413); it was not sent").format(host=host)
    if 300 <= status < 400:
        return tr(
            "{host} redirected the upload (HTTP {status}); set the final address instead"
        ).format(host=host, status=status)
    if detail:  # the collector's own words, as it sent them
        return tr(
            "{host} refused the batch (HTTP {status}): {detail}; it will not be retried"
        ).format(host=host, status=status, detail=detail)
    return tr("{host} refused the batch (HTTP {status}); it will not be retried").format(
        host=host, status=status
    )


def without_retry_note(message: str) -> str:
    """`message` without its closing "will retry" (it is quoted where a sentence says so)."""
    # The translated endings must be exactly those of the messages' translations.
    # Translators: the ending of "... (HTTP 429); will retry later": translate it exactly so
    later = tr("; will retry later")
    # Translators: the ending of "could not reach ...; will retry": translate it exactly so
    retry = tr("; will retry")
    for suffix in dict.fromkeys((later, retry, "; will retry later", "; will retry")):
        if suffix and message.endswith(suffix):
            return message.removesuffix(suffix)
    return message


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds, from either form RFC 9110 allows: delay-seconds (ASCII digits only) or an
    HTTP date. Anything else is None, i.e. our own backoff: a header is the server's to get
    wrong, never a reason for the worker to fail."""
    if not value:
        return None
    value = value.strip()
    if not value.isascii():  # `str.isdigit` and `int` accept "²" and other scripts' digits
        return None
    if _DELAY_SECONDS.fullmatch(value):
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max(0.0, (when - now).total_seconds())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _ssl_cause(exc: BaseException) -> ssl.SSLError | None:
    """The ssl module's error under httpx's and httpcore's wrapping, if that is what it was."""
    seen: BaseException | None = exc
    for _ in range(10):  # a chain is short; never loop on a strange one
        if seen is None:
            return None
        if isinstance(seen, ssl.SSLError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _network_message(exc: httpx.TransportError, url: str) -> str:
    host = host_of(url)
    cause = _ssl_cause(exc)
    if isinstance(cause, ssl.SSLCertVerificationError):
        # Translators: the reason a certificate was not accepted, when the system gives none
        why = cause.verify_message or tr("not trusted")
        return tr(
            "the certificate of {host} was not accepted ({why}); check "
            "OTEL_EXPORTER_OTLP_CERTIFICATE or SSL_CERT_FILE; will retry"
        ).format(host=host, why=why)
    if cause is not None:
        return tr("the secure connection to {host} failed ({why}); will retry").format(
            host=host, why=cause.reason or cause
        )
    if isinstance(exc, httpx.ProxyError):
        return tr("the proxy did not connect us to {host} ({why}); will retry").format(
            host=host, why=str(exc)[:200]
        )
    if isinstance(exc, httpx.ConnectError):
        return tr("could not reach {host} (connection refused); will retry").format(host=host)
    return tr("could not reach {host} (network error); will retry").format(host=host)


def post(
    http: httpx.Client,
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    timeout: float,
    now: datetime,
) -> Answer:
    """Never raises for network trouble: every outcome is an `Answer`."""
    try:
        response = http.post(url, content=body, headers=headers)
    except httpx.TimeoutException:
        message = tr("{host} did not answer within {timeout:g} s; will retry")
        return Answer(None, True, message.format(host=host_of(url), timeout=timeout))
    except httpx.TransportError as exc:
        return Answer(None, True, _network_message(exc, url))
    except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
        # e.g. a header value that cannot be encoded: kept queued, shown, retried with backoff
        detail = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        message = tr("the request to {host} could not be made ({detail}); will retry")
        return Answer(None, True, message.format(host=host_of(url), detail=detail))
    status = response.status_code
    if 200 <= status < 300:
        decoded = decode_response(response.content, response.headers.get("content-type", ""))
        rejected, partial = 0, ""
        if decoded is not None and decoded.HasField("partial_success"):
            rejected = int(decoded.partial_success.rejected_log_records)
            partial = decoded.partial_success.error_message[:300]
        return Answer(status, False, "", rejected=rejected, partial_message=partial)
    retry_after = None
    if status in RETRYABLE_STATUSES:
        retry_after = parse_retry_after(response.headers.get("retry-after"), now)
    detail = ""
    if "text/plain" in response.headers.get("content-type", ""):
        detail = response.text.strip().splitlines()[0][:200] if response.text.strip() else ""
    return Answer(
        status,
        status in RETRYABLE_STATUSES,
        plain_status(status, url, detail),
        retry_after=retry_after,
    )
