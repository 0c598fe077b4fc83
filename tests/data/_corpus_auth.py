"""Secret classes for private keys (PEM/SSH, across lines), JWTs and authorization headers.

Private keys are the one multi-line secret: every body line is listed, so a rule that removes
the BEGIN line but not the base64 under it, or stops at a missing END, fails the case.
"""

from __future__ import annotations

import base64
from collections.abc import Callable

from _corpus_gen import Case, Gen, many


def private_key(g: Gen) -> list[Case]:
    out: list[Case] = []
    for kind, lines, width, wrap in [
        ("OPENSSH", 7, 70, "{k}"),
        ("RSA", 12, 64, "ssh: could not load key:\n{k}\nbad permissions"),
        ("EC", 4, 64, "{k}"),
        ("", 9, 64, "service account: {k}"),
        ("ENCRYPTED", 10, 64, "{k}"),
        ("DSA", 8, 64, "key file contents:\n{k}"),
        ("RSA", 22, 64, "{k}"),
        ("OPENSSH", 5, 70, "{k}"),
    ]:
        key, body = g.pem(kind, lines, width)
        out.append((wrap.replace("{k}", key), body))
    key, body = g.pem("RSA", 6, 64)
    out.append((key.split("-----END")[0], body))  # a BEGIN whose END was cut off
    key, body = g.pem("", 6, 64)
    out.append(({"private_key": "x", "sa": {"pem": key}}, body))
    key, body = g.pem("EC", 4, 64)
    out.append(('PRIVATE_KEY="' + key.replace("\n", "\\n") + '"', body))  # env var, literal \n
    key, body = g.pem("RSA", 5, 64)
    out.append((key.replace("\n", "\r\n"), body))
    key, body = g.pem("OPENSSH", 4, 70)
    cut = key.split("\n")
    out.append(("\n".join(cut[:3]), body[:2]))  # truncated mid-key
    return out


def jwt(g: Gen) -> list[Case]:
    out: list[Case] = []
    for template in [
        "Authentication failed: token {s} expired at 2024-06-01T00:00:00Z",
        "Cookie: session={s}; Path=/",
        "https://app.example.com/callback#id_token={s}&state=abc",
        "jwt={s}",
        "Bearer {s}",
        '{{"status": 401, "detail": "bad token", "raw": "{s}"}}',
        {"request": {"body": {"assertion": "{s}"}}},
        "{s}",
        "decoded claims for {s}: ok",
    ]:
        token, secrets = g.jwt(g.pick(["HS256", "RS256", "ES256"]))
        out.append((_fill1(template, token), secrets))
    token, secrets = g.jwt("none")
    out.append((f"unsigned token accepted: {token}", secrets))
    return out


def _fill1(template: object, value: str) -> object:
    if isinstance(template, str):
        return template.replace("{{", "{").replace("}}", "}").replace("{s}", value)
    if isinstance(template, dict):
        return {k: _fill1(v, value) for k, v in template.items()}
    return template


def bearer(g: Gen) -> list[Case]:
    def make(gen: Gen) -> tuple[dict[str, str], list[str]]:
        token = gen.opaque(gen.r.randint(32, 64))
        return {"s": token}, [token]

    def letters(gen: Gen) -> tuple[dict[str, str], list[str]]:
        token = gen.s("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", 40)
        return {"s": token}, [token]

    def basic(gen: Gen) -> tuple[dict[str, str], list[str]]:
        user, password = gen.user(), gen.password()
        raw = base64.b64encode(f"{user}:{password}".encode()).decode()
        return {"s": raw}, [raw]

    t = [
        "Authorization: Bearer {s}",
        'curl -H "Authorization: Bearer {s}" https://api.example.com/v1/runs',
        "authorization: bearer {s}",
        "requests.exceptions.HTTPError: 401 with headers={'Authorization': 'Bearer {s}'}",
        {"request": {"method": "POST", "header_lines": ["Authorization: Bearer {s}"]}},
        "Proxy-Authorization: Bearer {s}",
        "Authorization: Token {s}",
        "X-Api-Key: {s}",
        "Set-Cookie: sessionid={s}; Path=/; HttpOnly",
    ]
    out = many(g, t, make)
    out += many(g, ["Authorization: Bearer {s}", "auth header was 'Bearer {s}'"], letters)
    out += many(g, ["Authorization: Basic {s}", "curl -H 'Authorization: Basic {s}' ..."], basic)
    return out


AUTH_CLASSES: list[tuple[str, Callable[[Gen], list[Case]]]] = [
    ("token:private_key", private_key),
    ("token:jwt", jwt),
    ("bearer", bearer),
]
