"""The shared pre-filter and the network patterns, as compiled data shared by every scrubber.

Everything here is immutable and compiled once at import, so any number of ``Scrubber``
instances (and threads) can share it and none of them pays for compilation on the hot path.
The patterns only *find* candidates; what a match is replaced by, and which look-alikes are let
through, is decided in :mod:`.rules` and the rule modules it calls.

:func:`triggered` is the one pre-filter: a string it rejects cannot contain anything any
value rule looks for, so plain words (``lora``, ``adamw_torch``, ``q_proj,v_proj``) skip every
rule. It lists the characters every structured value needs (digits, ``@ / \\ : ~ = -``), the
prefixes of tokens that can be written without them (``hf_``, ``sk_``, ``xox``, ``SG.`` ...),
the dressed ``@`` and ``dot`` of e-mail addresses, the opening of a pair printed as text, and
any run of 20 letters, digits or ``+`` (a random secret with no digit in it). Tests check that
every provider's sample and every string of the secrets corpus that holds a secret passes it
(user and host names are looked for in every string, after it).
"""

from __future__ import annotations

import re

_TRIGGER_CHARS = re.compile(r"[@/\\:~=\-0-9＠]")
# Case-sensitive token prefixes with none of the characters above. Each branch starts with a
# literal, so the engine only tries the positions holding one of those first letters.
_TRIGGER_PREFIXES = re.compile(
    r"A(?:KIA|SIA|BIA|CCA|Iza)|G(?:OCSPX)|S(?:G\.)|a(?:pi_org_)|d(?:api)|e(?:yJ)"
    r"|g(?:h[pousr]_|ithub_pat|sk_)|h(?:f_|v[sbr]\.)|n(?:pm_)|[prs]k_|s(?:hp)|w(?:hsec_)|x(?:ox|app)"
)
# Looked for in the lower-cased text: auth schemes, the dressed "@" and "." of e-mails, and the
# opening of a pair printed as text, "[('password', ...".
_TRIGGER_WORDS = re.compile(r"b(?:earer|asic)| dot |[\[({<]\s*(?:at\s*[\])}>]|[\"'])")
_LONG_RUN = re.compile(r"[A-Za-z0-9+]{20}")


def triggered(text: str) -> bool:
    """False when no value rule can match ``text``: the one pre-filter before them all."""
    return (
        _TRIGGER_CHARS.search(text) is not None
        or _TRIGGER_PREFIXES.search(text) is not None
        or _TRIGGER_WORDS.search(text.lower()) is not None
        or (len(text) >= 20 and _LONG_RUN.search(text) is not None)
    )


URL_CREDENTIALS = re.compile(
    r"\b([A-Za-z][A-Za-z0-9+.\-]{0,30}://)(?!\[credentials\]@)[^/\s@:]{0,256}:?[^/\s@]{0,256}@"
)

_HEX4 = "[0-9A-Fa-f]{1,4}"
# MAC and IPv4 start with a character class and look behind it afterwards, which lets the
# regex engine skip positions that cannot start a match (see :mod:`.digits`).
MAC = re.compile(
    r"[0-9A-Fa-f](?<![0-9A-Fa-f:\-].)[0-9A-Fa-f](?P<sep>[:\-])(?:[0-9A-Fa-f]{2}(?P=sep)){4}"
    r"[0-9A-Fa-f]{2}(?![0-9A-Fa-f:\-])"
)
IPV6 = re.compile(
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
# Four dotted numbers; :func:`ipv4_ok` then checks that each is an octet (0-255, no leading 0).
IPV4 = re.compile(
    r"[0-9](?<![A-Za-z0-9.].)[0-9]{0,2}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}(?![A-Za-z0-9]|\.[0-9])"
)


def ipv4_ok(text: str) -> bool:
    return all(p == str(int(p)) and int(p) <= 255 for p in text.split("."))
