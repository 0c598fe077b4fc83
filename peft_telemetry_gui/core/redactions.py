"""How scrubbing's cumulative counts are put into words ("12 e-mail addresses, 3 access tokens").

Apart from `scrub` (which has to compile its patterns) so the app and the CLI can phrase the
redaction report without paying for the scrubber at start-up.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["CATALOGUE_LABELS", "REDACTION_LABELS", "describe_redactions"]

REDACTION_LABELS: dict[str, tuple[str, str]] = {
    "email": ("e-mail address", "e-mail addresses"),
    "token": ("access token", "access tokens"),
    "credentials": ("password in a web address", "passwords in web addresses"),
    "ip": ("IP address", "IP addresses"),
    "mac": ("network hardware (MAC) address", "network hardware (MAC) addresses"),
    "card": ("payment card number", "payment card numbers"),
    "path": ("folder path", "folder paths"),
    "user": ("user name", "user names"),
    "host": ("computer name", "computer names"),
    "sensitive_key": ("sensitive field", "sensitive fields"),
    "identifier": ("identifier replaced by a pseudonym", "identifiers replaced by pseudonyms"),
    "truncated": ("over-long value shortened", "over-long values shortened"),
    "dropped": ("value dropped", "values dropped"),
    "invalid": ("invalid number", "invalid numbers"),
}


#: Not the scrubber's: what an app's catalogue kept out (`core/catalogue.py`), in the same report.
CATALOGUE_LABELS: dict[str, tuple[str, str]] = {
    "undeclared": ("undeclared event or property", "undeclared events or properties"),
    "pending_review": (
        "new event or property waiting for your review",
        "new events or properties waiting for your review",
    ),
}
_LABELS = {**REDACTION_LABELS, **CATALOGUE_LABELS}


def describe_redactions(counts: Mapping[str, int]) -> str:
    """Phrase cumulative counts for people: largest first, zeros left out."""
    try:
        items = [
            (name, n)
            for name, n in counts.items()
            if isinstance(n, int) and not isinstance(n, bool) and n > 0
        ]
    except Exception:
        return "nothing yet"
    if not items:
        return "nothing yet"
    order = {name: i for i, name in enumerate(_LABELS)}
    items.sort(key=lambda e: (-e[1], order.get(e[0], len(order)), str(e[0])))
    parts = []
    for name, n in items:
        singular, plural = _LABELS.get(name, (str(name), str(name)))
        parts.append(f"{n} {singular if n == 1 else plural}")
    return ", ".join(parts)
