"""What sensitive values look like, as compiled data shared by every scrubber.

Everything here is immutable and compiled once at import, so any number of ``Scrubber``
instances (and threads) can share it and none of them pays for compilation on the hot path.
The patterns only *find* candidates; what a match is replaced by, and which look-alikes are let
through, is decided in :mod:`.rules`.
"""

from __future__ import annotations

import re

# Anything that could start a sensitive match. Strings without any of these skip all regexes.
TRIGGER = re.compile(
    r"[@/\\:~=\-0-9]|hf_|sk_|[rp]k_|gh[pousr]_|github_pat|A[KS]IA|xox|AIza|eyJ|(?i:bearer|basic)"
)

PEM = re.compile(
    r"-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY( BLOCK)?-----(?:.*?-----END [A-Z0-9 ]{0,40}-----|.*)",
    re.DOTALL,
)
URL_CREDENTIALS = re.compile(
    r"\b([A-Za-z][A-Za-z0-9+.\-]{0,30}://)[^/\s@:]{0,256}:?[^/\s@]{0,256}@"
)
EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.\-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9\-]{0,62})"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]{0,62}))+"
)
TOKEN = re.compile(
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
KV_SECRET = re.compile(
    r"""(?i)(?<![A-Za-z0-9])((?P<prefix>(?:[A-Za-z0-9]+[_\-]){0,3})
        (?P<word>aws_secret_access_key|secret_access_key|client_secret|password|passwd|pwd
          |passphrase|secret|api[_\-]?key|access[_\-]?key|access[_\-]?token|refresh[_\-]?token
          |token)
        ["']?\s*[=:]\s*["']?)(?P<value>[^\s"'&,;]+)""",
    re.VERBOSE,
)
KV_HINTS = ("pass", "pwd", "secret", "key", "token")
# Secrets that are only recognisable as URL query parameters.
QUERY_SECRET = re.compile(
    r"(?i)([?&;](?:key|sig|signature|code|auth|session|sessionid|x-amz-[a-z\-]+|"
    r"access_token|token|api_key|apikey|password|client_secret)=)([^&#\s\"']+)"
)

SEG = r"[^\s\\/\"'<>|,;()\[\]{}=*?:]"
_COMP = SEG + "+"
_USERSEG = rf"{_COMP}(?: {_COMP})*(?=[\\/])|{_COMP}"
REST = rf"(?P<rest>(?:[\\/]+{_COMP})*[\\/]*)"
PATH_ALTERNATIVES = (
    # Known home-directory layouts; the user segment may contain single spaces (Windows).
    rf"(?<![A-Za-z0-9_.\-~])(?:/home/(?:{_USERSEG})|/(?i:users)/(?:{_USERSEG})"
    rf"|/root(?![A-Za-z0-9_.\-]))",
    rf"(?<![A-Za-z0-9])[A-Za-z]:[\\/]+(?i:users|documents and settings)[\\/]+(?:{_USERSEG})",
    r"(?<![A-Za-z0-9_~])~[A-Za-z0-9._\-]*(?=[\\/])",
)
GENERIC_PATH = re.compile(
    rf"(?<![A-Za-z0-9_.\-~/:\\])(?:/{_COMP}){{2,}}/(?:{_COMP})?"
    rf"|(?<![A-Za-z0-9])[A-Za-z]:(?:[\\/]+{_COMP}){{2,}}[\\/]+(?:{_COMP})?"
    rf"|(?<![A-Za-z0-9\\])\\\\{_COMP}(?:\\+{_COMP})+"
)
PATH_SPLIT = re.compile(r"[\\/]+")

_HEX4 = "[0-9A-Fa-f]{1,4}"
MAC = re.compile(
    r"(?<![0-9A-Fa-f:\-])[0-9A-Fa-f]{2}(?P<sep>[:\-])(?:[0-9A-Fa-f]{2}(?P=sep)){4}[0-9A-Fa-f]{2}"
    r"(?![0-9A-Fa-f:\-])"
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
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
IPV4 = re.compile(rf"(?<![A-Za-z0-9.])(?:{_OCTET}\.){{3}}{_OCTET}(?![A-Za-z0-9]|\.[0-9])")
CARD = re.compile(r"(?<![A-Za-z0-9_\-])[0-9](?:[ \-]?[0-9]){11,22}(?![A-Za-z0-9_])")
CARD_GROUPS = re.compile(r"[0-9]+")
