"""The `peft-telemetry-gui` command line, as separate processes."""

from __future__ import annotations

import subprocess
import sys

import pytest
from PySide6.QtGui import QImage

from peft_telemetry_gui.core.services.consent import set_consent
from peft_telemetry_gui.gui.app import main, parse_args

APP = [sys.executable, "-m", "peft_telemetry_gui.gui.app"]


def test_screenshot_writes_a_png(tmp_path, child_env) -> None:
    from peft_telemetry_gui.core.store import Store

    data = tmp_path / "data"
    set_consent(Store(data), enabled=True, actor="cli")
    target = tmp_path / "shot.png"
    result = subprocess.run(
        [*APP, "--data-dir", str(data), "--page", "dashboard", "--screenshot", str(target)],
        env=child_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    image = QImage(str(target))
    assert not image.isNull() and image.width() >= 800 and image.height() >= 500


def test_demo_never_touches_the_given_or_default_store(tmp_path, child_env) -> None:
    child_env["PEFT_TELEMETRY_DIR"] = str(tmp_path / "users-own")
    target = tmp_path / "demo.png"
    result = subprocess.run(
        [*APP, "--demo", "--page", "events", "--screenshot", str(target)],
        env=child_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert target.exists()
    assert not (tmp_path / "users-own").exists()


def test_no_display_prints_one_clear_line(child_env) -> None:
    for name in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY"):
        child_env.pop(name, None)
    result = subprocess.run(
        [*APP, "--page", "privacy"], env=child_env, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "--screenshot" in lines[0] and "peft-telemetry" in lines[0]
    assert "QT_QPA_PLATFORM=offscreen" in lines[0]


def test_screenshot_without_display_goes_offscreen(tmp_path, child_env) -> None:
    for name in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY"):
        child_env.pop(name, None)
    target = tmp_path / "headless.png"
    result = subprocess.run(
        [*APP, "--data-dir", str(tmp_path / "d"), "--screenshot", str(target)],
        env=child_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert target.exists()


def test_bad_page_is_a_usage_error(capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--page", "nope"])
    assert exc.value.code == 2
    assert parse_args(["--page", "events"]).page == "events"


@pytest.mark.parametrize("spelled", ["Activity", "ACTIVITY", "activity", " activity "])
def test_page_names_are_accepted_in_any_case(spelled: str) -> None:
    """The window titles the page "Activity": that spelling, and any other case, opens it."""
    assert parse_args(["--page", spelled]).page == "activity"


def test_an_unknown_page_names_the_valid_ones_without_a_traceback(capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        parse_args(["--page", "Settings"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    line = err.strip().splitlines()[-1]
    assert "unknown page 'Settings'" in line
    assert all(name in line for name in ("privacy", "dashboard", "events", "activity", "upload"))


def test_the_command_line_knows_every_page_of_the_window() -> None:
    from peft_telemetry_gui.gui.app import PAGE_NAMES
    from peft_telemetry_gui.gui.pages import PAGES

    assert tuple(spec.name for spec in PAGES) == PAGE_NAMES


def test_page_given_as_its_title_opens_it(tmp_path, child_env) -> None:
    target = tmp_path / "activity.png"
    result = subprocess.run(
        [
            *APP,
            "--data-dir",
            str(tmp_path / "d"),
            "--page",
            "Activity",
            "--screenshot",
            str(target),
        ],
        env=child_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert not QImage(str(target)).isNull()
