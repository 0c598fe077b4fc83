"""What users install: the package list, one version, no Qt in the base install, the desktop files.

Qt-free and quick; the wheel and sdist themselves are checked by `make check-dist`
(packaging/check_dist.py) and the app bundle by tests/gui/test_bundle.py (`pytest -m slow`),
both run by .ci/run.
"""

from __future__ import annotations

import fnmatch
import importlib.util
import os
import re
import shutil
import struct
import subprocess
import tomllib
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

import peft_telemetry_gui
from peft_telemetry_gui import _version

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
RESOURCES = ROOT / "resources"
DESKTOP = RESOURCES / "peft-telemetry-gui.desktop"
APP_ID = "org.peftstudio.PeftTelemetry"
METAINFO = RESOURCES / f"{APP_ID}.metainfo.xml"
ICON_SIZES = (16, 32, 48, 64, 128, 256)

needs_desktop_file_utils = pytest.mark.skipif(
    shutil.which("desktop-file-validate") is None,
    reason="needs desktop-file-validate (apt: desktop-file-utils; .ci/run installs it)",
)
needs_appstream = pytest.mark.skipif(
    shutil.which("appstreamcli") is None,
    reason="needs appstreamcli (apt: appstream; .ci/run installs it)",
)


def unlisted_packages(package_root: Path, listed: set[str]) -> list[str]:
    """Folders holding modules that pyproject does not list: setuptools leaves such a package
    out of the wheel without a warning, and the installed app fails on its first import."""
    found = {
        ".".join(p.parent.relative_to(package_root.parent).parts)
        for p in package_root.rglob("*.py")
        if "__pycache__" not in p.parts
    }
    return sorted(found - listed)


def requirement_names(requirements: list[str]) -> set[str]:
    return {re.split(r"[\s<>=!~;\[]", r, maxsplit=1)[0].lower() for r in requirements}


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", path
    return struct.unpack(">II", header[16:24])


def test_every_package_in_the_tree_is_listed_in_pyproject() -> None:
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    assert unlisted_packages(ROOT / "peft_telemetry_gui", listed) == []


def test_the_package_list_check_can_fail(tmp_path: Path) -> None:
    for module in ("pkg/__init__.py", "pkg/core/__init__.py", "pkg/extra/thing.py"):
        (tmp_path / module).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / module).write_text("")
    assert unlisted_packages(tmp_path / "pkg", {"pkg", "pkg.core"}) == ["pkg.extra"]


def test_one_version_source() -> None:
    assert PYPROJECT["project"]["dynamic"] == ["version"]
    assert "version" not in PYPROJECT["project"]
    attr = PYPROJECT["tool"]["setuptools"]["dynamic"]["version"]["attr"]
    assert attr == "peft_telemetry_gui._version.__version__"
    assert peft_telemetry_gui.__version__ == _version.__version__
    assigned = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "peft_telemetry_gui").rglob("*.py")
        if re.search(r"^__version__\s*=", p.read_text(encoding="utf-8"), re.MULTILINE)
    ]
    assert assigned == [os.path.join("peft_telemetry_gui", "_version.py")]


def test_the_base_install_brings_no_qt_and_the_gui_extra_does() -> None:
    project = PYPROJECT["project"]
    extras = project["optional-dependencies"]
    qt = {"pyside6", "pyside6-essentials", "pyqtgraph", "shiboken6"}
    assert requirement_names(project["dependencies"]) & qt == set()
    assert {"pyside6-essentials", "pyqtgraph"} <= requirement_names(extras["gui"])
    assert "pyinstaller" in requirement_names(extras["bundle"])
    assert {"build", "twine"} <= requirement_names(extras["packaging"])
    assert set(project["scripts"]) == {"peft-telemetry", "peft-telemetry-gui"}


def unshipped_resources(resources: Path, listed: set[str], data: dict[str, list[str]]) -> list[str]:
    """Files under resources/ the wheel would leave out: the app reads them at run time, and a
    sub-folder (translations, say) is a package of its own that needs listing and patterns."""
    missing = []
    for path in sorted(resources.rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts:
            continue
        parts = path.parent.relative_to(resources).parts
        package = ".".join(("peft_telemetry_gui", "resources", *parts))
        patterns = data.get(package, []) if package in listed else []
        if not any(fnmatch.fnmatch(path.name, pattern) for pattern in patterns):
            missing.append(path.relative_to(resources).as_posix())
    return missing


def test_every_resource_is_package_data() -> None:
    setuptools = PYPROJECT["tool"]["setuptools"]
    listed, data = set(setuptools["packages"]), setuptools["package-data"]
    assert unshipped_resources(RESOURCES, listed, data) == []


def test_the_resource_check_can_fail(tmp_path: Path) -> None:
    for name in ("texts.json", "notes.txt", "translations/de.qm"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    listed = {"peft_telemetry_gui.resources"}
    data = {"peft_telemetry_gui.resources": ["*.json"]}
    assert unshipped_resources(tmp_path, listed, data) == ["notes.txt", "translations/de.qm"]


@needs_desktop_file_utils
def test_the_desktop_file_validates_without_a_hint() -> None:
    proc = subprocess.run(
        ["desktop-file-validate", str(DESKTOP)], capture_output=True, text=True, timeout=60
    )
    assert (proc.returncode, proc.stdout + proc.stderr) == (0, "")


@needs_appstream
def test_the_metainfo_validates() -> None:
    proc = subprocess.run(
        ["appstreamcli", "validate", "--no-net", "--no-color", str(METAINFO)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_metainfo_describes_this_release_and_these_screenshots() -> None:
    root = ET.parse(METAINFO).getroot()
    assert root.findtext("id") == APP_ID
    assert (RESOURCES / root.findtext("launchable", "")).is_file()
    assert root.find("content_rating").get("type") == "oars-1.1"
    newest = root.find("releases/release")
    assert newest.get("version") == _version.__version__
    assert newest.find("description/p") is not None
    shots = {}
    for image in root.iterfind("screenshots/screenshot/image"):
        shots[image.text.rsplit("/", 1)[-1]] = (int(image.get("width")), int(image.get("height")))
    on_disk = {p.name: png_size(p) for p in (ROOT / "docs" / "screenshots").glob("*.png")}
    assert shots == on_disk


def test_the_desktop_file_names_shipped_icons() -> None:
    lines = DESKTOP.read_text(encoding="utf-8").splitlines()
    icon = next(line.split("=", 1)[1] for line in lines if line.startswith("Icon="))
    for size in ICON_SIZES:
        assert png_size(RESOURCES / "icons" / f"{icon}-{size}.png") == (size, size)
    assert (RESOURCES / "icons" / f"{icon}.svg").is_file()


def run_make(target: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", "-s", "-C", str(ROOT), target],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def make_env(home: Path, **extra: str) -> dict[str, str]:
    """Only what make needs: no XDG_DATA_HOME from the test run or the developer's session."""
    return {"PATH": os.environ["PATH"], "HOME": str(home), **extra}


def installed_files(share: Path) -> list[Path]:
    files = [share / "applications" / DESKTOP.name, share / "metainfo" / METAINFO.name]
    files += [share / f"icons/hicolor/{n}x{n}/apps/peft-telemetry.png" for n in ICON_SIZES]
    files.append(share / "icons/hicolor/scalable/apps/peft-telemetry.svg")
    return files


def test_install_desktop_puts_everything_under_xdg_data_home(tmp_path: Path) -> None:
    home, share = tmp_path / "home", tmp_path / "share"
    home.mkdir()
    proc = run_make("install-desktop", make_env(home, XDG_DATA_HOME=str(share)))
    assert proc.returncode == 0, proc.stderr
    for path in installed_files(share):
        assert path.is_file(), path
    for size in ICON_SIZES:
        icon = share / f"icons/hicolor/{size}x{size}/apps/peft-telemetry.png"
        assert png_size(icon) == (size, size)
    assert (share / "metainfo" / METAINFO.name).read_bytes() == METAINFO.read_bytes()
    assert list(home.iterdir()) == []  # nothing beside XDG_DATA_HOME

    # The menu entry starts a command that exists: the one on PATH, or this clone's venv.
    entry = (share / "applications" / DESKTOP.name).read_text(encoding="utf-8")
    command = re.search(r"^Exec=(.*)$", entry, re.MULTILINE).group(1)
    assert re.search(r"^TryExec=(.*)$", entry, re.MULTILINE).group(1) == command
    assert shutil.which(command, path=os.environ["PATH"]), command
    if shutil.which("desktop-file-validate"):
        proc = subprocess.run(
            ["desktop-file-validate", str(share / "applications" / DESKTOP.name)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert (proc.returncode, proc.stdout) == (0, "")

    proc = run_make("uninstall-desktop", make_env(home, XDG_DATA_HOME=str(share)))
    assert proc.returncode == 0, proc.stderr
    assert [p for p in installed_files(share) if p.exists()] == []


@pytest.mark.parametrize("xdg", [None, ""], ids=["unset", "empty"])
def test_install_desktop_without_xdg_data_home_uses_local_share(
    tmp_path: Path, xdg: str | None
) -> None:
    """The XDG rule: unset or empty means ~/.local/share."""
    env = make_env(tmp_path) if xdg is None else make_env(tmp_path, XDG_DATA_HOME=xdg)
    proc = run_make("install-desktop", env)
    assert proc.returncode == 0, proc.stderr
    for path in installed_files(tmp_path / ".local" / "share"):
        assert path.is_file(), path


def load_check_dist() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_dist", ROOT / "packaging/check_dist.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fake_wheel(path: Path, modules: set[str], requires: list[str], version: str) -> Path:
    """A wheel's layout with the given contents: enough for the checker, no build needed."""
    info = f"peft_telemetry_gui-{version}.dist-info"
    metadata = ["Metadata-Version: 2.4", "Name: peft-telemetry-gui", f"Version: {version}"]
    metadata += [f"Requires-Dist: {r}" for r in requires]
    with zipfile.ZipFile(path, "w") as zf:
        for name in modules:
            zf.writestr(name, "")
        for p in RESOURCES.rglob("*"):
            if p.is_file():
                zf.writestr(f"peft_telemetry_gui/resources/{p.relative_to(RESOURCES)}", "")
        zf.writestr(f"{info}/METADATA", "\n".join(metadata) + "\n")
        zf.writestr(
            f"{info}/entry_points.txt",
            "[console_scripts]\npeft-telemetry = a:b\npeft-telemetry-gui = c:d\n",
        )
    return path


def test_the_wheel_check_passes_a_whole_wheel_and_names_what_is_wrong(tmp_path: Path) -> None:
    check = load_check_dist()
    version = check.source_version()
    assert version == _version.__version__
    modules = check.tree_modules()
    gui = ['PySide6-Essentials>=6.6; extra == "gui"', 'pyqtgraph>=0.13.4; extra == "gui"']
    whole = fake_wheel(tmp_path / "whole.whl", modules, ["msgspec>=0.18", *gui], version)
    assert check.check_wheel(whole, version) == []

    left_out = sorted(modules)[0]
    broken = fake_wheel(
        tmp_path / "broken.whl",
        (modules - {left_out}) | {"peft_telemetry_gui/stale.py"},
        ["PySide6-Essentials>=6.6", *gui],
        version,
    )
    problems = check.check_wheel(broken, version)
    assert problems == [
        f"wheel: {left_out} is missing (a package not in pyproject's list?)",
        "wheel: peft_telemetry_gui/stale.py is not in the tree (stale build output?)",
        "wheel: the base install requires pyside6-essentials (Qt belongs in the gui extra)",
    ]
