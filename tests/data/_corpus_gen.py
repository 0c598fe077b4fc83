"""The seeded value generators behind the scrubbing corpora (see make_scrub_corpora.py).

Every secret is drawn in its provider's alphabet and length and every number carries a valid
checksum (Luhn, IBAN mod-97, IMEI, phone ranges), so a rule that validates cannot pass by
rejecting malformed inputs; nothing here is, or was copied from, a real credential.
"""

from __future__ import annotations

import base64
import json
import random
import re
from collections.abc import Callable
from typing import Any

import phonenumbers
from stdnum import iban as stdnum_iban
from stdnum import imei as stdnum_imei
from stdnum import luhn

SEED = 20240610
# The Scrubber in the test is built with these, so no case depends on the machine it runs on.
USER_NAME = "carol.doe"
HOST_NAME = "gpu-box-7.lab.example"
HOME = "/home/carol.doe"

UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
LOWER = UPPER.lower()
DIGITS = "0123456789"
ALNUM = UPPER + LOWER + DIGITS
URLSAFE = ALNUM + "-_"
B64 = ALNUM + "+/"
HEX = "0123456789abcdef"

FIRST = ["jane", "maria", "wei", "omar", "anika", "lucas", "sofia", "dmitri", "aisha", "kenji"]
FIRST += ["priya", "mateo", "fatima", "elena", "tomasz", "ingrid", "kwame", "yusuf", "leila"]
LAST = ["smith", "garcia", "zhang", "haddad", "kowalski", "okafor", "novak", "tanaka", "rossi"]
LAST += ["schmidt", "nguyen", "silva", "petrov", "mensah", "lindqvist", "moreau", "dubois"]
CLIENTS = ["acme", "globex", "initech", "umbrella", "hooli", "vandelay", "wonka", "tyrell"]
CLIENTS += ["cyberdyne", "soylent", "oscorp", "wayneco", "monarch", "aperture"]
PROJECTS = ["fraud-model", "churn-q3", "claims-llm", "kyc-finetune", "payroll-rag", "merger-dd"]
PROJECTS += ["patient-notes", "legal-review", "audit-2024", "pricing-lora", "hr-chatbot"]
WORDS = ["tangerine", "otter", "granite", "velvet", "maple", "cobalt", "harbor", "thistle"]
WORDS += ["falcon", "juniper", "saffron", "quartz", "lantern", "meadow", "ember", "willow"]
SYMBOLS = "!#$%*?"
PHONE_REGIONS = ["US", "GB", "DE", "FR", "IN", "JP", "BR", "AU", "NL", "ES", "IT", "MX"]
PHONE_REGIONS += ["ZA", "SG", "CH", "SE", "PL", "KR", "NG", "AE", "CA", "IE"]
IBAN_SPECS = {  # country -> BBAN structure (n digits, a upper letters, c either)
    "DE": "n8n10",
    "GB": "a4n6n8",
    "FR": "n5n5c11n2",
    "ES": "n4n4n1n1n10",
    "IT": "a1n5n5c12",
    "NL": "a4n10",
    "CH": "n5c12",
    "BE": "n3n7n2",
    "PL": "n8n16",
    "AT": "n5n11",
    "SE": "n3n16n1",
    "IE": "a4n6n8",
    "PT": "n4n4n11n2",
    "NO": "n4n6n1",
}


class Gen:
    """Seeded generators for every shape the corpora need; one instance per run."""

    def __init__(self, seed: int = SEED) -> None:
        self.r = random.Random(seed)

    # ------------------------------------------------------------- primitives
    def s(self, alphabet: str, n: int) -> str:
        return "".join(self.r.choice(alphabet) for _ in range(n))

    def pick(self, seq: list[Any] | tuple[Any, ...] | str) -> Any:
        return self.r.choice(seq)

    def mixed(self, alphabet: str, n: int) -> str:
        """Random text with upper, lower and digit, the shape an entropy rule must see."""
        while True:
            text = self.s(alphabet, n)
            kinds = (str.isupper, str.islower, str.isdigit)
            if all(any(kind(c) for c in text) for kind in kinds):
                return text

    def digits(self, n: int) -> str:
        return self.pick("123456789") + self.s(DIGITS, n - 1)

    # ------------------------------------------------------------- people and places
    def user(self) -> str:
        f, last = self.pick(FIRST), self.pick(LAST)
        forms = [f"{f}.{last}", f"{f[0]}{last}", f"{f}{last[0]}", f"{f}_{last}", f"{f}{last[:3]}"]
        return self.pick(forms) + self.s(DIGITS, self.r.randint(0, 2))

    def full_name(self) -> str:
        return f"{self.pick(FIRST).title()} {self.pick(LAST).title()}"

    def project(self) -> str:
        return f"{self.pick(CLIENTS)}-{self.pick(PROJECTS)}"

    def label(self) -> str:
        kind = self.pick(["USB", "BACKUP", "SSD", "DRIVE", "DATA"])
        return f"{self.pick(CLIENTS).upper()}_{kind}{self.r.randint(1, 9)}"

    def server(self) -> str:
        return f"{self.pick(CLIENTS)}-fs{self.r.randint(1, 40):02d}"

    def password(self) -> str:
        a, b = self.pick(WORDS), self.pick(WORDS).title()
        return f"{a}{b}{self.r.randint(10, 9999)}{self.pick(SYMBOLS)}"

    def local_part(self) -> str:
        f, last = self.pick(FIRST), self.pick(LAST)
        return self.pick([f"{f}.{last}", f"{f[0]}{last}", f"{f}_{last}"]) + self.s(DIGITS, 2)

    # ------------------------------------------------------------- provider tokens
    def aws_id(self) -> str:
        return self.pick(["AKIA", "AKIA", "ASIA"]) + self.s(UPPER + "234567", 16)

    def aws_secret(self) -> str:
        return self.mixed(B64, 40)

    def anthropic(self) -> str:
        kind = self.pick(["api03", "api03", "admin01"])
        return f"sk-ant-{kind}-{self.s(URLSAFE, 93)}AA"

    def openai(self) -> str:
        kind = self.pick(["legacy", "proj", "svcacct", "admin"])
        if kind == "legacy":
            return f"sk-{self.s(ALNUM, 20)}T3BlbkFJ{self.s(ALNUM, 20)}"
        n = self.pick([58, 74])
        return f"sk-{kind}-{self.s(URLSAFE, n)}T3BlbkFJ{self.s(URLSAFE, n)}"

    def github(self) -> str:
        if self.r.random() < 0.25:
            return f"github_pat_{self.s(ALNUM, 22)}_{self.s(ALNUM, 59)}"
        return f"gh{self.pick('pousr')}_{self.s(ALNUM, 36)}"

    def gitlab(self) -> str:
        kind = self.pick(["glpat-", "glpat-", "glrt-", "gldt-", "glptt-", "GR1348941"])
        body = self.s(HEX, 40) if kind == "glptt-" else self.s(URLSAFE, 20)
        return kind + body

    def npm(self) -> str:
        return "npm_" + self.s(ALNUM, 36)

    def pypi(self) -> str:
        return "pypi-AgEIcHlwaS5vcmc" + self.s(URLSAFE, self.r.randint(60, 140))

    def slack(self) -> str:
        kind = self.pick(["xoxb", "xoxb", "xoxp", "xapp", "xoxe"])
        if kind == "xoxb":
            return f"xoxb-{self.digits(11)}-{self.digits(13)}-{self.s(ALNUM, 24)}"
        if kind == "xoxp":
            return f"xoxp-{self.digits(11)}-{self.digits(11)}-{self.digits(13)}-{self.s(HEX, 32)}"
        if kind == "xapp":
            return f"xapp-1-A{self.s(UPPER + DIGITS, 10)}-{self.digits(13)}-{self.s(HEX, 64)}"
        return f"xoxe.xoxp-1-{self.s(ALNUM, 140)}"

    def slack_webhook(self) -> tuple[str, str]:
        secret = self.s(ALNUM, 24)
        team, bot = self.s(UPPER + DIGITS, 10), self.s(UPPER + DIGITS, 10)
        return f"https://hooks.slack.com/services/T{team}/B{bot}/{secret}", secret

    def stripe(self) -> str:
        kind = self.pick(["sk_live_", "rk_live_", "sk_test_", "rk_test_"])
        return kind + self.s(ALNUM, self.pick([24, 99]))

    def google(self) -> str:
        if self.r.random() < 0.2:
            return "GOCSPX-" + self.s(URLSAFE, 28)
        return "AIza" + self.s(URLSAFE, 35)

    def sendgrid(self) -> str:
        return f"SG.{self.s(URLSAFE, 22)}.{self.s(URLSAFE, 43)}"

    def twilio(self) -> str:
        return self.pick(["SK", ""]) + self.s(HEX, 32)

    def azure_key(self) -> str:
        return self.mixed(B64, 86) + "=="

    def snowflake(self) -> str:
        return "1" + self.s(DIGITS, 18)

    def discord(self) -> str:
        head = base64.b64encode(self.snowflake().encode()).decode().rstrip("=")
        return f"{head}.{self.s(URLSAFE, 6)}.{self.s(URLSAFE, self.pick([27, 38]))}"

    def discord_webhook(self) -> tuple[str, str]:
        secret = self.s(URLSAFE, 68)
        host = self.pick(["discord.com", "discordapp.com", "canary.discord.com"])
        return f"https://{host}/api/webhooks/{self.snowflake()}/{secret}", secret

    def hf(self) -> str:
        return self.pick(["hf_", "hf_", "hf_", "api_org_"]) + self.s(UPPER + LOWER, 34)

    def jwt(self, alg: str = "HS256") -> tuple[str, list[str]]:
        def seg(obj: dict[str, Any]) -> str:
            raw = json.dumps(obj, separators=(",", ":")).encode()
            return base64.urlsafe_b64encode(raw).decode().rstrip("=")

        claims = {"sub": self.digits(10), "name": self.full_name(), "iat": 1717000000}
        claims["jti"] = self.s(HEX, 16)
        payload = seg(claims)
        signature = "" if alg == "none" else self.s(URLSAFE, 43)
        token = f"{seg({'alg': alg, 'typ': 'JWT'})}.{payload}.{signature}"
        return token, [payload] + ([signature] if signature else [])

    def opaque(self, n: int = 40) -> str:
        """An opaque API token; ends are alphanumeric so a sentence's full stop is not part."""
        return self.s(ALNUM, 1) + self.mixed(ALNUM + "-._", n - 2) + self.s(ALNUM, 1)

    def pem(self, kind: str, lines: int, width: int = 64) -> tuple[str, list[str]]:
        body = [self.mixed(B64, width) for _ in range(lines)]
        body[-1] = body[-1][: self.r.randint(20, width)] + "=="
        label = f"{kind} PRIVATE KEY" if kind else "PRIVATE KEY"
        return "\n".join([f"-----BEGIN {label}-----", *body, f"-----END {label}-----"]), body

    # ------------------------------------------------------------- checksummed numbers
    def card(self) -> str:
        prefix, length = self.pick(
            [
                ("4", 16),
                ("4", 16),
                (str(self.r.randint(51, 55)), 16),
                (str(self.r.randint(2221, 2720)), 16),
                (self.pick(["34", "37"]), 15),
                ("6011", 16),
                ("65", 16),
                (str(self.r.randint(3528, 3589)), 16),
                ("36", 14),
                ("62", 19),
            ]
        )
        partial = prefix + self.s(DIGITS, length - len(prefix) - 1)
        return partial + luhn.calc_check_digit(partial)

    def card_text(self) -> str:
        digits = self.card()
        style = self.pick(["compact", "space", "dash"])
        if style == "compact":
            return digits
        sep = " " if style == "space" else "-"
        if len(digits) == 15:
            return sep.join([digits[:4], digits[4:10], digits[10:]])
        return sep.join(digits[i : i + 4] for i in range(0, len(digits), 4))

    def iban(self, country: str) -> str:
        spec = IBAN_SPECS[country]
        while True:
            bban = ""
            for kind, n in re.findall(r"([nac])([0-9]+)", spec):
                alphabet = {"n": DIGITS, "a": UPPER, "c": UPPER + DIGITS}[kind]
                bban += self.s(alphabet, int(n))
            check = stdnum_iban.calc_check_digits(country + "00" + bban)
            number = country + check + bban
            if stdnum_iban.is_valid(number):
                return number

    def imei(self) -> str:
        partial = self.pick(["35", "35", "86", "01", "99", "49"]) + self.s(DIGITS, 12)
        number = partial + luhn.calc_check_digit(partial)
        assert stdnum_imei.is_valid(number)
        return number

    def phone(self, region: str) -> phonenumbers.PhoneNumber:
        """The library's example number, or a number from a range set aside for fiction.

        Random digits in a live range could be a real person's number; these cannot.
        """
        if region in ("US", "CA"):
            area = self.pick(["201", "212", "415", "650"] if region == "US" else ["416", "604"])
            text = f"+1{area}55501{self.s(DIGITS, 2)}"
        elif region == "AU":
            text = "+61491570" + self.pick(["006", "156", "157", "158", "159", "110", "313"])
        else:
            mobile = phonenumbers.PhoneNumberType.MOBILE
            found = phonenumbers.example_number_for_type(region, mobile)
            number = found if found is not None else phonenumbers.example_number(region)
            assert number is not None and phonenumbers.is_valid_number(number)
            return number
        number = phonenumbers.parse(text, None)
        assert phonenumbers.is_valid_number(number), text
        return number

    def entropy(self) -> str:
        return self.mixed(self.pick([B64, URLSAFE]), self.r.randint(32, 56))


def fill(template: Any, values: dict[str, str]) -> Any:
    """Put generated values into a template: strings, and the keys and leaves of containers."""
    if isinstance(template, str):
        for name, value in values.items():
            template = template.replace("{" + name + "}", value)
        return template
    if isinstance(template, list):
        return [fill(item, values) for item in template]
    if isinstance(template, dict):
        return {fill(k, values): fill(v, values) for k, v in template.items()}
    return template


Case = tuple[Any, list[str]]
Builder = Callable[["Gen"], list[Case]]


Make = Callable[[Gen], tuple[dict[str, str], list[str]]]


def many(gen: Gen, templates: list[Any], make: Make) -> list[Case]:
    """One case per template, each with freshly generated values.

    A ``make`` that names no secrets means: every value the template uses is one.
    """
    out = []
    for template in templates:
        values, secrets = make(gen)
        if not secrets:
            text = json.dumps(template)
            secrets = [v for k, v in values.items() if "{" + k + "}" in text]
        out.append((fill(template, values), secrets))
    return out
