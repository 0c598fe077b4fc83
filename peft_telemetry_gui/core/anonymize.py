"""Scrubbing of everything the library records, before it reaches disk or network.

The scrubber is deliberately paranoid and deliberately cheap. It runs on the hot path of
``track_event``, so strings that cannot contain anything sensitive are recognised with a single
precompiled trigger search and results for short strings are memoised per instance. Everything
else is bounded: strings are cut *before* the expensive regexes run, containers are walked with
``itertools.islice`` and a size budget stops the walk long before a hostile payload can cost
real time.

Redaction classes (the keys of the returned ``Counter``) are stable identifiers that the store
accumulates and the GUI turns into sentences via :func:`describe_redactions`.

Choices worth knowing about (the "why" behind behaviour that is not obvious):

* Sensitive *keys* redact any value except ``None`` and ``bool``: a flag such as
  ``auth_required=True`` carries no secret, and keeping it keeps the dashboards useful.
* ``token`` is only a secret when it is the last word of the key and not qualified by a
  tokenizer vocabulary word (``pad_token``, ``eos_token`` ...), so ``max_tokens``,
  ``token_count`` or ``eos_token_id`` survive while ``hf_token`` and ``access_token`` do not.
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
* The container walk stops once the running size estimate passes four times
  ``max_event_bytes``; later entries are dropped unseen (class ``dropped``). Only after that
  are the largest values replaced by ``"[too large]"`` until the event fits, so a hostile payload
  with a million leaves costs the same as one that is merely too big.
* Integers wider than 64 bits become ``None`` (class ``invalid``): JSON consumers cannot
  represent them and ``json.dumps`` refuses very large ones outright.
* Results for short strings are cached in memory for the life of the ``Scrubber``; the raw
  input is already in the host process, so this does not widen exposure, and it never reaches
  disk.
"""

from __future__ import annotations

import datetime as _dt
import getpass
import hmac
import json
import math
import numbers
import re
import socket
import types
from collections import Counter, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from hashlib import sha256
from itertools import islice
from json.encoder import encode_basestring_ascii as _json_str  # type: ignore[attr-defined]
from pathlib import Path, PurePath
from typing import Any

from .redactions import REDACTION_LABELS, describe_redactions

__all__ = ["REDACTION_LABELS", "ScrubLimits", "Scrubber", "describe_redactions", "stack_frames"]

REDACTED = "[redacted]"
TRUNCATED_SUFFIX = "…[truncated]"
DEPTH_MARKER = "[depth limit]"
CYCLE_MARKER = "[cycle]"
TOO_LARGE_MARKER = "[too large]"
UNREPRESENTABLE_MARKER = "[unrepresentable]"


@dataclass(frozen=True)
class ScrubLimits:
    """Bounds that keep a single event small and cheap whatever the caller passes in."""

    max_string: int = 1000
    max_keys: int = 100
    max_items: int = 100
    max_depth: int = 8
    max_event_bytes: int = 16_384

    def __post_init__(self) -> None:
        for name in ("max_string", "max_keys", "max_items", "max_depth", "max_event_bytes"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"ScrubLimits.{name} must be a positive int, got {value!r}")


# --------------------------------------------------------------------------------------------
# Key classification
# --------------------------------------------------------------------------------------------

_KEY_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")

# A key is sensitive if any word, or any two adjacent words glued together, is in this set.
# Gluing makes ``api_key``/``apiKey``/``apikey`` and ``e-mail``/``email`` the same thing.
_SENSITIVE_COMPOUNDS = frozenset(
    {
        "password",
        "passwords",
        "passwd",
        "pwd",
        "passphrase",
        "secret",
        "secrets",
        "clientsecret",
        "accesstoken",
        "refreshtoken",
        "apikey",
        "apikeys",
        "accesskey",
        "secretkey",
        "privatekey",
        "auth",
        "oauth",
        "authorization",
        "bearer",
        "cookie",
        "cookies",
        "sessioncookie",
        "credential",
        "credentials",
        "creds",
        "email",
        "emails",
        "username",
        "usernames",
        "login",
        "fullname",
        "firstname",
        "lastname",
        "surname",
        "phone",
        "phonenumber",
        "address",
        "addresses",
        "ipaddress",
        "ipaddr",
        "macaddress",
        "macaddr",
        "ssn",
        "creditcard",
        "cardnumber",
        "iban",
        "signature",
    }
)
# Words that only mean "secret" at the end of the key (``client_ip`` yes, ``ip_adapter`` no).
_SENSITIVE_LAST = frozenset({"token", "ip", "user"})
# Tokenizer vocabulary: ``pad_token`` is a string like "</s>", not a credential.
_BENIGN_TOKEN_QUALIFIERS = frozenset(
    {"pad", "eos", "bos", "unk", "sep", "cls", "mask", "special", "start", "end", "stop", "num"}
)
_IDENTIFIER_KEYS = frozenset(
    {
        "userid",
        "accountid",
        "customerid",
        "orgid",
        "organizationid",
        "deviceid",
        "installid",
        "installationid",
        "machineid",
    }
)

_PLAIN, _SENSITIVE, _IDENTIFIER = 0, 1, 2


@lru_cache(maxsize=4096)
def _classify_key(key: str) -> int:
    """Classify on normalised word tokens, never on substrings (``author`` is not ``auth``)."""
    words = [w.lower() for w in _KEY_WORDS.findall(key)]
    if not words:
        return _PLAIN
    if "".join(words) in _IDENTIFIER_KEYS:
        return _IDENTIFIER
    last = words[-1]
    if last in _SENSITIVE_LAST and (
        last != "token" or len(words) == 1 or words[-2] not in _BENIGN_TOKEN_QUALIFIERS
    ):
        return _SENSITIVE
    for i, word in enumerate(words):
        if word in _SENSITIVE_COMPOUNDS:
            return _SENSITIVE
        if i and words[i - 1] + word in _SENSITIVE_COMPOUNDS:
            return _SENSITIVE
    return _PLAIN


# --------------------------------------------------------------------------------------------
# Value patterns
# --------------------------------------------------------------------------------------------

# Anything that could start a sensitive match. Strings without any of these skip all regexes.
_TRIGGER = re.compile(
    r"[@/\\:~=\-0-9]|hf_|sk_|[rp]k_|gh[pousr]_|github_pat|A[KS]IA|xox|AIza|eyJ|(?i:bearer|basic)"
)

_PEM = re.compile(
    r"-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY( BLOCK)?-----(?:.*?-----END [A-Z0-9 ]{0,40}-----|.*)",
    re.DOTALL,
)
_URL_CREDENTIALS = re.compile(
    r"\b([A-Za-z][A-Za-z0-9+.\-]{0,30}://)[^/\s@:]{0,256}:?[^/\s@]{0,256}@"
)
_EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.\-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9\-]{0,62})"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]{0,62}))+"
)
_TOKEN = re.compile(
    r"""(?<![A-Za-z0-9])(?:
        hf_[A-Za-z0-9]{20,}
      | sk-[A-Za-z0-9_\-]{20,}
      | (?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{10,}
      | gh[pousr]_[A-Za-z0-9]{30,}
      | github_pat_[A-Za-z0-9_]{20,}
      | A[KS]IA[A-Z0-9]{16}(?![A-Za-z0-9])
      | xox[baprs]-[A-Za-z0-9\-]{10,}
      | AIza[A-Za-z0-9_\-]{30,}
      | eyJ[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]*
      | (?i:bearer|basic)\s+(?=[A-Za-z0-9._~+/\-]*[0-9+/=._~\-])[A-Za-z0-9._~+/\-]{8,}=*
    )""",
    re.VERBOSE,
)
# ``password=...``, ``"api_key": "..."``, ``HF_TOKEN=...`` in free text.
_KV_SECRET = re.compile(
    r"""(?i)(?<![A-Za-z0-9])((?P<prefix>(?:[A-Za-z0-9]+[_\-]){0,3})
        (?P<word>aws_secret_access_key|secret_access_key|client_secret|password|passwd|pwd
          |passphrase|secret|api[_\-]?key|access[_\-]?key|access[_\-]?token|refresh[_\-]?token
          |token)
        ["']?\s*[=:]\s*["']?)(?P<value>[^\s"'&,;]+)""",
    re.VERBOSE,
)
_KV_HINTS = ("pass", "pwd", "secret", "key", "token")
# Secrets that are only recognisable as URL query parameters.
_QUERY_SECRET = re.compile(
    r"(?i)([?&;](?:key|sig|signature|code|auth|session|sessionid|x-amz-[a-z\-]+|"
    r"access_token|token|api_key|apikey|password|client_secret)=)([^&#\s\"']+)"
)

_SEG = r"[^\s\\/\"'<>|,;()\[\]{}=*?:]"
_COMP = _SEG + "+"
_USERSEG = rf"{_COMP}(?: {_COMP})*(?=[\\/])|{_COMP}"
_REST = rf"(?P<rest>(?:[\\/]+{_COMP})*[\\/]*)"
_PATH_ALTERNATIVES = [
    # Known home-directory layouts; the user segment may contain single spaces (Windows).
    rf"(?<![A-Za-z0-9_.\-~])(?:/home/(?:{_USERSEG})|/(?i:users)/(?:{_USERSEG})"
    rf"|/root(?![A-Za-z0-9_.\-]))",
    rf"(?<![A-Za-z0-9])[A-Za-z]:[\\/]+(?i:users|documents and settings)[\\/]+(?:{_USERSEG})",
    r"(?<![A-Za-z0-9_~])~[A-Za-z0-9._\-]*(?=[\\/])",
]
_GENERIC_PATH = re.compile(
    rf"(?<![A-Za-z0-9_.\-~/:\\])(?:/{_COMP}){{2,}}/(?:{_COMP})?"
    rf"|(?<![A-Za-z0-9])[A-Za-z]:(?:[\\/]+{_COMP}){{2,}}[\\/]+(?:{_COMP})?"
    rf"|(?<![A-Za-z0-9\\])\\\\{_COMP}(?:\\+{_COMP})+"
)
_PATH_SPLIT = re.compile(r"[\\/]+")

_HEX4 = "[0-9A-Fa-f]{1,4}"
_MAC = re.compile(
    r"(?<![0-9A-Fa-f:\-])[0-9A-Fa-f]{2}(?P<sep>[:\-])(?:[0-9A-Fa-f]{2}(?P=sep)){4}[0-9A-Fa-f]{2}"
    r"(?![0-9A-Fa-f:\-])"
)
_IPV6 = re.compile(
    rf"""(?<![0-9A-Za-z:.])(?:
        (?:{_HEX4}:){{7}}{_HEX4}
      | (?:{_HEX4}:){{1,7}}:
      | (?:{_HEX4}:){{1,6}}:{_HEX4}
      | (?:{_HEX4}:){{1,5}}(?::{_HEX4}){{1,2}}
      | (?:{_HEX4}:){{1,4}}(?::{_HEX4}){{1,3}}
      | (?:{_HEX4}:){{1,3}}(?::{_HEX4}){{1,4}}
      | (?:{_HEX4}:){{1,2}}(?::{_HEX4}){{1,5}}
      | {_HEX4}:(?::{_HEX4}){{1,6}}
      | :(?::{_HEX4}){{1,7}}
    )(?![0-9A-Za-z:])""",
    re.VERBOSE,
)
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4 = re.compile(rf"(?<![A-Za-z0-9.])(?:{_OCTET}\.){{3}}{_OCTET}(?![A-Za-z0-9]|\.[0-9])")
_CARD = re.compile(r"(?<![A-Za-z0-9_\-])[0-9](?:[ \-]?[0-9]){11,22}(?![A-Za-z0-9_])")
_CARD_GROUPS = re.compile(r"[0-9]+")

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

_CACHE_MAX_ENTRIES = 4096
_CACHEABLE_LEN = 256
_MARKER_COST = len(_json_str(TOO_LARGE_MARKER))
_WALK_BUDGET_FACTOR = 4


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
    groups = list(_CARD_GROUPS.finditer(text))
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
    return "[path]/" + _PATH_SPLIT.split(rest)[-1]


def _cut(text: str, limit: int) -> str:
    """Cut to ``limit`` and drop a trailing fragment that could be half a secret."""
    head = text[:limit].rstrip(_TRUNCATION_STRIP)
    return head.rstrip(" -0123456789")


def _fix_surrogates(text: str) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")
    return text


class _State:
    __slots__ = ("budget", "counts", "size", "stack")

    def __init__(self, budget: int) -> None:
        self.counts: dict[str, int] = {}
        self.stack: set[int] = set()
        self.size = 0
        self.budget = budget


def _bump(counts: dict[str, int], key: str, n: int = 1) -> None:
    counts[key] = counts.get(key, 0) + n


class Scrubber:
    """Turns arbitrary caller data into small, JSON-safe, anonymised copies."""

    def __init__(
        self,
        *,
        hmac_key: bytes,
        user_name: str | None = None,
        host_name: str | None = None,
        home: str | None = None,
        limits: ScrubLimits = ScrubLimits(),
    ) -> None:
        if not isinstance(hmac_key, bytes | bytearray):
            raise TypeError("hmac_key must be bytes")
        self._hmac_key = bytes(hmac_key)
        self._limits = limits
        if user_name is None:
            user_name = _detect(getpass.getuser)
        if host_name is None:
            host_name = _detect(socket.gethostname)
        if home is None:
            home = _detect(lambda: str(Path.home()))
        self._path_re = self._build_path_re(home or "")
        self._names_re, self._name_kinds = self._build_names_re(user_name or "", host_name or "")
        self._str_cache: dict[str, tuple[str, tuple[tuple[str, int], ...], int]] = {}
        self._key_cache: dict[str, tuple[str, int, tuple[tuple[str, int], ...], int]] = {}

    # ---------------------------------------------------------------- construction helpers

    @staticmethod
    def _build_path_re(home: str) -> re.Pattern[str]:
        alternatives = list(_PATH_ALTERNATIVES)
        stripped = home.rstrip("/\\")
        if len(stripped) >= 3:
            # "/home/a" splits to ["", "home", "a"], so the leading separator survives the join.
            literal = r"[\\/]+".join(re.escape(p) for p in _PATH_SPLIT.split(stripped))
            # The lookbehind stops "////..." from restarting the leading separator run at every
            # position, which would make this quadratic.
            alternatives.insert(0, rf"(?<![\\/])(?i:{literal})(?!{_SEG})")
        joined = "|".join(f"(?:{a})" for a in alternatives)
        return re.compile(rf"(?:{joined}){_REST}")

    @staticmethod
    def _build_names_re(user: str, host: str) -> tuple[re.Pattern[str] | None, dict[str, str]]:
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

    # ---------------------------------------------------------------- public API

    @property
    def limits(self) -> ScrubLimits:
        return self._limits

    def hash_identifier(self, value: object) -> str:
        """Pseudonymise deliberately shared ids: stable within an install, unlinkable across."""
        try:
            text = value if isinstance(value, str) else str(value)
        except Exception:
            text = UNREPRESENTABLE_MARKER
        digest = hmac.new(self._hmac_key, text.encode("utf-8", "surrogatepass"), sha256)
        return "hmac:" + digest.hexdigest()[:16]

    def scrub_text(self, text: str) -> tuple[str, Counter[str]]:
        """Scrub one free-text string such as an exception message."""
        try:
            counts: dict[str, int] = {}
            if type(text) is not str:
                text = self._to_text(text, counts)
            return self._scrub_str(text, counts)[0], Counter(counts)
        except Exception:
            return UNREPRESENTABLE_MARKER, Counter({"dropped": 1})

    def scrub_properties(self, properties: object) -> tuple[dict[str, Any], Counter[str]]:
        """Scrub an event's properties; never raises, always returns a bounded JSON-safe dict."""
        try:
            if type(properties) is not dict and not isinstance(properties, Mapping):
                return {}, Counter({"dropped": 1})
            limit = self._limits.max_event_bytes
            state = _State(limit * _WALK_BUDGET_FACTOR)
            out = self._mapping(properties, 1, state)
            if not isinstance(out, dict):  # depth limit of 0 or a cycle at the root
                return {}, Counter({"dropped": 1})
            if state.size > limit:
                out = self._fit(out, state.counts)
            return out, Counter(state.counts) if state.counts else Counter()
        except Exception:
            return {}, Counter({"dropped": 1})

    # ---------------------------------------------------------------- strings

    def _scrub_str(self, text: str, counts: dict[str, int]) -> tuple[str, int]:
        """Return the scrubbed string and the length of its JSON encoding."""
        suffix = ""
        if len(text) > self._limits.max_string:
            text = _cut(text, self._limits.max_string)
            suffix = TRUNCATED_SUFFIX
            counts["truncated"] = counts.get("truncated", 0) + 1
        if len(text) <= _CACHEABLE_LEN:
            hit = self._str_cache.get(text)
            if hit is None:
                found: dict[str, int] = {}
                result = self._scrub_patterns(text, found)
                hit = (result, tuple(found.items()), len(_json_str(result)))
                if len(self._str_cache) >= _CACHE_MAX_ENTRIES:
                    self._str_cache.clear()
                self._str_cache[text] = hit
            result, found_items, size = hit
            if found_items:
                for name, n in found_items:
                    counts[name] = counts.get(name, 0) + n
        else:
            result = self._scrub_patterns(text, counts)
            size = -1
        if suffix:
            result += suffix
            size = -1
        if size < 0:
            size = len(_json_str(result))
        return result, size

    def _scrub_patterns(self, text: str, counts: dict[str, int]) -> str:
        if not text.isascii():
            text = _fix_surrogates(text)
        if _TRIGGER.search(text) is not None:
            text = self._scrub_values(text, counts)
        if self._names_re is not None:
            lowered = text.lower()
            if any(name in lowered for name in self._name_kinds):
                kinds = self._name_kinds
                text = self._names_re.sub(lambda m: _named_sub(m, kinds, counts), text)
        return text

    def _scrub_values(self, text: str, counts: dict[str, int]) -> str:
        def marker(name: str) -> Any:
            label = f"[{name}]"

            def sub(_m: re.Match[str]) -> str:
                counts[name] = counts.get(name, 0) + 1
                return label

            return sub

        if "-----BEGIN" in text:
            text = _PEM.sub(marker("token"), text)
        has_at = "@" in text
        if has_at and "://" in text:
            text = _URL_CREDENTIALS.sub(lambda m: _credentials_sub(m, counts), text)
        if has_at:
            text = _EMAIL.sub(marker("email"), text)
        text = _TOKEN.sub(marker("token"), text)
        if "=" in text or ":" in text:
            lowered = text.lower()
            if any(word in lowered for word in _KV_HINTS):
                text = _KV_SECRET.sub(lambda m: _kv_sub(m, counts), text)
            if "=" in text:
                text = _QUERY_SECRET.sub(lambda m: _query_sub(m, counts), text)
        if "/" in text or "\\" in text or "~" in text:
            text = self._path_re.sub(lambda m: _path_sub(m, counts), text)
            text = _GENERIC_PATH.sub(lambda m: _path_sub(m, counts), text)
        has_colon = ":" in text
        if has_colon or "-" in text:
            text = _MAC.sub(marker("mac"), text)
        if has_colon and ("::" in text or text.count(":") >= 7):
            text = _IPV6.sub(lambda m: _ipv6_sub(m, counts), text)
        if "." in text:
            text = _IPV4.sub(marker("ip"), text)
        return _CARD.sub(lambda m: _card_sub(m, counts), text)

    # ---------------------------------------------------------------- containers

    def _key(self, key: object, counts: dict[str, int]) -> tuple[str, int, int]:
        """Return (scrubbed key, classification, JSON length) for a dict key."""
        text = key if type(key) is str else self._to_text(key, counts)
        hit = self._key_cache.get(text)
        if hit is None:
            found: dict[str, int] = {}
            scrubbed, size = self._scrub_str(text, found)
            kind = _classify_key(text[: self._limits.max_string])
            hit = (scrubbed, kind, tuple(found.items()), size)
            if len(text) <= _CACHEABLE_LEN:
                if len(self._key_cache) >= _CACHE_MAX_ENTRIES:
                    self._key_cache.clear()
                self._key_cache[text] = hit
        if hit[2]:
            for name, n in hit[2]:
                counts[name] = counts.get(name, 0) + n
        return hit[0], hit[1], hit[3]

    def _mapping(self, value: Mapping[Any, Any], depth: int, st: _State) -> Any:
        if depth > self._limits.max_depth:
            _bump(st.counts, "truncated")
            st.size += len(DEPTH_MARKER) + 2
            return DEPTH_MARKER
        oid = id(value)
        if oid in st.stack:
            _bump(st.counts, "dropped")
            st.size += len(CYCLE_MARKER) + 2
            return CYCLE_MARKER
        st.stack.add(oid)
        try:
            out: dict[str, Any] = {}
            counts = st.counts
            max_keys = self._limits.max_keys
            st.size += 2
            seen = 0
            for raw_key, item in islice(value.items(), max_keys):
                seen += 1
                if st.size > st.budget:
                    _bump(counts, "dropped")
                    continue
                key, kind, key_size = self._key(raw_key, counts)
                if key in out:
                    key, key_size = _dedupe(key, out)
                st.size += key_size + 4
                if kind == _PLAIN:
                    if type(item) is str:
                        out[key], size = self._scrub_str(item, counts)
                        st.size += size
                    else:
                        out[key] = self._value(item, depth, st)
                elif item is None or type(item) is bool:
                    out[key] = item
                    st.size += 5
                elif kind == _SENSITIVE:
                    counts["sensitive_key"] = counts.get("sensitive_key", 0) + 1
                    out[key] = REDACTED
                    st.size += len(REDACTED) + 2
                else:
                    counts["identifier"] = counts.get("identifier", 0) + 1
                    out[key] = self.hash_identifier(item)
                    st.size += 23
            if seen >= max_keys:
                extra = _safe_len(value) - seen
                if extra > 0:
                    _bump(counts, "dropped", extra)
            return out
        finally:
            st.stack.discard(oid)

    def _sequence(self, value: Iterable[Any], depth: int, st: _State) -> Any:
        if depth > self._limits.max_depth:
            _bump(st.counts, "truncated")
            st.size += len(DEPTH_MARKER) + 2
            return DEPTH_MARKER
        oid = id(value)
        if oid in st.stack:
            _bump(st.counts, "dropped")
            st.size += len(CYCLE_MARKER) + 2
            return CYCLE_MARKER
        st.stack.add(oid)
        try:
            out: list[Any] = []
            max_items = self._limits.max_items
            st.size += 2
            for item in islice(value, max_items):
                if st.size > st.budget:
                    _bump(st.counts, "dropped")
                    continue
                st.size += 2
                out.append(self._value(item, depth, st))
            if len(out) >= max_items or st.size > st.budget:
                extra = _safe_len(value) - max_items
                if extra > 0:
                    _bump(st.counts, "dropped", extra)
            return out
        finally:
            st.stack.discard(oid)

    def _value(self, value: Any, depth: int, st: _State) -> Any:
        """Convert one value; ``depth`` is the depth of the container holding it."""
        t = type(value)
        if t is str:
            result, size = self._scrub_str(value, st.counts)
            st.size += size
            return result
        if value is None or t is bool:
            st.size += 5
            return value
        if t is int:
            return self._int(value, st)
        if t is float:
            return self._float(value, st)
        if t is dict:
            return self._mapping(value, depth + 1, st)
        if t is list or t is tuple:
            return self._sequence(value, depth + 1, st)
        return self._other(value, depth, st)

    def _int(self, value: int, st: _State) -> int | None:
        if value.bit_length() > 64:
            _bump(st.counts, "invalid")
            st.size += 4
            return None
        st.size += 21
        return value

    def _float(self, value: float, st: _State) -> float | None:
        if not math.isfinite(value):
            _bump(st.counts, "invalid")
            st.size += 4
            return None
        st.size += 24
        return value

    def _other(self, value: Any, depth: int, st: _State) -> Any:
        """Slow path for everything that is not a plain JSON type."""
        if isinstance(value, Enum):
            return self._value(value.value, depth, st)
        if isinstance(value, bool):
            st.size += 5
            return bool(value)
        if isinstance(value, int):
            return self._int(int(value), st)
        if isinstance(value, float):
            return self._float(float(value), st)
        if isinstance(value, str):
            return self._value(str.__str__(value), depth, st)
        if isinstance(value, Mapping | list | tuple | set | frozenset):
            # Foreign containers may raise while iterating; lose only that value, not the event.
            try:
                if isinstance(value, Mapping):
                    return self._mapping(value, depth + 1, st)
                return self._sequence(value, depth + 1, st)
            except Exception:
                _bump(st.counts, "dropped")
                st.size += len(UNREPRESENTABLE_MARKER) + 2
                return UNREPRESENTABLE_MARKER
        if isinstance(value, bytes | bytearray | memoryview):
            size = value.nbytes if isinstance(value, memoryview) else len(value)
            _bump(st.counts, "dropped")
            text = f"[bytes:{size}]"
            st.size += len(text) + 2
            return text
        if isinstance(value, _dt.date | _dt.time):
            text = value.isoformat()
            st.size += len(_json_str(text))
            return text
        if isinstance(value, PurePath):
            return self._value(str(value), depth, st)
        if isinstance(value, numbers.Integral):
            return self._int(int(value), st)
        if isinstance(value, numbers.Real):
            return self._float(float(value), st)
        return self._value(self._to_text(value, st.counts), depth, st)

    @staticmethod
    def _to_text(value: object, counts: dict[str, int]) -> str:
        if isinstance(value, bytes | bytearray):
            return f"[bytes:{len(value)}]"
        if isinstance(value, Enum):
            value = value.value
        try:
            text = str(value)
            return text if type(text) is str else str.__str__(text)
        except Exception:
            counts["dropped"] = counts.get("dropped", 0) + 1
            return UNREPRESENTABLE_MARKER

    # ---------------------------------------------------------------- size bound

    def _fit(self, out: dict[str, Any], counts: dict[str, int]) -> dict[str, Any]:
        """Replace the largest values by a marker until the serialised event fits."""
        limit = self._limits.max_event_bytes
        size = len(json.dumps(out))
        if size <= limit:
            return out
        leaves: list[tuple[int, Any, Any]] = []
        nested: list[tuple[int, Any, Any, tuple[int, ...]]] = []

        def walk(node: Any, ancestors: tuple[int, ...]) -> None:
            items = node.items() if isinstance(node, dict) else enumerate(node)
            for k, v in items:
                if type(v) is str:
                    leaves.append((len(_json_str(v)), node, k))
                elif type(v) is dict or type(v) is list:
                    nested.append((len(json.dumps(v)), node, k, ancestors))
                    walk(v, (*ancestors, id(v)))

        walk(out, ())
        leaves.sort(key=lambda e: e[0], reverse=True)
        for cost, node, k in leaves:
            if size <= limit or cost <= _MARKER_COST:
                break
            node[k] = TOO_LARGE_MARKER
            size -= cost - _MARKER_COST
            _bump(counts, "dropped")
        if size > limit:
            nested.sort(key=lambda e: e[0], reverse=True)
            dead: set[int] = set()
            for _, node, k, ancestors in nested:
                if size <= limit:
                    break
                if any(a in dead for a in ancestors):
                    continue
                child = node[k]
                cost = len(json.dumps(child))
                if cost <= _MARKER_COST:
                    continue
                dead.add(id(child))
                node[k] = TOO_LARGE_MARKER
                size -= cost - _MARKER_COST
                _bump(counts, "dropped")
        if size > limit:
            # Keys themselves are too big: drop whole top-level entries, largest first.
            entries = sorted(
                out,
                key=lambda k: len(_json_str(k)) + len(json.dumps(out[k])),
                reverse=True,
            )
            for k in entries:
                if size <= limit:
                    break
                size -= len(_json_str(k)) + len(json.dumps(out.pop(k))) + 4
                _bump(counts, "dropped")
            size = len(json.dumps(out))
            while size > limit and out:
                out.pop(next(iter(out)))
                _bump(counts, "dropped")
                size = len(json.dumps(out))
        return out


# ------------------------------------------------------------------------------------------
# Substitution callbacks
# ------------------------------------------------------------------------------------------


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
        if qualifier in _BENIGN_TOKEN_QUALIFIERS or qualifier in {"max", "min", "total", "new"}:
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


def _named_sub(match: re.Match[str], kinds: Mapping[str, str], counts: dict[str, int]) -> str:
    name = kinds.get(match.group(0).lower(), "user")
    counts[name] = counts.get(name, 0) + 1
    return f"[{name}]"


def _dedupe(key: str, out: Mapping[str, Any]) -> tuple[str, int]:
    n = 2
    while f"{key}~{n}" in out:
        n += 1
    new = f"{key}~{n}"
    return new, len(_json_str(new))


def _safe_len(value: object) -> int:
    try:
        return len(value)  # type: ignore[arg-type]
    except Exception:
        return 0


def _detect(probe: Any) -> str:
    try:
        result = probe()
    except Exception:
        return ""
    return result if isinstance(result, str) else ""


# ------------------------------------------------------------------------------------------
# Tracebacks and summaries
# ------------------------------------------------------------------------------------------

_FRAME_NAME_SPLIT = re.compile(r"[\\/]")


def stack_frames(tb: types.TracebackType | None, limit: int = 30) -> list[str]:
    """Describe a traceback without directories, which would reveal user and project names."""
    frames: deque[str] = deque(maxlen=max(0, limit))
    if limit <= 0:
        return []
    try:
        seen = 0
        while tb is not None and seen < 10_000:
            seen += 1
            try:
                frame = tb.tb_frame
                code = frame.f_code
                module = frame.f_globals.get("__name__")
                if not isinstance(module, str) or not module:
                    base = _FRAME_NAME_SPLIT.split(code.co_filename)[-1]
                    module = base.rsplit(".", 1)[0] if "." in base else base
                module = _FRAME_NAME_SPLIT.split(module)[-1]
                frames.append(f"{module}:{code.co_name}:{tb.tb_lineno}")
            except Exception:
                frames.append("?:?:0")
            tb = tb.tb_next
    except Exception:
        pass
    return list(frames)
