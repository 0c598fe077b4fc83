"""Which dict keys mark their value as secret, as an identifier, or as ordinary data.

Keys are classified on normalised word tokens, never on substrings, so ``author`` is not
``auth`` and ``apiKey``/``api_key``/``apikey`` are the same key.

* ``token`` is only a secret when it is the last word of the key and not qualified by a
  tokenizer vocabulary word (``pad_token``, ``eos_token`` ...), so ``max_tokens``,
  ``token_count`` or ``eos_token_id`` survive while ``hf_token`` and ``access_token`` do not.

There is no cache here: the scrubber memoises :func:`classify_key` per instance, so this module
holds no state that changes at runtime.
"""

from __future__ import annotations

import re

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
