"""A pretend PEFT Studio: a fine-tuning run told to the telemetry library, step by step.

Why this exists: to see what a host application records, and how the desktop app shows it,
without installing PEFT Studio or training a model. It uses the public API only
(`TelemetryClient`, `track_event`, `track_performance`, `timer`, `track_error`, `flush`,
`close`), so it is also the shortest honest example of embedding the library.

Run it (after `make run` or `make demo` made `.venv`):

    .venv/bin/peft-telemetry --data-dir /tmp/peft-example enable     # the user says yes
    .venv/bin/python examples/peft_studio_host.py --data-dir /tmp/peft-example
    .venv/bin/peft-telemetry-gui --data-dir /tmp/peft-example        # in another terminal

Without `--data-dir` it records into your own store (the one `make run` opens). It records
nothing until the user has allowed telemetry for that folder: it says so, and how, and stops.
It never raises: the simulated failure is caught and recorded like a real one, Ctrl+C stops it
with everything recorded so far saved, and a store that cannot be written is reported in one
line.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from peft_telemetry_gui import TelemetryClient

#: Not "PEFT Studio": the store keeps one catalogue per app name, and this one must never
#: replace the real application's.
APP_NAME = "PEFT Studio (example)"
APP_VERSION = "0.1.0"

#: What this host may record, and why: the user reads these words on the Privacy page and in
#: `peft-telemetry catalogue`. Anything not declared here is not recorded (counted as
#: "undeclared"), so a typo in an event name shows up as a drop, not as a surprise.
CATALOGUE: dict[str, object] = {
    "version": "2026-12",
    "events": {
        "training_started": {
            "category": "usage",
            "description": "Which fine-tuning methods and settings people use",
            "properties": {
                "algorithm": {"description": "The adapter method", "example": "lora"},
                "rank": {"description": "The adapter rank", "example": 16},
                "base_model": {"description": "The public base model", "example": "qwen2-1.5b"},
                "dataset": {"description": "The dataset file (its folder is removed)"},
                "steps": {"description": "How many steps the run was asked for", "example": 50},
            },
        },
        "checkpoint_saved": {
            "category": "usage",
            "description": "How often people save checkpoints, and in which format",
            "properties": {"step": "The training step", "format": "safetensors or bin"},
        },
        "training_completed": {
            "category": "usage",
            "description": "Whether runs finish, and with what loss",
            "properties": {"steps": "Steps done", "final_loss": "The last training loss"},
        },
        "training_failed": {
            "category": "usage",
            "description": "That a run stopped early, and at which step",
            "properties": {"step": "The step it stopped at"},
        },
        "training_step_time": {
            "category": "performance",
            "description": "How long one training step takes",
            "unit": "ms",
            "properties": {"step": "The training step"},
        },
        "train_loss": {
            "category": "performance",
            "description": "The training loss, to see whether defaults converge",
            "unit": "loss",
        },
        "tokens_per_second": {
            "category": "performance",
            "description": "Training throughput",
            "unit": "tokens/s",
        },
        "checkpoint_save": {
            "category": "performance",
            "description": "How long saving a checkpoint takes",
            "unit": "ms",
        },
        "error": {
            "category": "error",
            "description": "What failed, so it can be fixed",
            "properties": {"phase": "training or export", "step": "The step it failed at"},
        },
    },
}

_RUNS = (("lora", 16, "qwen2-1.5b"), ("qlora", 8, "llama-3-8b"), ("ia3", 4, "phi-3-mini"))


class SimulatedOutOfMemory(RuntimeError):
    """What a real run raises when the GPU is full; its message carries a home folder path,
    so the stored event shows what the scrubber does with one."""


@dataclass
class Summary:
    """What this run asked the library to record: the claims a test checks against the store."""

    data_dir: str
    sessions: int = 0
    steps: int = 0
    metrics: int = 0
    usage_events: int = 0
    failures: int = 0
    saved: bool = True
    dropped: int = 0
    categories_off: list[str] = field(default_factory=list)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Simulate PEFT Studio fine-tuning runs through the telemetry library."
    )
    parser.add_argument("--data-dir", help="data folder (default: $PEFT_TELEMETRY_DIR or yours)")
    parser.add_argument("--steps", type=int, default=30, help="training steps per run (30)")
    parser.add_argument("--sessions", type=int, default=2, help="app sessions, one run each (2)")
    parser.add_argument("--delay", type=float, default=0.3, help="seconds per step (0.3)")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    args = parser.parse_args(argv)
    if args.steps < 1 or args.sessions < 1 or not math.isfinite(args.delay) or args.delay < 0:
        parser.error("--steps and --sessions must be at least 1, --delay at least 0")
    return args


def consent_problem(client: TelemetryClient) -> str | None:
    """Why nothing would be recorded, in words, or None. A real host asks its user with its
    own screen and calls `client.enable()` after a yes; this example leaves that to the user,
    so whatever is recorded here was allowed by them, through the CLI or the app."""
    folder = client.data_dir
    if client.env_override is not None:
        return f"{client.env_override} is set in this environment: nothing is recorded."
    try:
        consent = client.store.read().consent
    except Exception as exc:  # a folder we cannot read: say so, never a traceback
        return f"The data folder {folder} cannot be read: {exc}"
    if consent.enabled:
        return None
    state = "has not been allowed yet" if not consent.decided else "is turned off"
    return (
        f"Telemetry {state} for {folder}, so nothing will be recorded.\n"
        f"Allow it first, then run this again:\n"
        f"  peft-telemetry --data-dir {folder} enable\n"
        f"or tick 'Record anonymous telemetry' on the Privacy page of\n"
        f"  peft-telemetry-gui --data-dir {folder}"
    )


def categories_off(client: TelemetryClient) -> list[str]:
    """Categories the user left off: their calls are no-ops, and the summary says so."""
    try:
        consent = client.store.read().consent
    except Exception:
        return []
    return [name for name in ("usage", "error", "performance") if not consent.category_on(name)]


def run_session(client: TelemetryClient, index: int, args: argparse.Namespace, s: Summary) -> None:
    """One app session: one fine-tuning run; the last session's run fails two thirds in."""
    rng = random.Random(index)  # the same curve every time: nothing here reads the clock
    algorithm, rank, base_model = _RUNS[index % len(_RUNS)]
    fails = index == args.sessions - 1
    fail_at = max(1, (args.steps * 2) // 3)
    dataset = Path.home() / "datasets" / "support_tickets.jsonl"  # stored as [path]/...
    client.track_event(
        "training_started",
        {
            "algorithm": algorithm,
            "rank": rank,
            "base_model": base_model,
            "dataset": str(dataset),
            "steps": args.steps,
        },
    )
    s.usage_events += 1
    loss = 2.5 + rng.random()
    for step in range(1, args.steps + 1):
        try:
            with client.timer("training_step_time", {"step": step}):
                time.sleep(args.delay)  # the forward and backward pass
                if fails and step == fail_at:
                    raise SimulatedOutOfMemory(
                        f"CUDA out of memory at step {step} while reading {dataset}"
                    )
        except SimulatedOutOfMemory as exc:
            s.metrics += 1  # the timer records the failed step too
            s.steps += 1
            client.track_error(exc, {"phase": "training", "step": step})
            client.track_event("training_failed", {"step": step})
            s.failures += 1
            s.usage_events += 1
            print(f"  session {index + 1}: step {step} failed ({type(exc).__name__})")
            return
        loss = max(0.05, loss * (0.93 + 0.04 * rng.random()))
        client.track_performance("train_loss", round(loss, 4), unit="loss")
        client.track_performance(
            "tokens_per_second", round(2000 + 600 * rng.random(), 1), unit="tokens/s"
        )
        s.steps += 1
        s.metrics += 3
        if step % 10 == 0:
            with client.timer("checkpoint_save"):
                time.sleep(args.delay / 2)  # writing the adapter
            client.track_event("checkpoint_saved", {"step": step, "format": "safetensors"})
            s.metrics += 1
            s.usage_events += 1
        if step % 10 == 0 or step == args.steps:
            print(f"  session {index + 1}: step {step}/{args.steps}, loss {loss:.3f}")
    client.track_event("training_completed", {"steps": args.steps, "final_loss": round(loss, 4)})
    s.usage_events += 1


def simulate(args: argparse.Namespace) -> tuple[int, Summary]:
    """Every session is its own client, as every launch of a real app is: each gets its own
    session id, `session_started` (with system information, if allowed) and `session_ended`."""
    summary = Summary(data_dir="")
    for index in range(args.sessions):
        with TelemetryClient(
            app_name=APP_NAME,
            app_version=APP_VERSION,
            data_dir=args.data_dir,
            catalogue=CATALOGUE,
        ) as client:
            summary.data_dir = str(client.data_dir)
            if index == 0:
                problem = consent_problem(client)
                if problem is not None:
                    print(problem)
                    return 0, summary
                summary.categories_off = categories_off(client)
                print(f"Recording to {client.data_dir}. Watch it live in another terminal:")
                print(f"  peft-telemetry-gui --data-dir {client.data_dir}")
            summary.sessions += 1
            run_session(client, index, args, summary)
            # `close()` (the `with`) flushes too; flushing first lets us say whether it worked.
            summary.saved = client.flush() and summary.saved
            summary.dropped += client.dropped
    return (0 if summary.saved else 1), summary


def report(summary: Summary, as_json: bool) -> None:
    if as_json:
        print(json.dumps(asdict(summary)))
        return
    print(
        f"Asked the library to record {summary.sessions} sessions, {summary.steps} training "
        f"steps, {summary.metrics} metric values and {summary.usage_events} usage events; "
        f"failures: {summary.failures}."
    )
    if summary.categories_off:
        print(f"Not recorded, as you chose: {', '.join(summary.categories_off)}.")
    if not summary.saved:
        print("Some events could not be saved yet (see the warning above).")
    print(f"See them: peft-telemetry --data-dir {summary.data_dir} stats")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        code, summary = simulate(args)
    except KeyboardInterrupt:  # each client's `with` has flushed and closed on the way out
        print("Stopped. What was recorded so far is saved.")
        return 130
    if summary.sessions or args.json:
        report(summary, args.json)
    return code


if __name__ == "__main__":
    sys.exit(main())
