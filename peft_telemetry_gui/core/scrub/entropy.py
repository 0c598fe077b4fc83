"""Secrets with no known format, found because they look random (detect-secrets' idea).

A candidate is a run of base64/base64url characters (letters, digits, ``+/_-.``, trailing
``=``) of at least 20 characters. It becomes ``[secret]`` only if all of these hold:

* its Shannon entropy reaches a threshold that grows with its length (a random 20-character
  string cannot reach the 4.5 bits per character detect-secrets uses for long ones);
* at least 16 of its characters sit in *random-looking segments* (it is split at ``-_/.+=``).
  A segment looks random when most of it is one- or two-character case/digit fragments
  (``wJ7qXz``), or when most pairs of adjacent letters are rare in English and in code (``qzkv``
  versus ``llama``, ``causal``). This is what lets model and dataset ids
  (``TheBloke/Mixtral-8x7B-Instruct-v0.1-GGUF``), class names (``LlamaForCausalLM``), snake and
  camel identifiers, relative paths, version strings and pod names (``trainer-7d9f8c6b5-x2k4p``:
  two short random parts, 14 characters) through;
* it is not a sequence or keyboard walk (``abcdef...``, ``qwerty...``, ``1q2w3e...``) and not a
  template placeholder (``${DB_PASSWORD_FOR_PRODUCTION}``, ``{{ x }}``).

Hex-only runs (also in dash-separated groups) are judged on their digits: UUIDs and digests of
the lengths md5, sha1 (git commits), sha224, sha256, sha384 and sha512 produce (32, 40, 56, 64,
96, 128) are benign checksums and ids and survive; other hex runs of 20 or more with digits and
letters are secrets.

Known misses: random strings shorter than 20 characters, single-case letters-only strings made
of common letter pairs, and hex secrets whose length happens to be a digest length.
"""

from __future__ import annotations

import math
import re
from itertools import pairwise

from .markers import bump

CANDIDATE = re.compile(r"[A-Za-z0-9+/_\-.]{20,}={0,2}")
# Hex, possibly in dash-separated groups like a UUID: judged on its digits alone.
_HEX = re.compile(r"[0-9a-fA-F]+(?:-[0-9a-fA-F]+)*")
_SEGMENTS = re.compile(r"[-_/.+=]+")
_TOKENS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
# Case or letter/digit changes (``aB``, ``a1``, ``1a``): noise has one every two characters,
# identifiers one per word. A candidate with few of them and no long run of letters (where
# spelling is all there is to judge) is an identifier, and the costly checks are skipped.
_SWITCH = re.compile(r"[a-z](?=[A-Z0-9])|[A-Z](?=[0-9])|[0-9](?=[A-Za-z])")
_LETTER_RUN = re.compile(r"[A-Za-z]{16}")
_DIGEST_LENGTHS = frozenset({32, 40, 56, 64, 96, 128})
_MIN_RANDOM_CHARS = 16
_C_LOG_C = (0.0, *(c * math.log2(c) for c in range(1, 1025)))

# The 200 most frequent letter pairs in English prose and Python identifiers (measured by this
# project on the CPython standard library's sources, case folded). Pairs outside it are rare.
_PAIRS = """
    on se re er in te es at st de or ti el en et io al ar me th nt le co ta tr ra is ed ne li
    an ce ge lf no ro it am ct he ec ri ur as na ou nd pa ac ng to pe ma ns ic ss ef si fi od
    ex rt la if lo rn po id di ke nc om so ap rs ot ve un ch fo ea ty tu ca ut cl ue pr mp em
    da il gr va im ul ig be ag ll ol ad lu ts cr ck us ls sc pl yp lt up ha op ai tt rc mo ep
    su pt rr sp ni ba ie fa hi ab ee oc um ho ph of ow bl vi gs ia ib fr rg qu do ry ey mi os
    ru eg bu au pp ir nf rm wo ev xt wi sh ip sa dg ci ws cu aw ob tc gi ld rd we ds bo ht dd
    pi wa py rk ff fe oo eq nx cc pu ms ps nu fu ei nn gh ua nv
"""
_COMMON_PAIRS = frozenset(_PAIRS.split())
_SEQUENCES = (
    "abcdefghijklmnopqrstuvwxyz" * 2,
    "0123456789" * 3,
    "0123456789abcdef" * 2,
    "qwertyuiopasdfghjklzxcvbnm" * 2,
    "1234567890qwertyuiopasdfghjklzxcvbnm",
    "1q2w3e4r5t6y7u8i9o0p",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
)


def scrub_entropy(text: str, counts: dict[str, int]) -> str:
    """Replace random-looking runs by ``[secret]``."""
    if CANDIDATE.search(text) is None:
        return text

    def sub(match: re.Match[str]) -> str:
        whole = match.group(0)
        start = match.start()
        if start and text[start - 1] in "${%<":
            return whole  # ${SECRET_NAME}, %SECRET%: a placeholder, not a value
        run = whole.strip(".")  # a sentence's full stop is not part of the value
        if not looks_random(run.rstrip("=")):
            return whole
        bump(counts, "secret")
        head = whole[: len(whole) - len(whole.lstrip("."))]
        return head + "[secret]" + whole[len(head) + len(run) :]

    return CANDIDATE.sub(sub, text)


def looks_random(run: str) -> bool:
    n = len(run)
    if n < 20:
        return False
    if _HEX.fullmatch(run) is not None:
        return _hex_secret(run.replace("-", ""))
    if len(_SWITCH.findall(run)) < 4 and _LETTER_RUN.search(run) is None:
        return False
    if entropy(run) < min(4.0, 3.2 + 0.025 * (n - 20)):
        return False
    random_chars = 0
    for segment in _SEGMENTS.split(run):
        if len(segment) >= 3 and _segment_random(segment):
            random_chars += len(segment)
            if random_chars >= _MIN_RANDOM_CHARS:
                return not _is_sequence(run)
    return False


def entropy(text: str) -> float:
    """Shannon entropy in bits per character."""
    n = len(text)
    if n <= len(_C_LOG_C):
        return math.log2(n) - sum(map(_C_LOG_C.__getitem__, map(text.count, set(text)))) / n
    return math.log2(n) - sum(c * math.log2(c) for c in map(text.count, set(text))) / n


def _hex_secret(run: str) -> bool:
    if len(run) < 20 or len(run) in _DIGEST_LENGTHS or run.isdigit() or run.isalpha():
        return False
    if _is_sequence(run):
        return False
    return entropy(run) >= min(3.2, 2.7 + 0.01 * (len(run) - 20))


def _segment_random(segment: str) -> bool:
    if segment.isdigit():
        return False
    tokens = _TOKENS.findall(segment)
    short = sum(len(t) for t in tokens if len(t) <= 2)
    if short * 2 >= len(segment):
        return True
    # Acronyms (GPT, XLM) are not words to judge by spelling, unless the segment has no
    # lower-case letters at all and spelling is all there is to judge.
    acronym = 3 if any(c.islower() for c in segment) else 0
    pairs = rare = 0
    for token in tokens:
        if token.isdigit() or (len(token) <= acronym and token.isupper()):
            continue
        low = token.lower()
        for i in range(len(low) - 1):
            pairs += 1
            if low[i : i + 2] not in _COMMON_PAIRS:
                rare += 1
    if pairs >= 3 and rare * 2 >= pairs:
        return True
    # Many short fragments with some misspelling: mixed-case noise (T5GOBUSZGi6HWGK10Zb).
    return len(tokens) * 3 > len(segment) and rare * 10 >= pairs * 3


def _is_sequence(run: str) -> bool:
    """A keyboard walk, or mostly ascending runs (``abcdefghijklmnopqrstuvwxyz0123456789``)."""
    low = run.lower()
    if any(low in seq for seq in _SEQUENCES):
        return True
    steps = sum(1 for a, b in pairwise(low) if ord(b) - ord(a) == 1)
    return steps * 10 >= (len(low) - 1) * 7
