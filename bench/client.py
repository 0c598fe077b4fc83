"""Cost of the library to a host application: `python bench/client.py [--profile]`.

Every round uses a fresh temporary data folder (consent on unless stated, `max_events=1000`) and
`MemorySecretStore`, so no keyring is touched. Figures are medians over rounds. The baseline row
(`json.dumps` of the event plus `dict(props)`) is measured in the same run, for scale.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import os
import pstats
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import otel_baseline
import store_scale

from peft_telemetry_gui.core import analytics
from peft_telemetry_gui.core.client import TelemetryClient
from peft_telemetry_gui.core.client.capture import Pending, snapshot
from peft_telemetry_gui.core.client.writer import Writer
from peft_telemetry_gui.core.models import Event, StoreDocument
from peft_telemetry_gui.core.scrub import Scrubber
from peft_telemetry_gui.core.secrets import MemorySecretStore
from peft_telemetry_gui.core.services.consent import set_consent
from peft_telemetry_gui.core.store import Store

EVENT_TYPE = "training_started"
PROPS = {
    "algorithm": "lora",
    "rank": 16,
    "dataset_path": "/home/alice/data/train.jsonl",
    "model": "meta-llama/Llama-2-7b-hf",
    "epochs": 3,
    "learning_rate": 2e-4,
}
N_EVENTS = 5000
STORE_CAP = 1000


@dataclass
class Row:
    name: str
    value: float
    unit: str
    target: float | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        return None if self.target is None else self.value / self.target

    @property
    def verdict(self) -> str:
        if self.target is None:
            return "info"
        return "ok" if self.value <= self.target else "MISSED"


# ------------------------------------------------------------------------------ set-up
@contextmanager
def fresh_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="peft-bench-") as tmp:
        yield Path(tmp) / "data"


def bench_client(data_dir: Path) -> TelemetryClient:
    """The host every row measures: the store's cap, no keyring, no session events."""
    return TelemetryClient(
        "bench",
        data_dir,
        max_events=STORE_CAP,
        secret_store=MemorySecretStore(),
        environ={},
        start_session=False,
    )


def make_client(data_dir: Path, *, consent: bool = True) -> TelemetryClient:
    set_consent(Store(data_dir, max_events=STORE_CAP), enabled=consent, actor="api")
    client = bench_client(data_dir)
    client.flush()  # the writer has read consent: measure the steady state, not start-up
    return client


def realistic_events(n: int, *, start: datetime | None = None) -> list[Event]:
    """A training app's mix: usage, performance and a few errors, one session per 50 events.

    Over 30 days from `start`; by default a fixed one, so the figures computed (and timed) are
    the same on every run."""
    rng = random.Random(42)
    start = start or datetime(2026, 10, 24, 15, 30, tzinfo=UTC)
    step = timedelta(days=30) / max(n, 1)
    types = ["training_started", "training_completed", "model_loaded", "dataset_loaded"]
    events: list[Event] = []
    for i in range(n):
        ts = start + step * i
        session = f"session-{i // 50}"
        kind = i % 10
        if kind < 6:
            events.append(
                Event(
                    timestamp=ts,
                    category="usage",
                    event_type=types[i % len(types)],
                    session_id=session,
                    properties={**PROPS, "dataset_path": "[path]/train.jsonl"},
                )
            )
        elif kind < 9:
            events.append(
                Event(
                    timestamp=ts,
                    category="performance",
                    event_type="performance",
                    session_id=session,
                    metric_name=["step_time", "checkpoint_save", "api_response_time"][kind - 6],
                    value=rng.uniform(1, 500),
                    unit="ms",
                )
            )
        else:
            events.append(
                Event(
                    timestamp=ts,
                    category="error",
                    event_type="error",
                    session_id=session,
                    error_type="RuntimeError",
                    error_message="CUDA out of memory",
                    stack=["trainer:step:120", "torch.nn:forward:42"],
                )
            )
        if i % 50 == 49:
            events.append(
                Event(
                    timestamp=ts,
                    category="usage",
                    event_type="session_ended",
                    session_id=session,
                    properties={"duration_s": rng.uniform(60, 3600)},
                )
            )
    return events[:n]


def fill_store(data_dir: Path, n: int) -> Store:
    store = Store(data_dir, max_events=STORE_CAP)
    set_consent(store, enabled=True, actor="api")
    # The wall clock: the clients measured on this store prune by retention against it.
    events = realistic_events(n, start=datetime.now(UTC) - timedelta(days=1))

    def add(doc: StoreDocument) -> None:
        doc.events.extend(events)

    store.update(add)
    return store


# ------------------------------------------------------------------------------ measurements
def per_event_us(seconds: float, n: int = N_EVENTS) -> float:
    return seconds / n * 1e6


def round_host_only() -> float:
    with fresh_dir() as data:
        client = make_client(data)
        try:
            start = time.perf_counter()
            for _ in range(N_EVENTS):
                client.track_event(EVENT_TYPE, PROPS)
            took = time.perf_counter() - start
            client.flush(60)
        finally:
            client.close()
    return per_event_us(took)


def round_durable() -> float:
    with fresh_dir() as data:
        client = make_client(data)
        try:
            start = time.perf_counter()
            for _ in range(N_EVENTS):
                client.track_event(EVENT_TYPE, PROPS)
            ok = client.flush(60)
            took = time.perf_counter() - start
        finally:
            client.close()
    assert ok, "flush failed"
    return per_event_us(took)


def round_consent_off() -> float:
    with fresh_dir() as data:
        client = make_client(data, consent=False)
        try:
            start = time.perf_counter()
            for _ in range(N_EVENTS):
                client.track_event(EVENT_TYPE, PROPS)
            took = time.perf_counter() - start
        finally:
            client.close()
    return per_event_us(took)


def round_consent_off_at_start() -> float:
    """From the very first call after construction: no flush first, so the writer has not
    read the store yet (it may still be importing); consent is known from the file's head."""
    with fresh_dir() as data:
        set_consent(Store(data, max_events=STORE_CAP), enabled=False, actor="api")
        client = bench_client(data)
        try:
            start = time.perf_counter()
            for _ in range(N_EVENTS):
                client.track_event(EVENT_TYPE, PROPS)
            took = time.perf_counter() - start
            assert not client._intake.queue, "events of a user who said no were kept"
        finally:
            client.close()
    return per_event_us(took)


def round_scrubber() -> float:
    """The scrubber alone on the hot shape, warm (its caches filled by an earlier event)."""
    scrubber = Scrubber(
        hmac_key=b"k" * 32, user_name="alice", host_name="gpu-7", home="/home/alice"
    )
    scrubber.scrub_properties(PROPS)
    start = time.perf_counter()
    for _ in range(N_EVENTS):
        scrubber.scrub_properties(PROPS)
    return per_event_us(time.perf_counter() - start)


def round_otel() -> float:
    with tempfile.TemporaryDirectory(prefix="peft-bench-otel-") as tmp:
        return otel_baseline.us_per_event(Path(tmp) / "spans.otlp", EVENT_TYPE, PROPS, N_EVENTS)


def round_otel_processor_only() -> float:
    return otel_baseline.us_per_event(None, EVENT_TYPE, PROPS, N_EVENTS)


def round_baseline() -> float:
    dumps = json.dumps
    start = time.perf_counter()
    for _ in range(N_EVENTS):
        dumps({"event_type": EVENT_TYPE, "properties": dict(PROPS)})
    return per_event_us(time.perf_counter() - start)


def full_store_flush_ms(repeats: int = 15) -> tuple[float, float]:
    """One event added to a store already holding 1000: the whole-document rewrite cost."""
    flushes: list[float] = []
    noops: list[float] = []
    with fresh_dir() as data:
        store = fill_store(data, STORE_CAP)
        client = bench_client(data)
        try:
            client.flush()
            for _ in range(repeats):
                start = time.perf_counter()
                client.track_event(EVENT_TYPE, PROPS)
                assert client.flush(30)
                flushes.append((time.perf_counter() - start) * 1e3)
            assert len(Store(data, max_events=STORE_CAP).read().events) == STORE_CAP
            for _ in range(repeats):
                start = time.perf_counter()
                store.update(lambda doc: None)
                noops.append((time.perf_counter() - start) * 1e3)
        finally:
            client.close()
    return statistics.median(flushes), statistics.median(noops)


def analytics_ms(n: int, rounds: int) -> float:
    events = realistic_events(n)
    times = []
    for _ in range(rounds):
        gc.collect()
        start = time.perf_counter()
        result = analytics.compute(events)
        times.append((time.perf_counter() - start) * 1e3)
        assert result.total_events == n
    return statistics.median(times)


def import_ms(statement: str, runs: int = 9) -> float:
    """Median wall time of `statement` in a fresh interpreter (bytecode already cached), as a
    host pays it at start-up; interpreter start itself is not counted."""
    code = (
        "import time\n"
        "t = time.perf_counter()\n"
        f"{statement}\n"
        "print((time.perf_counter() - t) * 1e3)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    times = []
    for _ in range(runs + 1):  # the first run may write bytecode: not counted
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
        )
        times.append(float(out.stdout.strip()))
    return statistics.median(times[1:])


def median_of(rounds: int, fn: Callable[[], float]) -> float:
    return statistics.median(fn() for _ in range(rounds))


# ------------------------------------------------------------------------------ report
def measure(rounds: int) -> list[Row]:
    round_host_only()  # warm-up: imports, regex compilation, page cache
    baseline = median_of(rounds, round_baseline)
    host = median_of(rounds, round_host_only)
    durable = median_of(rounds, round_durable)
    scrub = median_of(rounds, round_scrubber)
    otel = None
    if otel_baseline.available():
        otel = (median_of(rounds, round_otel), median_of(rounds, round_otel_processor_only))
    off = median_of(rounds, round_consent_off)
    off_at_start = median_of(rounds, round_consent_off_at_start)
    flush_ms, noop_ms = full_store_flush_ms()
    flush_small, flush_large = store_scale.flush_ms((1_000, 100_000), realistic_events)
    read_full, read_again = store_scale.read_ms(100_000, realistic_events)
    stdlib_ms = import_ms("import logging, threading, uuid, dataclasses, pathlib")
    host_import = import_ms("from peft_telemetry_gui import TelemetryClient")
    pydantic_ms = import_ms("import pydantic")
    return [
        Row("baseline: import logging, threading, uuid, dataclasses, pathlib", stdlib_ms, "ms"),
        Row(
            "host import: from peft_telemetry_gui import TelemetryClient",
            host_import,
            "ms",
            60.0,
            f"x{host_import / stdlib_ms:.1f}",
        ),
        Row("for scale: import pydantic (not on the host's path any more)", pydantic_ms, "ms"),
        Row("baseline: json.dumps(event) + dict(props)", baseline, "us/event"),
        Row("(a) consent on, host side only", host, "us/event", None, f"x{host / baseline:.1f}"),
        Row("(b) consent on, durable (incl. flush)", durable, "us/event", 25.0),
        *otel_rows(durable, otel),
        Row("scrubber: flat dict of 6 scalars, warm", scrub, "us/event", 2.0),
        Row("(c) consent off", off, "us/event", 0.5),
        Row("(c') consent off, first call after construction", off_at_start, "us/event", 0.3),
        Row("flush of 1 event into a full 1000-event store", flush_ms, "ms", 15.0),
        Row("Store.update(no-op) on a full 1000-event store", noop_ms, "ms"),
        Row("100-event flush into a 1 000-event store", flush_small, "ms"),
        Row("100-event flush into a 100 000-event store", flush_large, "ms"),
        Row("  ratio 100 000 / 1 000", flush_large / flush_small, "x", 3.0),
        Row("read 100 000 events (Store.read, fresh reader)", read_full, "ms", 300.0),
        Row("re-read 100 000 events after a 100-event flush (read_incremental)", read_again, "ms"),
        Row("analytics.compute, 1 000 events", analytics_ms(1_000, rounds * 4), "ms"),
        Row("analytics.compute, 100 000 events", analytics_ms(100_000, rounds), "ms", 300.0),
    ]


def otel_rows(durable: float, otel: tuple[float, float] | None) -> list[Row]:
    """Row (b) against the OpenTelemetry SDK in the same run (see bench/otel_baseline.py)."""
    if otel is None:
        return [Row("OpenTelemetry SDK: not installed (pip install -e '.[bench]')", 0.0, "-")]
    to_file, dropped = otel
    return [
        Row("OTel SDK: span, BatchSpanProcessor, OTLP to file", to_file, "us/event"),
        Row("(b) relative to OTel SDK to file (like for like)", durable / to_file, "x", 0.5),
        Row("OTel SDK: span, BatchSpanProcessor, batch dropped", dropped, "us/event"),
        Row("(b) relative to OTel SDK dropping its batches", durable / dropped, "x"),
    ]


def render(rows: list[Row], rounds: int) -> str:
    head = ("row", "measured", "target", "ratio", "verdict")
    lines = []
    for r in rows:
        measured = f"{r.value:,.2f} {r.unit}"
        target = "-" if r.target is None else f"<= {r.target:g} {r.unit}"
        ratio = "-" if r.ratio is None else f"{r.ratio:.2f}"
        verdict = r.verdict + (f" ({r.note} baseline)" if r.note else "")
        lines.append((r.name, measured, target, ratio, verdict))
    widths = [max(len(x[i]) for x in [head, *lines]) for i in range(len(head))]
    fmt = "  ".join(f"{{:{'<' if i == 0 else '>'}{w}}}" for i, w in enumerate(widths))
    out = [
        f"peft_telemetry_gui client benchmark: python {sys.version.split()[0]}, "
        f"{os.cpu_count()} CPUs, median of {rounds} rounds x {N_EVENTS} events",
        fmt.format(*head),
        fmt.format(*("-" * w for w in widths)),
    ]
    out += [fmt.format(*line) for line in lines]
    return "\n".join(out)


def profile(fn: Callable[[], object], title: str, top: int = 18) -> None:
    prof = cProfile.Profile()
    prof.enable()
    fn()
    prof.disable()
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(top)
    print(f"\n=== profile: {title} (sorted by own time) ===")
    print("\n".join(buf.getvalue().splitlines()[4:]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="cProfile the rows over target")
    args = parser.parse_args(argv)
    rounds = max(5, args.rounds)
    rows = measure(rounds)
    print(render(rows, rounds))
    missed = {r.name for r in rows if r.verdict == "MISSED"}
    if args.profile and missed:
        # The writer runs on its own thread, which cProfile does not follow: profile the
        # durable path as the writer sees it by draining synchronously in this thread.
        for row in rows:
            if row.name not in missed:
                continue
            if row.name.startswith("(b)") or row.name.startswith("flush"):
                breakdown()
                profile(round_durable, row.name + " (host thread)")
                profile(writer_path, row.name + " (writer work, same thread)")
            elif row.name.startswith("(c)"):
                profile(round_consent_off, row.name)
            elif row.name.startswith("(c')"):
                profile(round_consent_off_at_start, row.name)
            elif row.name.startswith("analytics"):
                profile(lambda: analytics.compute(realistic_events(100_000)), row.name)
    return 1 if missed else 0


def _writer(client: TelemetryClient) -> Writer:
    """The client's writer object (built on the writer thread: wait for it)."""
    deadline = time.monotonic() + 10
    client.flush()  # the writer is built on its thread by its first answer
    while client._writer is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert client._writer is not None, "the writer did not start"
    return client._writer


def _prepared_batch(client: TelemetryClient) -> list[tuple[Event, object, bool]]:
    writer = _writer(client)
    writer.scrubber = Scrubber(hmac_key=b"k" * 32)
    now = datetime.now(UTC)
    return [
        writer.prepare(Pending(now, "usage", EVENT_TYPE, dict(PROPS), "s"), f"id-{i}")
        for i in range(N_EVENTS)
    ]


def writer_path() -> None:
    """The writer's work for one round (5000 events drained as one batch, as the real writer
    does when the host produces faster than it scrubs), run in this thread so cProfile sees it."""
    with fresh_dir() as data:
        client = make_client(data)
        try:
            batch = _prepared_batch(client)
            client.store.update(lambda doc: _writer(client).merge(doc, batch))  # type: ignore[arg-type]
        finally:
            client.close()


def breakdown() -> None:
    """Where a durable event's time goes, stage by stage, without profiler overhead."""

    def us(seconds: float) -> str:
        return f"{seconds / N_EVENTS * 1e6:7.2f} us/event"

    with fresh_dir() as data:
        client = make_client(data)
        try:
            now = datetime.now(UTC)
            start = time.perf_counter()
            for _ in range(N_EVENTS):
                Pending(now, "usage", EVENT_TYPE, snapshot(PROPS), "s")
            host = time.perf_counter() - start
            start = time.perf_counter()
            batch = _prepared_batch(client)
            prepare = time.perf_counter() - start
            scrubber = _writer(client).scrubber
            start = time.perf_counter()
            for _ in range(N_EVENTS):
                scrubber.scrub_properties(PROPS)
            scrub = time.perf_counter() - start
            doc = client.store.read()
            start = time.perf_counter()
            _writer(client).merge(doc, batch)  # type: ignore[arg-type]
            client.store.prune(doc)
            merge = time.perf_counter() - start
            start = time.perf_counter()
            payload = doc.model_dump_json(by_alias=True, exclude_none=True)
            dump = time.perf_counter() - start
            start = time.perf_counter()
            client.store._write_locked(doc)
            write = time.perf_counter() - start
        finally:
            client.close()
    print("\n=== durable path, stage by stage (same thread, no profiler) ===")
    print(f"host: snapshot + queue record       {us(host)}")
    print(f"writer: prepare (scrub + Event)     {us(prepare)}   of which scrub {us(scrub)}")
    print(f"writer: merge + prune (5000->1000)  {us(merge)}")
    print(f"writer: model_dump_json 1000 events {dump * 1e3:7.2f} ms ({len(payload):,} bytes)")
    print(f"writer: temp+fsync+replace+dir sync {write * 1e3:7.2f} ms")


if __name__ == "__main__":
    sys.exit(main())
