"""Checksums that turn "a run of digits" into "a card number", "an IBAN" or "a phone number".

A candidate that fails its check is left alone: most long numbers in telemetry are ids, sizes
and timestamps, and a checksum is what tells them apart from personal data.

* Cards: Luhn, *and* the length and leading digits of a real issuer (Visa 13/16/19, Mastercard
  51-55 and 2221-2720, Amex 34/37 with 15 digits, Diners, JCB 3528-3589, Discover/UnionPay 6),
  which keeps compact timestamps such as ``20240115123045`` and epoch milliseconds intact and
  leaves 15-digit Luhn numbers that are not Amex to the IMEI check.
* IMEI: 15 digits, Luhn, and a known reporting-body prefix (the first two digits), so an
  arbitrary 15-digit id has to beat two checks, not one in ten.
* IBAN: the ISO 13616 mod-97 check is computed here first, because it is cheap and rejects 96%
  of look-alikes; only a candidate that passes is handed to ``stdnum.iban``, which also checks
  the country's length and layout. ``stdnum`` is imported then and not before: importing it costs
  about 30 ms, which the host application must not pay at start-up.
* Phone numbers: only the international form (``+CC ...`` or ``00CC ...``), validated by
  ``phonenumbers.is_valid_number`` against the numbering plan of the country, imported lazily
  for the same reason. National forms (``020 7946 0958``) are not recognised: without a country
  they cannot be told from any other number.
"""

from __future__ import annotations

_IMEI_BODIES = frozenset(
    {"01", "10", "30", "33", "35", "44", "45", "49", "50", "51", "52", "53", "54", "86", "91"}
    | {"98", "99"}
)

# ISO 13616: every letter counts as two digits, A = 10 ... Z = 35.
_BASE36 = str.maketrans({chr(65 + i): str(10 + i) for i in range(26)})


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i & 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def card_ok(digits: str) -> bool:
    """Luhn plus issuer prefix and length, so ids and timestamps that pass Luhn survive."""
    n = len(digits)
    if not 13 <= n <= 19:
        return False
    first = digits[0]
    if first == "4":
        ok = n in (13, 16, 19)
    elif first == "5":
        ok = "1" <= digits[1] <= "5" and n == 16
    elif first == "2":
        ok = 2221 <= int(digits[:4]) <= 2720 and n == 16
    elif first == "3":
        two = digits[1]
        if two in "47":
            ok = n == 15
        elif two == "5":
            ok = 3528 <= int(digits[:4]) <= 3589 and n >= 16
        else:
            ok = two in "0689" and n >= 14
    elif first == "6":
        ok = n >= 16
    else:
        ok = False
    return ok and luhn_ok(digits)


def imei_ok(digits: str) -> bool:
    return len(digits) == 15 and digits[:2] in _IMEI_BODIES and luhn_ok(digits)


def iban_ok(compact: str) -> bool:
    """``compact`` is upper case without spaces, e.g. ``DE89370400440532013000``."""
    if not 15 <= len(compact) <= 34 or not compact[:2].isalpha() or not compact[2:4].isdigit():
        return False
    rearranged = (compact[4:] + compact[:4]).translate(_BASE36)
    if not rearranged.isdigit():
        return False
    number = int(rearranged)
    if number % 97 != 1:
        return False
    from stdnum import iban  # 30 ms: only once a candidate passed mod-97

    return bool(iban.is_valid(compact))


def phone_ok(candidate: str) -> bool:
    """``candidate`` starts with ``+`` or ``00``; separators and ``(0)`` are allowed."""
    if candidate.startswith("00"):
        candidate = "+" + candidate[2:]
    import phonenumbers  # 13 ms: only once a candidate is seen

    try:
        number = phonenumbers.parse(candidate, None)
    except phonenumbers.NumberParseException:
        return False
    return bool(phonenumbers.is_valid_number(number))
