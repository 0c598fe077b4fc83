"""What an export may write over: only nothing, or (asked to) a regular file. Real links, FIFOs,
device nodes and a real FAT-family filesystem (no hard links) on a loop device."""

from __future__ import annotations

import os
import random
import shutil
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from peft_telemetry_gui.core.export import ExportError, export_data
from peft_telemetry_gui.core.models import StoreDocument

pytestmark = pytest.mark.faults

REPO = Path(__file__).resolve().parents[2]


def _doc() -> StoreDocument:
    return StoreDocument()


def _cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real command in its own process: a hang is a timeout, not a stuck test run."""
    env = {**os.environ, "PEFT_TELEMETRY_SECRETS": "file", "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "peft_telemetry_gui.cli", "--data-dir", str(data_dir), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=REPO,
    )


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".tmp-" in p.name)


# ------------------------------------------------------------------------------ links
@pytest.mark.parametrize("overwrite", [False, True])
def test_a_symlink_is_never_followed_nor_replaced(tmp_path: Path, overwrite: bool) -> None:
    precious = tmp_path / "elsewhere" / "notes.txt"
    precious.parent.mkdir()
    precious.write_text("my notes")
    link = tmp_path / "export.json"
    link.symlink_to(precious)
    with pytest.raises(ExportError, match="symbolic link"):
        export_data(_doc(), link, "json", overwrite=overwrite)
    assert link.is_symlink() and os.readlink(link) == str(precious)
    assert precious.read_text() == "my notes"
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("overwrite", [False, True])
def test_a_dangling_symlink_is_refused_and_its_target_never_created(
    tmp_path: Path, overwrite: bool
) -> None:
    target = tmp_path / "not-yet"
    link = tmp_path / "export.csv"
    link.symlink_to(target)
    with pytest.raises(ExportError, match="symbolic link"):
        export_data(_doc(), link, "csv", overwrite=overwrite)
    assert link.is_symlink() and not target.exists()


def test_the_cli_refuses_a_link_with_force_in_one_line(tmp_path: Path) -> None:
    precious = tmp_path / "notes.txt"
    precious.write_text("my notes")
    link = tmp_path / "out.json"
    link.symlink_to(precious)
    proc = _cli(tmp_path / "data", "export", "--output", str(link), "--force")
    assert proc.returncode == 1, proc.stderr
    assert len(proc.stderr.splitlines()) == 1 and "symbolic link" in proc.stderr
    assert link.is_symlink() and precious.read_text() == "my notes"


# ------------------------------------------------------------------------------ special files
@pytest.mark.parametrize("force", [False, True])
def test_a_fifo_is_refused_at_once_and_left_in_place(tmp_path: Path, force: bool) -> None:
    fifo = tmp_path / "export.json"
    os.mkfifo(fifo)
    proc = _cli(tmp_path / "data", "export", "--output", str(fifo), *(["--force"] * force))
    assert proc.returncode == 1, proc.stderr
    assert len(proc.stderr.splitlines()) == 1 and "FIFO" in proc.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert _leftovers(tmp_path) == []


@pytest.fixture
def char_device(tmp_path: Path) -> Path:
    """A node like /dev/null (char 1:3), made here: a test must never risk the real one."""
    node = tmp_path / "null-like"
    try:
        os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except (PermissionError, AttributeError) as exc:
        pytest.skip(f"cannot make a device node here ({exc}); needs root on POSIX")
    return node


@pytest.mark.parametrize("overwrite", [False, True])
def test_a_device_node_is_refused_and_left_in_place(char_device: Path, overwrite: bool) -> None:
    with pytest.raises(ExportError, match="character device, not a regular file"):
        export_data(_doc(), char_device, "json", overwrite=overwrite)
    st = os.lstat(char_device)
    assert stat.S_ISCHR(st.st_mode) and st.st_rdev == os.makedev(1, 3)
    assert _leftovers(char_device.parent) == []


def test_dev_null_itself_is_refused(tmp_path: Path) -> None:
    # Without --force only: with it, the code before this fix replaced the node.
    with pytest.raises(ExportError, match="not a regular file"):
        export_data(_doc(), Path(os.devnull), "json")
    assert stat.S_ISCHR(os.lstat(os.devnull).st_mode)


def test_force_still_replaces_a_regular_file_by_a_swap(tmp_path: Path) -> None:
    out = tmp_path / "export.json"
    out.write_text("old export")
    with out.open() as reader:  # a reader of the old file keeps the old, whole file
        export_data(_doc(), out, "json", overwrite=True)
        assert reader.read() == "old export"
    assert out.read_text().startswith("{") and '"events": []' in out.read_text()
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert _leftovers(tmp_path) == []


# ------------------------------------------------------------------------------ FAT family
def _run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)


def _need(*tools: str) -> None:
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (apt: dosfstools, exfatprogs, exfat-fuse)")
    if os.geteuid() != 0:
        pytest.skip("mounting a filesystem image needs root")


@pytest.fixture(params=["vfat", "exfat"])
def fat_dir(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Path]:
    """A freshly made FAT32 (kernel driver) or exFAT (FUSE) filesystem: neither has hard links."""
    image, mnt = tmp_path / "fs.img", tmp_path / "mnt"
    mnt.mkdir()
    with image.open("wb") as f:
        f.truncate(48 * 1024 * 1024)
    loop: str | None = None
    if request.param == "vfat":
        _need("mkfs.vfat", "losetup")
        assert _run("mkfs.vfat", str(image)).returncode == 0
        mounted = _run("mount", "-t", "vfat", "-o", "loop", str(image), str(mnt))
    else:
        _need("mkfs.exfat", "mount.exfat-fuse", "losetup")
        if not Path("/dev/fuse").exists():
            pytest.skip("no /dev/fuse: exFAT is mounted through FUSE")
        assert _run("mkfs.exfat", str(image)).returncode == 0
        attached = _run("losetup", "--find", "--show", str(image))
        if attached.returncode != 0:
            pytest.skip(f"no loop device available: {attached.stderr.strip()}")
        loop = attached.stdout.strip()
        mounted = _run("mount.exfat-fuse", loop, str(mnt))
    if mounted.returncode != 0:
        if loop:
            _run("losetup", "-d", loop)
        pytest.skip(f"cannot mount {request.param} here: {mounted.stderr.strip().splitlines()[0]}")
    try:
        yield mnt
    finally:
        _run("umount", str(mnt))
        if loop:
            _run("losetup", "-d", loop)


def test_no_overwrite_export_works_where_hard_links_do_not(fat_dir: Path) -> None:
    out = fat_dir / "export.json"
    export_data(_doc(), out, "json")
    first = out.read_bytes()
    assert first.startswith(b"{") and b'"events": []' in first
    with pytest.raises(ExportError, match="already exists"):
        export_data(_doc(), out, "csv")
    assert out.read_bytes() == first  # the user's file, untouched
    export_data(_doc(), out, "csv", overwrite=True)
    assert out.read_text().startswith("id,timestamp,category")
    assert _leftovers(fat_dir) == []


def test_the_cli_exports_to_a_fat_folder(fat_dir: Path, tmp_path: Path) -> None:
    out = str(fat_dir / "out.csv")
    proc = _cli(tmp_path / "data", "export", "--output", out, "--format", "csv")
    assert proc.returncode == 0, proc.stderr
    assert (fat_dir / "out.csv").read_text().startswith("id,timestamp")
    assert _leftovers(fat_dir) == []


def test_an_export_sweeps_what_a_killed_export_left_beside_it(tmp_path: Path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    leftover = tmp_path / f".export.json.tmp-{int(dead.stdout)}-0123abcd"
    leftover.write_bytes(b"{ half an export of someone's data")
    live = tmp_path / f".export.json.tmp-{os.getpid()}-89abcdef"  # this process: running
    live.write_bytes(b"in progress")
    mine = tmp_path / ".export.json.tmp-notes"  # not our exact pattern: not ours to remove
    mine.write_text("the user's")
    export_data(_doc(), tmp_path / "export.json", "json")
    assert not leftover.exists()
    assert live.exists() and mine.exists()


_KILLED_WRITER = """
import sys
import time
from pathlib import Path
from peft_telemetry_gui.core.export import write_private_file
data = b"x" * int(sys.argv[2])
print("ready", flush=True)
write_private_file(Path(sys.argv[1]), data, overwrite=False)
print("done", flush=True)
"""


def _kill_exports(folder: Path, size: int, rounds: int) -> list[str]:
    """SIGKILL real exports at spread-out moments; what is under the final name each time."""
    rng = random.Random(8)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    seen = []
    for i in range(rounds):
        target = folder / f"export-{i}.json"
        proc = subprocess.Popen(
            [sys.executable, "-c", _KILLED_WRITER, str(target), str(size)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
        time.sleep(rng.uniform(0, 0.2))  # where to kill, not a synchronisation
        proc.kill()
        assert proc.wait(timeout=60) in (0, -signal.SIGKILL)  # killed, or done: never failed
        proc.stdout.close()
        if not target.exists():
            seen.append("absent")
            continue
        got = target.stat().st_size
        assert got in (0, size), f"round {i}: {got} of {size} bytes under the final name"
        seen.append("complete" if got == size else "empty placeholder")
        if got == size:
            with target.open("rb") as f:
                assert f.read() == b"x" * size
        target.unlink()  # room for the next round on a small filesystem
    return seen


def test_a_killed_export_never_leaves_part_of_itself_under_the_final_name(
    tmp_path: Path,
) -> None:
    seen = _kill_exports(tmp_path, 64 << 20, rounds=6)
    assert "empty placeholder" not in seen  # a hard link: the name is never claimed early
    export_data(_doc(), tmp_path / "after.json", "json")  # the next export sweeps the debris
    assert _leftovers(tmp_path) == []


def test_a_killed_export_on_fat_leaves_at_most_an_empty_placeholder(fat_dir: Path) -> None:
    _kill_exports(fat_dir, 16 << 20, rounds=6)
    export_data(_doc(), fat_dir / "after.json", "json")
    assert _leftovers(fat_dir) == []
