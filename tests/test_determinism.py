"""Demo data in tests and benchmarks is pinned to a fixed "now", never the wall clock.

`demo_events` and `generate_demo` lay sessions out backwards from "now". Built from the wall
clock, the data changed with the hour of the run: a test of a one-day window passed every
morning and failed every afternoon UTC, because after 13:00 the window held a single value.
So every call in the test and benchmark sources must say `now=` (a fixed datetime).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCANNED = (ROOT / "tests", ROOT / "bench")
BUILDERS = frozenset({"demo_events", "generate_demo"})


def unpinned_calls(source: str, filename: str) -> list[str]:
    """`file:line: call` for each demo builder called without a `now=` other than None.

    By the syntax tree rather than by line, so a call split over lines, one through the module
    (`demo.generate_demo(...)`) or one with `now=None` (the wall clock again) are judged right.
    """
    found: list[tuple[int, int, str]] = []
    for node in ast.walk(ast.parse(source, filename)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if name not in BUILDERS:
            continue
        now = next((k.value for k in node.keywords if k.arg == "now"), None)
        if now is None or (isinstance(now, ast.Constant) and now.value is None):
            text = (ast.get_source_segment(source, node) or name).splitlines()[0]
            found.append((node.lineno, node.col_offset, f"{filename}:{node.lineno}: {text}"))
    return [message for _line, _col, message in sorted(found)]


def scan(roots: Iterable[Path]) -> list[str]:
    """Every unpinned call under `roots`; a file that does not parse is reported, not skipped,
    since it could hide one."""
    problems = []
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            name = path.relative_to(root.parent).as_posix()
            try:
                problems.extend(unpinned_calls(path.read_text(encoding="utf-8"), name))
            except (SyntaxError, UnicodeDecodeError) as exc:
                problems.append(f"{name}: cannot be checked ({exc})")
    return problems


def test_demo_data_in_tests_and_benchmarks_never_comes_from_the_wall_clock() -> None:
    problems = scan(SCANNED)
    assert not problems, "pass now=<a fixed datetime>:\n" + "\n".join(problems)


# Written through placeholders so that this file's own lines are not calls without `now=`.
_PLANTED = """\
from peft_telemetry_gui.core import demo
from peft_telemetry_gui.core.demo import {events}, {store}

a = {events}(days=3)
b = {events}(days=3, now=NOW)
c = demo.{store}(store, seed=1)
d = {events}(
    days=3,
)
e = {events}(days=3, now=None)
f = {store}(store, days=2, now=NOW)
g = {events}  # a reference, not a call
"""


def test_the_scan_names_each_unpinned_call_by_file_and_line(tmp_path: Path) -> None:
    folder = tmp_path / "tests"
    (folder / "sub").mkdir(parents=True)
    events, store = "demo_events", "generate_demo"
    (folder / "sub" / "test_planted.py").write_text(_PLANTED.format(events=events, store=store))
    (folder / "test_fine.py").write_text(f"x = {events}(days=1, now=NOW)\n")
    planted = "tests/sub/test_planted.py"
    assert scan([folder]) == [
        f"{planted}:4: {events}(days=3)",
        f"{planted}:6: demo.{store}(store, seed=1)",
        f"{planted}:7: {events}(",
        f"{planted}:10: {events}(days=3, now=None)",
    ]


def test_a_file_that_does_not_parse_is_reported_not_skipped(tmp_path: Path) -> None:
    (tmp_path / "test_broken.py").write_text("def (:\n")
    [problem] = scan([tmp_path])
    assert problem.startswith(f"{tmp_path.name}/test_broken.py: cannot be checked")
