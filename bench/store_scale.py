"""How the store's costs grow with its size (issue 11, part 3); rows of `bench/client.py`.

`python bench/store_scale.py` prints the same figures alone. Each size gets its own fresh
folder, filled in one write with events that end a day before now (so nothing that follows is
out of time order and retention prunes nothing), and a host whose cap is that size, so every
flush into the full store also prunes as many of the oldest events as it adds.
"""

from __future__ import annotations

import gc
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from peft_telemetry_gui.core.client import TelemetryClient
from peft_telemetry_gui.core.models import Event, StoreDocument
from peft_telemetry_gui.core.secrets import MemorySecretStore
from peft_telemetry_gui.core.services.consent import set_consent
from peft_telemetry_gui.core.store import Store

BATCH = 100
PROPS = {"algorithm": "lora", "rank": 16, "dataset_path": "[path]/train.jsonl", "epochs": 3}


def filled(data_dir: Path, n: int, make_events: object) -> Store:
    """A store holding `n` events (`make_events(n, start=...)`, bench/client.py's mix), the
    newest a day old, with consent on."""
    store = Store(data_dir, max_events=n)
    set_consent(store, enabled=True, actor="api")
    start = datetime.now(UTC) - timedelta(days=31)
    events: list[Event] = make_events(n, start=start)  # type: ignore[operator]

    def add(doc: StoreDocument) -> None:
        doc.events.extend(events)

    store.update(add)
    return store


def flush_ms(sizes: tuple[int, ...], make_events: object, repeats: int = 21) -> list[float]:
    """Median time for a host to record `BATCH` events and flush them into a full store of
    each size (as a host sees it: `flush()` returns once the batch is durable). The sizes take
    turns, flush by flush, so a busy machine weighs on each alike and the ratio stays fair."""
    times: list[list[float]] = [[] for _ in sizes]
    with tempfile.TemporaryDirectory(prefix="peft-bench-scale-") as tmp:
        clients = []
        for n in sizes:
            data = Path(tmp) / f"data-{n}"
            filled(data, n, make_events)
            client = TelemetryClient(
                "bench",
                data,
                max_events=n,
                secret_store=MemorySecretStore(),
                environ={},
                start_session=False,
            )
            clients.append(client)
        try:
            for i in range(repeats + 2):
                for k, client in enumerate(clients):
                    assert client.flush(60)
                    for j in range(BATCH):
                        client.track_event("training_step", {**PROPS, "step": j})
                    start = time.perf_counter()
                    assert client.flush(60)
                    if i >= 2:  # the first flushes load the store and warm the writer up
                        times[k].append((time.perf_counter() - start) * 1e3)
        finally:
            for client in clients:
                client.close()
        for n in sizes:
            assert len(Store(Path(tmp) / f"data-{n}", max_events=n).read().events) == n
    return [statistics.median(t) for t in times]


def read_ms(n: int, make_events: object, repeats: int = 5) -> tuple[float, float]:
    """Median `Store.read()` of a full `n`-event store by a fresh reader, and the app's
    re-read (`read_incremental`) after another process flushed `BATCH` more."""
    full: list[float] = []
    again: list[float] = []
    with tempfile.TemporaryDirectory(prefix="peft-bench-scale-") as tmp:
        data = Path(tmp) / "data"
        store = filled(data, n, make_events)
        more: list[Event] = make_events(BATCH, start=datetime.now(UTC))  # type: ignore[operator]
        for i in range(repeats):
            reader = Store(data, max_events=n)
            gc.collect()
            start = time.perf_counter()
            doc = reader.read()
            full.append((time.perf_counter() - start) * 1e3)
            assert len(doc.events) == n
            batch = [e.replace(id=f"{i:08d}-{e.id[9:]}") for e in more]
            store.update(lambda d, b=batch: d.events.extend(b))
            start = time.perf_counter()
            doc = reader.read_incremental(doc)
            again.append((time.perf_counter() - start) * 1e3)
            assert len(doc.events) == n
    return statistics.median(full), statistics.median(again)


def main() -> int:
    from client import realistic_events  # bench/client.py's event mix

    small, large = flush_ms((1_000, 100_000), realistic_events)
    full, again = read_ms(100_000, realistic_events)
    print(f"{BATCH}-event flush into 1 000: {small:.2f} ms, into 100 000: {large:.2f} ms")
    print(f"ratio {large / small:.2f} (target <= 3)")
    print(f"read 100 000 events: {full:.1f} ms (target <= 300); re-read after a flush: {again:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
