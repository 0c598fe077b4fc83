"""How scrubbing's cumulative counts are put into words ("12 e-mail addresses, 3 access tokens").

Apart from `scrub` (which has to compile its patterns) so the app and the CLI can phrase the
redaction report without paying for the scrubber at start-up.

Count keys are rule ids: a class (``email``) or ``class:kind`` (``token:aws``). The report
groups them by class, largest class first, and names the kinds inside a class, largest first:
"5 access tokens (3 AWS, 2 GitHub)". Counts stored before kinds existed (a plain ``token``) are
the same class and appear as "other" once some kinds of that class are known.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["CATALOGUE_LABELS", "KIND_LABELS", "REDACTION_LABELS", "describe_redactions"]

REDACTION_LABELS: dict[str, tuple[str, str]] = {
    "email": ("e-mail address", "e-mail addresses"),
    "token": ("access token", "access tokens"),
    "secret": ("random-looking secret", "random-looking secrets"),
    "credentials": ("password in a web address", "passwords in web addresses"),
    "ip": ("IP address", "IP addresses"),
    "mac": ("network hardware (MAC) address", "network hardware (MAC) addresses"),
    "card": ("payment card number", "payment card numbers"),
    "iban": ("bank account number (IBAN)", "bank account numbers (IBAN)"),
    "phone": ("phone number", "phone numbers"),
    "imei": ("phone serial number (IMEI)", "phone serial numbers (IMEI)"),
    "path": ("folder path", "folder paths"),
    "user": ("user name", "user names"),
    "host": ("computer name", "computer names"),
    "sensitive_key": ("sensitive field", "sensitive fields"),
    "identifier": ("identifier replaced by a pseudonym", "identifiers replaced by pseudonyms"),
    "truncated": ("over-long value shortened", "over-long values shortened"),
    "dropped": ("value dropped", "values dropped"),
    "invalid": ("invalid number", "invalid numbers"),
}

#: The kinds of a class, by rule id: what goes in the brackets of "5 access tokens (3 AWS)".
KIND_LABELS: dict[str, str] = {
    "token:aws": "AWS",
    "token:github": "GitHub",
    "token:gitlab": "GitLab",
    "token:huggingface": "Hugging Face",
    "token:openai": "OpenAI",
    "token:anthropic": "Anthropic",
    "token:google": "Google",
    "token:azure": "Azure storage",
    "token:slack": "Slack",
    "token:slack_webhook": "Slack webhook",
    "token:discord": "Discord",
    "token:discord_webhook": "Discord webhook",
    "token:stripe": "Stripe",
    "token:sendgrid": "SendGrid",
    "token:twilio": "Twilio",
    "token:npm": "npm",
    "token:pypi": "PyPI",
    "token:jwt": "JSON web token",
    "token:private_key": "private key",
    "token:bearer": "bearer header",
    "token:basic": "basic-auth header",
    "token:databricks": "Databricks",
    "token:digitalocean": "DigitalOcean",
    "token:shopify": "Shopify",
    "token:telegram": "Telegram",
    "token:replicate": "Replicate",
    "token:groq": "Groq",
    "token:mailgun": "Mailgun",
    "token:mailchimp": "Mailchimp",
    "token:hashicorp": "Vault",
    "token:age": "age key",
    "token:wandb": "Weights & Biases",
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
_ORDER = {name: i for i, name in enumerate(_LABELS)}
_KIND_ORDER = {name: i for i, name in enumerate(KIND_LABELS)}


def describe_redactions(counts: Mapping[str, int]) -> str:
    """Phrase cumulative counts for people: by class, largest first, zeros left out."""
    try:
        items = [
            (str(name), n)
            for name, n in counts.items()
            if isinstance(n, int) and not isinstance(n, bool) and n > 0
        ]
    except Exception:
        return "nothing yet"
    if not items:
        return "nothing yet"
    groups: dict[str, dict[str, int]] = {}
    for name, n in items:
        cls, _, kind = name.partition(":")
        kinds = groups.setdefault(cls, {})
        kinds[kind] = kinds.get(kind, 0) + n
    totals = {cls: sum(kinds.values()) for cls, kinds in groups.items()}
    order = sorted(groups, key=lambda c: (-totals[c], _ORDER.get(c, len(_ORDER)), c))
    return ", ".join(_phrase(cls, totals[cls], groups[cls]) for cls in order)


def _phrase(cls: str, total: int, kinds: dict[str, int]) -> str:
    singular, plural = _LABELS.get(cls, (cls, cls))
    text = f"{total} {singular if total == 1 else plural}"
    named = {k: n for k, n in kinds.items() if k}
    if not named:
        return text

    def rank(kind: str) -> tuple[int, int, str]:
        return (-named[kind], _KIND_ORDER.get(f"{cls}:{kind}", len(_KIND_ORDER)), kind)

    parts = [f"{named[k]} {KIND_LABELS.get(f'{cls}:{k}', k)}" for k in sorted(named, key=rank)]
    if "" in kinds:
        parts.append(f"{kinds['']} other")
    return f"{text} ({', '.join(parts)})"
