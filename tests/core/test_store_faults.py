"""The store under faults (issue 8, "Store and files"): a full disk, a lock file deleted while
held, a FIFO or a huge file in place of the store, temp copies left by killed writers, and data
folders we did not create. Real processes, real files, a real tmpfs; no mocks.

Helper processes are modes of `_workers.py`; the CLI runs as `python -m peft_telemetry_gui.cli`.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from peft_telemetry_gui.core.client import TelemetryClient
from peft_telemetry_gui.core.fsio import temp_name
from peft_telemetry_gui.core.models import Event, StoreDocument
from peft_telemetry_gui.core.secrets import FileSecretStore, MemorySecretStore
from peft_telemetry_gui.core.services.consent import set_consent
from peft_telemetry_gui.core.services.delete import delete_all_data
from peft_telemetry_gui.core.store import Store, StoreError, raw_document

pytestmark = pytest.mark.faults

REPO = Path(__file__).resolve().parents[2]
WORKERS = Path(__file__).with_name("_workers.py")
# Fixed moments, not the wall clock. Clients in these tests use the real clock (to stamp and to
# prune by retention), so consent dates from the past and seeded events from the future: both
# stay valid whatever today is.
CONSENT_AT = datetime(2020, 1, 1, tzinfo=UTC)
NOW = datetime(2030, 1, 1, tzinfo=UTC)
RESERVE = ".telemetry.json.reserve"  # core/store/reserve.py (spelled out: the name is the contract)


# ------------------------------------------------------------------------------ helpers
@dataclass
class Ran:
    code: int
    out: str
    err: str
    seconds: float

    @property
    def err_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.strip()]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    env["PEFT_TELEMETRY_SECRETS"] = "file"
    env["PEFT_TELEMETRY_UPLOAD_WORKER"] = "0"
    for name in ("DO_NOT_TRACK", "PEFT_TELEMETRY_DISABLED", "PEFT_TELEMETRY_DIR"):
        env.pop(name, None)
    return env


def _run(argv: list[str], *, timeout: float = 60, umask: int | None = None) -> Ran:
    """A real child, optionally under another umask."""
    start = time.monotonic()
    proc = subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env=_env(),
        text=True,
        preexec_fn=(lambda: os.umask(umask)) if umask is not None else None,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise AssertionError(f"{argv[3:]} still running after {timeout} s; stderr: {err}") from None
    return Ran(proc.returncode, out, err, time.monotonic() - start)


def cli(data_dir: Path, *args: str, **kwargs: Any) -> Ran:
    argv = [sys.executable, "-m", "peft_telemetry_gui.cli", "--data-dir", str(data_dir), *args]
    return _run(argv, **kwargs)


def worker(*args: object, timeout: float = 60) -> Ran:
    return _run([sys.executable, str(WORKERS), *map(str, args)], timeout=timeout)


def _events(n: int, start: datetime = NOW) -> list[Event]:
    return [
        Event(
            timestamp=start + timedelta(seconds=i),
            category="usage",
            event_type="seed",
            session_id="seed-session",
            properties={"i": i, "pad": "p" * 200},
        )
        for i in range(n)
    ]


def _seed(data_dir: Path, n: int = 40) -> Store:
    store = Store(data_dir, clock=lambda: CONSENT_AT)
    set_consent(store, enabled=True, actor="api")
    store.update(lambda doc: doc.events.extend(_events(n)))
    return store


def _doc(data_dir: Path) -> dict[str, Any]:
    """What any JSON consumer sees: the head and every segment line it names must parse."""
    return raw_document(data_dir)


def _dead_pid() -> int:
    """The pid of a process that has exited and been reaped."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait(30)
    return proc.pid


# ------------------------------------------------------------------------------ 1. full disk
@pytest.fixture
def full_disk(tmpfs: Any) -> Iterator[Any]:
    """A real 2 MiB tmpfs; `fill()` writes a filler file until the kernel says ENOSPC."""
    mount = tmpfs("2m")

    def fill() -> None:
        fd = os.open(mount / "filler", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            for chunk in (b"\0" * (1 << 16), b"\0" * (1 << 12), b"\0"):
                try:
                    while True:
                        os.write(fd, chunk)
                except OSError as exc:
                    assert exc.errno == errno.ENOSPC, exc
        finally:
            os.close(fd)
        with pytest.raises(OSError) as info:  # really full: not one more page
            (mount / "probe").write_bytes(b"x" * 4096)
        assert info.value.errno == errno.ENOSPC
        (mount / "probe").unlink(missing_ok=True)

    fill.mount = mount  # type: ignore[attr-defined]
    yield fill


def _seed_with_client(data_dir: Path) -> None:
    """The usual state: a host recorded events (and made the hashing key in secrets.json)."""
    _seed(data_dir)
    client = TelemetryClient("faults", data_dir, environ={}, start_session=False)
    for i in range(20):
        client.track_event("host", {"i": i})
    assert client.flush(timeout=10)
    client.close()


@pytest.mark.parametrize("first", ["disable", "delete"])
def test_opting_out_and_erasing_succeed_on_a_full_disk(full_disk: Any, first: str) -> None:
    """Issue 8: with the disk full both failed with "the disk is full"."""
    data = full_disk.mount / "data"
    _seed_with_client(data)
    before = _doc(data)
    assert before["consent"]["enabled"] and len(before["events"]) == 60
    full_disk()

    if first == "disable":
        ran = cli(data, "disable")
        assert ran.code == 0, ran.err
        doc = _doc(data)
        assert doc["consent"]["enabled"] is False
        assert [e["id"] for e in doc["events"]] == [e["id"] for e in before["events"]]  # kept
        assert doc["audit_log"][-1]["what"] == "consent"
    # Erasing right after (the reserve already spent by the opt-out) or as the first thing.
    ran = cli(data, "delete", "--yes")
    assert ran.code == 0, ran.err
    doc = _doc(data)
    assert doc["events"] == [] and doc["consent"]["enabled"] is False
    assert [a["what"] for a in doc["audit_log"]] == ["all data deleted"]
    assert (
        "hmac-key" not in (data / "secrets.json").read_text()
        if (data / "secrets.json").exists()
        else True
    )
    assert not [p.name for p in data.iterdir() if ".tmp-" in p.name]
    # ... and the store is still usable afterwards.
    assert cli(data, "status").code == 0


def test_erasing_a_full_disk_without_a_reserve_still_works(full_disk: Any) -> None:
    """A store written before the reserve existed (or one whose reserve was spent): delete
    removes the old document before writing the new small one, and says nothing went wrong."""
    data = full_disk.mount / "data"
    _seed_with_client(data)
    (data / RESERVE).unlink(missing_ok=True)
    full_disk()
    ran = cli(data, "delete", "--yes")
    assert ran.code == 0, ran.err
    doc = _doc(data)
    assert doc["events"] == [] and doc["consent"] == {**doc["consent"], "enabled": False}


@pytest.mark.parametrize("how", ["client.disable", "set_consent"])
def test_library_opt_out_on_a_full_disk(full_disk: Any, how: str) -> None:
    data = full_disk.mount / "data"
    _seed(data)
    client = TelemetryClient(
        "faults", data, secret_store=MemorySecretStore(), environ={}, start_session=False
    )
    try:
        assert client.flush(timeout=10)
        full_disk()
        for i in range(50):
            client.track_event("more", {"i": i, "pad": "q" * 500})
        # A host's ordinary write fails (and must not spend the reserve meant for opt-outs).
        assert client.flush(timeout=10) is False
        if how == "client.disable":
            assert client.disable() is True
        else:
            consent = set_consent(Store(data), enabled=False, actor="api")
            assert consent.enabled is False
    finally:
        client.close(timeout=5)
    doc = _doc(data)
    assert doc["consent"]["enabled"] is False
    assert len(doc["events"]) == 40 and all(e["event_type"] == "seed" for e in doc["events"])


def test_ordinary_writes_on_a_full_disk_still_fail_and_leave_the_store_intact(
    full_disk: Any,
) -> None:
    """The reserve is not a way round a full disk for data: adding events still fails."""
    data = full_disk.mount / "data"
    store = _seed(data)
    original = store.path.read_bytes()
    full_disk()
    with pytest.raises(StoreError, match="the disk is full"):
        store.update(lambda doc: doc.events.extend(_events(500, NOW + timedelta(days=1))))
    assert store.path.read_bytes() == original
    assert (data / RESERVE).stat().st_size > 0  # untouched, still there for opt-out


# ------------------------------------------------------------------------------ 2. lock lost
def test_lock_file_deleted_while_held_loses_no_update(tmp_path: Path) -> None:
    """Issue 8: `disable` said it worked, yet consent ended up on and its audit entry was gone:
    a slow writer held the lock, the lock file was deleted, `disable` locked a new inode and
    committed, then the slow writer committed its stale document over it."""
    data = tmp_path / "data"
    store = Store(data, clock=lambda: NOW)
    set_consent(store, enabled=True, actor="api")
    go = tmp_path / "go"
    slow = subprocess.Popen(
        [sys.executable, str(WORKERS), "slow_category_off", str(data), str(go)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(),
        text=True,
    )
    try:
        assert slow.stdout is not None
        assert slow.stdout.readline().strip() == "IN_MUTATE"  # holds the lock now
        store.lock_path.unlink()  # another program "cleans up" the folder
        disabled = cli(data, "disable", timeout=30)
        assert disabled.code == 0, disabled.err
        go.touch()
        rest, err = slow.communicate(timeout=30)
    finally:
        if slow.poll() is None:
            slow.kill()
    lines = [line for line in rest.splitlines() if line.strip()]
    result = json.loads(lines[-1])
    assert result["error"] is None, err

    doc = _doc(data)
    changes = [(a["actor"], a["what"], a["from"], a["to"]) for a in doc["audit_log"]]
    assert ("cli", "consent", True, False) in changes, changes  # the opt-out is not lost
    assert ("gui", "category:performance", True, False) in changes, changes
    # The later commit (the category switch) was applied on top of the opt-out.
    assert doc["consent"]["enabled"] is False
    assert doc["consent"]["categories"]["performance"] is False
    assert result["runs"] == 2, "the slow writer must redo its transaction on a fresh read"


def test_a_lock_file_that_keeps_vanishing_gives_a_clear_error(data_dir: Path) -> None:
    store = Store(data_dir, lock_retries=3)
    set_consent(store, enabled=True, actor="api")
    original = store.path.read_bytes()
    runs = 0

    def mutate(doc: StoreDocument) -> None:
        nonlocal runs
        runs += 1
        doc.events.extend(_events(1))
        store.lock_path.unlink()  # something deletes it every time, while we hold it

    with pytest.raises(StoreError, match=r"lock file .* was removed or replaced while held, 4 "):
        store.update(mutate)
    assert runs == 4
    assert store.path.read_bytes() == original  # nothing committed under a lost lock


# ------------------------------------------------------------------------------ 3. odd files
def test_a_fifo_in_place_of_the_store_is_refused_at_once_and_left_alone(data_dir: Path) -> None:
    """Issue 8: a FIFO at telemetry.json hung every command."""
    data_dir.mkdir(mode=0o700)
    fifo = data_dir / "telemetry.json"
    os.mkfifo(fifo, 0o600)
    for command in (["status"], ["disable"], ["events"]):
        ran = cli(data_dir, *command, timeout=20)
        assert ran.code == 1, (command, ran)
        assert len(ran.err_lines) == 1, ran.err
        assert "FIFO" in ran.err and str(fifo) in ran.err and "Traceback" not in ran.err
        assert ran.seconds < 15
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)  # not removed, not replaced
    assert not list(data_dir.glob("telemetry.corrupt-*"))


def test_a_host_with_a_fifo_for_a_store_never_hangs_or_raises(data_dir: Path) -> None:
    data_dir.mkdir(mode=0o700)
    os.mkfifo(data_dir / "telemetry.json", 0o600)
    ran = worker("fifo_host", data_dir, timeout=30)
    assert ran.code == 0, ran.err
    result = json.loads(ran.out.splitlines()[-1])
    assert result == {"raised": None, "enabled": False, "flushed": False}
    logged = [line for line in ran.err_lines if line.startswith("LOG ")]
    assert logged and len(logged) == len(set(logged)), ran.err  # each warning once
    assert "Traceback" not in ran.err
    assert stat.S_ISFIFO(os.lstat(data_dir / "telemetry.json").st_mode)


def test_a_huge_store_is_set_aside_unread(data_dir: Path) -> None:
    """Issue 8: a 3 GiB telemetry.json took `status` 38 s and 10 GB of memory. A sparse 300 MiB
    file costs no disk; read, it would cost 300 MiB of memory at least."""
    data_dir.mkdir(mode=0o700)
    huge = data_dir / "telemetry.json"
    with open(huge, "wb") as handle:
        handle.write(b'{"schema_version": 1, "events": [')
        handle.truncate(300 << 20)
    if not Path("/proc/self/status").exists():
        pytest.skip("needs /proc to measure a process's peak memory")
    report = data_dir.parent / "peak-kib"
    ran = worker("cli_peak_memory", report, "--data-dir", data_dir, "status", timeout=60)
    assert ran.code == 0, ran.err
    peak_mib = int(report.read_text()) / 1024
    assert peak_mib < 150, f"status read the file: peak RSS {peak_mib:.0f} MiB"
    (moved,) = data_dir.glob("telemetry.corrupt-*.json")
    assert moved.stat().st_size == 300 << 20  # kept whole, for the user to look at
    assert "256 MiB" in ran.err and str(moved) in ran.err and "Traceback" not in ran.err
    assert "not decided" in ran.out  # a fresh store: nothing is recorded until asked again
    assert cli(data_dir, "disable").code == 0


def test_the_size_bound_is_configurable_and_also_caps_what_is_written(data_dir: Path) -> None:
    store = Store(data_dir, max_events=10_000, max_file_bytes=200_000, clock=lambda: NOW)
    set_consent(store, enabled=True, actor="api")
    store.update(lambda doc: doc.events.extend(_events(2000)))  # ~600 KB if all were kept
    files = [store.path, *data_dir.glob("telemetry.events-*.jsonl")]
    size = sum(p.stat().st_size for p in files)  # the head and its segments together
    assert size <= 200_000
    kept = store.read().events
    assert 0 < len(kept) < 2000 and kept[-1].properties["i"] == 1999  # the newest are kept
    # A reader with a smaller bound sets the file aside instead of reading it.
    small = Store(data_dir, max_file_bytes=1 << 16)
    assert small.read().events == []
    assert small.quarantine_log[0].reason.startswith("the store is ")
    aside = data_dir.glob("telemetry.corrupt-*")  # the head and its segments, moved as they were
    assert sum(p.stat().st_size for p in aside) == size


# ------------------------------------------------------------------------------ 4. leftovers
def test_a_killed_writers_temp_copy_is_swept_by_the_next_command(data_dir: Path) -> None:
    """Issue 8: temp copies of killed writers stayed until some later write; a read-only
    command (status) never swept them."""
    store = _seed(data_dir)
    limit = store.path.stat().st_size + 20_000  # the new document cannot fit under this
    ran = worker("killed_mid_write", data_dir, "head", limit)
    assert ran.code == -signal.SIGXFSZ, ran  # killed inside the write, not a clean failure
    pid = int(ran.out.split()[1])
    (left,) = data_dir.glob(f".telemetry.json.tmp-{pid}-*")
    assert left.stat().st_size > 0
    assert cli(data_dir, "status").code == 0
    assert not left.exists(), "the temp copy of a dead writer survived the next command"
    assert len(Store(data_dir).read().events) == 40


def test_a_killed_secrets_write_leaves_no_copy_of_the_key_after_delete(data_dir: Path) -> None:
    """Issue 8: delete-all left `.secrets.json.tmp-*`, possibly a copy of the hashing key."""
    _seed(data_dir)
    ran = worker("killed_mid_write", data_dir, "secrets", 20)
    assert ran.code == -signal.SIGXFSZ, ran
    assert list(data_dir.glob(".secrets.json.tmp-*"))
    # One of a live process too (this one): delete-all removes ours whoever wrote them.
    live = temp_name(data_dir / "secrets.json")
    live.write_text('{"hmac-key": "00ff"}')
    ran = cli(data_dir, "delete", "--yes")
    assert ran.code == 0, ran.err
    assert not list(data_dir.glob(".*.tmp-*")), list(data_dir.glob(".*.tmp-*"))


def test_delete_all_removes_temp_copies_of_live_writers_too(data_dir: Path) -> None:
    store = _seed(data_dir)
    mine = [temp_name(data_dir / name) for name in ("telemetry.json", "secrets.json")]
    for path in mine:
        path.write_bytes(b"a copy")
    report = delete_all_data(
        store, actor="cli", secret_store=FileSecretStore(data_dir / "secrets.json")
    )
    assert {p.name for p in mine} <= set(report.files_removed)
    assert not any(p.exists() for p in mine)


def test_the_sweep_in_a_users_folder_takes_only_our_dead_temp_files(tmp_path: Path) -> None:
    from peft_telemetry_gui.core.fsio import sweep_stale_temp_files

    folder = tmp_path / "exports"
    folder.mkdir()
    dead, me = _dead_pid(), os.getpid()
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        ours_dead = folder / f".export.json.tmp-{dead}-0a1b2c3d"
        keep = {
            "live": folder / f".export.json.tmp-{sleeper.pid}-0a1b2c3d",
            "mine": folder / f".export.json.tmp-{me}-0a1b2c3d",
            "short hex": folder / f".export.json.tmp-{dead}-0a1b2c",
            "suffix": folder / f".export.json.tmp-{dead}-0a1b2c3d.bak",
            "not hidden": folder / f"export.json.tmp-{dead}-0a1b2c3d",
            "upper hex": folder / f".export.json.tmp-{dead}-0A1B2C3D",
        }
        for path in (ours_dead, *keep.values()):
            path.write_text("x")
        link = folder / f".other.tmp-{dead}-deadbeef"
        link.symlink_to(ours_dead)
        subdir = folder / f".d.tmp-{dead}-deadbeef"
        subdir.mkdir()

        removed = sweep_stale_temp_files(folder)
        assert removed == [ours_dead]
        assert all(p.exists() for p in keep.values()), keep
        assert link.is_symlink() and subdir.is_dir()
    finally:
        sleeper.kill()
        sleeper.wait()


def test_a_killed_exports_temp_copy_is_swept_by_the_next_export(tmp_path: Path) -> None:
    """Issue 8: a killed export left a hidden full copy of the data in the user's folder."""
    data = tmp_path / "data"
    _seed(data, 200)
    folder = tmp_path / "exports"
    folder.mkdir()
    ran = worker("killed_mid_write", folder / "first.json", "export", 10_000, data)
    assert ran.code == -signal.SIGXFSZ, ran
    (left,) = folder.glob(".first.json.tmp-*")
    ran = cli(data, "export", "-o", str(folder / "second.json"))
    assert ran.code == 0, ran.err
    assert not left.exists()
    assert sorted(p.name for p in folder.iterdir()) == ["second.json"]


# ------------------------------------------------------------------------------ 5. folders
@pytest.mark.parametrize("mode", [0o1777, 0o2775, 0o755])
def test_an_existing_folder_keeps_its_mode_and_is_warned_about(tmp_path: Path, mode: int) -> None:
    """Issue 8: `--data-dir` on an existing folder chmodded it 0700 (a 1777 folder lost its
    sticky bit, a setgid project folder changed)."""
    folder = tmp_path / "shared"
    folder.mkdir()
    os.chmod(folder, mode)
    ran = cli(folder, "enable")
    assert ran.code == 0, ran.err
    assert stat.S_IMODE(folder.stat().st_mode) == mode
    assert stat.S_IMODE((folder / "telemetry.json").stat().st_mode) == 0o600
    warnings = [line for line in ran.err_lines if "open to others" in line]
    assert len(warnings) == 1 and f"{mode:o}" in warnings[0], ran.err
    assert len(ran.err_lines) == 1, ran.err


def test_a_private_existing_folder_gets_no_warning(tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir(mode=0o700)
    ran = cli(folder, "enable")
    assert ran.code == 0 and ran.err == "", ran.err


def test_folders_we_create_are_private_even_under_umask_000(tmp_path: Path) -> None:
    base = tmp_path / "base"
    base.mkdir()
    os.chmod(base, 0o755)
    data = base / "a" / "b" / "data"
    ran = cli(data, "enable", umask=0)
    assert ran.code == 0, ran.err
    for folder in (base / "a", base / "a" / "b", data):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    assert stat.S_IMODE(base.stat().st_mode) == 0o755  # not ours: untouched
    assert "open to others" not in ran.err
