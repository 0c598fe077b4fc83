"""Which dict keys mark their value as secret, as an identifier, or as ordinary data.

Keys are classified on normalised word tokens, never on substrings, so ``author`` is not
``auth`` and ``apiKey``/``api_key``/``apikey`` are the same key.

* ``token`` is only a secret when it is the last word of the key and not qualified by a
  tokenizer vocabulary word (``pad_token``, ``eos_token`` ...), so ``max_tokens``,
  ``token_count`` or ``eos_token_id`` survive while ``hf_token`` and ``access_token`` do not.
* Command-line flags are keys too: ``--hf-token`` is classified as ``hf-token``, so argv text
  (``train.py --password x``) and argv lists (``["--password", "x"]``) follow the same list as
  dict keys. :func:`flag_name` only accepts the shape of a flag (one or two dashes, then a
  letter), so ``-5``, ``--`` and ``---`` are never flags.

There is no cache here: the scrubber memoises :func:`classify_key` per instance, so this module
holds no state that changes at runtime.
"""

from __future__ import annotations

import re
from collections.abc import Callable

KEY_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")

# A key is sensitive if any word, or any two adjacent words glued together, is in this set.
# Gluing makes ``api_key``/``apiKey``/``apikey`` and ``e-mail``/``email`` the same thing.
SENSITIVE_COMPOUNDS = frozenset(
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
SENSITIVE_LAST = frozenset({"token", "ip", "user"})
# Tokenizer vocabulary: ``pad_token`` is a string like "</s>", not a credential.
BENIGN_TOKEN_QUALIFIERS = frozenset(
    {"pad", "eos", "bos", "unk", "sep", "cls", "mask", "special", "start", "end", "stop", "num"}
)
# Count qualifiers: ``max_token=512`` in free text is a limit, not a credential.
BENIGN_COUNT_QUALIFIERS = frozenset({"max", "min", "total", "new"})
IDENTIFIER_KEYS = frozenset(
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

PLAIN, SENSITIVE, IDENTIFIER = 0, 1, 2
# Flag names that are secret on a command line though not as dict keys: ``{"key": ...}`` is
# ordinary data, ``wandb login --key ...`` and ``openssl ... -passout pass:...`` are not.
FLAG_ONLY_SENSITIVE = frozenset({"key", "pass", "passin", "passout", "pin", "otp", "pw"})


def classify_key(key: str) -> int:
    """Classify on normalised word tokens, never on substrings (``author`` is not ``auth``)."""
    words = [w.lower() for w in KEY_WORDS.findall(key)]
    if not words:
        return PLAIN
    if "".join(words) in IDENTIFIER_KEYS:
        return IDENTIFIER
    last = words[-1]
    if last in SENSITIVE_LAST and (
        last != "token" or len(words) == 1 or words[-2] not in BENIGN_TOKEN_QUALIFIERS
    ):
        return SENSITIVE
    for i, word in enumerate(words):
        if word in SENSITIVE_COMPOUNDS:
            return SENSITIVE
        if i and words[i - 1] + word in SENSITIVE_COMPOUNDS:
            return SENSITIVE
    return PLAIN


def flag_name(item: str) -> str | None:
    """The name of a command-line flag without its value (``--api-key`` -> ``api-key``), or None.

    ``--password=x`` carries its value inline, so it is not a flag whose *next* item is secret.
    """
    if type(item) is not str or not item.startswith("-") or "=" in item:
        return None
    name = item[2:] if item.startswith("--") else item[1:]
    if not name or len(name) > 100 or not name[0].isascii() or not name[0].isalpha():
        return None
    return name


def flag_is_sensitive(item: str, *, classify: Callable[[str], int] = classify_key) -> bool:
    """True for a flag such as ``--password`` or ``--hf_token`` whose next argument is secret.

    ``classify`` lets the walk pass its per-instance memoised :func:`classify_key`.
    """
    name = flag_name(item)
    return name is not None and flag_name_is_sensitive(name, classify=classify)


def flag_name_is_sensitive(name: str, *, classify: Callable[[str], int] = classify_key) -> bool:
    return name.lower() in FLAG_ONLY_SENSITIVE or classify(name) == SENSITIVE
