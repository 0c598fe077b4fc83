"""Values that are secret because of the name they were given inside free text.

Three shapes, all replaced by ``[redacted]`` and counted as ``sensitive_key`` like a sensitive
dict key (see :mod:`.markers` for why the name, not the format, decides the marker):

* command lines: ``train.py --password x --hf-token=y``. The flag name goes through the same
  :func:`.keys.classify_key` as dict keys, so ``--max-tokens 512``, ``--lora-alpha 16`` and
  ``--pad-token </s>`` survive. A value starting with ``-`` is the next flag, not a value.
* assignments: ``password=...``, ``"api_key": "..."``, ``HF_TOKEN=...``, ``dbPassword: ...``.
  Only credential words count here (password, secret, token, api/access/private key, cookie,
  credentials ...), not every sensitive key name: ``address: 0x7f..`` or ``login: failed`` are
  ordinary log text. ``token`` qualified by a tokenizer or count word (``pad_token=</s>``,
  ``max_token=512``) is not a credential.
* URL query parameters whose name marks a secret (``?token=``, ``&sig=``, ``&X-Amz-Credential=``);
* pairs printed as text, ``[('password', 'x')]``: the first item is a key like a dict key's.

On a command line a number is kept unless the flag's own last words name a secret
(``--secret-sauce-weight 0.5`` survives, ``--password 1234`` does not), ``curl -u user:pw``
loses its credentials, and ``--key``/``-passout`` are secret there though ``key`` is not as a
dict key (:data:`.keys.FLAG_ONLY_SENSITIVE`).

Values that cannot carry a secret (``true``, ``false``, ``none``, ``null``) and values that are
already markers are left as they are, so ``--use_auth_token True`` still reads as a flag.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .keys import (
    BENIGN_COUNT_QUALIFIERS,
    BENIGN_TOKEN_QUALIFIERS,
    KEY_WORDS,
    SENSITIVE,
    classify_key,
    flag_name_is_sensitive,
)
from .markers import REDACTED, SENSITIVE_KEY, bump

_QUOTED = r"\"(?P<dq>[^\"\n]{1,256})\"|'(?P<sq>[^'\n]{1,256})'"
ARGV_FLAG = re.compile(
    rf"(?<![\w\-])--?(?P<flag>[A-Za-z][A-Za-z0-9_\-.]{{0,60}})(?:=|\s+)"
    rf"(?:{_QUOTED}|(?P<value>(?![\-\[])[^\s\"']+))"
)
# A pair written out as text: ``[('password', 'x')]``, ``dict_items([("token", "y")])``.
PAIR_TEXT = re.compile(
    rf"[(\[]\s*(?P<q>[\"'])(?P<key>[A-Za-z][\w\-. ]{{0,60}})(?P=q)\s*,\s*"
    rf"(?:{_QUOTED}|(?P<value>[^\s,)\]]+))"
)
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
KV_SECRET = re.compile(
    rf"""(?<![A-Za-z0-9\[])(?P<key>(?P<prefix>(?:[A-Za-z0-9]+[_\-.])*[A-Za-z0-9]*?)
        (?P<word>aws_secret_access_key|secret_access_key|client_secret|password|passwd|pwd
          |passphrase|secret|api[_\-]?key|access[_\-]?key|secret[_\-]?key|private[_\-]?key
          |signing[_\-]?key|encryption[_\-]?key|access[_\-]?token|refresh[_\-]?token|token
          |credentials?|cookie|session[_\-]?(?:id|key|token)))
        ["']?\s*[=:]\s*(?:{_QUOTED}|["']?(?P<value>[^\s"'&,;]+))""",
    re.VERBOSE | re.IGNORECASE,
)
# Searched in the lower-cased text before KV_SECRET runs: every credential word contains one.
KV_HINTS = re.compile(r"c(?:ookie|red)|key|p(?:ass|wd)|se(?:cret|ssion)|token")
QUERY_SECRET = re.compile(
    r"(?i)([?&;](?:key|sig|signature|code|auth|session|sessionid|x-amz-[a-z\-]+|"
    r"access_token|token|api_key|apikey|password|client_secret)=)([^&#\s\"']+)"
)
_HARMLESS = frozenset({"true", "false", "none", "null", "nil", "yes", "no"})


def scrub_argv(
    text: str, counts: dict[str, int], classify: Callable[[str], int] = classify_key
) -> str:
    """Redact the values of sensitive flags in a command line written as one string."""

    def sub(match: re.Match[str]) -> str:
        flag = match.group("flag")
        value = match.group("value")
        if flag == "u" and value is not None and ":" in value:
            return _redact_value(match, counts)  # curl -u user:password
        if not flag_name_is_sensitive(flag, classify=classify):
            return match.group(0)
        if value is not None and _NUMBER.fullmatch(value) is not None:
            # "--secret-sauce-weight 0.5": a number is secret only under a secret's own name.
            words = KEY_WORDS.findall(flag)
            if classify("_".join(words[-2:])) != SENSITIVE:
                return match.group(0)
        return _redact_value(match, counts)

    return ARGV_FLAG.sub(sub, text)


def scrub_pair_text(
    text: str, counts: dict[str, int], classify: Callable[[str], int] = classify_key
) -> str:
    """Redact the value of a ``('password', 'x')`` pair printed into a string."""

    def sub(match: re.Match[str]) -> str:
        if classify(match.group("key")) != SENSITIVE:
            return match.group(0)
        return _redact_value(match, counts)

    return PAIR_TEXT.sub(sub, text)


def scrub_assignments(text: str, counts: dict[str, int]) -> str:
    """Redact ``name=value`` and ``"name": "value"`` pairs whose name is a credential word."""

    def sub(match: re.Match[str]) -> str:
        if match.group("word").lower() == "token" and _benign_token_prefix(match.group("prefix")):
            return match.group(0)
        return _redact_value(match, counts)

    return KV_SECRET.sub(sub, text)


def scrub_query(text: str, counts: dict[str, int]) -> str:
    def sub(match: re.Match[str]) -> str:
        if match.group(2).startswith("["):
            return match.group(0)
        bump(counts, SENSITIVE_KEY)
        return match.group(1) + REDACTED

    return QUERY_SECRET.sub(sub, text)


def _benign_token_prefix(prefix: str) -> bool:
    words = KEY_WORDS.findall(prefix)
    qualifier = words[-1].lower() if words else ""
    return qualifier in BENIGN_TOKEN_QUALIFIERS or qualifier in BENIGN_COUNT_QUALIFIERS


def _redact_value(match: re.Match[str], counts: dict[str, int]) -> str:
    group = next(g for g in ("dq", "sq", "value") if match.group(g) is not None)
    value = match.group(group)
    if value.startswith(("[", "…")) or value.lower() in _HARMLESS:
        return match.group(0)
    bump(counts, SENSITIVE_KEY)
    whole, start = match.group(0), match.start()
    return whole[: match.start(group) - start] + REDACTED + whole[match.end(group) - start :]
