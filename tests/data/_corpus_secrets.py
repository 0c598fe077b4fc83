"""Secret classes other than provider tokens: pairs, argv, e-mails, numbers, entropy, URLs, keys.

``SECRET_CLASSES`` is the full ordered list (tokens and paths come from their own modules); the
order is part of the corpus bytes, so append new classes at the end of a group.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import phonenumbers
from _corpus_gen import IBAN_SPECS, PHONE_REGIONS, Case, Gen, Make, fill, many
from _corpus_paths import NAME_CLASSES, PATH_CLASSES
from _corpus_tokens import TOKEN_CLASSES


def _values(gen: Gen) -> tuple[dict[str, str], list[str]]:
    """A weak password, a random token, a Hugging Face token and a hex key; the template picks."""
    pw, tok = gen.password(), gen.opaque(gen.r.randint(24, 40))
    return {"pw": pw, "s": tok, "hf": gen.hf(), "hex": gen.s("0123456789abcdef", 40)}, []


def pairs(g: Gen) -> list[Case]:
    out = many(
        g,
        [
            [["password", "{pw}"]],
            "[('password', '{pw}')]",
            "config items: [('user', 'svc'), ('password', '{pw}'), ('port', 5432)]",
            {"form": [["username", "svc-train"], ["passwd", "{pw}"]]},
            [["db_host", "db"], ["db_password", "{pw}"]],
        ],
        _values,
    )
    out += many(
        g,
        [
            "(('secret', '{s}'),)",
            [["secret", "{s}"], ["password", "{pw}"]],
            "kwargs=[('api_key', '{s}'), ('timeout', 30), ('password', '{pw}')]",
            {"items": [["client_secret", "{s}"], ["scope", "read"], ["pwd", "{pw}"]]},
            "dict_items([('token', '{s}'), ('step', 10), ('passphrase', '{pw}')])",
            {"headers": [["Authorization", "Bearer {s}"], ["X-Db-Password", "{pw}"]]},
            [["access_token", "{s}"], ["password", "{pw}"]],
        ],
        _values,
    )
    out += many(g, [{"env": [["HF_TOKEN", "{hf}"], ["CUDA_VISIBLE_DEVICES", "0,1"]]}], _values)
    return out


def argv_list(g: Gen) -> list[Case]:
    out = many(
        g,
        [
            {"argv": ["train.py", "--password", "{pw}", "--epochs", "3"]},
            ["docker", "login", "-u", "svc-train", "--password", "{pw}", "registry.example.com"],
            ["--db-password", "{pw}"],
            {"argv": ["psql", "--passphrase", "{pw}"]},
        ],
        _values,
    )
    out += many(
        g,
        [
            ["--token", "{s}"],
            {"argv": ["serve.py", "--api-key", "{s}", "--port", "8080"]},
            ["--client-secret", "{s}", "--client-id", "peft-app"],
            {"cmd": ["python", "eval.py", "--secret", "{s}"]},
            ["--auth-token", "{s}"],
            {"argv": ["sync.py", "--access-token", "{s}", "--dry-run"]},
            ["upload.py", "--apikey", "{s}"],
        ],
        _values,
    )
    out += many(g, [["accelerate", "launch", "train.py", "--hf-token", "{hf}"]], _values)
    out += many(g, [["wandb", "login", "--relogin", "--key", "{hex}"]], _values)
    return out


def argv_text(g: Gen) -> list[Case]:
    out = many(
        g,
        [
            "train.py --password {pw} --token {s}",
            "python serve.py --api-key {s} --db-password {pw} --port 8080",
            "launch failed: sync.py --secret '{s}' --passphrase \"{pw}\"",
        ],
        _values,
    )
    out += many(
        g,
        [
            "docker login --username svc-train --password {pw} registry.example.com",
            "openssl pkcs12 -export -passout pass:{pw} -out bundle.p12",
            "curl -u admin:{pw} https://api.example.com/v1/status",
            "mysql --user=svc --password {pw} --host db",
        ],
        _values,
    )
    out += many(
        g,
        [
            "python -m accelerate.commands.launch train.py --lr 2e-4 --hf_token {s}",
            "ARGV: ['upload.py', '--client-secret', '{s}']",
            "exec: eval.py --access-token={s} --limit 10",
            "command was `sync --auth-token {s} --all`",
        ],
        _values,
    )
    return out


def _email(g: Gen, encoded: bool) -> list[Case]:
    def make(gen: Gen) -> tuple[dict[str, str], list[str]]:
        local = gen.local_part()
        dom = gen.pick(["example.com", "example.org", "mail.example.net", "uni.example.edu"])
        name, tld = dom.rsplit(".", 1)
        return {"l": local, "d": dom, "dn": name, "tld": tld, "L": local.upper()}, [local]

    if not encoded:
        t = [
            "Notify {l}@{d} when training finishes",
            "From: Reviewer <{l}@{d}>",
            {"reviewer": "{l}@{d}", "approved": True},
            "mailto:{l}@{d}?subject=run%20failed",
            "git commit --author='R <{l}+peft@{d}>'",
            "SMTPRecipientsRefused: {'{L}@EXAMPLE.COM': (550, b'5.1.1 user unknown')}",
            ["--notify", "{l}@{d}"],
            {"owners": ["{l}@{d}"]},
            "contact={l}@{d};team=ml",
        ]
        return many(g, t, make)
    t = [
        "https://app.example.com/invite?email={l}%40{d}",
        "{l}&#64;{d}",
        '<a href="mailto:{l}&#x40;{d}">mail</a>',
        "write to {l} [at] {dn} [dot] {tld}",
        "{l}(at){dn}(dot){tld}",
        "{l} at {dn} dot {tld}",
        "{l}%2540{d}",
        "{l}＠{d}",
        {"contact": "{l}&#x40;{d}"},
        "{l} {at} {dn} {dot} {tld}",
        "{l}[at]{dn}[.]{tld}",
    ]
    return many(g, t, make)


def card(g: Gen) -> list[Case]:
    def make(gen: Gen) -> tuple[dict[str, str], list[str]]:
        text = gen.card_text()
        return {"s": text}, [text]

    t = [
        "Payment failed for card {s} (insufficient funds)",
        {"billing": {"card": "{s}", "exp": "04/29"}},
        "cc={s}&amount=12.00",
        "{s}",
        "stripe.error.CardError: card {s} was declined",
        ["--card", "{s}"],
        "card number: {s}, cvv: ***",
        {"order": {"notes": "paid with {s}"}},
        "charge {s} 49.00 EUR",
        "card on file {s}.",
    ]
    return many(g, t, make)


def iban(g: Gen) -> list[Case]:
    out: list[Case] = []
    templates = [
        "Please transfer the invoice amount to IBAN {s}",
        {"payout": {"account": "{s}", "bic": "DEUTDEFF"}},
        "iban={s}&name=acme",
        "{s}",
        "refund to {s} failed",
        ["--iban", "{s}"],
        "Bank: {s} (ABN)",
        {"vendor": {"notes": "pay {s} by Friday"}},
    ]
    for i, country in enumerate(IBAN_SPECS):
        compact = g.iban(country)
        text = compact if i % 2 else " ".join(compact[j : j + 4] for j in range(0, len(compact), 4))
        tpl = templates[i % len(templates)]
        secrets = [text, text[5:] if " " in text else text[4:]]  # the account part, too
        out.append((many_fill(tpl, text), secrets))
    return out


def many_fill(template: Any, value: str) -> Any:
    return fill(template, {"s": value})


def imei(g: Gen) -> list[Case]:
    def make(gen: Gen) -> tuple[dict[str, str], list[str]]:
        number = gen.imei()
        style = gen.pick(["compact", "dash", "space"])
        if style == "compact":
            text = number
        else:
            sep = "-" if style == "dash" else " "
            text = sep.join([number[:2], number[2:8], number[8:14], number[14:]])
        return {"s": text}, [text]

    t = [
        "Device ID (IMEI): {s}",
        {"device": {"imei": "{s}", "os": "android"}},
        "IMEI:{s}",
        "adb shell service call iphonesubinfo 1 -> {s}",
        ["--device", "{s}"],
        "handset {s} registered",
        {"telemetry": {"notes": "tablet imei {s}"}},
        "IMEI 1: {s}",
        "{s}",
    ]
    return many(g, t, make)


def phone(g: Gen) -> list[Case]:
    out: list[Case] = []
    fmt = phonenumbers.PhoneNumberFormat
    templates = [
        "Call support at {s}",
        {"contact": "{s}"},
        "SMS alert sent to {s}",
        "{s}",
        ["--notify", "{s}"],
        "on-call: {s} (after 18:00)",
        {"escalation": [{"who": "ops", "how": "{s}"}]},
        "tel={s};ext=0",
    ]
    for i, region in enumerate(PHONE_REGIONS):
        number = g.phone(region)
        cc = str(number.country_code)
        style = ["intl", "00", "e164", "rfc"][i % 4]
        if style == "e164":
            text = phonenumbers.format_number(number, fmt.E164)
            national = text[1 + len(cc) :]
        elif style == "rfc":
            text = phonenumbers.format_number(number, fmt.RFC3966)
            national = text[len("tel:+") + len(cc) + 1 :]
        else:
            text = phonenumbers.format_number(number, fmt.INTERNATIONAL)
            national = text.split(" ", 1)[1]
            if style == "00":
                text = "00" + text[1:]
        out.append((many_fill(templates[i % len(templates)], text), [national]))
    return out


def entropy_key(g: Gen) -> list[Case]:
    t = [
        {"value": "{s}"},
        {"result": "{s}"},
        {"blob": "{s}", "size": 40},
        {"payload": {"data": "{s}"}},
        {"extra": ["{s}"]},
        {"field_3": "{s}"},
        {"content": "{s}", "kind": "opaque"},
        {"note": "{s}"},
        {"body": {"raw": "{s}"}},
        {"args": {"x": "{s}"}},
    ]
    return many(g, t, lambda gen: (lambda v: ({"s": v}, [v]))(gen.entropy()))


def entropy_text(g: Gen) -> list[Case]:
    t = [
        "unexpected response body: {s}",
        "cache entry {s} missing",
        "signature mismatch ({s})",
        "config value was {s}",
        "ValueError: could not parse {s}",
        "retrying upload with {s} after timeout",
        "header X-Session {s} rejected",
        "loaded {s} from env",
        "warning: {s} looks reused",
        "{s}",
    ]
    return many(g, t, lambda gen: (lambda v: ({"s": v}, [v]))(gen.entropy()))


def url_credentials(g: Gen) -> list[Case]:
    def make(gen: Gen) -> tuple[dict[str, str], list[str]]:
        user, pw = gen.user(), gen.password()
        enc = pw.replace("!", "%21").replace("#", "%23").replace("$", "%24").replace("?", "%3F")
        return {"u": user, "p": pw, "e": enc, "t": gen.opaque(40)}, [user, enc]

    t = [
        "sqlalchemy.exc.OperationalError: postgresql://{u}:{e}@db.example.internal:5432/runs",
        "MONGO_URI=mongodb+srv://{u}:{e}@cluster0.example.mongodb.net/evals",
        {"broker": "amqp://{u}:{e}@mq.example.internal:5672/"},
        "git clone https://{u}:{e}@git.example.com/acme/models.git",
        "ftp://{u}:{e}@files.example.com/exports/",
        "mysql://{u}:{e}@db/app?charset=utf8",
        ["--db-url", "https://{u}:{e}@api.example.com"],
        "redis connection refused: rediss://{u}:{e}@cache.example.com:6380/0",
    ]
    out = many(g, t, make)
    out += many(g, ["redis://:{e}@cache:6379/0"], _pick(make, "e"))
    out += many(g, ["https://{t}@github.com/acme/repo.git"], _pick(make, "t"))
    return out


def _pick(make: Make, name: str) -> Make:
    def picked(gen: Gen) -> tuple[dict[str, str], list[str]]:
        values, _ = make(gen)
        return values, [values[name]]

    return picked


def url_query(g: Gen) -> list[Case]:
    def make(gen: Gen) -> tuple[dict[str, str], list[str]]:
        value = gen.opaque(gen.r.randint(24, 48))
        sig = gen.mixed("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 40)
        return {"s": value, "sig": sig + "%2B" + sig[:6] + "%3D"}, [value, sig]

    t = [
        "GET /oauth/callback?code={s}&state=x1 returned 500; retry sig={sig}",
        "https://api.example.com/v1/items?api_key={s}&page=2&sig={sig}",
        "https://acme.blob.core.windows.net/c/f.bin?sv=2022-11-02&sig={sig}&token={s}",
        "https://app.example.com/#access_token={s}&token_type=bearer&signature={sig}",
        {"url": "https://example.com/export?token={s}&X-Amz-Signature={sig}"},
        "wss://stream.example.com/socket?auth={s}&s={sig}",
        "redirect to /login?next=/&session={s}&sig={sig}",
        "https://example.com/reset?password={s}&client_secret={sig}",
        ["--url", "https://example.com/hook?apikey={s}&signature={sig}"],
    ]
    return many(g, t, make)


def sensitive_keys(g: Gen) -> list[Case]:
    def make(gen: Gen) -> tuple[dict[str, str], list[str]]:
        pw, tok = gen.password(), gen.opaque(32)
        return {"pw": pw, "s": tok}, [pw, tok]

    t = [
        {"password": "{pw}", "api_key": "{s}"},
        {"apiKey": "{s}", "db": {"Password": "{pw}"}},
        {"client_secret": "{s}", "passphrase": "{pw}"},
        {"config": {"credentials": {"api-key": "{s}", "passwd": "{pw}"}}},
        {"SECRET_KEY": "{s}", "settings": [{"name": "db", "PASSWORD": "{pw}"}]},
        {"access_token": "{s}", "refresh_token": "{pw}"},
        "config dump: {'password': '{pw}', 'host': 'db', 'api_key': '{s}'}",
        "DB_PASSWORD={pw}\nAPI_KEY={s}",
        "api_key: {s}\npassword: {pw}\n",
        {"ClientSecret": "{s}", "privateKey": "{pw}"},
    ]
    return many(g, t, make)


SECRET_CLASSES: list[tuple[str, Callable[[Gen], list[Case]]]] = [
    ("pairs", pairs),
    ("argv:list", argv_list),
    ("argv:text", argv_text),
    ("email:plain", lambda g: _email(g, False)),
    ("email:encoded", lambda g: _email(g, True)),
    *TOKEN_CLASSES,
    ("url:credentials", url_credentials),
    ("url:query", url_query),
    ("card", card),
    ("iban", iban),
    ("imei", imei),
    ("phone", phone),
    ("entropy:key", entropy_key),
    ("entropy:text", entropy_text),
    *PATH_CLASSES,
    *NAME_CLASSES,
    ("key:sensitive", sensitive_keys),
]
