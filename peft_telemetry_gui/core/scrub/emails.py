"""E-mail addresses, plain and dressed up, all replaced by ``[email]``.

* Plain addresses allow Unicode letters on both sides of the ``@`` (``josé@bücher.de``) but need
  a dot in the domain, so ``alice@gpu-node`` (a login, handled by the name rule) and
  ``@decorator`` survive.
* Encoded ``@``: ``%40`` (URL encoding, also twice: ``%2540``), ``&#64;``/``&#x40;`` (HTML
  entities), the full-width ``＠``; the dots of the domain may be encoded the same way.
* Bracketed ``@`` and dots: ``carol [at] example [dot] com``, ``carol(at)example.com``,
  ``carol {at} example[.]com``, any case.
* Spelled out: ``carol at example dot com`` (or ``carol at uni.example dot edu``) is caught only
  when at least one dot is spelled and the last word is a common top-level domain, because
  "error at api.example.com" and "look at the dot product" are ordinary English.
  ``carol @ example.com`` with spaces is left alone: it is also Python's matrix product
  ``a @ b.T``.
"""

from __future__ import annotations

import re

from .markers import bump

_LOCAL = r"[\w!#$%&'*+/=?^`{|}~.\-]{1,64}"
_LABEL = r"[^\W_](?:[\w\-]{0,62})"
EMAIL = re.compile(rf"{_LOCAL}@{_LABEL}(?:\.{_LABEL})+")

_ENC_AT = r"(?:%(?:25)?40|&#0*64;|&#[xX]0*40;|＠)"
_ENC_DOT = r"(?:\.|%(?:25)?2[eE]|&#0*46;|&#[xX]0*2[eE];)"
_BR_AT = r"\s*[\[({<]\s*(?i:at)\s*[\])}>]\s*"
_BR_DOT = r"(?:\s*[\[({<]\s*(?:(?i:dot)|\.)\s*[\])}>]\s*|\.)"
_TLDS = (
    "com|org|net|edu|gov|io|ai|co|uk|de|fr|nl|es|it|ch|at|be|se|no|dk|fi|pl|cz|pt|ie|ca|us"
    "|au|nz|jp|cn|in|br|ru|info|biz|dev|app|me"
)
DRESSED_EMAIL = re.compile(
    rf"(?<![\w.%+\-])[\w.+\-]{{1,64}}(?:"
    rf"{_ENC_AT}{_LABEL}(?:{_ENC_DOT}{_LABEL})+"
    rf"|{_BR_AT}{_LABEL}(?:{_BR_DOT}{_LABEL})+"
    rf"|\s+(?:at|AT)\s+(?:{_LABEL}(?:\.|\s+(?:dot|DOT)\s+))+(?i:{_TLDS})\b"
    rf")"
)


def _maybe_dressed(text: str, lowered: str) -> bool:
    if "%" in text or "&#" in text or "＠" in text or " dot " in lowered:
        return True
    return "at" in lowered and ("]" in text or ")" in text or "}" in text or ">" in text)


def scrub_emails(text: str, counts: dict[str, int], lowered: str | None = None) -> str:
    """Replace plain and dressed e-mail addresses; cheap ``in`` tests skip each pattern.

    ``lowered`` is the lower-cased text (or an earlier version of it) when the caller has it.
    """

    def sub(_m: re.Match[str]) -> str:
        bump(counts, "email")
        return "[email]"

    def dressed(match: re.Match[str]) -> str:
        found = match.group(0)
        # The spelled-out form must spell at least one dot: "error at api.example.com" is prose.
        if " at " in found.lower() and " dot " not in found.lower():
            return found
        return sub(match)

    if _maybe_dressed(text, text.lower() if lowered is None else lowered):
        text = DRESSED_EMAIL.sub(dressed, text)
    if "@" in text:
        text = EMAIL.sub(sub, text)
    return text
