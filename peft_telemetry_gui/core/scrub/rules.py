"""Value rules for one string: which detectors run, in which order, and behind which gates.

The layers, in the order they run over a string that passed the :func:`.patterns.triggered`
pre-filter (each sees the markers of the ones before it and leaves them alone):

1. passwords in URLs (``https://[credentials]@host``);
2. provider token formats, from the table in :mod:`.providers` (``[token:aws]``);
3. e-mail addresses, plain and dressed up (:mod:`.emails`);
4. values named as secrets: argv flags, ``password=...``, query parameters (:mod:`.pairs`);
5. folder paths (:mod:`.paths`);
6. MAC and IP addresses;
7. numbers confirmed by a checksum: IBAN, phone, card, IMEI (:mod:`.digits`);
8. random-looking secrets (:mod:`.entropy`);

and last, for every string, the user's and host's own names. Markers and their counts are
described in :mod:`.markers`.

* User and host names are matched as whole words where "word" means ASCII letters and digits
  only, so ``alice_run`` still loses ``alice``. Names shorter than three characters, a small
  stop list of generic account/host names (``root``, ``ubuntu``, ``localhost`` ...) and the words
  markers are made of (``path``, ``token``, ``github`` ...) are never scrubbed: they identify
  nobody, would destroy ordinary words, or would re-scrub markers on a second pass.
* When a string is cut to ``max_string``, the trailing run of token-like characters (letters,
  digits and ``_-+/=.~%@:``) and then any trailing digits/spaces/dashes are dropped as well,
  because the cut may have split a secret, address or card number in half so that the regexes
  no longer recognise it. A value without any separator therefore truncates to just the marker.

Each rule is behind a cheap test (``"@" in text``, a count of dots, a length) so that a string
pays only for the rules that could match it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping

from .digits import scrub_numbers
from .emails import scrub_emails
from .entropy import scrub_entropy
from .keys import classify_key
from .markers import MARKER_WORDS, bump
from .pairs import KV_HINTS, scrub_argv, scrub_assignments, scrub_pair_text, scrub_query
from .paths import DRIVE_PATHS, build_path_re, path_sub
from .patterns import IPV4, IPV6, MAC, URL_CREDENTIALS, ipv4_ok, triggered
from .providers import KINDS, scrub_providers

__all__ = ["build_names_re", "build_path_re", "cut", "scrub_patterns", "scrub_values"]

_TRUNCATION_STRIP = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-+/=.~%@:\\"

# Generic account and machine names that identify nobody but would wreck ordinary text.
_NAME_STOP_LIST = (
    frozenset(
        {
            "root",
            "user",
            "users",
            "admin",
            "administrator",
            "guest",
            "nobody",
            "default",
            "test",
            "home",
            "runner",
            "jovyan",
            "vagrant",
            "docker",
            "ubuntu",
            "debian",
            "fedora",
            "centos",
            "localhost",
            "localdomain",
            "raspberrypi",
            "ec2-user",
        }
    )
    | MARKER_WORDS
    | frozenset(KINDS)
)


def build_names_re(user: str, host: str) -> tuple[re.Pattern[str] | None, dict[str, str]]:
    """One alternation, longest name first, so ``alice-laptop`` wins over ``alice``."""

    def keep(names: Iterable[str]) -> set[str]:
        lowered = {n.strip().lower() for n in names}
        return {n for n in lowered if len(n) >= 3 and n not in _NAME_STOP_LIST}

    # "gpu-7.corp.example" is also written "gpu-7"; "CORP\\alice" and "alice@corp" are "alice".
    kinds = dict.fromkeys(keep([host, host.split(".")[0]]), "host")
    kinds.update(dict.fromkeys(keep([user, user.split("\\")[-1], user.split("@")[0]]), "user"))
    if not kinds:
        return None, {}
    names = sorted(kinds, key=len, reverse=True)
    alternation = "|".join(re.escape(n) for n in names)
    pattern = rf"(?<![A-Za-z0-9])(?:{alternation})(?![A-Za-z0-9])"
    return re.compile(pattern, re.IGNORECASE), kinds


def scrub_patterns(
    text: str,
    counts: dict[str, int],
    path_re: re.Pattern[str],
    names_re: re.Pattern[str] | None,
    name_kinds: Mapping[str, str],
    *,
    classify: Callable[[str], int] = classify_key,
) -> str:
    """Every rule for one string that has already been cut to length.

    ``classify`` classifies argv flag names; the walk passes its memoised ``classify_key``.
    """
    if not text.isascii():
        text = _fix_surrogates(text)
    if triggered(text):
        text = scrub_values(text, counts, path_re, classify=classify)
    if names_re is not None:
        lowered = text.lower()
        for name in name_kinds:
            if name in lowered:
                return names_re.sub(lambda m: _named_sub(m, name_kinds, counts), text)
    return text


def scrub_values(
    text: str,
    counts: dict[str, int],
    path_re: re.Pattern[str],
    *,
    classify: Callable[[str], int] = classify_key,
) -> str:
    """Run every value rule in a fixed order over one string (see the module docstring)."""
    # Lower-cased once: the gates below only need to know which words the text held at first.
    lowered = text.lower()
    if "@" in text and "://" in text:
        text = URL_CREDENTIALS.sub(lambda m: _credentials_sub(m, counts), text)
    text = scrub_providers(text, counts, lowered)
    text = scrub_emails(text, counts, lowered)
    if "-" in text and (text.startswith("-") or " -" in text or "\t-" in text or "\n-" in text):
        text = scrub_argv(text, counts, classify)
    if "," in text and ("(" in text or "[" in text) and ("'" in text or '"' in text):
        text = scrub_pair_text(text, counts, classify)
    has_eq = "=" in text
    if has_eq or ":" in text:
        if KV_HINTS.search(lowered) is not None:
            text = scrub_assignments(text, counts)
        if has_eq and ("?" in text or "&" in text or ";" in text):
            text = scrub_query(text, counts)
    if "/" in text or "\\" in text or "~" in text:
        if ":" in text:
            text = DRIVE_PATHS.sub(lambda m: path_sub(m, counts), text)
        text = path_re.sub(lambda m: path_sub(m, counts), text)
    colons = text.count(":")
    if colons >= 5 or text.count("-") >= 5:
        text = MAC.sub(lambda m: _marker_sub(counts, "mac"), text)
    if colons >= 2 and ("::" in text or colons >= 7):
        text = IPV6.sub(lambda m: _ipv6_sub(m, counts), text)
    if text.count(".") >= 3:
        text = IPV4.sub(lambda m: _marker_sub(counts, "ip") if ipv4_ok(m[0]) else m[0], text)
    if len(text) >= 12:
        text = scrub_numbers(text, counts)
    if len(text) >= 20:
        text = scrub_entropy(text, counts)
    return text


def _marker_sub(counts: dict[str, int], rule: str) -> str:
    bump(counts, rule)
    return f"[{rule}]"


def _credentials_sub(match: re.Match[str], counts: dict[str, int]) -> str:
    bump(counts, "credentials")
    return match.group(1) + "[credentials]@"


def _ipv6_sub(match: re.Match[str], counts: dict[str, int]) -> str:
    text = match.group(0)
    hex_digits = len(text) - text.count(":")
    # "1::2" (slices) and "a::b" are too short to be worth a false positive; "::1" is loopback.
    if hex_digits < 4 and text != "::1":
        return text
    bump(counts, "ip")
    return "[ip]"


def _named_sub(match: re.Match[str], kinds: Mapping[str, str], counts: dict[str, int]) -> str:
    name = kinds.get(match.group(0).lower(), "user")
    bump(counts, name)
    return f"[{name}]"


def cut(text: str, limit: int) -> str:
    """Cut to ``limit`` and drop a trailing fragment that could be half a secret."""
    head = text[:limit].rstrip(_TRUNCATION_STRIP)
    return head.rstrip(" -0123456789")


def _fix_surrogates(text: str) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")
    return text
