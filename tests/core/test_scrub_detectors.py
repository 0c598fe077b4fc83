"""The scrubber's detectors, layer by layer: typed markers, per-rule counts, and look-alikes.

Every secret-looking value here is generated from a seeded RNG or is a documented test value
(``AKIAIOSFODNN7EXAMPLE``, the IBAN ``DE89 3704 0044 0532 0130 00``, Ofcom's drama number range).
"""

from __future__ import annotations

import json
import random
import string
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from peft_telemetry_gui.core.redactions import KIND_LABELS, REDACTION_LABELS, describe_redactions
from peft_telemetry_gui.core.scrub import Scrubber
from peft_telemetry_gui.core.scrub.entropy import looks_random
from peft_telemetry_gui.core.scrub.keys import flag_is_sensitive, flag_name
from peft_telemetry_gui.core.scrub.markers import MARKER, is_marker
from peft_telemetry_gui.core.scrub.patterns import triggered
from peft_telemetry_gui.core.scrub.providers import KINDS, PROVIDERS, is_key_id
from peft_telemetry_gui.core.scrub.rules import build_names_re
from peft_telemetry_gui.core.scrub.validators import card_ok, iban_ok, imei_ok, phone_ok

KEY = b"install-key-0123456789abcdef"
SCRUBBER = Scrubber(hmac_key=KEY, user_name="alice", host_name="gpu-node-17", home="/home/alice")
ALNUM = string.ascii_letters + string.digits
HEX = "0123456789abcdef"


def rand(alphabet: str, n: int, seed: int) -> str:
    rng = random.Random(seed)
    return "".join(rng.choice(alphabet) for _ in range(n))


def scrub(text: str) -> tuple[str, Counter[str]]:
    return SCRUBBER.scrub_text(text)


def luhn_complete(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return body + str((10 - total % 10) % 10)


# ------------------------------------------------------------------------------------------
# Layer 1: values removed because of their name
# ------------------------------------------------------------------------------------------

NAMED_CASES = [
    (
        "train.py --password hunter2 --token abc123",
        "train.py --password [redacted] --token [redacted]",
    ),
    ("run --api-key abc --hf-token=xyz", "run --api-key [redacted] --hf-token=[redacted]"),
    ("deploy --hf_token 'two words' now", "deploy --hf_token '[redacted]' now"),
    ('wandb login --relogin --key "abcdef"', 'wandb login --relogin --key "[redacted]"'),
    (
        "openssl pkcs12 -passout pass:xyz -out b.p12",
        "openssl pkcs12 -passout [redacted] -out b.p12",
    ),
    ("curl -u bob:pw https://api.example.com", "curl -u [redacted] https://api.example.com"),
    ("--password 1234", "--password [redacted]"),
    ("password: hunter2", "password: [redacted]"),
    ('{"secret": "two words"}', '{"secret": "[redacted]"}'),
    ("dbPassword=pa55 SECRET_KEY=x", "dbPassword=[redacted] SECRET_KEY=[redacted]"),
    ("[('password', 'hunter2'), ('port', 5432)]", "[('password', '[redacted]'), ('port', 5432)]"),
    ('dict_items([("token", "abc")])', 'dict_items([("token", "[redacted]")])'),
    ("https://h.example/x?sig=abc&page=2", "https://h.example/x?sig=[redacted]&page=2"),
]
NAMED_LOOKALIKES = [
    "train.py --max-tokens 512 --lora-alpha 16 --pad-token </s>",
    "eval.py --secret-sauce-weight 0.5",
    "python -u train.py --output-dir runs/x",
    "accelerate launch --use_auth_token True",
    "pad_token=</s> max_token=512 eos_token: </s>",
    "tokens_per_second=50 num_tokens: 7",
    "KeyError: 'token'",
    "[('lr', 0.0002), ('rank', 16)]",
    "the key: quality of the data",
]


@pytest.mark.parametrize(("raw", "expected"), NAMED_CASES)
def test_named_values_are_redacted_and_counted_as_sensitive_keys(raw: str, expected: str) -> None:
    out, counts = scrub(raw)
    assert out == expected
    assert set(counts) == {"sensitive_key"}


@pytest.mark.parametrize("raw", NAMED_LOOKALIKES)
def test_named_lookalikes_survive(raw: str) -> None:
    assert scrub(raw) == (raw, Counter())


def test_a_value_with_a_format_keeps_its_typed_marker() -> None:
    token = "ghp_" + rand(ALNUM, 36, 1)
    assert scrub(f"--token {token}")[0] == "--token [token:github]"
    assert scrub(f"GITHUB_TOKEN={token}")[0] == "GITHUB_TOKEN=[token:github]"


@pytest.mark.parametrize(
    ("item", "sensitive"),
    [
        ("--password", True),
        ("-password", True),
        ("--api-key", True),
        ("--hf_token", True),
        ("--key", True),
        ("-passout", True),
        ("--user", True),
        ("--max-tokens", False),
        ("--lora-alpha", False),
        ("--pad-token", False),
        ("--password=x", False),  # the value is inline, not the next item
        ("password", False),
        ("--", False),
        ("-5", False),
        ("---x", False),
    ],
)
def test_flag_is_sensitive(item: str, sensitive: bool) -> None:
    assert flag_is_sensitive(item) is sensitive


def test_flag_name_and_a_memoised_classifier() -> None:
    assert flag_name("--hf-token") == "hf-token" and flag_name("-p") == "p"
    assert flag_name("not-a-flag") is None and flag_name("--a=b") is None
    seen: list[str] = []

    def classify(name: str) -> int:
        seen.append(name)
        return 0

    assert flag_is_sensitive("--anything", classify=classify) is False
    assert seen == ["anything"]


# ------------------------------------------------------------------------------------------
# Layer 2: provider token formats
# ------------------------------------------------------------------------------------------


def provider_samples() -> list[tuple[str, str, str]]:
    """(kind, text, the secret part) for every provider, generated from fixed seeds."""
    b64url = ALNUM + "-_"
    samples = [
        ("aws", "id AKIA" + rand(string.ascii_uppercase + string.digits, 16, 2), "AKIA"),
        ("anthropic", "sk-ant-api03-" + rand(b64url, 90, 4), "sk-ant-api03-"),
        ("openai", "sk-proj-" + rand(b64url, 60, 5), "sk-proj-"),
        ("huggingface", "hf_" + rand(ALNUM, 34, 6), "hf_"),
        ("github", "ghs_" + rand(ALNUM, 36, 7), "ghs_"),
        ("github", "github_pat_" + rand(ALNUM + "_", 82, 8), "github_pat_"),
        ("gitlab", "glpat-" + rand(b64url, 20, 9), "glpat-"),
        ("gitlab", "gldt-" + rand(b64url, 20, 10), "gldt-"),
        ("npm", "npm_" + rand(ALNUM, 36, 11), "npm_"),
        ("pypi", "pypi-AgEIcHlwaS5vcmc" + rand(b64url, 60, 12), "pypi-"),
        ("slack", "xoxb-" + rand(string.digits, 12, 13) + "-" + rand(ALNUM, 24, 14), "xoxb-"),
        (
            "slack_webhook",
            "https://hooks.slack.com/services/T" + rand(ALNUM, 8, 15) + "/B" + rand(ALNUM, 10, 16),
            "hooks.slack.com",
        ),
        ("stripe", "rk_live_" + rand(ALNUM, 24, 17), "rk_live_"),
        ("stripe", "sk_test_" + rand(ALNUM, 24, 18), "sk_test_"),
        ("google", "AIza" + rand(b64url, 35, 19), "AIza"),
        ("sendgrid", "SG." + rand(b64url, 22, 20) + "." + rand(b64url, 43, 21), "SG."),
        ("twilio", "sid AC" + rand(HEX, 32, 22), "AC"),
        ("twilio", "key SK" + rand(HEX, 32, 23), "SK"),
        ("azure", "AccountKey=" + rand(ALNUM + "+/", 86, 24) + "==", "AccountKey=="),
        (
            "discord",
            "bot MTI" + rand(ALNUM, 21, 25) + "." + rand(b64url, 6, 26) + "." + rand(ALNUM, 38, 27),
            "MTI",
        ),
        (
            "discord_webhook",
            "https://discord.com/api/webhooks/"
            + rand(string.digits, 18, 28)
            + "/"
            + rand(b64url, 68, 29),
            "discord.com/api",
        ),
        (
            "jwt",
            "eyJ"
            + rand(b64url, 20, 30)
            + ".eyJ"
            + rand(b64url, 30, 31)
            + "."
            + rand(b64url, 43, 32),
            "eyJ",
        ),
        ("private_key", "-----BEGIN OPENSSH PRIVATE KEY-----\n" + rand(ALNUM, 70, 33), "BEGIN"),
        ("bearer", "Authorization: Bearer " + rand(ALNUM, 30, 34) + "9", "Bearer"),
        ("basic", "Authorization: Basic dXNlcjpwYXNz", "dXNlcjpwYXNz"),
        ("databricks", "dapi" + rand(HEX, 32, 35), "dapi"),
        ("groq", "gsk_" + rand(ALNUM, 52, 36), "gsk_"),
        ("replicate", "r8_" + rand(ALNUM, 37, 37), "r8_"),
        ("hashicorp", "hvs." + rand(b64url, 90, 38), "hvs."),
    ]
    return samples


@pytest.mark.parametrize(("kind", "raw", "anchor"), provider_samples())
def test_provider_tokens_get_their_kind(kind: str, raw: str, anchor: str) -> None:
    assert triggered(raw)
    out, counts = scrub(raw)
    assert f"[token:{kind}]" in out
    assert counts[f"token:{kind}"] == 1
    assert anchor not in out.replace(f"[token:{kind}]", "")


def test_aws_secret_access_key_near_its_id_or_keyword() -> None:
    secret = rand(ALNUM + "/+", 40, 40)
    key_id = "AKIA" + rand(string.ascii_uppercase + string.digits, 16, 41)
    assert scrub(f"{key_id} {secret}")[0] == "[token:aws] [token:aws]"
    assert (
        scrub(f'aws_secret_access_key = "{secret}"')[0] == 'aws_secret_access_key = "[token:aws]"'
    )
    # Without context it is still random-looking, and still goes.
    assert scrub(f"value {secret}")[0] == "value [secret]"


def test_azure_keeps_the_connection_string_around_the_key() -> None:
    key = rand(ALNUM + "+/", 86, 42) + "=="
    conn = f"DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={key};EndpointSuffix=x"
    out, _ = scrub(conn)
    assert out == conn.replace(key, "[token:azure]")


def test_private_keys_across_lines_with_or_without_end() -> None:
    body = "\n".join(rand(ALNUM + "+/", 64, 43 + i) for i in range(3))
    pem = f"-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----"
    assert scrub(f"key:\n{pem}\nafter")[0] == "key:\n[token:private_key]\nafter"
    assert scrub(f"-----BEGIN EC PRIVATE KEY-----\n{body}")[0] == "[token:private_key]"


def test_twilio_auth_token_needs_a_sid_or_the_word() -> None:
    token = rand(HEX, 32, 50)
    sid = "AC" + rand(HEX, 32, 51)
    assert scrub(f"Client('{sid}', '{token}')")[0] == "Client('[token:twilio]', '[token:twilio]')"
    assert scrub(f"twilio token {token}")[0] == "twilio token [token:twilio]"
    assert scrub(f"md5 {token}")[0] == f"md5 {token}"  # alone it is a digest
    assert is_key_id(sid) and is_key_id("AKIAIOSFODNN7EXAMPLE") and not is_key_id(token)


@pytest.mark.parametrize(
    "raw",
    [
        "sk-learn-compatible-api-wrapper",
        "Basic usage of the model",
        "Basic configuration is documented",
        "Bearer token required",
        "hf_hub_download",
        "task-specific-adapter-for-summaries",
        "msg.content is empty",
        "AIza",
    ],
)
def test_provider_lookalikes_survive(raw: str) -> None:
    assert scrub(raw) == (raw, Counter())


def corpus_strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (str(k), *corpus_strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in corpus_strings(v)]
    return []


def test_the_pre_filter_passes_every_corpus_string_that_holds_a_secret() -> None:
    corpus = Path(__file__).resolve().parents[1] / "data" / "scrub_secrets.jsonl"
    missed = []
    for line in corpus.read_text(encoding="utf-8").splitlines():
        case = json.loads(line)
        if case["class"].startswith("name:"):
            continue  # user and host names are looked for in every string, triggered or not
        for text in corpus_strings(case["input"]):
            if any(s in text for s in case["secrets"]) and not triggered(text):
                missed.append(text)
    assert missed == []
    assert not triggered("lora") and not triggered("adamw_torch") and not triggered("q_proj,v_proj")


def test_every_provider_kind_has_a_label_and_every_row_can_run() -> None:
    assert {f"token:{k}" for k in KINDS} <= set(KIND_LABELS)
    for row in PROVIDERS:
        assert row.keywords or (row.min_len and row.requires), row.name
        assert all(k == k.lower() for k in row.keywords), row.name


# ------------------------------------------------------------------------------------------
# Layer 3: numbers confirmed by a checksum
# ------------------------------------------------------------------------------------------

IMEI = luhn_complete("35209900176148")


@pytest.mark.parametrize(
    ("raw", "expected", "rule"),
    [
        ("IBAN DE89 3704 0044 0532 0130 00 ok", "IBAN [iban] ok", "iban"),
        ("iban de89370400440532013000", "iban [iban]", "iban"),
        ("GB82WEST12345698765432.", "[iban].", "iban"),
        ("card 4111 1111 1111 1111", "card [card]", "card"),
        (f"imei {IMEI}", "imei [imei]", "imei"),
        (f"imei {IMEI[:2]}-{IMEI[2:8]}-{IMEI[8:14]}-{IMEI[14]}", "imei [imei]", "imei"),
        ("call +44 20 7946 0958 now", "call [phone] now", "phone"),
        ("call 0044 20 7946 0958", "call [phone]", "phone"),
        ("+1 (415) 555-2671", "[phone]", "phone"),
        ("+44 20 7946 0958 12 times", "[phone] 12 times", "phone"),
    ],
)
def test_valid_numbers_are_removed(raw: str, expected: str, rule: str) -> None:
    out, counts = scrub(raw)
    assert out == expected
    assert counts == Counter({rule: 1})


@pytest.mark.parametrize(
    "raw",
    [
        "IBAN DE89 3704 0044 0532 0130 01",  # checksum off by one
        "XX89370400440532013000",  # no such country
        "card 4111 1111 1111 1112",  # Luhn fails
        f"imei {IMEI[:-1]}{(int(IMEI[-1]) + 1) % 10}",  # Luhn fails
        "id 870000000000006",  # 15 digits, Luhn-valid, no IMEI reporting body
        "+1 555 0100",  # too short for its plan
        "+12345678",
        "2024-01-15T12:30:45+05:30",
        "epoch 1700000000000 and 20240115123045",
    ],
)
def test_numbers_failing_their_check_survive(raw: str) -> None:
    assert scrub(raw) == (raw, Counter())


def test_validators_directly() -> None:
    assert card_ok("378282246310005")  # Amex: 15 digits, 34/37
    assert not card_ok("352099001761481") and imei_ok(IMEI)  # 15 digits starting 35: an IMEI
    assert iban_ok("DE89370400440532013000") and not iban_ok("DE89370400440532013001")
    assert phone_ok("+44 20 7946 0958") and phone_ok("0044 20 7946 0958") and not phone_ok("+1")


def test_validator_libraries_are_imported_only_for_a_candidate() -> None:
    code = (
        "import sys\n"
        "from peft_telemetry_gui import TelemetryClient\n"
        "from peft_telemetry_gui.core.scrub import Scrubber\n"
        "s = Scrubber(hmac_key=b'k' * 16, user_name='', host_name='', home='')\n"
        "s.scrub_properties({'a': 'meta-llama/Llama-2-7b-hf', 'n': 'card 4111', 'd': '2e-4'})\n"
        "before = sorted(m for m in ('stdnum', 'phonenumbers') if m in sys.modules)\n"
        "s.scrub_text('IBAN DE89 3704 0044 0532 0130 00, +44 20 7946 0958')\n"
        "after = sorted(m for m in ('stdnum', 'phonenumbers') if m in sys.modules)\n"
        "print(before, after)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[] ['phonenumbers', 'stdnum']"


# ------------------------------------------------------------------------------------------
# Layer 4: random-looking secrets
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(8))
def test_random_values_become_secret_as_values_and_in_text(seed: int) -> None:
    for alphabet, n in (
        (ALNUM, 32),
        (ALNUM + "+/", 40),
        (string.ascii_lowercase + string.digits, 28),
        (HEX, 48),
    ):
        value = rand(alphabet, n, 100 + seed)
        props, counts = SCRUBBER.scrub_properties({"value": value})
        assert props == {"value": "[secret]"}, value
        assert counts == Counter({"secret": 1})
        assert scrub(f"retrying with {value}.")[0] == "retrying with [secret]."


@pytest.mark.parametrize(
    "raw",
    [
        "550e8400-e29b-41d4-a716-446655440000",
        "d41d8cd98f00b204e9800998ecf8427e",  # md5
        "da39a3ee5e6b4b0d3255bfef95601890afd80709",  # sha1 / git commit
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",  # sha256
        "abcdefghijklmnopqrstuvwxyz0123456789",
        "1q2w3e4r5t6y7u8i9o0p",
        "${DB_PASSWORD_FOR_PRODUCTION_USE}",
        "{{ secrets.HUGGINGFACE_TOKEN_VALUE }}",
        "TheBloke/Mixtral-8x7B-Instruct-v0.1-GGUF",
        "sentence-transformers/all-MiniLM-L6-v2",
        "XLMRobertaForSequenceClassification",
        "lora_dropout_rate_scheduler_warmup",
        "bitsandbytes-0.43.1-py3-none-manylinux_2_24_x86_64.whl",
        "trainer-7d9f8c6b5-x2k4p",
        "run-20240115_123045-3k2j4h5g",
        "outputs/checkpoint-500/adapter_model.safetensors",
        "torch.distributed.elastic.multiprocessing.errors.ChildFailedError",
    ],
)
def test_random_lookalikes_survive(raw: str) -> None:
    assert scrub(raw) == (raw, Counter())


def test_looks_random_directly() -> None:
    assert looks_random(rand(ALNUM, 24, 7))
    assert not looks_random(rand(ALNUM, 19, 7))  # too short to judge
    assert not looks_random("a" * 40)


# ------------------------------------------------------------------------------------------
# Layer 5: paths
# ------------------------------------------------------------------------------------------

PATH_CASES = [
    ("/home/bob/data/train.jsonl", "[path]/train.jsonl"),
    ("/srv/bob/acme-merger", "[path]"),
    ("/srv/bob/acme-merger/", "[path]/"),
    ("/Users/carol/Library/Application Support/acme-llm/state.json", "[path]/state.json"),
    ("C:\\Users\\Dave Smith\\Documents\\client-x", "[path]"),
    ("C:/Users/dave/adapter_model.safetensors", "[path]/adapter_model.safetensors"),
    ("C:\\Documents and Settings\\dave\\x.txt", "[path]/x.txt"),
    ("cp /mnt/c/Users/Yusuf Petrov/Documents/acme/eval.csv .", "cp [path]/eval.csv ."),
    ("\\\\fileserver\\share\\acme\\f.txt", "[path]/f.txt"),
    ("//fileserver/share/acme", "[path]"),
    ("smb://fs02/exports/acme/eval.parquet", "[path]/eval.parquet"),
    ("file:///home/bob/x/config.json", "[path]/config.json"),
    ("file:///C:/Users/bob/x.txt", "[path]/x.txt"),
    ("~bob/notes/plan.md", "[path]/plan.md"),
    ("/media/bob/USBSTICK/acme", "[path]"),
    ("/run/media/bob/USBSTICK/x.csv", "[path]/x.csv"),
    ("/Volumes/ClientDrive", "[path]"),
    ("/Volumes/USB Stick/acme/x.csv", "[path]/x.csv"),  # labels have spaces, like user names
    ("/media/bob/My Disk/acme-merger/eval.parquet", "[path]/eval.parquet"),
    ("D:\\acme-project", "[path]"),
    ("/data/acme.corp", "[path]"),  # an unknown extension is not a file name
    ("PYTHONPATH=/opt/x:/home/alice/lib", "PYTHONPATH=[path]:[path]"),
    ("PATH=/usr/bin:/opt/acme/bin", "PATH=/usr/bin:[path]"),
]
PATH_LOOKALIKES = [
    "data/train.jsonl",
    "./outputs/checkpoint-500",
    "../configs/lora.yaml",
    "/etc/hosts",
    "/tmp",
    "/dev/shm",
    "hf://datasets/org/name",
    "s3://bucket/prefix/file.parquet",
    "https://huggingface.co/meta-llama/Llama-2-7b-hf",
    "GET /v1/chat/completions HTTP/1.1",
    "HTTP/1.1 503 Service Unavailable",
    "~5 minutes",
    "cuda:0",
]


@pytest.mark.parametrize(("raw", "expected"), PATH_CASES)
def test_paths(raw: str, expected: str) -> None:
    out, counts = scrub(raw)
    assert out == expected
    assert set(counts) == {"path"}


@pytest.mark.parametrize("raw", PATH_LOOKALIKES)
def test_path_lookalikes_survive(raw: str) -> None:
    assert scrub(raw) == (raw, Counter())


# ------------------------------------------------------------------------------------------
# Layer 6: e-mail addresses, plain and dressed
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "carol.doe@example.com",
        "carol.doe%40example.com",
        "carol.doe%2540example.com",
        "carol&#64;example.com",
        "carol&#x40;example.com",
        "carol＠example.com",
        "carol [at] example [dot] com",
        "carol(at)example.com",
        "carol{at}example[.]org",
        "carol at example dot com",
        "carol.doe at uni.example dot edu",
        "josé@bücher.de",
    ],
)
def test_dressed_emails(raw: str) -> None:
    assert scrub(f"mail {raw} today") == ("mail [email] today", Counter({"email": 1}))


@pytest.mark.parametrize(
    "raw",
    [
        "error at api.example.com",
        "look at the dot product",
        "x = a @ b.T",
        "@decorator",
        "meet at noon (at home)",
        "100% of runs at step 5",
    ],
)
def test_email_lookalikes_survive(raw: str) -> None:
    assert scrub(raw) == (raw, Counter())


# ------------------------------------------------------------------------------------------
# Markers, counts and the report
# ------------------------------------------------------------------------------------------

MIXED = (
    "user carol@example.com token hf_" + rand(ALNUM, 34, 60) + " at /srv/x/acme/train.jsonl "
    "from 10.0.0.1, card 4111 1111 1111 1111, key " + rand(ALNUM, 32, 61) + " --password pw"
)


def test_counts_are_keyed_by_rule_id_and_markers_match() -> None:
    out, counts = scrub(MIXED)
    assert dict(counts) == {
        "email": 1,
        "token:huggingface": 1,
        "path": 1,
        "ip": 1,
        "card": 1,
        "secret": 1,
        "sensitive_key": 1,
    }
    assert {m.group(0) for m in MARKER.finditer(out)} == {
        "[email]",
        "[token:huggingface]",
        "[ip]",
        "[card]",
        "[secret]",
        "[redacted]",
        "[path]",
    }


def test_a_second_pass_changes_nothing_and_counts_nothing() -> None:
    for raw in [MIXED, *(c[0] for c in NAMED_CASES), *(c[0] for c in PATH_CASES)]:
        once = scrub(raw)[0]
        assert scrub(once) == (once, Counter()), raw


def test_marker_words_are_never_user_or_host_names() -> None:
    scrubber = Scrubber(hmac_key=KEY, user_name="path", host_name="github", home="")
    out, _ = scrubber.scrub_text("ghp_" + rand(ALNUM, 36, 62) + " /srv/a/b/c")
    assert out == "[token:github] [path]"
    assert scrubber.scrub_text(out) == (out, Counter())
    assert build_names_re("token", "secret") == (None, {})
    assert is_marker("[token:aws]") and is_marker("[path]") and not is_marker("[INFO]")


def test_describe_groups_by_class_and_names_kinds() -> None:
    counts = {"token:aws": 3, "token:github": 2, "email": 2, "path": 1}
    assert describe_redactions(counts) == (
        "5 access tokens (3 AWS, 2 GitHub), 2 e-mail addresses, 1 folder path"
    )
    # Counts stored before kinds existed are the same class.
    assert describe_redactions({"token": 4}) == "4 access tokens"
    assert describe_redactions({"token": 1, "token:jwt": 1}) == (
        "2 access tokens (1 JSON web token, 1 other)"
    )
    assert describe_redactions({"token:mystery": 2}) == "2 access tokens (2 mystery)"
    assert describe_redactions({"secret": 1, "iban": 2, "phone": 1, "imei": 1}) == (
        "2 bank account numbers (IBAN), 1 random-looking secret, 1 phone number, "
        "1 phone serial number (IMEI)"
    )


def test_every_rule_class_has_a_label() -> None:
    classes = {"email", "token", "secret", "credentials", "ip", "mac", "card", "iban"}
    classes |= {"phone", "imei", "path", "user", "host", "sensitive_key"}
    assert classes <= set(REDACTION_LABELS)
    out, counts = scrub(MIXED + " +44 20 7946 0958 DE89370400440532013000 mac 00:1A:2B:3C:4D:5E")
    assert {name.split(":")[0] for name in counts} <= set(REDACTION_LABELS)
    assert json.dumps(out)
