"""Desktop app benchmark: cold start, refresh after an external write, peak memory.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/gui.py [--runs 5]

Prints a table (not a test). Every measurement runs in a child process so start-up and peak RSS
(`os.wait4` rusage of that child) are the whole program's, not this driver's.

- start: `peft-telemetry-gui --screenshot` on a store of 1 000 events, from exec to the saved
  PNG of the painted, loaded window, against a bare PySide6 + pyqtgraph window doing the same.
- refresh: another writer replaces `telemetry.json` (atomic `os.replace`, as `Store` does); the
  time from that replace to the end of the app's `analytics_changed` handling (all pages
  updated), at 1 000 and 100 000 stored events.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Demo data counts back from a fixed instant: every run times the same store.
DEMO_NOW = datetime(2026, 11, 23, 15, 30, tzinfo=UTC)

BARE = """
import sys
from PySide6.QtWidgets import QApplication, QMainWindow
import pyqtgraph as pg
app = QApplication(sys.argv[:1])
win = QMainWindow()
plot = pg.PlotWidget()
plot.plot([1, 3, 2, 4])
win.setCentralWidget(plot)
win.resize(1200, 820)
win.show()
app.processEvents()
win.grab().save(sys.argv[1])
"""

TARGETS = {"start_ratio": 1.5, "refresh_1000_ms": 50.0, "refresh_100000_ms": 500.0, "rss_mb": 200}


def _env() -> dict[str, str]:
    env = dict(os.environ)
    # An installed app runs from bytecode, as PySide6 and pyqtgraph in the baseline do; a
    # machine with PYTHONDONTWRITEBYTECODE set would otherwise recompile our sources on every
    # start and charge that to the app (see the compileall step in main()).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["PEFT_TELEMETRY_SECRETS"] = "file"
    env.pop("DO_NOT_TRACK", None)
    return env


def _run(cmd: list[str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS in MB, stdout of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = proc.stdout.read().decode() if proc.stdout else ""
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{cmd} failed with {proc.returncode}")
    rss_mb = usage.ru_maxrss / 1024 if sys.platform != "darwin" else usage.ru_maxrss / 2**20
    return wall, rss_mb, out


def build_store(data_dir: Path, n: int) -> None:
    """`n` demo-like events written directly as the store file (fast even at 100 000)."""
    from peft_telemetry_gui.core.demo import demo_events
    from peft_telemetry_gui.core.services.consent import set_consent
    from peft_telemetry_gui.core.store import Store

    store = Store(data_dir, max_events=n)
    set_consent(store, enabled=True, actor="cli")
    doc = store.read()
    events, seed = [], 0
    while len(events) < n:
        events.extend(demo_events(days=80, seed=seed, now=DEMO_NOW))
        seed += 1
    doc.events = sorted(events[-n:], key=lambda e: e.timestamp)
    store.path.write_text(doc.model_dump_json(by_alias=True, exclude_none=True))


def prepare_writes(data_dir: Path, runs: int) -> None:
    """The files "another writer" will swap in, one per run: each appends an event and prunes
    the oldest, as `Store` would, laid out exactly as `Store` writes (compact UTF-8 JSON; the
    app's incremental re-read relies on that layout and falls back to a full parse otherwise)."""
    from peft_telemetry_gui.core.models import new_event_id

    raw = json.loads((data_dir / "telemetry.json").read_bytes())
    for i in range(runs):
        last = raw["events"][-1]
        raw["events"].append({**last, "id": new_event_id(), "event_type": f"bench_{i}"})
        raw["events"].pop(0)
        payload = json.dumps(raw, separators=(",", ":"), ensure_ascii=False).encode()
        (data_dir / f".bench-next-{i}.json").write_bytes(payload)


def child_refresh(data_dir: Path, n: int, runs: int) -> None:
    """In the child: open the full window, then time external writes until handled."""
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from peft_telemetry_gui.core.store import Store
    from peft_telemetry_gui.gui.main_window import MainWindow
    from peft_telemetry_gui.gui.state import AppState

    app = QApplication(sys.argv[:1])
    state = AppState(Store(data_dir, max_events=n))
    window = MainWindow(state, remember_geometry=False, ask_first_run=False)
    window.show_page("dashboard")
    window.show()
    loop = QEventLoop()
    state.first_load_finished.connect(loop.quit)
    state.start()
    loop.exec()
    handled: list[float] = []
    # Connected last: runs after every page's own analytics_changed slot.
    state.analytics_changed.connect(lambda _d: (handled.append(time.perf_counter()), loop.quit()))
    timings = []
    for i in range(runs):
        app.processEvents()
        # Written beforehand by the driver (see `prepare_writes`): this process holds only
        # what the app itself holds, so its peak RSS is the app's.
        tmp = data_dir / f".bench-next-{i}.json"
        handled.clear()
        os.replace(tmp, data_dir / "telemetry.json")
        changed = time.perf_counter()
        QTimer.singleShot(10_000, loop.quit)
        loop.exec()
        if not handled:
            raise SystemExit("no refresh within 10 s")
        timings.append((handled[0] - changed) * 1000)
    state.shutdown()
    print(json.dumps({"refresh_ms": timings}))
    del window, app


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--child-refresh", nargs=2, metavar=("DIR", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_refresh:
        child_refresh(Path(args.child_refresh[0]), int(args.child_refresh[1]), args.runs)
        return 0

    tmp = Path(tempfile.mkdtemp(prefix="peft-gui-bench-"))
    rows: list[tuple[str, str, str, str]] = []
    compileall.compile_dir(str(ROOT / "peft_telemetry_gui"), quiet=1)

    small = tmp / "store-1000"
    build_store(small, 1000)
    app_times, bare_times, app_rss = [], [], []
    for i in range(args.runs):
        shot = tmp / f"app-{i}.png"
        wall, rss, _ = _run(
            [
                sys.executable,
                "-m",
                "peft_telemetry_gui.gui.app",
                "--data-dir",
                str(small),
                "--page",
                "dashboard",
                "--screenshot",
                str(shot),
            ]
        )
        app_times.append(wall)
        app_rss.append(rss)
        wall, _rss, _ = _run([sys.executable, "-c", BARE, str(tmp / f"bare-{i}.png")])
        bare_times.append(wall)
    app_s, bare_s = statistics.median(app_times), statistics.median(bare_times)
    ratio = app_s / bare_s
    rows.append(
        (
            "cold start to painted window, 1 000 events",
            f"{app_s * 1000:.0f} ms (bare PySide6+pyqtgraph {bare_s * 1000:.0f} ms)",
            f"ratio {ratio:.2f}x",
            f"<= {TARGETS['start_ratio']}x {'ok' if ratio <= TARGETS['start_ratio'] else 'MISSED'}",
        )
    )
    peak = max(app_rss)
    rows.append(
        (
            "peak RSS, app start with 1 000 events",
            f"{peak:.0f} MB",
            "",
            f"<= {TARGETS['rss_mb']} MB {'ok' if peak <= TARGETS['rss_mb'] else 'MISSED'}",
        )
    )

    for n in (1000, 100_000):
        folder = tmp / f"refresh-{n}"
        build_store(folder, n)
        prepare_writes(folder, args.runs)
        _wall, rss, out = _run(
            [
                sys.executable,
                str(Path(__file__).resolve()),
                "--runs",
                str(args.runs),
                "--child-refresh",
                str(folder),
                str(n),
            ]
        )
        timings = json.loads(out.strip().splitlines()[-1])["refresh_ms"]
        med = statistics.median(timings)
        target = TARGETS[f"refresh_{n}_ms"]
        rows.append(
            (
                f"refresh after external write, {n:,} events",
                f"{med:.0f} ms median",
                f"min {min(timings):.0f} / max {max(timings):.0f} ms",
                f"<= {target:.0f} ms {'ok' if med <= target else 'MISSED'}",
            )
        )
        rows.append((f"peak RSS, window open on {n:,} events", f"{rss:.0f} MB", "", ""))

    platform = os.environ.get("QT_QPA_PLATFORM", "offscreen")
    print(f"peft-telemetry-gui benchmark (median of {args.runs} runs, QT_QPA_PLATFORM={platform})")
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
