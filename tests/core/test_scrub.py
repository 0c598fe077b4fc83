"""Tests for the scrubber: every redaction class, look-alikes that must survive, hostile input.

Size bound: the scrubber guarantees ``len(json.dumps(result).encode()) <= max_event_bytes`` with
no slack at all (default ``json.dumps`` settings are the most verbose standard encoding, so the
bound also holds for compact or ``ensure_ascii=False`` encodings).
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import hmac
import json
import math
import string
import sys
import time
from collections import Counter
from pathlib import PurePosixPath
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peft_telemetry_gui.core.scrub import (
    REDACTION_LABELS,
    Scrubber,
    ScrubLimits,
    describe_redactions,
    stack_frames,
)

KEY = b"install-key-0123456789abcdef"
USER = "alice"
HOST = "gpu-node-17.corp.example"
HOME = "/home/alice"
CLASSES = {
    "email",
    "token",
    "credentials",
    "ip",
    "mac",
    "card",
    "path",
    "user",
    "host",
    "sensitive_key",
    "identifier",
    "truncated",
    "dropped",
    "invalid",
    "iban",
    "imei",
    "phone",
    "secret",
}


def classes_of(counts: Counter[str]) -> set[str]:
    """Count keys are rule ids, ``class`` or ``class:kind`` (``token:aws``)."""
    return {name.split(":", 1)[0] for name in counts}


PROPS = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def make(**kwargs: Any) -> Scrubber:
    params: dict[str, Any] = {"hmac_key": KEY, "user_name": USER, "host_name": HOST, "home": HOME}
    params.update(kwargs)
    return Scrubber(**params)


SCRUBBER = make()


def dumped(value: object) -> str:
    return json.dumps(value, allow_nan=False)


def text(value: str) -> str:
    return SCRUBBER.scrub_text(value)[0]


# ------------------------------------------------------------------------------------------
# Public API surface
# ------------------------------------------------------------------------------------------


def test_labels_cover_every_class() -> None:
    assert set(REDACTION_LABELS) == CLASSES
    for singular, plural in REDACTION_LABELS.values():
        assert singular and plural and singular != plural


def test_limits_are_frozen_with_documented_defaults() -> None:
    limits = ScrubLimits()
    assert (limits.max_string, limits.max_keys, limits.max_items) == (1000, 100, 100)
    assert (limits.max_depth, limits.max_event_bytes) == (8, 16_384)
    with pytest.raises(AttributeError):
        limits.max_string = 5  # type: ignore[misc]
    with pytest.raises(ValueError):
        ScrubLimits(max_depth=0)


def test_os_detection_defaults_do_not_crash() -> None:
    scrubber = Scrubber(hmac_key=KEY)
    out, _ = scrubber.scrub_properties({"a": "plain words", "n": 1})
    assert out == {"a": "plain words", "n": 1}


def test_hmac_key_must_be_bytes() -> None:
    with pytest.raises(TypeError):
        Scrubber(hmac_key="not bytes")  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------
# Sensitive keys
# ------------------------------------------------------------------------------------------

SENSITIVE_KEYS = [
    "password",
    "Password",
    "passwd",
    "pwd",
    "db_password",
    "secret",
    "client_secret",
    "clientSecret",
    "token",
    "access_token",
    "accessToken",
    "refresh-token",
    "hf_token",
    "HF_TOKEN",
    "API-Key",
    "api_key",
    "apiKey",
    "x-api-key",
    "APIKey",
    "auth",
    "Authorization",
    "cookie",
    "session_cookie",
    "credential",
    "credentials",
    "private_key",
    "privateKey",
    "email",
    "e-mail",
    "EMAIL",
    "email_address",
    "username",
    "user_name",
    "userName",
    "user",
    "login",
    "full_name",
    "first name",
    "lastName",
    "phone",
    "phone_number",
    "address",
    "ip_address",
    "ipAddress",
    "mac_address",
    "home_address",
    "ssn",
    "ip",
    "client_ip",
    "credit_card",
    "aws_secret_access_key",
]

BENIGN_KEYS = [
    "max_tokens",
    "token_count",
    "num_tokens",
    "tokenizer",
    "tokenizer_name",
    "tokens_per_second",
    "eos_token",
    "pad_token",
    "pad_token_id",
    "author",
    "authority",
    "learning_rate",
    "model_name",
    "ip_adapter_scale",
    "bf16",
    "device",
    "keyword",
]


@pytest.mark.parametrize("key", SENSITIVE_KEYS)
@pytest.mark.parametrize("value", ["hunter2", 1234, 3.5, ["a", "b"], {"nested": "x"}])
def test_sensitive_keys_are_redacted(key: str, value: object) -> None:
    out, counts = SCRUBBER.scrub_properties({key: value})
    assert out == {key: "[redacted]"}
    assert counts == Counter({"sensitive_key": 1})


@pytest.mark.parametrize("value", [True, False, None])
def test_sensitive_keys_keep_flags(value: object) -> None:
    # Documented choice: bool/None cannot carry a secret and keep dashboards useful.
    out, counts = SCRUBBER.scrub_properties({"auth_required": value, "password": value})
    assert out == {"auth_required": value, "password": value}
    assert counts == Counter()


@pytest.mark.parametrize("key", BENIGN_KEYS)
def test_benign_keys_survive(key: str) -> None:
    payload = {key: "value", "n": 7}
    out, counts = SCRUBBER.scrub_properties(payload)
    assert out == payload
    assert counts == Counter()


def test_sensitive_key_inside_nested_structures() -> None:
    out, counts = SCRUBBER.scrub_properties(
        {"config": {"lora": {"r": 8}, "hub": [{"token": "abc", "repo": "org/model"}]}}
    )
    assert out == {
        "config": {"lora": {"r": 8}, "hub": [{"token": "[redacted]", "repo": "org/model"}]}
    }
    assert counts == Counter({"sensitive_key": 1})


# ------------------------------------------------------------------------------------------
# Identifiers
# ------------------------------------------------------------------------------------------

IDENTIFIER_KEYS = [
    "user_id",
    "userId",
    "account_id",
    "customer-id",
    "org_id",
    "device_id",
    "installId",
    "machine_id",
]


@pytest.mark.parametrize("key", IDENTIFIER_KEYS)
def test_identifiers_are_hmac_pseudonyms(key: str) -> None:
    out, counts = SCRUBBER.scrub_properties({key: "customer-42"})
    expected = "hmac:" + hmac.new(KEY, b"customer-42", hashlib.sha256).hexdigest()[:16]
    assert out == {key: expected}
    assert counts == Counter({"identifier": 1})


def test_identifier_hash_stable_within_install_and_different_across() -> None:
    a1 = make().hash_identifier(12345)
    a2 = make().hash_identifier("12345")
    b = make(hmac_key=b"another install").hash_identifier(12345)
    assert a1 == a2
    assert a1 != b
    assert a1.startswith("hmac:") and len(a1) == 5 + 16
    assert int(a1[5:], 16) >= 0
    assert make().hash_identifier("12346") != a1


def test_identifier_none_is_kept() -> None:
    assert SCRUBBER.scrub_properties({"user_id": None})[0] == {"user_id": None}


# ------------------------------------------------------------------------------------------
# Sensitive values
# ------------------------------------------------------------------------------------------

VALUE_CASES: list[tuple[str, str, dict[str, int]]] = [
    ("mail bob.smith@acme.io now", "mail [email] now", {"email": 1}),
    ("a+b@x.co.uk, c@d.org", "[email], [email]", {"email": 2}),
    ("hf_abcdefghijklmnopqrstuvwxyz0123456", "[token:huggingface]", {"token:huggingface": 1}),
    (
        "key=sk-abcdefghijklmnopqrstuvwxyz012345678901234567",
        "key=[token:openai]",
        {"token:openai": 1},
    ),
    ("sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789", "[token:openai]", {"token:openai": 1}),
    (
        "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_xyz",
        "[token:anthropic]",
        {"token:anthropic": 1},
    ),
    ("ghp_abcdefghijklmnopqrstuvwxyz0123456789", "[token:github]", {"token:github": 1}),
    ("gho_abcdefghijklmnopqrstuvwxyz0123456789", "[token:github]", {"token:github": 1}),
    (
        "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
        "[token:github]",
        {"token:github": 1},
    ),
    ("id AKIAIOSFODNN7EXAMPLE here", "id [token:aws] here", {"token:aws": 1}),
    ("ASIAIOSFODNN7EXAMPLE", "[token:aws]", {"token:aws": 1}),
    (
        "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "aws_secret_access_key=[token:aws]",
        {"token:aws": 1},
    ),
    ("xoxb-123456789012-123456789012-abcdefghijkl", "[token:slack]", {"token:slack": 1}),
    ("sk_live_abcdefghijklmnop1234", "[token:stripe]", {"token:stripe": 1}),
    ("rk_live_abcdefghijklmnop1234", "[token:stripe]", {"token:stripe": 1}),
    ("pk_live_abcdefghijklmnop1234", "[token:stripe]", {"token:stripe": 1}),
    ("sk_test_abcdefghijklmnop1234", "[token:stripe]", {"token:stripe": 1}),
    ("AIzaSyA-abcdefghijklmnopqrstuvwxyz01234", "[token:google]", {"token:google": 1}),
    (
        "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9P",
        "jwt [token:jwt]",
        {"token:jwt": 1},
    ),
    (
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\nok",
        "[token:private_key]\nok",
        {"token:private_key": 1},
    ),
    (
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk",
        "[token:private_key]",
        {"token:private_key": 1},
    ),
    ("Authorization: Bearer abc.DEF-123_456", "Authorization: [token:bearer]", {"token:bearer": 1}),
    ("Authorization: Basic YWxpY2U6c2VjcmV0", "Authorization: [token:basic]", {"token:basic": 1}),
    ("password: hunter2", "password: [redacted]", {"sensitive_key": 1}),
    ('{"api_key": "zzz123"}', '{"api_key": "[redacted]"}', {"sensitive_key": 1}),
    (
        "https://bob:hunter2@example.com/repo.git",
        "https://[credentials]@example.com/repo.git",
        {"credentials": 1},
    ),
    (
        "postgres://u:p@db.internal/prod",
        "postgres://[credentials]@db.internal/prod",
        {"credentials": 1},
    ),
    (
        "https://h.io/x?token=abc&api_key=def&password=g&sig=h&key=i&access_token=j&page=2",
        "https://h.io/x?token=[redacted]&api_key=[redacted]&password=[redacted]&sig=[redacted]&key=[redacted]"
        "&access_token=[redacted]&page=2",
        {"sensitive_key": 6},
    ),
    ("from 192.168.1.20:8080", "from [ip]:8080", {"ip": 1}),
    ("0.0.0.0 and 255.255.255.255", "[ip] and [ip]", {"ip": 2}),
    ("v6 2001:0db8:85a3:0000:0000:8a2e:0370:7334", "v6 [ip]", {"ip": 1}),
    ("v6 2001:db8::8a2e:370:7334 or fe80::1 or ::1", "v6 [ip] or [ip] or [ip]", {"ip": 3}),
    ("[2001:db8::1]:443", "[[ip]]:443", {"ip": 1}),
    ("mac 00:1A:2B:3C:4D:5E", "mac [mac]", {"mac": 1}),
    ("mac aa-bb-cc-dd-ee-ff.", "mac [mac].", {"mac": 1}),
    ("card 4111 1111 1111 1111 ok", "card [card] ok", {"card": 1}),
    ("card 4111-1111-1111-1111", "card [card]", {"card": 1}),
    ("amex 378282246310005", "amex [card]", {"card": 1}),
    ("mc 5555555555554444 visa13 4222222222222", "mc [card] visa13 [card]", {"card": 2}),
    ("order 12 4111 1111 1111 1111", "order 12 [card]", {"card": 1}),
    ("/home/alice/data/train.jsonl", "[path]/train.jsonl", {"path": 1}),
    ("/home/bob/x.txt", "[path]/x.txt", {"path": 1}),
    ("/root/.cache/huggingface/hub", "[path]", {"path": 1}),
    ("/Users/carol/Documents/run.log", "[path]/run.log", {"path": 1}),
    ("C:\\Users\\Dave Smith\\Documents\\x.txt", "[path]/x.txt", {"path": 1}),
    ("C:/Users/dave/x/y.txt", "[path]/y.txt", {"path": 1}),
    ("C:\\\\Users\\\\dave\\\\y.txt", "[path]/y.txt", {"path": 1}),
    ("~/work/x.py", "[path]/x.py", {"path": 1}),
    ("open('/mnt/datasets/acme-corp/train.jsonl')", "open('[path]/train.jsonl')", {"path": 1}),
    ("D:\\projects\\acme\\train.csv", "[path]/train.csv", {"path": 1}),
    ("\\\\fileserver\\share\\acme\\f.txt", "[path]/f.txt", {"path": 1}),
    ("out=/srv/jobs/acme/", "out=[path]/", {"path": 1}),
    ("run by Alice on gpu-node-17", "run by [user] on [host]", {"user": 1, "host": 1}),
    ("GPU-NODE-17.corp.example says hi", "[host] says hi", {"host": 1}),
    ("alice_experiment", "[user]_experiment", {"user": 1}),
]


@pytest.mark.parametrize(("raw", "expected", "classes"), VALUE_CASES)
def test_sensitive_values(raw: str, expected: str, classes: dict[str, int]) -> None:
    out, counts = SCRUBBER.scrub_text(raw)
    assert out == expected
    assert counts == Counter(classes)
    props, prop_counts = SCRUBBER.scrub_properties({"message": raw})
    assert props == {"message": expected}
    assert prop_counts == counts


def test_actual_home_directory_anywhere() -> None:
    scrubber = make(home="/srv/people/zed", user_name="")
    assert scrubber.scrub_text("cfg at /srv/people/zed/cfg.yaml")[0] == "cfg at [path]/cfg.yaml"
    assert scrubber.scrub_text("/srv/people/zed")[0] == "[path]"
    # A different directory sharing the prefix is not the home directory; it is still a path,
    # and its last part is a folder name, not a file name, so it goes too.
    assert scrubber.scrub_text("/srv/people/zedd")[0] == "[path]"
    windows = make(home="C:\\Profiles\\zed", user_name="")
    assert windows.scrub_text("C:/Profiles/zed/a.txt")[0] == "[path]/a.txt"


def test_names_can_be_disabled_and_stop_list() -> None:
    scrubber = make(user_name="", host_name="", home="")
    assert scrubber.scrub_text("alice on gpu-node-17")[0] == "alice on gpu-node-17"
    root = make(user_name="root", host_name="localhost")
    assert root.scrub_text("root on localhost")[0] == "root on localhost"
    short = make(user_name="al", host_name="")
    assert short.scrub_text("al is here")[0] == "al is here"


def test_keys_are_scrubbed_and_collisions_suffixed() -> None:
    # The literal key "[email]" normalises to "email", a sensitive key name; a bool survives.
    out, counts = SCRUBBER.scrub_properties({"a@x.com": 1, "b@y.com": 2, "[email]": True})
    assert out == {"[email]": 1, "[email]~2": 2, "[email]~3": True}
    assert counts == Counter({"email": 2})


def test_non_str_keys() -> None:
    out, _ = SCRUBBER.scrub_properties({1: "a", None: "b", (1, 2): "c", b"raw": "d", 2.5: "e"})
    assert out == {"1": "a", "None": "b", "(1, 2)": "c", "[bytes:3]": "d", "2.5": "e"}


# ------------------------------------------------------------------------------------------
# Look-alikes that must survive
# ------------------------------------------------------------------------------------------

LOOKALIKES = [
    "max_tokens",
    "token_count",
    "tokenizer",
    "bf16",
    "cuda:0",
    "cuda:1,cuda:2",
    "meta-llama/Llama-2-7b-hf",
    "org/model",
    "hf://datasets/org/name",
    "https://huggingface.co/meta-llama/Llama-2-7b-hf",
    "2.1.0+cu118",
    "v1.2.3",
    "1.2.3",
    "torch 2.1.0 / cuda 12.1",
    "12:30:45",
    "2024-01-15T12:30:45.123456",
    "learning_rate",
    "author",
    "/etc/hosts",
    "/tmp",
    "x[1::2]",
    "std::vector",
    "~5 minutes",
    "Basic usage of the model",
    "hf_hub_download",
    "sk-learn",
    "pad_token=</s> max_tokens=512",
    "20240115123045",
    "1700000000000",
    "run-00042",
    "Qwen/Qwen2-7B-Instruct",
    "@decorator",
    "a/b",
    "and/or",
    "1e-4",
    "loss=0.1234 step=100",
]


@pytest.mark.parametrize("raw", LOOKALIKES)
def test_lookalikes_survive(raw: str) -> None:
    assert SCRUBBER.scrub_text(raw) == (raw, Counter())


def test_small_training_event_roundtrip() -> None:
    props = {
        "algorithm": "lora",
        "rank": 16,
        "dataset_path": "/home/alice/data/train.jsonl",
        "model": "meta-llama/Llama-2-7b-hf",
        "epochs": 3,
        "lr": 2e-4,
    }
    out, counts = SCRUBBER.scrub_properties(props)
    assert out == {**props, "dataset_path": "[path]/train.jsonl"}
    assert counts == Counter({"path": 1})
    assert props["dataset_path"] == "/home/alice/data/train.jsonl"  # input not mutated
    # Cached second call gives the same answer and the same counts.
    assert SCRUBBER.scrub_properties(props) == (out, counts)


# ------------------------------------------------------------------------------------------
# Non-JSON values
# ------------------------------------------------------------------------------------------


class Color(enum.Enum):
    RED = "red"


class Level(enum.IntEnum):
    HIGH = 3


class Exploding:
    def __str__(self) -> str:
        raise RuntimeError("nope")


class Custom:
    def __str__(self) -> str:
        return "custom at /home/alice/secret/file.txt"


def test_non_json_values_are_converted() -> None:
    when = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    out, counts = SCRUBBER.scrub_properties(
        {
            "b": True,
            "i": 3,
            "none": None,
            "nan": float("nan"),
            "inf": float("inf"),
            "ninf": -math.inf,
            "bytes": b"\x00\x01\x02",
            "ba": bytearray(5),
            "when": when,
            "day": dt.date(2024, 1, 2),
            "path": PurePosixPath("/home/alice/x/y.txt"),
            "color": Color.RED,
            "level": Level.HIGH,
            "set": {1},
            "fs": frozenset({"a"}),
            "tuple": (1, "x"),
            "obj": Custom(),
            "bad": Exploding(),
            "huge": 10**5000,
        }
    )
    assert out == {
        "b": True,
        "i": 3,
        "none": None,
        "nan": None,
        "inf": None,
        "ninf": None,
        "bytes": "[bytes:3]",
        "ba": "[bytes:5]",
        "when": "2024-01-02T03:04:05+00:00",
        "day": "2024-01-02",
        "path": "[path]/y.txt",
        "color": "red",
        "level": 3,
        "set": [1],
        "fs": ["a"],
        "tuple": [1, "x"],
        "obj": "custom at [path]/file.txt",
        "bad": "[unrepresentable]",
        "huge": None,
    }
    assert counts["invalid"] == 4
    assert counts["path"] == 2
    assert counts["dropped"] == 3  # two byte strings and one unrepresentable object
    dumped(out)


def test_mapping_subclasses_and_proxies() -> None:
    out, _ = SCRUBBER.scrub_properties(MappingProxyType({"a": {"b": (1, 2)}}))
    assert out == {"a": {"b": [1, 2]}}


class BrokenMapping(dict[str, Any]):
    def items(self) -> Any:
        raise RuntimeError("broken")


def test_broken_containers_cost_only_their_own_value() -> None:
    out, counts = SCRUBBER.scrub_properties({"ok": 1, "bad": BrokenMapping(a=1)})
    assert out == {"ok": 1, "bad": "[unrepresentable]"}
    assert counts == Counter({"dropped": 1})
    assert SCRUBBER.scrub_properties(BrokenMapping(a=1)) == ({}, Counter({"dropped": 1}))


def test_scrub_text_never_raises() -> None:
    assert SCRUBBER.scrub_text(Exploding())[0] == "[unrepresentable]"  # type: ignore[arg-type]
    assert SCRUBBER.scrub_text("")[0] == ""


@pytest.mark.parametrize("bad", [None, 1, "string", ["a"], object(), b"x"])
def test_non_mapping_input_is_dropped(bad: object) -> None:
    assert SCRUBBER.scrub_properties(bad) == ({}, Counter({"dropped": 1}))


def test_cycles() -> None:
    d: dict[str, Any] = {"name": "x"}
    d["self"] = d
    lst: list[Any] = [1]
    lst.append(lst)
    d["list"] = lst
    out, counts = SCRUBBER.scrub_properties(d)
    assert out == {"name": "x", "self": "[cycle]", "list": [1, "[cycle]"]}
    assert counts == Counter({"dropped": 2})
    # The same object twice (not a cycle) is not a cycle.
    shared = {"k": 1}
    assert SCRUBBER.scrub_properties({"a": shared, "b": shared})[0] == {
        "a": {"k": 1},
        "b": {"k": 1},
    }


def test_lone_surrogates_are_made_encodable() -> None:
    out, _ = SCRUBBER.scrub_properties({"s": "a\ud800b"})
    json.dumps(out, ensure_ascii=False).encode("utf-8")


# ------------------------------------------------------------------------------------------
# Limits
# ------------------------------------------------------------------------------------------


def test_string_truncation_marker_and_count() -> None:
    scrubber = make(limits=ScrubLimits(max_string=20))
    out, counts = scrubber.scrub_text("one two three four five six seven")
    assert out == "one two three four…[truncated]"
    assert counts == Counter({"truncated": 1})


def test_truncation_drops_a_secret_cut_in_half() -> None:
    scrubber = make(limits=ScrubLimits(max_string=30))
    for secret in (
        "hf_abcdefghijklmnopqrstuvwxyz0123456789",
        "bob.smith@example.com",
        "https://bob:hunter2@example.com",
        "4111 1111 1111 1111",
    ):
        raw = "x" * 20 + " " + secret
        out, _ = scrubber.scrub_text(raw)
        assert out.endswith("…[truncated]")
        body = out.removesuffix("…[truncated]")
        assert body.strip() == "x" * 20, (secret, out)


def test_key_and_item_limits() -> None:
    scrubber = make(limits=ScrubLimits(max_keys=3, max_items=2))
    out, counts = scrubber.scrub_properties({f"k{i}": [1, 2, 3, 4] for i in range(5)})
    assert out == {"k0": [1, 2], "k1": [1, 2], "k2": [1, 2]}
    assert counts == Counter({"dropped": 2 + 3 * 2})


def test_depth_limit() -> None:
    scrubber = make(limits=ScrubLimits(max_depth=3))
    out, counts = scrubber.scrub_properties({"a": {"b": {"c": {"d": 1}}, "l": [[1]]}})
    assert out == {"a": {"b": {"c": "[depth limit]"}, "l": ["[depth limit]"]}}
    assert counts == Counter({"truncated": 2})


def test_event_size_bound_drops_largest_values_first() -> None:
    scrubber = make(limits=ScrubLimits(max_event_bytes=600))
    payload = {"small": "keep me", "big": "b " * 450, "medium": "m " * 100, "n": 5}
    out, counts = scrubber.scrub_properties(payload)
    assert out["big"] == "[too large]"
    assert out["small"] == "keep me"
    assert out["medium"] == payload["medium"]
    assert out["n"] == 5
    assert counts == Counter({"dropped": 1})
    assert len(dumped(out).encode()) <= 600


def test_event_size_bound_with_huge_keys_and_containers() -> None:
    limits = ScrubLimits(max_event_bytes=2000)
    scrubber = make(limits=limits)
    payload = {("key " * 200) + str(i): [[i] * 100] * 100 for i in range(50)}
    out, counts = scrubber.scrub_properties(payload)
    assert len(dumped(out).encode()) <= limits.max_event_bytes
    assert counts["dropped"] > 0


# ------------------------------------------------------------------------------------------
# Hostile input
# ------------------------------------------------------------------------------------------


DEFAULT_LIMITS = ScrubLimits()


def check_bounded(out: dict[str, Any], limits: ScrubLimits = DEFAULT_LIMITS) -> None:
    assert isinstance(out, dict)
    assert len(dumped(out).encode()) <= limits.max_event_bytes  # slack: none
    json.dumps(out, ensure_ascii=False).encode("utf-8")


def test_ten_megabyte_string_is_fast_and_bounded() -> None:
    huge = ("word hf_abcdefghijklmnopqrstuvwxyz0123 bob@example.com 10.0.0.1 " * 200_000)[
        : 10 * 1024 * 1024
    ]
    start = time.perf_counter()
    out, counts = SCRUBBER.scrub_properties({"blob": huge, "k": 1})
    text_out, text_counts = SCRUBBER.scrub_text(huge)
    elapsed = time.perf_counter() - start
    assert elapsed < 0.5
    check_bounded(out)
    assert len(out["blob"]) <= 1000 + len("…[truncated]")
    assert counts["truncated"] == 1 and counts["token:huggingface"] > 0
    assert len(text_out) <= 1000 + len("…[truncated]")
    assert "bob@example.com" not in text_out and text_counts["email"] > 0


def test_ten_megabyte_string_without_separators() -> None:
    out, counts = SCRUBBER.scrub_properties({"blob": "a" * 10_000_000})
    assert out == {"blob": "…[truncated]"}
    assert counts == Counter({"truncated": 1})


def test_deep_nesting() -> None:
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(1000):
        node["x"] = {}
        node = node["x"]
    deep_list: list[Any] = []
    cur = deep_list
    for _ in range(1000):
        cur.append([])
        cur = cur[0]
    out, counts = SCRUBBER.scrub_properties({"d": deep, "l": deep_list})
    check_bounded(out)
    assert counts["truncated"] == 2
    assert "[depth limit]" in dumped(out)


def test_hundred_thousand_keys() -> None:
    payload = {f"key{i}": i for i in range(100_000)}
    start = time.perf_counter()
    out, counts = SCRUBBER.scrub_properties(payload)
    assert time.perf_counter() - start < 0.1
    assert len(out) == 100
    assert counts["dropped"] == 100_000 - 100
    check_bounded(out)


def test_huge_list_and_wide_nested_payload() -> None:
    wide = [[["x" * 50] * 100] * 100] * 100  # 1M leaves if walked naively
    start = time.perf_counter()
    out, counts = SCRUBBER.scrub_properties({"wide": wide, "ints": list(range(1_000_000))})
    assert time.perf_counter() - start < 1.0
    check_bounded(out)
    assert counts["dropped"] > 0


def test_everything_hostile_at_once() -> None:
    d: dict[Any, Any] = {
        "nan": math.nan,
        "bytes": b"x" * 10_000,
        "bad": Exploding(),
        Exploding(): "bad key",
        ("tuple", "key"): 1,
        "big": "z " * 100_000,
        "many": {str(i): "v" * 900 for i in range(100)},
    }
    d["cycle"] = d
    out, counts = SCRUBBER.scrub_properties(d)
    check_bounded(out)
    assert classes_of(counts) <= CLASSES


@pytest.mark.parametrize("max_bytes", [1, 2, 10, 100])
def test_tiny_event_limits_still_hold(max_bytes: int) -> None:
    limits = ScrubLimits(max_event_bytes=max_bytes)
    out, _ = make(limits=limits).scrub_properties({"a": "b" * 50, "c": [1, 2, 3]})
    assert len(dumped(out)) <= max(max_bytes, 2)  # "{}" is the smallest possible event


# ------------------------------------------------------------------------------------------
# describe_redactions and stack_frames
# ------------------------------------------------------------------------------------------


def test_describe_redactions() -> None:
    assert describe_redactions({}) == "nothing yet"
    assert describe_redactions(Counter({"email": 0})) == "nothing yet"
    assert (
        describe_redactions(Counter({"path": 40, "email": 12, "token": 3, "ip": 0}))
        == "40 folder paths, 12 e-mail addresses, 3 access tokens"
    )
    assert describe_redactions({"token": 1}) == "1 access token"
    assert describe_redactions({"mystery": 2}) == "2 mystery"


def _raise_nested() -> None:
    def inner() -> None:
        raise ValueError("boom")

    inner()


def test_stack_frames_have_no_directories() -> None:
    try:
        _raise_nested()
    except ValueError:
        tb = sys.exc_info()[2]
    frames = stack_frames(tb)
    assert frames[-1].startswith(f"{__name__}:inner:")
    assert frames[-2].startswith(f"{__name__}:_raise_nested:")
    assert frames[0].startswith(f"{__name__}:test_stack_frames_have_no_directories:")
    for frame in frames:
        module, _func, line = frame.split(":")
        assert "/" not in module and "\\" not in module
        assert int(line) > 0
    assert stack_frames(tb, limit=1) == frames[-1:]
    assert stack_frames(None) == []
    assert stack_frames(tb, limit=0) == []


def test_stack_frames_without_module_name_uses_file_stem() -> None:
    namespace: dict[str, Any] = {}
    code = compile("def f():\n    raise KeyError('x')\n", "/home/alice/proj/script.py", "exec")
    exec(code, namespace)  # no __name__ in globals
    namespace.pop("__name__", None)
    try:
        namespace["f"]()
    except KeyError:
        tb = sys.exc_info()[2]
    assert stack_frames(tb)[-1] == "script:f:2"


# ------------------------------------------------------------------------------------------
# Property-based: planted secrets never survive, ML vocabulary always does
# ------------------------------------------------------------------------------------------

ALNUM = string.ascii_letters + string.digits
FILLER = st.text(alphabet=string.ascii_letters + " .,;!?()", max_size=40)


def _fixed(alphabet: str, size: int) -> st.SearchStrategy[str]:
    return st.text(alphabet=alphabet, min_size=size, max_size=size)


def _luhn_complete(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return body + str((10 - total % 10) % 10)


@st.composite
def card_numbers(draw: st.DrawFn) -> str:
    prefix, length = draw(
        st.sampled_from(
            [
                *[("4", 16), ("4", 13), ("4", 19), ("51", 16), ("55", 16), ("2221", 16)],
                *[("2720", 16), ("34", 15), ("37", 15), ("6011", 16), ("65", 19), ("3528", 16)],
                ("36", 14),
            ]
        )
    )
    body = prefix + draw(_fixed(string.digits, length - len(prefix) - 1))
    number = _luhn_complete(body)
    style = draw(st.sampled_from(["plain", "space4", "dash4"]))
    if style == "plain":
        return number
    sep = " " if style == "space4" else "-"
    return sep.join(number[i : i + 4] for i in range(0, len(number), 4))


_USERNAME = st.from_regex(r"\A[a-z][a-z0-9_\-]{2,12}\Z").filter(
    lambda u: u not in {"root", "user", "admin"}
)
_DIR = st.from_regex(r"\A[A-Za-z0-9_][A-Za-z0-9_.\-]{0,12}\Z")
_FILE = st.from_regex(r"\A[A-Za-z0-9_\-]{1,10}\.[a-z]{1,5}\Z")


@st.composite
def home_paths(draw: st.DrawFn) -> tuple[str, str]:
    """Return (path, the identifying user segment)."""
    user = draw(_USERNAME)
    dirs = draw(st.lists(_DIR, max_size=3))
    name = draw(_FILE)
    kind = draw(st.sampled_from(["linux", "mac", "win", "win-fwd", "root", "tilde"]))
    if kind == "linux":
        return "/".join(["", "home", user, *dirs, name]), "/home/" + user
    if kind == "mac":
        return "/".join(["", "Users", user, *dirs, name]), "/Users/" + user
    if kind == "win":
        return "\\".join(["C:", "Users", user, *dirs, name]), "Users\\" + user
    if kind == "win-fwd":
        return "/".join(["D:", "Users", user, *dirs, name]), "Users/" + user
    if kind == "root":
        return "/".join(["", "root", user, *dirs, name]), "/root/" + user
    return "/".join(["~", user, *dirs, name]), "~/" + user


@st.composite
def tokens(draw: st.DrawFn) -> str:
    b64url = ALNUM + "-_"
    kind = draw(st.integers(0, 14))
    if kind == 0:
        return "hf_" + draw(_fixed(ALNUM, 34))
    if kind == 1:
        return "sk-" + draw(_fixed(ALNUM, 48))
    if kind == 2:
        return "sk-proj-" + draw(_fixed(b64url, 60))
    if kind == 3:
        return "sk-ant-api03-" + draw(_fixed(b64url, 93))
    if kind == 4:
        prefix = draw(st.sampled_from(["ghp_", "gho_", "ghu_", "ghs_", "ghr_"]))
        return prefix + draw(_fixed(ALNUM, 36))
    if kind == 5:
        return "github_pat_" + draw(_fixed(ALNUM + "_", 82))
    if kind == 6:
        return draw(st.sampled_from(["AKIA", "ASIA"])) + draw(
            _fixed(string.ascii_uppercase + string.digits, 16)
        )
    if kind == 7:
        return "aws_secret_access_key=" + draw(_fixed(ALNUM + "/+", 40))
    if kind == 8:
        return (
            "xox"
            + draw(st.sampled_from("baprs"))
            + "-"
            + draw(_fixed(string.digits, 12))
            + "-"
            + draw(_fixed(ALNUM, 24))
        )
    if kind == 9:
        prefix = draw(st.sampled_from(["sk_live_", "rk_live_", "pk_live_", "sk_test_"]))
        return prefix + draw(_fixed(ALNUM, 24))
    if kind == 10:
        return "AIza" + draw(_fixed(b64url, 35))
    if kind == 11:
        parts = [draw(_fixed(b64url, n)) for n in (20, 40, 43)]
        return "eyJ" + parts[0] + ".eyJ" + parts[1] + "." + parts[2]
    if kind == 12:
        body = draw(_fixed(ALNUM, 64))
        return f"-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----"
    if kind == 13:
        return "Bearer " + draw(_fixed(ALNUM, 30)) + draw(st.sampled_from("0123456789"))
    return "https://u" + draw(_fixed(ALNUM, 6)) + ":p" + draw(_fixed(ALNUM, 10)) + "@h.example/x"


def _secret_core(secret: str) -> str:
    """The part of a planted secret that must vanish (aws/URL keep their harmless prefix)."""
    if secret.startswith("aws_secret_access_key="):
        return secret.split("=", 1)[1]
    if secret.startswith("https://"):
        return secret[len("https://") : secret.index("@")]
    if secret.startswith("-----BEGIN"):
        return secret.split("\n")[1]
    if secret.startswith("Bearer "):
        return secret[len("Bearer ") :]
    return secret


SECRETS = st.one_of(
    st.emails().map(lambda e: (e, e)),
    tokens().map(lambda t: (t, _secret_core(t))),
    home_paths(),
    st.ip_addresses(v=4).map(lambda ip: (str(ip), str(ip))),
    card_numbers().map(lambda c: (c, c)),
    card_numbers().map(lambda c: (c, c.replace(" ", "").replace("-", ""))),
)


@st.composite
def planted(draw: st.DrawFn, secret: str) -> Any:
    """Hide ``secret`` inside random text at a random place in a random nested payload."""
    sep = draw(st.sampled_from([" ", "\n", "\t", " (", ", "]))
    close = {" (": ") ", ", ": " ,"}.get(sep, sep)
    leaf: Any = draw(FILLER) + sep + secret + close + draw(FILLER)
    for _ in range(draw(st.integers(0, 6))):
        if draw(st.booleans()):
            siblings = draw(st.lists(st.integers(), max_size=3))
            position = draw(st.integers(0, len(siblings)))
            siblings.insert(position, leaf)
            leaf = siblings
        else:
            key = draw(st.sampled_from(["config", "data", "x", "args", "items"]))
            leaf = {key: leaf, "other": draw(st.integers())}
    return {"payload": leaf, "n": 1}


@PROPS
@given(data=st.data(), secret=SECRETS)
def test_planted_secrets_never_survive(data: st.DataObject, secret: tuple[str, str]) -> None:
    raw, core = secret
    payload = data.draw(planted(raw))
    out, counts = SCRUBBER.scrub_properties(payload)
    serialized = dumped(out)
    assert core not in serialized
    assert core not in json.dumps(out, ensure_ascii=False)
    assert sum(counts.values()) >= 1
    check_bounded(out)


@PROPS
@given(secret=SECRETS, before=FILLER, after=FILLER)
def test_planted_secrets_never_survive_in_text(
    secret: tuple[str, str], before: str, after: str
) -> None:
    raw, core = secret
    out, counts = SCRUBBER.scrub_text(f"{before} {raw} {after}")
    assert core not in out
    assert counts


@PROPS
@given(secret=SECRETS)
def test_planted_secrets_as_keys(secret: tuple[str, str]) -> None:
    raw, core = secret
    out, _ = SCRUBBER.scrub_properties({f"value for {raw} here": 1})
    assert core not in dumped(out)


@PROPS
@given(ip=st.ip_addresses(v=6).filter(lambda a: len(a.compressed.replace(":", "")) >= 4))
def test_ipv6_addresses_are_removed(ip: Any) -> None:
    for form in (ip.compressed, ip.exploded):
        out, counts = SCRUBBER.scrub_text(f"peer {form} closed")
        assert form not in out
        assert counts["ip"] >= 1


MODEL_IDS = [
    "meta-llama/Llama-2-7b-hf",
    "mistralai/Mistral-7B-v0.1",
    "google/gemma-2b",
    "Qwen/Qwen2-7B-Instruct",
    "bert-base-uncased",
    "gpt2",
    "EleutherAI/pythia-160m",
    "microsoft/phi-2",
    "tiiuae/falcon-7b",
    "TheBloke/Llama-2-13B-GPTQ",
]
PARAM_NAMES = [
    "learning_rate",
    "lora_alpha",
    "lora_dropout",
    "r",
    "rank",
    "target_modules",
    "max_tokens",
    "token_count",
    "num_tokens",
    "tokenizer",
    "tokenizer_name",
    "tokens_per_second",
    "gradient_accumulation_steps",
    "warmup_ratio",
    "weight_decay",
    "per_device_train_batch_size",
    "max_seq_length",
    "author",
    "eos_token",
    "pad_token_id",
    "model_name_or_path",
]
DTYPES = ["bf16", "fp16", "fp32", "float32", "torch.bfloat16", "int8", "nf4", "4bit", "8bit"]
DEVICES = ["cuda:0", "cuda:1", "cpu", "mps", "xpu:0", "auto", "cuda", "npu:3"]
VERSIONS = [
    "2.1.0+cu118",
    "v1.2.3",
    "1.2.3",
    "0.4.0.dev0",
    "4.36.2",
    "12.1",
    "3.11.4",
    "v0.13.0rc1",
]
OTHER = [
    "12:30:45",
    "epoch 3/10",
    "step 100/2000",
    "loss=0.1234",
    "lr=2e-4",
    "100%",
    "q_proj,v_proj",
]
VOCAB = MODEL_IDS + PARAM_NAMES + DTYPES + DEVICES + VERSIONS + OTHER


@PROPS
@given(
    keys=st.lists(st.sampled_from(PARAM_NAMES), min_size=1, max_size=8, unique=True),
    values=st.lists(
        st.one_of(
            st.sampled_from(VOCAB),
            st.lists(st.sampled_from(VOCAB), max_size=4),
            st.integers(-(2**63), 2**63 - 1),
            st.floats(allow_nan=False, allow_infinity=False),
            st.booleans(),
        ),
        min_size=8,
        max_size=8,
    ),
    words=st.lists(st.sampled_from(VOCAB), min_size=1, max_size=6),
)
def test_ml_vocabulary_survives(keys: list[str], values: list[Any], words: list[str]) -> None:
    payload: dict[str, Any] = dict(zip(keys, values, strict=False))
    payload["summary"] = " ".join(words)
    out, counts = SCRUBBER.scrub_properties(payload)
    assert out == payload
    assert counts == Counter()


@PROPS
@given(
    payload=st.recursive(
        st.one_of(
            st.none(),
            st.booleans(),
            st.integers(),
            st.floats(),
            st.text(max_size=60),
            st.binary(max_size=10),
        ),
        lambda children: st.one_of(
            st.lists(children, max_size=6),
            st.dictionaries(st.one_of(st.text(max_size=20), st.integers()), children, max_size=6),
        ),
        max_leaves=40,
    )
)
def test_arbitrary_payloads_never_raise(payload: Any) -> None:
    limits = ScrubLimits(max_event_bytes=400, max_string=50, max_depth=4)
    out, counts = make(limits=limits).scrub_properties({"p": payload})
    check_bounded(out, limits)
    assert classes_of(counts) <= CLASSES
