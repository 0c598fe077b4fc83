"""`make check-dist`: the built wheel and sdist hold what the tree says they should.

twine checks the metadata renders; this checks what twine cannot: every module of the tree is in
both files and nothing else is (a stale `build/lib` or a package missing from pyproject's list
would show here), the shipped resources are there, the version is the one `_version.py` says, the
two commands are declared, and the base install pulls no Qt (the `gui` extra does).

Usage: python packaging/check_dist.py DIST_DIR   (exit 1 and one line per problem)
"""

from __future__ import annotations

import ast
import re
import sys
import tarfile
import zipfile
from email.parser import Parser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "peft_telemetry_gui"
RESOURCES = ROOT / "resources"
QT_DISTRIBUTIONS = ("pyside6", "pyside6-essentials", "pyqtgraph", "shiboken6")
COMMANDS = ("peft-telemetry", "peft-telemetry-gui")


def source_version() -> str:
    """Read, not imported: this runs in the dev venv, where an editable install could differ."""
    tree = ast.parse((PACKAGE / "_version.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__version__" for t in node.targets
        ):
            return str(ast.literal_eval(node.value))
    raise SystemExit("check_dist: no __version__ in peft_telemetry_gui/_version.py")


def tree_modules() -> set[str]:
    return {
        p.relative_to(ROOT).as_posix()
        for p in PACKAGE.rglob("*.py")
        if "__pycache__" not in p.parts
    }


def tree_resources() -> set[str]:
    return {p.relative_to(RESOURCES).as_posix() for p in RESOURCES.rglob("*") if p.is_file()}


def requirement_name(line: str) -> str:
    return re.split(r"[\s<>=!~;\[(]", line.strip(), maxsplit=1)[0].lower().replace("_", "-")


def check_wheel(wheel: Path, version: str) -> list[str]:
    problems: list[str] = []
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        info = f"peft_telemetry_gui-{version}.dist-info"
        metadata = Parser().parsestr(zf.read(f"{info}/METADATA").decode("utf-8"))
        entry_points = zf.read(f"{info}/entry_points.txt").decode("utf-8")
    modules = {n for n in names if n.endswith(".py")}
    for missing in sorted(tree_modules() - modules):
        problems.append(f"wheel: {missing} is missing (a package not in pyproject's list?)")
    for extra in sorted(modules - tree_modules()):
        problems.append(f"wheel: {extra} is not in the tree (stale build output?)")
    shipped = {
        n.removeprefix("peft_telemetry_gui/resources/")
        for n in names
        if n.startswith("peft_telemetry_gui/resources/")
    }
    for missing in sorted(tree_resources() - shipped):
        problems.append(f"wheel: resource {missing} is missing")
    if metadata["Version"] != version:
        problems.append(f"wheel: version {metadata['Version']}, _version.py says {version}")
    for command in COMMANDS:
        if not re.search(rf"^{re.escape(command)}\s*=", entry_points, re.MULTILINE):
            problems.append(f"wheel: no {command} command")
    base, gui = set(), set()
    for requirement in metadata.get_all("Requires-Dist") or []:
        name = requirement_name(requirement)
        if "extra ==" not in requirement:
            base.add(name)
        elif re.search(r"""extra\s*==\s*["']gui["']""", requirement):
            gui.add(name)
    for name in sorted(base & set(QT_DISTRIBUTIONS)):
        problems.append(f"wheel: the base install requires {name} (Qt belongs in the gui extra)")
    if not {"pyside6-essentials", "pyqtgraph"} <= gui:
        problems.append(f"wheel: the gui extra lacks PySide6-Essentials or pyqtgraph: {gui}")
    return problems


def check_sdist(sdist: Path, version: str) -> list[str]:
    prefix = f"peft_telemetry_gui-{version}/"
    with tarfile.open(sdist) as tf:
        names = {m.name.removeprefix(prefix) for m in tf.getmembers() if m.isfile()}
    wanted = tree_modules() | {f"resources/{r}" for r in tree_resources()}
    wanted |= {"pyproject.toml", "README.md", "PKG-INFO"}
    return [f"sdist: {name} is missing" for name in sorted(wanted - names)]


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    dist, version = Path(argv[0]), source_version()
    wheels = sorted(dist.glob(f"peft_telemetry_gui-{version}-*.whl"))
    sdists = sorted(dist.glob(f"peft_telemetry_gui-{version}.tar.gz"))
    if len(wheels) != 1 or len(sdists) != 1:
        print(f"check_dist: want one wheel and one sdist of {version} in {dist}", file=sys.stderr)
        return 1
    problems = check_wheel(wheels[0], version) + check_sdist(sdists[0], version)
    for problem in problems:
        print(f"check_dist: {problem}", file=sys.stderr)
    if not problems:
        print(f"check_dist: {wheels[0].name} and {sdists[0].name} hold the tree ({version})")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
