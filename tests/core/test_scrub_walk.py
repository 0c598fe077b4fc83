"""The walk's shape rules and its fast path.

* A list says by position what a dict says by key: ``[("password", "x")]`` and
  ``["--password", "x"]`` lose the value exactly as ``{"password": "x"}`` does.
* The fast path for flat dicts of scalars answers from the caches a first event fills; it must
  give the general walk's answer for every input, which a cold scrubber (empty caches, so
  always the walk) provides.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peft_telemetry_gui.core.scrub import Scrubber, ScrubLimits

KEY = b"walk-test-key-0123456789abcdef!!"


def make(**kwargs: Any) -> Scrubber:
    return Scrubber(
        hmac_key=KEY, user_name="alice", host_name="gpu-7", home="/home/alice", **kwargs
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ([("password", "hunter2")], [["password", "[redacted]"]]),
        ((("secret", "s3cr3t-value"),), [["secret", "[redacted]"]]),
        ([["api_key", "k-123"], ["model", "lora"]], [["api_key", "[redacted]"], ["model", "lora"]]),
        (["--password", "hunter2"], ["--password", "[redacted]"]),
        (["-api-key", "abc"], ["-api-key", "[redacted]"]),
        (
            ["train.py", "--hf-token", "zzz", "--max-tokens", "512", "--lora-alpha", "16"],
            ["train.py", "--hf-token", "[redacted]", "--max-tokens", "512", "--lora-alpha", "16"],
        ),
        (["--client_secret", "abc", "--verbose"], ["--client_secret", "[redacted]", "--verbose"]),
    ],
)
def test_a_secret_given_by_position_is_removed(value: object, expected: list[Any]) -> None:
    out, counts = make().scrub_properties({"argv": value})
    assert out == {"argv": expected}
    assert counts["sensitive_key"] == 1
    assert "hunter2" not in json.dumps(out)


@pytest.mark.parametrize(
    "value",
    [
        ["email", "password"],  # a list of field names
        ["--token", "--verbose"],  # a flag that takes no value
        ["--password"],  # nothing follows
        ("auth_required", True),  # a boolean carries no secret, as for dict keys
        ["--lr", "-0.5", "--pad-token", "</s>"],  # benign flags; a negative number is a value
        ["model", "lora"],
    ],
)
def test_lists_without_a_positional_secret_are_kept(value: object) -> None:
    out, counts = make().scrub_properties({"v": value})
    assert out == {"v": json.loads(json.dumps(value))}
    assert counts == Counter()


def test_a_pair_naming_an_identifier_is_pseudonymised() -> None:
    scrubber = make()
    out, counts = scrubber.scrub_properties({"v": [("user_id", 42)]})
    assert out == {"v": [["user_id", scrubber.hash_identifier(42)]]}
    assert counts == Counter({"identifier": 1})


SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(
        ["lora", "/home/alice/data/train.jsonl", "x@example.com", "meta-llama/Llama-2-7b-hf"]
    ),
    st.text(max_size=40),
    st.text(min_size=250, max_size=1100),
)
KEYS = st.one_of(
    st.sampled_from(["rank", "password", "user_id", "email", "alice_run", "[email]", "a@x.com"]),
    st.text(max_size=20),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events=st.lists(st.dictionaries(KEYS, SCALARS, max_size=12), min_size=1, max_size=4))
def test_the_fast_path_gives_the_walks_answer(events: list[dict[str, Any]]) -> None:
    limits = ScrubLimits(max_string=300, max_keys=8, max_event_bytes=600)
    warm = make(limits=limits)
    for props in events:
        warm.scrub_properties(props)  # fills the caches the fast path reads
    for props in events:
        assert warm.scrub_properties(props) == make(limits=limits).scrub_properties(props)


def test_keys_that_scrub_to_the_same_text_still_both_survive_when_warm() -> None:
    scrubber = make()
    props = {"a@x.com": 1, "b@y.com": 2}
    first = scrubber.scrub_properties(props)
    assert scrubber.scrub_properties(props) == first
    assert len(first[0]) == 2
