"""The one-folder app bundle (`make bundle`, packaging/peft-telemetry-gui.spec) starts and paints.

Marked `slow` (not in `make test`; .ci/run runs `pytest -m slow`): it builds the bundle when
there is none, which takes a minute or two. The bundled binary runs with an environment that
has no Python of ours in it, so a module or resource PyInstaller missed fails here, not on a
user's machine.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from peft_telemetry_gui import __version__

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "dist" / "bundle" / "peft-telemetry-gui"
BINARY = BUNDLE / "peft-telemetry-gui"

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


@pytest.fixture(scope="module")
def binary() -> Path:
    if not BINARY.exists():
        proc = subprocess.run(
            ["make", "--no-print-directory", "-C", str(ROOT), "bundle"],
            capture_output=True,
            text=True,
            timeout=840,
        )
        assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert os.access(BINARY, os.X_OK), BINARY
    return BINARY


def bare_env(home: Path) -> dict[str, str]:
    """What a user's session would give it: no venv, no PYTHONPATH, a home of its own."""
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "QT_QPA_PLATFORM": "offscreen",
        "PEFT_TELEMETRY_SECRETS": "file",
        "LANG": "C.UTF-8",
    }


def distinct_colours(image: QImage, step: int = 8) -> int:
    return len(
        {
            image.pixel(x, y)
            for y in range(0, image.height(), step)
            for x in range(0, image.width(), step)
        }
    )


def test_the_bundle_answers_help(binary: Path, tmp_path: Path) -> None:
    proc = subprocess.run(
        [str(binary), "--help"], env=bare_env(tmp_path), capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("usage: peft-telemetry-gui")


def test_the_bundle_speaks_german_and_french(binary: Path, tmp_path: Path) -> None:
    """Issue 13: the compiled catalogues ship inside the bundle (argparse's words and ours)."""
    for language, usage in (("de_DE.UTF-8", "Aufruf: "), ("fr_FR.UTF-8", "usage\u00a0: ")):
        env = {**bare_env(tmp_path), "LANG": language}
        proc = subprocess.run(
            [str(binary), "--help"], env=env, capture_output=True, text=True, timeout=60
        )
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.startswith(usage + "peft-telemetry-gui"), proc.stdout[:80]


# Privacy reads the shipped "what is collected" text, Dashboard draws pyqtgraph charts (numpy),
# Upload loads its status through the keyring and the OTLP encoder: each needs other modules.
@pytest.mark.parametrize("page", ["privacy", "dashboard", "upload"])
def test_the_bundled_app_paints_a_page_offscreen(binary: Path, tmp_path: Path, page: str) -> None:
    shot = tmp_path / f"{page}.png"
    proc = subprocess.run(
        [str(binary), "--demo", "--page", page, "--screenshot", str(shot)],
        env=bare_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    image = QImage(str(shot))
    assert not image.isNull(), f"{shot} is not an image"
    assert image.width() >= 800 and image.height() >= 500, image.size()
    # A window with text, controls and (on the dashboard) charts, not a blank or one-colour one.
    assert distinct_colours(image) > 40


def test_the_bundled_command_line_scrubs_with_its_checksum_modules(
    binary: Path, tmp_path: Path
) -> None:
    """`peft-telemetry` beside the app, through the scrubber's lazy imports: python-stdnum
    and phonenumbers load only once a candidate number is seen, and their data with them."""
    cli = binary.parent / "peft-telemetry"
    env = bare_env(tmp_path)
    version = subprocess.run(
        [str(cli), "--version"], env=env, capture_output=True, text=True, timeout=60
    )
    assert (version.returncode, version.stdout.split()) == (0, ["peft-telemetry", __version__])
    # Documentation values: example.com, the IBAN standard's sample, a UK number kept for drama.
    text = "write to jane.doe@example.com, IBAN GB82 WEST 1234 5698 7654 32, +44 20 7946 0958"
    proc = subprocess.run(
        [str(cli), "--data-dir", str(tmp_path / "data"), "scrub", text],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "write to [email], IBAN [iban], [phone]" in proc.stdout


def test_the_bundle_holds_nothing_of_the_developer_tools(binary: Path) -> None:
    internal = binary.parent / "_internal"
    present = {p.name for p in internal.iterdir()}
    for tool in ("pytest", "hypothesis", "ruff", "pytestqt", "importlinter", "PyInstaller"):
        assert tool not in present
    assert (internal / "peft_telemetry_gui" / "resources" / "collection.json").is_file()
