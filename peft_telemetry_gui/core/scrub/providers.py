"""Access tokens recognised by their provider's format, as one table of data.

Each :class:`Provider` row is a name (the kind in the marker, ``[token:<name>]``), a pattern and
the keywords that must appear in the text before the pattern is run at all, as gitleaks does:
one case-insensitive search for every keyword of the table finds which rows can possibly match,
so a string mentioning no provider costs one regex search, not thirty. Rows without keywords
(Twilio, Discord bot tokens: formats with no fixed prefix) are gated by a minimum length and a
case-sensitive substring instead.

* Rows run in table order and each sees the markers of the rows before it, so the most specific
  formats come first: private keys (which swallow everything up to their END line, or to the end
  of the text when it is missing), then URLs that are themselves secrets (webhooks), then
  prefixed tokens, and the generic ``Bearer``/``Basic`` headers last.
* When a pattern has a group named ``s`` only that group is replaced, so context that is not
  secret survives (``AccountKey=[token:azure]`` in a connection string).
* A row's ``check`` rejects look-alikes the pattern alone would take: ``sk-learn-compatible-api``
  is words, not an OpenAI key; ``Basic configuration`` is prose, not a base64 ``user:password``.
* A row's ``context`` must also be found in the text: a Twilio auth token is 32 hex digits,
  the shape of an md5 digest, and is only taken for one next to a Twilio SID.
* The AWS secret access key has no prefix: any 40-character base64 run with both letter cases
  counts as one when the same text mentions ``aws``, ``secret`` or an access key id.

The patterns are written for this project from the providers' documented token formats.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass

from .markers import bump, is_marker


@dataclass(frozen=True, slots=True)
class Provider:
    name: str
    pattern: re.Pattern[str]
    keywords: tuple[str, ...] = ()
    min_len: int = 0
    requires: tuple[str, ...] = ()
    check: Callable[[str], bool] | None = None
    context: re.Pattern[str] | None = None


_NB = r"(?<![A-Za-z0-9])"  # not in the middle of a longer word
_B64URL = r"[A-Za-z0-9_\-]"


def _not_dashed_words(token: str) -> bool:
    return re.fullmatch(r"sk-[a-z]+(?:-[a-z]+)+", token) is None


def _mixed_case(token: str) -> bool:
    return any(c.isupper() for c in token) and any(c.islower() for c in token)


def _basic_credentials(token: str) -> bool:
    body = token.split()[-1]
    if any(c.isdigit() or c in "+/=" for c in body):
        return True
    try:
        decoded = base64.b64decode(body + "=" * (-len(body) % 4), validate=True)
    except (binascii.Error, ValueError):
        return False
    return b":" in decoded and decoded.isascii() and decoded.decode("ascii").isprintable()


def _discord_shape(token: str) -> bool:
    head = token.split(".", 1)[0]
    return _mixed_case(head) and any(c.isdigit() for c in head)


def _row(
    name: str,
    pattern: str,
    keywords: tuple[str, ...] = (),
    *,
    flags: int = 0,
    min_len: int = 0,
    requires: tuple[str, ...] = (),
    check: Callable[[str], bool] | None = None,
    context: str | None = None,
) -> Provider:
    compiled_context = re.compile(context) if context is not None else None
    return Provider(
        name, re.compile(pattern, flags), keywords, min_len, requires, check, compiled_context
    )


PROVIDERS: tuple[Provider, ...] = (
    _row(
        "private_key",
        r"-----BEGIN[ A-Z0-9]{0,40} PRIVATE KEY(?: BLOCK)?-----"
        r"(?:.*?-----END[ A-Z0-9]{0,40}-----|.*)",
        ("-----begin",),
        flags=re.DOTALL,
    ),
    _row("private_key", r"PuTTY-User-Key-File-\d+:.*", ("putty-user-key-file",), flags=re.DOTALL),
    _row(
        "jwt",
        rf"(?<![A-Za-z0-9_\-])eyJ{_B64URL}{{5,}}\.{_B64URL}{{5,}}\.{_B64URL}*",
        ("eyj",),
    ),
    _row(
        "slack_webhook",
        r"(?:https?://)?hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/_\-]{10,}",
        ("hooks.slack.com",),
    ),
    _row(
        "discord_webhook",
        r"(?:https?://)?(?:(?:ptb|canary)\.)?discord(?:app)?\.com/api/webhooks/[0-9]{5,30}"
        rf"/{_B64URL}{{20,}}",
        ("discord",),
    ),
    _row(
        "azure",
        r"(?i:AccountKey|SharedAccessKey)\s*=\s*(?P<s>[A-Za-z0-9+/]{20,}={0,2})",
        ("accountkey", "sharedaccesskey"),
    ),
    _row("anthropic", rf"{_NB}sk-ant-{_B64URL}{{20,}}", ("sk-ant-",)),
    _row(
        "openai",
        rf"{_NB}sk-(?!ant-){_B64URL}{{20,}}",
        ("sk-",),
        check=_not_dashed_words,
    ),
    _row("huggingface", rf"{_NB}(?:hf|api_org)_[A-Za-z0-9]{{20,}}", ("hf_", "api_org_")),
    _row(
        "github",
        rf"{_NB}(?:gh[pousr]_[A-Za-z0-9]{{30,}}|github_pat_[A-Za-z0-9_]{{20,}})",
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
    ),
    _row(
        "gitlab",
        rf"{_NB}(?:gl(?:pat|dt|ptt|rt|oas|cbt|imt|agent|soat|ffct|ft)-{_B64URL}{{20,}}"
        rf"|GR1348941{_B64URL}{{20,}})",
        (
            *("glpat-", "gldt-", "glptt-", "glrt-", "gloas-", "glcbt-", "glimt-", "glagent-"),
            *("glsoat-", "glffct-", "glft-", "gr1348941"),
        ),
    ),
    _row(
        "aws",
        r"(?<![A-Za-z0-9])(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Za-z0-9])",
        ("akia", "asia", "abia", "acca", "a3t"),
    ),
    _row(
        "aws",
        r"(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+])",
        ("aws", "secret", "akia", "asia"),
        check=_mixed_case,
        # The keywords as words, or the id the row before has already replaced: "aws" inside
        # a random string is no context.
        context=r"(?i:(?<![a-z])aws|secret)|\[token:aws\]|(?<![A-Za-z0-9])A[KS]IA[A-Z0-9]{16}",
    ),
    _row("npm", rf"{_NB}npm_[A-Za-z0-9]{{30,}}", ("npm_",)),
    _row("pypi", rf"{_NB}pypi-Ag{_B64URL}{{50,}}", ("pypi-ag",)),
    _row(
        "slack",
        rf"{_NB}(?:xox[a-z](?:\.xox[a-z])?-[A-Za-z0-9\-]{{10,}}|xapp-[0-9]-[A-Za-z0-9\-]{{10,}})",
        ("xox", "xapp-"),
    ),
    _row(
        "stripe",
        rf"{_NB}(?:(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{{10,}}|whsec_[A-Za-z0-9]{{20,}})",
        ("sk_live_", "sk_test_", "rk_live_", "rk_test_", "pk_live_", "pk_test_", "whsec_"),
    ),
    _row(
        "google",
        rf"{_NB}(?:AIza{_B64URL}{{30,}}|ya29\.{_B64URL}{{20,}}|GOCSPX-{_B64URL}{{20,}})",
        ("aiza", "ya29.", "gocspx-"),
    ),
    _row("sendgrid", rf"{_NB}SG\.{_B64URL}{{16,32}}\.{_B64URL}{{16,64}}", ("sg.",)),
    # A Twilio auth token is 32 hex digits, like an md5 digest: only next to a Twilio SID or the
    # word "twilio" is it taken for one. It runs before the SID row, whose marker hides the SID.
    _row(
        "twilio",
        rf"{_NB}[0-9a-f]{{32}}(?![A-Za-z0-9])",
        min_len=32,
        requires=("AC", "SK", "wilio", "WILIO"),
        context=rf"(?i:twilio)|{_NB}(?:AC|SK)[0-9a-f]{{32}}(?![A-Za-z0-9])",
    ),
    _row(
        "twilio",
        rf"{_NB}(?:AC|SK)[0-9a-f]{{32}}(?![A-Za-z0-9])",
        min_len=34,
        requires=("AC", "SK"),
    ),
    _row(
        "discord",
        rf"(?<![A-Za-z0-9_\-.])[MNO]{_B64URL}{{23,27}}\.{_B64URL}{{6}}\.{_B64URL}{{27,40}}"
        r"(?![A-Za-z0-9_\-])",
        min_len=59,
        requires=(".",),
        check=_discord_shape,
    ),
    _row("databricks", rf"{_NB}dapi[0-9a-f]{{32}}(?:-[0-9])?(?![A-Za-z0-9])", ("dapi",)),
    _row("digitalocean", rf"{_NB}do[opr]_v1_[0-9a-f]{{64}}", ("dop_v1_", "doo_v1_", "dor_v1_")),
    _row("shopify", rf"{_NB}shp(?:at|ss|ca|pa)_[0-9a-fA-F]{{32}}", ("shpat_", "shpss_", "shpca_")),
    _row("telegram", rf"{_NB}[0-9]{{8,10}}:AA{_B64URL}{{32,34}}(?![A-Za-z0-9_\-])", (":aa",)),
    _row("replicate", rf"{_NB}r8_[A-Za-z0-9]{{30,}}", ("r8_",)),
    _row("groq", rf"{_NB}gsk_[A-Za-z0-9]{{40,}}", ("gsk_",)),
    _row("mailgun", rf"{_NB}key-[0-9a-f]{{32}}(?![A-Za-z0-9])", ("key-",)),
    _row("mailchimp", rf"{_NB}[0-9a-f]{{32}}-us[0-9]{{1,2}}(?![A-Za-z0-9])", ("-us",)),
    _row("hashicorp", rf"{_NB}(?:hvs|hvb|hvr)\.{_B64URL}{{24,}}", ("hvs.", "hvb.", "hvr.")),
    _row("age", r"AGE-SECRET-KEY-1[0-9A-Z]{50,}", ("age-secret-key-1",)),
    _row(
        "wandb",
        r"(?i:wandb\s+login\s+(?:-{1,2}[a-z\-]+\s+)*)(?P<s>[0-9a-f]{40})(?![0-9a-f])",
        ("wandb",),
    ),
    _row(
        "bearer",
        r"(?i:bearer)\s+(?=[A-Za-z0-9._~+/\-]*[0-9+/=._~\-])[A-Za-z0-9._~+/\-]{8,}=*",
        ("bearer",),
    ),
    _row(
        "basic",
        r"(?i:basic)\s+[A-Za-z0-9+/]{6,}={0,2}(?![A-Za-z0-9+/=])",
        ("basic",),
        check=_basic_credentials,
    ),
)


def _hints(keywords: set[str]) -> re.Pattern[str]:
    """Every keyword in one search of the lower-cased text, grouped by first character.

    Grouping makes every branch start with a literal, which lets the regex engine skip the
    positions that start no keyword: twenty times cheaper than one case-insensitive alternation.
    Within a group the longest keyword comes first, so ``sk-ant-`` is found as itself.
    """
    groups: dict[str, list[str]] = {}
    for k in keywords:
        groups.setdefault(k[0], []).append(k[1:])
    branches = []
    for head in sorted(groups):
        tails = sorted(groups[head], key=lambda t: (-len(t), t))
        branches.append(re.escape(head) + "(?:" + "|".join(map(re.escape, tails)) + ")")
    return re.compile("|".join(branches))


_KEYWORDS = sorted({k for p in PROVIDERS for k in p.keywords})
HINTS = _hints(set(_KEYWORDS))
_BY_KEYWORD: dict[str, tuple[int, ...]] = {
    k: tuple(i for i, p in enumerate(PROVIDERS) if k in p.keywords) for k in _KEYWORDS
}
_UNKEYED = tuple(i for i, p in enumerate(PROVIDERS) if not p.keywords)
KINDS = tuple(dict.fromkeys(p.name for p in PROVIDERS))


def scrub_providers(text: str, counts: dict[str, int], lowered: str | None = None) -> str:
    """Replace every provider token in ``text`` by ``[token:<provider>]``.

    ``lowered`` is ``text.lower()`` when the caller already has it.
    """
    if lowered is None:
        lowered = text.lower()
    rows: set[int] | None = None
    hit = HINTS.search(lowered)
    if hit is not None:
        rows = set()
        for word in HINTS.findall(lowered, hit.start()):
            rows.update(_BY_KEYWORD[word])
    n = len(text)
    for i in _UNKEYED:
        p = PROVIDERS[i]
        if n >= p.min_len and any(r in text for r in p.requires):
            if rows is None:
                rows = set()
            rows.add(i)
    if not rows:
        return text
    for i in sorted(rows):
        provider = PROVIDERS[i]
        if provider.context is None or provider.context.search(text) is not None:
            text = _apply(provider, text, counts)
    return text


def _apply(provider: Provider, text: str, counts: dict[str, int]) -> str:
    rule = "token:" + provider.name
    label = f"[{rule}]"
    check = provider.check
    partial = "s" in provider.pattern.groupindex

    def sub(match: re.Match[str]) -> str:
        found = match.group("s") if partial else match.group(0)
        if is_marker(found) or (check is not None and not check(found)):
            return match.group(0)
        bump(counts, rule)
        if not partial:
            return label
        whole, start = match.group(0), match.start()
        return whole[: match.start("s") - start] + label + whole[match.end("s") - start :]

    return provider.pattern.sub(sub, text)


_KEY_ID = re.compile(r"(?:AC|SK)[0-9a-f]{32}|(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}")


def is_key_id(text: str) -> bool:
    """True for an access key id whose partner in a pair is its secret (Twilio SID, AWS id).

    For the walk: in ``["AC…", "<32 hex>"]`` the second item is a Twilio auth token that only
    its neighbour identifies (alone it looks like an md5 digest).
    """
    return _KEY_ID.fullmatch(text) is not None
