"""Value rules: what each pattern match becomes, and which look-alikes are let through.

* User and host names are matched as whole words where "word" means ASCII letters and digits
  only, so ``alice_run`` still loses ``alice``. Names shorter than three characters and a small
  stop list of generic account/host names (``root``, ``ubuntu``, ``localhost`` ...) are never
  scrubbed: they identify nobody and would destroy ordinary words.
* When a string is cut to ``max_string``, the trailing run of token-like characters (letters,
  digits and ``_-+/=.~%@:``) and then any trailing digits/spaces/dashes are dropped as well,
  because the cut may have split a secret, address or card number in half so that the regexes
  no longer recognise it. A value without any separator therefore truncates to just the marker.
* Card numbers must be Luhn-valid *and* start like a real card (4, 5, 6, 3x, 2221-2720), which
  keeps compact timestamps such as ``20240115123045`` and epoch milliseconds intact.

Substitution callbacks take the caller's ``counts`` dict so that one pass both rewrites the text
and records which redaction classes fired.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from .keys import BENIGN_COUNT_QUALIFIERS, BENIGN_TOKEN_QUALIFIERS
from .patterns import (
    CARD,
    CARD_GROUPS,
    EMAIL,
    GENERIC_PATH,
    IPV4,
    IPV6,
    KV_HINTS,
    KV_SECRET,
    MAC,
    PATH_ALTERNATIVES,
    PATH_SPLIT,
    PEM,
    QUERY_SECRET,
    REST,
    SEG,
    TOKEN,
    TRIGGER,
    URL_CREDENTIALS,
)

_TRUNCATION_STRIP = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-+/=.~%@:\\"

# Generic account and machine names that identify nobody but would wreck ordinary text.
_NAME_STOP_LIST = frozenset(
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


def build_path_re(home: str) -> re.Pattern[str]:
    alternatives = list(PATH_ALTERNATIVES)
    stripped = home.rstrip("/\\")
    if len(stripped) >= 3:
        # "/home/a" splits to ["", "home", "a"], so the leading separator survives the join.
        literal = r"[\\/]+".join(re.escape(p) for p in PATH_SPLIT.split(stripped))
        # The lookbehind stops "////..." from restarting the leading separator run at every
        # position, which would make this quadratic.
        alternatives.insert(0, rf"(?<![\\/])(?i:{literal})(?!{SEG})")
    joined = "|".join(f"(?:{a})" for a in alternatives)
    return re.compile(rf"(?:{joined}){REST}")


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
) -> str:
    """Every rule for one string that has already been cut to length."""
    if not text.isascii():
        text = _fix_surrogates(text)
    if TRIGGER.search(text) is not None:
        text = scrub_values(text, counts, path_re)
    if names_re is not None:
        lowered = text.lower()
        if any(name in lowered for name in name_kinds):
            text = names_re.sub(lambda m: _named_sub(m, name_kinds, counts), text)
    return text


def scrub_values(text: str, counts: dict[str, int], path_re: re.Pattern[str]) -> str:
    """Run every value rule in a fixed order over one string.

    Later rules see the markers left by earlier ones and leave them alone, and the cheap
    ``in`` tests skip each regex whose anchor character cannot be present.
    """

    def marker(name: str) -> Any:
        label = f"[{name}]"

        def sub(_m: re.Match[str]) -> str:
            counts[name] = counts.get(name, 0) + 1
            return label

        return sub

    if "-----BEGIN" in text:
        text = PEM.sub(marker("token"), text)
    has_at = "@" in text
    if has_at and "://" in text:
        text = URL_CREDENTIALS.sub(lambda m: _credentials_sub(m, counts), text)
    if has_at:
        text = EMAIL.sub(marker("email"), text)
    text = TOKEN.sub(marker("token"), text)
    if "=" in text or ":" in text:
        lowered = text.lower()
        if any(word in lowered for word in KV_HINTS):
            text = KV_SECRET.sub(lambda m: _kv_sub(m, counts), text)
        if "=" in text:
            text = QUERY_SECRET.sub(lambda m: _query_sub(m, counts), text)
    if "/" in text or "\\" in text or "~" in text:
        text = path_re.sub(lambda m: _path_sub(m, counts), text)
        text = GENERIC_PATH.sub(lambda m: _path_sub(m, counts), text)
    has_colon = ":" in text
    if has_colon or "-" in text:
        text = MAC.sub(marker("mac"), text)
    if has_colon and ("::" in text or text.count(":") >= 7):
        text = IPV6.sub(lambda m: _ipv6_sub(m, counts), text)
    if "." in text:
        text = IPV4.sub(marker("ip"), text)
    return CARD.sub(lambda m: _card_sub(m, counts), text)


def _credentials_sub(match: re.Match[str], counts: dict[str, int]) -> str:
    counts["credentials"] = counts.get("credentials", 0) + 1
    return match.group(1) + "[credentials]@"


def _is_marker(text: str) -> bool:
    return text.startswith("[") and text.endswith("]")


def _kv_sub(match: re.Match[str], counts: dict[str, int]) -> str:
    value = match.group("value")
    if _is_marker(value) or value.startswith("[") or value.startswith("…"):
        return match.group(0)
    if match.group("word").lower() == "token":
        prefix = match.group("prefix").lower().rstrip("_-")
        qualifier = re.split(r"[_\-]", prefix)[-1] if prefix else ""
        if qualifier in BENIGN_TOKEN_QUALIFIERS or qualifier in BENIGN_COUNT_QUALIFIERS:
            return match.group(0)
    counts["token"] = counts.get("token", 0) + 1
    return match.group(1) + "[token]"


def _query_sub(match: re.Match[str], counts: dict[str, int]) -> str:
    if match.group(2).startswith("["):
        return match.group(0)
    counts["token"] = counts.get("token", 0) + 1
    return match.group(1) + "[token]"


def _ipv6_sub(match: re.Match[str], counts: dict[str, int]) -> str:
    text = match.group(0)
    hex_digits = len(text) - text.count(":")
    # "1::2" (slices) and "a::b" are too short to be worth a false positive; "::1" is loopback.
    if hex_digits < 4 and text != "::1":
        return text
    counts["ip"] = counts.get("ip", 0) + 1
    return "[ip]"


def _path_sub(match: re.Match[str], counts: dict[str, int]) -> str:
    rest = match.group("rest") if match.re.groupindex.get("rest") else match.group(0)
    whole = match.group(0)
    if rest is None:
        rest = ""
    if rest == "" and whole.startswith("~"):
        return whole  # "~5 minutes" is not a path
    counts["path"] = counts.get("path", 0) + 1
    if rest == "":
        return "[path]"
    if rest[-1] in "/\\":
        return "[path]/"
    return "[path]/" + PATH_SPLIT.split(rest)[-1]


def _named_sub(match: re.Match[str], kinds: Mapping[str, str], counts: dict[str, int]) -> str:
    name = kinds.get(match.group(0).lower(), "user")
    counts[name] = counts.get(name, 0) + 1
    return f"[{name}]"


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i & 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _looks_like_card(digits: str) -> bool:
    """Luhn plus issuer prefix, so ids and timestamps that happen to pass Luhn survive."""
    if not 13 <= len(digits) <= 19:
        return False
    first = digits[0]
    if first == "2":
        if not 2221 <= int(digits[:4]) <= 2720:
            return False
    elif first not in "3456":
        return False
    return _luhn_ok(digits)


def _card_sub(match: re.Match[str], counts: dict[str, int]) -> str:
    text = match.group(0)
    groups = list(CARD_GROUPS.finditer(text))
    digits = "".join(g.group(0) for g in groups)
    if _looks_like_card(digits):
        counts["card"] = counts.get("card", 0) + 1
        return "[card]"
    # The run may include unrelated neighbouring numbers ("id 12 4111 1111 1111 1111");
    # look for the longest run of whole groups that is a card.
    best: tuple[int, int] | None = None
    n = len(groups)
    for i in range(n):
        length = 0
        # Real cards are written in at most a handful of groups; bounding the window keeps
        # "1 2 3 4 ..." linear.
        for j in range(i, min(n, i + 8)):
            length += len(groups[j].group(0))
            if length > 19:
                break
            if length >= 13 and (best is None or length > best[1] - best[0]):
                candidate = "".join(g.group(0) for g in groups[i : j + 1])
                if _looks_like_card(candidate):
                    best = (groups[i].start(), groups[j].end())
    if best is None:
        return text
    counts["card"] = counts.get("card", 0) + 1
    return text[: best[0]] + "[card]" + text[best[1] :]


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
