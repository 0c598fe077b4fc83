"""How scrubbing's cumulative counts are put into words ("12 e-mail addresses, 3 access tokens").

Apart from `scrub` (which has to compile its patterns) so the app and the CLI can phrase the
redaction report without paying for the scrubber at start-up.

Count keys are rule ids: a class (``email``) or ``class:kind`` (``token:aws``). The report
groups them by class, largest class first, and names the kinds inside a class, largest first:
"5 access tokens (3 AWS, 2 GitHub)". Counts stored before kinds existed (a plain ``token``) are
the same class and appear as "other" once some kinds of that class are known.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from .i18n import N_, tr, trn

__all__ = ["CATALOGUE_LABELS", "KIND_LABELS", "REDACTION_LABELS", "describe_redactions"]

REDACTION_LABELS: dict[str, tuple[str, str]] = {
    "email": (N_("e-mail address"), "e-mail addresses"),
    "token": (N_("access token"), "access tokens"),
    "secret": (N_("random-looking secret"), "random-looking secrets"),
    "credentials": (N_("password in a web address"), "passwords in web addresses"),
    "ip": (N_("IP address"), "IP addresses"),
    "mac": (N_("network hardware (MAC) address"), "network hardware (MAC) addresses"),
    "card": (N_("payment card number"), "payment card numbers"),
    "iban": (N_("bank account number (IBAN)"), "bank account numbers (IBAN)"),
    "phone": (N_("phone number"), "phone numbers"),
    "imei": (N_("phone serial number (IMEI)"), "phone serial numbers (IMEI)"),
    "path": (N_("folder path"), "folder paths"),
    "user": (N_("user name"), "user names"),
    "host": (N_("computer name"), "computer names"),
    "sensitive_key": (N_("sensitive field"), "sensitive fields"),
    "identifier": (N_("identifier replaced by a pseudonym"), "identifiers replaced by pseudonyms"),
    "truncated": (N_("over-long value shortened"), "over-long values shortened"),
    "dropped": (N_("value dropped"), "values dropped"),
    "invalid": (N_("invalid number"), "invalid numbers"),
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
    "token:azure": N_("Azure storage"),
    "token:slack": "Slack",
    "token:slack_webhook": N_("Slack webhook"),
    "token:discord": "Discord",
    "token:discord_webhook": N_("Discord webhook"),
    "token:stripe": "Stripe",
    "token:sendgrid": "SendGrid",
    "token:twilio": "Twilio",
    "token:npm": "npm",
    "token:pypi": "PyPI",
    "token:jwt": N_("JSON web token"),
    "token:private_key": N_("private key"),
    "token:bearer": N_("bearer header"),
    "token:basic": N_("basic-auth header"),
    "token:databricks": "Databricks",
    "token:digitalocean": "DigitalOcean",
    "token:shopify": "Shopify",
    "token:telegram": "Telegram",
    "token:replicate": "Replicate",
    "token:groq": "Groq",
    "token:mailgun": "Mailgun",
    "token:mailchimp": "Mailchimp",
    "token:hashicorp": "Vault",
    "token:age": N_("age key"),
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

#: The labels above with their count, in the user's language (a plural needs the count: "1
#: e-mail address", "2 e-mail addresses"; in some languages more forms than two).
_COUNTED: dict[str, Callable[[int], str]] = {
    "email": lambda n: trn("{n} e-mail address", "{n} e-mail addresses", n),
    "token": lambda n: trn("{n} access token", "{n} access tokens", n),
    "secret": lambda n: trn("{n} random-looking secret", "{n} random-looking secrets", n),
    "credentials": lambda n: trn(
        "{n} password in a web address", "{n} passwords in web addresses", n
    ),
    "ip": lambda n: trn("{n} IP address", "{n} IP addresses", n),
    "mac": lambda n: trn(
        "{n} network hardware (MAC) address", "{n} network hardware (MAC) addresses", n
    ),
    "card": lambda n: trn("{n} payment card number", "{n} payment card numbers", n),
    "iban": lambda n: trn("{n} bank account number (IBAN)", "{n} bank account numbers (IBAN)", n),
    "phone": lambda n: trn("{n} phone number", "{n} phone numbers", n),
    "imei": lambda n: trn("{n} phone serial number (IMEI)", "{n} phone serial numbers (IMEI)", n),
    "path": lambda n: trn("{n} folder path", "{n} folder paths", n),
    "user": lambda n: trn("{n} user name", "{n} user names", n),
    "host": lambda n: trn("{n} computer name", "{n} computer names", n),
    "sensitive_key": lambda n: trn("{n} sensitive field", "{n} sensitive fields", n),
    "identifier": lambda n: trn(
        "{n} identifier replaced by a pseudonym", "{n} identifiers replaced by pseudonyms", n
    ),
    "truncated": lambda n: trn(
        "{n} over-long value shortened", "{n} over-long values shortened", n
    ),
    "dropped": lambda n: trn("{n} value dropped", "{n} values dropped", n),
    "invalid": lambda n: trn("{n} invalid number", "{n} invalid numbers", n),
    "undeclared": lambda n: trn(
        "{n} undeclared event or property", "{n} undeclared events or properties", n
    ),
    "pending_review": lambda n: trn(
        "{n} new event or property waiting for your review",
        "{n} new events or properties waiting for your review",
        n,
    ),
}
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
        # Translators: what scrubbing has removed so far
        return tr("nothing yet")
    if not items:
        # Translators: what scrubbing has removed so far
        return tr("nothing yet")
    groups: dict[str, dict[str, int]] = {}
    for name, n in items:
        cls, _, kind = name.partition(":")
        kinds = groups.setdefault(cls, {})
        kinds[kind] = kinds.get(kind, 0) + n
    totals = {cls: sum(kinds.values()) for cls, kinds in groups.items()}
    order = sorted(groups, key=lambda c: (-totals[c], _ORDER.get(c, len(_ORDER)), c))
    return ", ".join(_phrase(cls, totals[cls], groups[cls]) for cls in order)


def _phrase(cls: str, total: int, kinds: dict[str, int]) -> str:
    counted = _COUNTED.get(cls)
    text = counted(total).format(n=total) if counted else f"{total} {cls}"
    named = {k: n for k, n in kinds.items() if k}
    if not named:
        return text

    def rank(kind: str) -> tuple[int, int, str]:
        return (-named[kind], _KIND_ORDER.get(f"{cls}:{kind}", len(_KIND_ORDER)), kind)

    parts = [
        # Translators: one kind inside the brackets of "5 access tokens (3 AWS, 2 GitHub)"
        tr("{n} {kind}").format(n=named[k], kind=tr(KIND_LABELS.get(f"{cls}:{k}", k)))
        for k in sorted(named, key=rank)
    ]
    if "" in kinds:
        # Translators: the kinds not named, as in "5 access tokens (3 AWS, 2 other)"
        parts.append(trn("{n} other", "{n} other", kinds[""]).format(n=kinds[""]))
    # Translators: "5 access tokens (3 AWS, 2 GitHub)"
    return tr("{total} ({kinds})").format(total=text, kinds=", ".join(parts))
