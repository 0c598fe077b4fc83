"""The rule tester's core: which rule removed what, for text and for event properties.

Written against the marker grammar ("[" + rule id + "]", rule id ``class`` or ``class:kind``),
not a fixed list, so these hold whether the scrubber says ``[token]`` or ``[token:aws]``. Every
secret-looking value is generated from a seeded RNG or is obviously fake.
"""

from __future__ import annotations

import json
import random
import re
import string
from pathlib import Path

import pytest

from peft_telemetry_gui.core.scrub import Scrubber, ScrubLimits
from peft_telemetry_gui.core.scrub.alignment import MAX_FINDINGS, MAX_MARKERS, align
from peft_telemetry_gui.core.scrub.explain import (
    PSEUDONYM_NOTE,
    UNLOCATED_NOTE,
    Finding,
    ScrubExplanation,
    elide,
    explain,
    explain_input,
    label_of,
    new_tester_scrubber,
    parse_input,
)
from peft_telemetry_gui.core.scrub.markers import TRUNCATED_SUFFIX

RNG = random.Random(10)
AWS_ID = "AKIA" + "".join(RNG.choice(string.ascii_uppercase + "234567") for _ in range(16))
GITHUB = "ghp_" + "".join(RNG.choice(string.ascii_letters + string.digits) for _ in range(36))
EMAIL = "carol.doe@example.com"
_MARKER = re.compile(r"\[[a-z][a-z0-9_]*(?::[A-Za-z0-9][A-Za-z0-9_.+-]*)?\]")


def scrubber(**limits: int) -> Scrubber:
    return Scrubber(
        hmac_key=b"explain-test-key" * 2,
        user_name="alice",
        host_name="gpu-7",
        home="/home/alice",
        limits=ScrubLimits(**limits),
    )


def cls(rule: str) -> str:
    return rule.partition(":")[0]


def rebuild(result: ScrubExplanation) -> str:
    """Put every finding's removed text back in place of its marker: must give the input."""
    out, tail = result.output, ""
    findings = list(result.findings)
    if out.endswith(TRUNCATED_SUFFIX):
        out, tail = out[: -len(TRUNCATED_SUFFIX)], findings.pop().removed or ""
    pos, parts = 0, []
    for f in findings:
        marker = "[redacted]" if f.rule == "sensitive_key" else f"[{f.rule}]"
        i = out.index(marker, pos)
        parts += [out[pos:i], f.removed]
        pos = i + len(marker)
    return "".join(parts) + out[pos:] + tail


# ------------------------------------------------------------------------- free text


def test_text_lists_each_rule_with_what_it_removed() -> None:
    text = f"mail {EMAIL} about key {AWS_ID} from gpu-7"
    result = explain(text, scrubber())
    assert result.kind == "text"
    assert EMAIL not in result.output and AWS_ID not in result.output
    found = {cls(f.rule): f.removed for f in result.findings}
    assert found == {"email": EMAIL, "token": AWS_ID, "host": "gpu-7"}
    assert all(f.where == "" and not f.in_key for f in result.findings)
    assert sum(result.counts.values()) == len(result.findings) == 3
    assert result.unlocated == {} and result.notes == ()
    assert rebuild(result) == text
    assert result.summary.startswith("Read as free text: removed ")


@pytest.mark.parametrize(
    "text",
    [
        "/home/alice/runs/7/train.jsonl",
        "token=" + GITHUB + " and more",
        "https://bob:" + GITHUB[4:14] + "@example.com/x",
        f"{EMAIL}, {EMAIL}; alice_notes on gpu-7",
        "word " * 300,
        f"{EMAIL} " + "word " * 300,
    ],
)
def test_findings_put_back_give_the_input(text: str) -> None:
    """Whatever the rule, marker by marker, the removed texts are exactly what was replaced."""
    result = explain(text, scrubber())
    assert result.findings and result.unlocated == {}
    assert all(f.removed for f in result.findings)
    assert rebuild(result) == text


def _gen(n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return "".join(RNG.choice(alphabet) for _ in range(n))


LOOK_LIKE_EVERY_CLASS = [
    "see \\\\fs01\\share\\x.txt now",
    "C:\\Users\\alice\\proj\\train.jsonl",
    "/mnt/c/Users/bob/data/train.csv and file:///home/bob/notes.txt",
    "mail carol.doe%40example.com or carol&#64;example.com",
    "-----BEGIN RSA PRIVATE KEY-----\n"
    + _gen(64)
    + "\n"
    + _gen(64)
    + "\n-----END RSA PRIVATE KEY-----",
    "jwt eyJ" + _gen(20) + ".eyJ" + _gen(30) + "." + _gen(43),
    "AccountName=x;AccountKey=" + _gen(86) + "==;EndpointSuffix=core.windows.net",
    "call +44 20 7946 0958, card 4111 1111 1111 1111",
    "aws_secret_access_key=" + _gen(40) + " and glpat-" + _gen(20),
    "ip 10.1.2.3 mac 00:1a:2b:3c:4d:5e, value " + _gen(40),
    "train.py --password fake-pw --token y; user alice on gpu-7.corp.example",
    "https://bob:pw@example.com/x?token=" + _gen(30),
]


@pytest.mark.parametrize("text", LOOK_LIKE_EVERY_CLASS)
def test_every_removal_is_located(text: str) -> None:
    """Whatever a rule does to the text around what it removes, the tester still finds it: a
    rule that rewrites more than its own match shows up here as "(not located)"."""
    result = explain(text, scrubber())
    assert result.findings
    assert [f for f in result.findings if f.removed is None] == [] and result.unlocated == {}


def test_truncation_is_a_finding_with_the_cut_off_tail() -> None:
    text = "word " * 300
    result = explain(text, scrubber())
    last = result.findings[-1]
    assert last.rule == "truncated" and result.output.endswith(TRUNCATED_SUFFIX)
    assert text.startswith(result.output[: -len(TRUNCATED_SUFFIX)])
    assert result.output[: -len(TRUNCATED_SUFFIX)] + last.removed == text


def test_brackets_that_are_no_rule_stay_text() -> None:
    """``[INFO]`` is not a marker, and neither is a marker the input already held."""
    result = explain(f"[INFO] done [email] then {EMAIL}", scrubber())
    assert [(f.rule, f.removed) for f in result.findings] == [("email", EMAIL)]
    assert result.output.startswith("[INFO] done [email] then ")
    assert explain("[INFO] [email] [path]", scrubber()).findings == ()


def test_typed_markers_align_by_grammar() -> None:
    """The next scrubber's markers (``class:kind``, kept file names) need no code change."""
    source = f"key {AWS_ID} at /srv/data/x/data"
    spans = align(source, "key [token:aws] at [path]/data", {"token:aws", "path"}, 1000)
    # The last literal is anchored at the end: "/srv" alone would leave "/x/data" unexplained.
    assert spans == [("token:aws", AWS_ID), ("path", "/srv/data/x")]
    assert align(source, "key [token:aws] at [path]/elsewhere", {"token:aws", "path"}, 1000) is None
    assert align("ab", "[user][host]", {"user", "host"}, 1000) is None  # adjacent: no guess
    # A kept file name is written after "/" whatever separator the input used.
    unc = "see \\\\fs01\\share\\x.txt now"
    assert align(unc, "see [path]/x.txt now", {"path"}, 1000) == [("path", "\\\\fs01\\share")]


def test_alignment_failure_falls_back_to_rule_and_count() -> None:
    """More markers than the alignment will try: still listed, by rule, with removed=None."""
    emails = " ".join(f"u{i}@example.com" for i in range(MAX_MARKERS + 6))
    result = explain(emails, scrubber(max_string=5000))
    assert len(result.findings) == MAX_MARKERS + 6
    assert {(f.rule, f.removed) for f in result.findings} == {("email", None)}
    assert result.unlocated == {} and UNLOCATED_NOTE in result.notes
    assert all(r[3] == "(not located)" for r in result.rows())


def test_labels_fall_back_to_class_then_to_the_raw_id() -> None:
    assert label_of("email") == "e-mail address"
    assert "e-mail address" in label_of("email:zz-test-kind")
    assert label_of("no_such_class") == "no_such_class"


def test_elide_keeps_start_and_end() -> None:
    text = "x" * 30 + "MIDDLE" + "y" * 60
    shown = elide(text)
    assert len(shown) == 60 and shown.startswith("x" * 29) and shown.endswith("y" * 30)
    assert "…" in shown and "MIDDLE" not in shown
    assert elide("short") == "short"


# ------------------------------------------------------------------------- properties


def test_properties_say_where_each_removal_was() -> None:
    props = {
        "dataset_path": "/home/alice/data/train.jsonl",
        "api_key": GITHUB,
        "user_id": 7,
        "nested": {"notes": ["ok", EMAIL], "loss": float("nan")},
        EMAIL: 1,
        "b.doe@example.com": 2,
        "auth_required": True,
    }
    result = explain(props, scrubber())
    assert result.kind == "properties"
    assert GITHUB not in json.dumps(result.output) and EMAIL not in json.dumps(result.output)
    got = [(cls(f.rule), f.removed, f.place) for f in result.findings]
    assert got == [
        ("path", "/home/alice/data", "dataset_path"),
        ("sensitive_key", GITHUB, "api_key"),
        ("identifier", "7", "user_id"),
        ("email", EMAIL, "nested.notes[1]"),
        ("invalid", "NaN", "nested.loss"),
        ("email", EMAIL, '["[email]"] (name)'),
        ("email", "b.doe@example.com", '["[email]~2"] (name)'),  # de-duplicated name
    ]
    assert result.output["auth_required"] is True
    assert result.unlocated == {} and PSEUDONYM_NOTE in result.notes
    json.dumps(result.payload())  # all of it is JSON


def test_a_top_level_array_is_properties_with_index_paths() -> None:
    result = explain_input(json.dumps([1, EMAIL, {"password": "hunter2-fake"}]), scrubber())
    assert result.kind == "properties" and isinstance(result.output, list)
    got = [(cls(f.rule), f.removed, f.where) for f in result.findings]
    assert got == [("email", EMAIL, "[1]"), ("sensitive_key", "hunter2-fake", "[2].password")]
    assert result.summary.startswith("Read as event properties: removed ")


def test_bounds_are_findings_too() -> None:
    deep = explain({"a": {"b": {"c": 1}}}, scrubber(max_depth=2))
    assert [(f.rule, f.removed, f.where) for f in deep.findings] == [
        ("truncated", '{"c": 1}', "a.b")
    ]
    big = explain({"small": "ok", "blob": "z " * 300}, scrubber(max_event_bytes=200))
    assert [(f.rule, f.where) for f in big.findings] == [("dropped", "blob")]
    assert big.findings[0].removed == "z " * 300


def test_entries_never_seen_are_counted_not_invented() -> None:
    result = explain({f"k{i}": i for i in range(5)}, scrubber(max_keys=3))
    assert result.findings == () and result.unlocated == {"dropped": 2}
    assert result.rows() == [("dropped", "value dropped", "", "(2 not shown)")]
    assert UNLOCATED_NOTE in result.notes


def test_findings_are_bounded() -> None:
    props = {f"k{i}": " ".join(f"u{i}x{j}@example.com" for j in range(10)) for i in range(60)}
    result = explain(props, scrubber(max_event_bytes=1_000_000))
    assert len(result.findings) == MAX_FINDINGS
    assert result.unlocated == {"email": 600 - MAX_FINDINGS}


# ------------------------------------------------------------------------- input rule


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ('{"a": 1}', dict),
        ("  [1, 2]\n", list),
        ("42", str),
        ('"just a string"', str),
        ("[INFO] started", str),
        ("{not json", str),
        ("[" * 100_000, str),  # too deep for the parser: still text, no RecursionError
        ("", str),
    ],
)
def test_json_objects_and_arrays_are_properties_everything_else_text(text: str, kind: type) -> None:
    parsed = parse_input(text)
    assert isinstance(parsed, kind)
    if kind is str:
        assert parsed == text


def test_tester_scrubber_is_this_machine_with_a_throwaway_key() -> None:
    a, b = new_tester_scrubber(), new_tester_scrubber()
    assert a.hash_identifier("7") != b.hash_identifier("7")
    home = str(Path.home()).rstrip("/")
    if len(home) >= 3:  # the scrubber only knows homes of three characters or more
        result = explain(f"{home}/runs/train.jsonl", a)
        assert [(cls(f.rule), f.removed) for f in result.findings] == [("path", f"{home}/runs")]


def test_finding_payload_round_trips() -> None:
    f = Finding("token:aws", label_of("token:aws"), AWS_ID, "a.b", in_key=True)
    assert f.payload() == {
        "rule": "token:aws",
        "label": label_of("token:aws"),
        "removed": AWS_ID,
        "where": "a.b",
        "in_key": True,
    }
    assert f.place == "a.b (name)"
    assert all(_MARKER.fullmatch(f"[{r}]") for r in ("email", "token:aws", "path"))
