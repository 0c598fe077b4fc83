"""Print the per-class tables of the scrubbing corpora, for docs/privacy.md and reviews.

Run: `.venv/bin/python scripts/scrub_corpora_report.py [--failures]`. It reuses the evaluation
of tests/core/test_scrub_corpora.py (loaded by path, so the numbers in the docs are the numbers
the test asserts) and exits 1 when a goal is missed, like the test.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEST = ROOT / "tests" / "core" / "test_scrub_corpora.py"


def main(argv: list[str]) -> int:
    spec = importlib.util.spec_from_file_location("scrub_corpora_test", TEST)
    if spec is None or spec.loader is None:
        print(f"cannot load {TEST}", file=sys.stderr)
        return 2
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    scrubber = module.corpus_scrubber()
    ok = True
    for report, goal in ((module.secret_report, 1.0), (module.benign_report, module.BENIGN_GOAL)):
        rows, text = report(scrubber)
        if "--failures" not in argv:
            text = text.split("\nfirst failures:")[0]
        print(text, end="\n\n")
        cases, passed = sum(r[1] for r in rows), sum(r[2] for r in rows)
        per_class = goal < 1.0 or all(p == n for _, n, p in rows)
        ok = ok and per_class and passed >= goal * cases
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
