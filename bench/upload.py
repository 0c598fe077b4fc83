"""Upload benchmark: encoding speed, delivery speed and bytes on the wire per event.

Batches of 100 realistic events (usage with properties, performance metrics, errors with stacks)
are encoded as OTLP protobuf or OTLP JSON, with gzip on and off, and POSTed to the test receiver
on 127.0.0.1 (which decodes every request, in the same process). The "pipeline" column runs the
real path: durable queue -> UploadWorker -> HTTP -> queue rewrite + history (fsync included).

    .venv/bin/python bench/upload.py [--batches 50]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import httpx  # noqa: E402
from upload_receiver import Receiver  # noqa: E402

from peft_telemetry_gui.core.secrets import MemorySecretStore  # noqa: E402
from peft_telemetry_gui.core.services.consent import set_consent  # noqa: E402
from peft_telemetry_gui.core.services.upload import enable_upload  # noqa: E402
from peft_telemetry_gui.core.store import Store  # noqa: E402
from peft_telemetry_gui.core.upload import UploadWorker  # noqa: E402
from peft_telemetry_gui.core.upload.encode import (  # noqa: E402
    ResourceInfo,
    build_request,
    encode_body,
)
from peft_telemetry_gui.core.upload.queue import QueuedRecord, append_locked  # noqa: E402

BATCH = 100


def realistic_events(n: int, seed: int = 7) -> list[dict[str, object]]:
    rng = random.Random(seed)
    start = datetime(2026, 3, 1, tzinfo=UTC)
    session = str(uuid.UUID(int=rng.getrandbits(128)))
    out: list[dict[str, object]] = []
    for i in range(n):
        stamp = (start + timedelta(seconds=i * 3)).isoformat()
        base = {
            "id": str(uuid.UUID(int=rng.getrandbits(128))),
            "timestamp": stamp,
            "session_id": session,
        }
        kind = rng.random()
        if kind < 0.6:
            base |= {
                "category": "usage",
                "event_type": rng.choice(["training_started", "epoch_finished", "model_saved"]),
                "properties": {
                    "algorithm": rng.choice(["lora", "qlora", "ia3", "prefix"]),
                    "rank": rng.choice([4, 8, 16, 32]),
                    "learning_rate": rng.choice([1e-4, 2e-4, 5e-5]),
                    "base_model": "meta-llama/Llama-3.1-8B",
                    "dataset": "[path]/train.jsonl",
                    "epochs": rng.randint(1, 5),
                    "gpu": {"count": 1, "name": "NVIDIA A100-SXM4-80GB"},
                },
            }
        elif kind < 0.9:
            base |= {
                "category": "performance",
                "event_type": "performance",
                "metric_name": rng.choice(["step_time", "checkpoint_save", "api_response_time"]),
                "value": round(rng.uniform(5, 900), 3),
                "unit": "ms",
                "properties": {"phase": rng.choice(["train", "eval"])},
            }
        else:
            base |= {
                "category": "error",
                "event_type": "error",
                "error_type": "torch.cuda.OutOfMemoryError",
                "error_message": "CUDA out of memory. Tried to allocate 2.00 GiB",
                "stack": [f"peft.trainer:step:{100 + j}" for j in range(6)],
                "properties": {"phase": "training"},
            }
        out.append(base)
    return out


def records(events: list[dict[str, object]]) -> list[QueuedRecord]:
    at = datetime(2026, 3, 1, tzinfo=UTC)
    return [
        QueuedRecord(str(e["id"]), at, "0123456789abcdef0123456789abcdef", e, b"") for e in events
    ]


def bench_encode(recs: list[QueuedRecord], encoding: str, gzip_on: bool) -> tuple[float, float]:
    """(events/s, wire bytes/event) for encode only."""
    resource = ResourceInfo("PEFT Studio", "1.4.0", "linux")
    total = 0
    started = time.perf_counter()
    for i in range(0, len(recs), BATCH):
        body, _ = encode_body(build_request(recs[i : i + BATCH], resource), encoding, gzip_on)  # type: ignore[arg-type]
        total += len(body)
    elapsed = time.perf_counter() - started
    return len(recs) / elapsed, total / len(recs)


def bench_post(recs: list[QueuedRecord], encoding: str, gzip_on: bool, rx: Receiver) -> float:
    """events/s for encode + POST + 200 over loopback."""
    resource = ResourceInfo("PEFT Studio", "1.4.0", "linux")
    before = len(rx.delivered_records())
    with httpx.Client(timeout=10) as client:
        started = time.perf_counter()
        for i in range(0, len(recs), BATCH):
            body, headers = encode_body(
                build_request(recs[i : i + BATCH], resource), encoding, gzip_on
            )  # type: ignore[arg-type]
            response = client.post(rx.endpoint + "/v1/logs", content=body, headers=headers)
            response.raise_for_status()
        elapsed = time.perf_counter() - started
    # The receiver may record a request a moment after it has answered it.
    deadline = time.monotonic() + 5
    while len(rx.delivered_records()) - before < len(recs) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(rx.delivered_records()) - before == len(recs), "receiver lost records"
    return len(recs) / elapsed


def bench_pipeline(
    events: list[dict[str, object]], encoding: str, gzip_on: bool, rx: Receiver
) -> float:
    """events/s through queue file -> worker -> HTTP -> queue rewrite + history, fsync on."""
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "data")
        set_consent(store, enabled=True, actor="cli")
        enable_upload(store, rx.endpoint, actor="cli")
        store.update(lambda d: append_locked(store, events, d.anonymous_id))
        worker = UploadWorker(
            store,
            encoding=encoding,  # type: ignore[arg-type]
            compress=gzip_on,
            secret_store=MemorySecretStore(),
            environ={},
            flush_interval=0,
        )
        before = len(rx.delivered_records())
        started = time.perf_counter()
        sent = 0
        while sent < len(events):
            result = worker.step(force=True)
            if result.requests == 0 or result.failed:
                raise RuntimeError("pipeline stalled")
            sent += result.sent
        elapsed = time.perf_counter() - started
        worker.shutdown()
        assert len(rx.delivered_records()) - before == len(events)
        return len(events) / elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=50, help="batches of 100 events (50)")
    args = parser.parse_args(argv)
    events = realistic_events(args.batches * BATCH)
    recs = records(events)
    rows = []
    with Receiver() as rx:
        for encoding in ("protobuf", "json"):
            for gzip_on in (True, False):
                bench_encode(recs[:BATCH], encoding, gzip_on)  # warm-up
                enc_rate, per_event = bench_encode(recs, encoding, gzip_on)
                post_rate = bench_post(recs, encoding, gzip_on, rx)
                pipe_rate = bench_pipeline(events, encoding, gzip_on, rx)
                rows.append(
                    (
                        encoding,
                        "on" if gzip_on else "off",
                        enc_rate,
                        post_rate,
                        pipe_rate,
                        per_event,
                    )
                )
    print(f"{len(events)} realistic events, batches of {BATCH}, receiver on 127.0.0.1\n")
    header = ("encoding", "gzip", "encode ev/s", "POST ev/s", "pipeline ev/s", "wire B/event")
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for enc, gz, e, p, q, b in rows:
        print(f"| {enc} | {gz} | {e:,.0f} | {p:,.0f} | {q:,.0f} | {b:,.1f} |")
    print(
        "\nencode: build OTLP request + serialise (+ gzip). POST: encode + HTTP round trip to "
        "the in-process receiver (which also decodes). pipeline: durable queue -> UploadWorker "
        "-> HTTP -> queue rewrite + history file (each fsynced)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
