"""Number rules: IBANs, phone numbers, card numbers and IMEIs, each confirmed by a checksum.

They run in that order. An IBAN's digits could contain a card-like run and a phone number's
digits an IMEI-like one, so the rule with the more specific shape (letters first, ``+`` first)
goes first and its marker hides the digits from the rules after it.

A pattern may take in more than the number: the greedy match of a phone number continues into a
following count (``+44 20 7946 0958 12 times``), an IBAN into the next four-letter word. When
the whole candidate fails its check, shorter candidates are tried by dropping trailing groups.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .markers import bump
from .validators import card_ok, iban_ok, imei_ok, luhn_ok, phone_ok

# Each pattern starts with a character class and checks what precedes it afterwards
# (``[0-9](?<!x.)`` is ``(?<!x)[0-9]``), so the regex engine skips positions that cannot start
# a match instead of evaluating a lookbehind at every one of them.
IBAN = re.compile(
    r"[A-Za-z](?<![A-Za-z0-9].)[A-Za-z][0-9]{2}"
    r"(?:[A-Za-z0-9]{11,30}|(?: [A-Za-z0-9]{4}){2,7}(?: [A-Za-z0-9]{1,4})?)(?![A-Za-z0-9])"
)
# Groups need a separator (or an opening bracket) between them, so a long digit run has one
# way to match and a failed match cannot backtrack through every split of it.
PHONE = re.compile(
    r"(?:\+(?<![\w+]\+)|0(?<![\w+]0)0)(?:[1-9][0-9]{6,14}|[1-9][0-9]{0,3}"
    r"(?:(?:[ .\-]|(?=\())(?:\([0-9]{1,4}\)[ .\-]?)?[0-9]{1,12}){1,7})(?![0-9])"
)
# Digits with single space/dash separators: cards, IMEIs (``35-209900-176148-1``).
CARD = re.compile(r"[0-9](?<![A-Za-z0-9_\-].)(?:[ \-]?[0-9]){11,22}(?![A-Za-z0-9_])")
_GROUPS = re.compile(r"[0-9]+")
_TRAILING_GROUP = re.compile(r"[ .\-]*(?:\([0-9]*\)|[A-Za-z0-9]+)$")


def scrub_numbers(text: str, counts: dict[str, int]) -> str:
    """Each rule runs only where its shortest number fits: 15 characters for an IBAN, a ``+``
    or ``00`` for a phone number, 13 digits for a card (the caller checked 12 characters)."""
    if len(text) >= 15:
        text = IBAN.sub(lambda m: _shrinking(m, counts, "iban", _is_iban, 15), text)
    if "+" in text or "00" in text:
        text = PHONE.sub(lambda m: _shrinking(m, counts, "phone", phone_ok, 8), text)
    if len(text) >= 13:
        text = CARD.sub(lambda m: _card_sub(m, counts), text)
    return text


def _is_iban(candidate: str) -> bool:
    return iban_ok(candidate.replace(" ", "").upper())


def _shrinking(
    match: re.Match[str], counts: dict[str, int], rule: str, ok: Callable[[str], bool], least: int
) -> str:
    text = match.group(0)
    candidate = text
    while len(candidate) >= least:
        if ok(candidate):
            bump(counts, rule)
            return f"[{rule}]" + text[len(candidate) :]
        shorter = _TRAILING_GROUP.sub("", candidate)
        if shorter == candidate:
            break
        candidate = shorter
    return text


def _number_kind(digits: str) -> str | None:
    if card_ok(digits):
        return "card"
    if imei_ok(digits):
        return "imei"
    return None


def _card_sub(match: re.Match[str], counts: dict[str, int]) -> str:
    text = match.group(0)
    groups = list(_GROUPS.finditer(text))
    digits = "".join(g.group(0) for g in groups)
    kind = _number_kind(digits)
    if kind is not None:
        bump(counts, kind)
        return f"[{kind}]"
    # The run may include unrelated neighbouring numbers ("id 12 4111 1111 1111 1111");
    # look for the longest run of whole groups that is a card or an IMEI.
    best: tuple[int, int, str] | None = None
    n = len(groups)
    for i in range(n):
        length = 0
        # Real numbers are written in at most a handful of groups; bounding the window keeps
        # "1 2 3 4 ..." linear.
        for j in range(i, min(n, i + 8)):
            length += len(groups[j].group(0))
            if length > 19:
                break
            if length >= 13 and (best is None or length > best[1] - best[0]):
                candidate = "".join(g.group(0) for g in groups[i : j + 1])
                if luhn_ok(candidate):
                    found = _number_kind(candidate)
                    if found is not None:
                        best = (groups[i].start(), groups[j].end(), found)
    if best is None:
        return text
    bump(counts, best[2])
    return text[: best[0]] + f"[{best[2]}]" + text[best[1] :]
