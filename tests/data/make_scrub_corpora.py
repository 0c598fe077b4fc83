"""Writes the scrubber's two corpora: secrets that must never survive, look-alikes that must.

Why generated: a corpus of real keys would be a leak, and a hand-typed one drifts from the
shapes providers actually issue. Every value comes from one seeded ``random.Random`` walked in a
fixed order and no wall clock is read, so running this twice gives identical bytes; a test
regenerates into a temporary folder and compares with the files in the repo.

The value generators live in ``_corpus_gen.py``; the secret classes in ``_corpus_secrets.py``,
``_corpus_tokens.py``, ``_corpus_auth.py`` and ``_corpus_paths.py``; the benign classes in
``_corpus_benign.py`` with their fixed lists in ``_corpus_lists.py`` (split only to keep each
module short).

Run: ``python tests/data/make_scrub_corpora.py [OUT_DIR]`` (default: this folder).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from _corpus_benign import BENIGN_CLASSES
from _corpus_gen import HOME, HOST_NAME, SEED, USER_NAME, Gen
from _corpus_secrets import SECRET_CLASSES

SECRETS_FILE = "scrub_secrets.jsonl"
BENIGN_FILE = "scrub_benign.jsonl"
__all__ = ["HOME", "HOST_NAME", "SEED", "USER_NAME", "write_corpora"]


def secret_cases(gen: Gen) -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = []
    for name, build in SECRET_CLASSES:
        for value, secrets in build(gen):
            blob = json.dumps(value, ensure_ascii=False) + "\n" + _strings(value)
            for secret in secrets:  # a secret that is not in its input would test nothing
                if secret.lower() not in blob.lower() or len(secret) < 4:
                    raise AssertionError(f"{name}: bad secret {secret!r} for {value!r}")
            cases.append({"class": name, "input": value, "secrets": secrets})
    return cases


def benign_cases(gen: Gen) -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = []
    seen: set[str] = set()
    for name, build in BENIGN_CLASSES:
        for value in build(gen):
            key = json.dumps(value, sort_keys=True)
            if key in seen:  # duplicates would inflate the kept rate
                continue
            seen.add(key)
            cases.append({"class": name, "input": value})
    return cases


def _strings(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return "\n".join(_strings(k) + "\n" + _strings(v) for k, v in value.items())
    if isinstance(value, list):
        return "\n".join(_strings(v) for v in value)
    return ""


def write_corpora(out_dir: Path) -> list[Path]:
    gen = Gen(SEED)
    written = []
    for file_name, rows in ((SECRETS_FILE, secret_cases(gen)), (BENIGN_FILE, benign_cases(gen))):
        path = out_dir / file_name
        text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
        path.write_bytes(text.encode("utf-8"))
        written.append(path)
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent
    for written_path in write_corpora(target):
        print(written_path)
