"""Realistic sample data for `peft-telemetry-gui --demo`, the screenshots and the benchmarks.

Qt-free so tests and benchmarks can build stores without a display. The data looks like what
the client writes after scrubbing (markers such as `[path]/train.jsonl`, `module:function:line`
stacks), so the app is shown the way a user would see it, but it is written straight into a
`Store`: it never goes through (or pretends to be) the real recording pipeline.
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta

from .clock import utc_now
from .models import Event, StoreDocument
from .services.consent import record_decision, reset_anonymous_id, set_consent
from .store import Store

__all__ = ["DEMO_REDACTIONS", "demo_events", "generate_demo"]

# Keys as the scrubber counts them: rule ids, ``class`` or ``class:kind`` (see `scrub.markers`).
DEMO_REDACTIONS = {
    "path": 41,
    "email": 12,
    "user": 7,
    "token:huggingface": 2,
    "token:github": 1,
    "host": 2,
    "ip": 1,
}

_SYSTEMS = (
    {"os": "Linux", "os_version": "6.8", "python": "3.11.9", "cpu_count": 16, "memory_gb": 62.7},
    {"os": "Linux", "os_version": "6.8", "python": "3.11.9", "cpu_count": 16, "memory_gb": 62.7},
    {"os": "macOS", "os_version": "14.5", "python": "3.11.8", "cpu_count": 10, "memory_gb": 32.0},
)
_ALGORITHMS = ("lora", "lora", "lora", "qlora", "prefix_tuning", "ia3")
_MODELS = ("llama-3-8b", "mistral-7b", "qwen2-1.5b", "phi-3-mini")
_DATASETS = ("[path]/train.jsonl", "[path]/alpaca_clean.json", "[path]/support_tickets.csv")
_ERRORS = (
    (
        "torch.OutOfMemoryError",
        "CUDA out of memory. Tried to allocate 2.00 GiB",
        [
            "peft_studio.training.loop:run_epoch:214",
            "peft_studio.training.step:forward:88",
            "torch.nn.modules.module:_call_impl:1736",
        ],
    ),
    (
        "FileNotFoundError",
        "No such file or directory: '[path]/train.jsonl'",
        ["peft_studio.data.loader:load_dataset:57", "peft_studio.data.loader:_open:31"],
    ),
    (
        "ValueError",
        "lora_r must be a positive integer, got 0",
        ["peft_studio.config:validate:142", "peft_studio.ui.train_form:on_submit:77"],
    ),
    (
        "ConnectionError",
        "could not reach https://[host]/api/models (token [token:huggingface])",
        ["peft_studio.hub.client:fetch:203", "httpx._client:send:1014"],
    ),
)
_METRICS = {
    # name: (unit, typical value, spread)
    "checkpoint_save": ("ms", 850.0, 0.35),
    "training_step_time": ("ms", 420.0, 0.2),
    "tokens_per_second": ("tokens/s", 2300.0, 0.15),
    "gpu_memory_peak": ("GB", 17.5, 0.12),
    "api_response_time": ("ms", 150.0, 0.5),
}


def _session_events(rng: random.Random, start: datetime) -> list[Event]:
    """One working session: start, a few trainings with metrics, maybe an error, end."""
    session = uuid.UUID(int=rng.getrandbits(128), version=4).hex
    system = rng.choice(_SYSTEMS)
    t = start
    events: list[Event] = []

    def add(category: str, event_type: str, **fields: object) -> None:
        events.append(
            Event(
                id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                timestamp=t,
                category=category,
                event_type=event_type,
                session_id=session,
                **fields,
            )
        )

    add("usage", "session_started", properties={"system": dict(system), "app_version": "0.9.2"})
    for _ in range(rng.randint(1, 3)):
        t += timedelta(seconds=rng.randint(20, 300))
        algorithm = rng.choice(_ALGORITHMS)
        add(
            "usage",
            "training_started",
            properties={
                "algorithm": algorithm,
                "base_model": rng.choice(_MODELS),
                "dataset": rng.choice(_DATASETS),
                "epochs": rng.choice((1, 2, 3, 5)),
                "learning_rate": rng.choice((1e-4, 2e-4, 3e-4)),
                "lora_r": rng.choice((8, 16, 32)),
                "output_dir": "[path]",  # a folder: only file names survive
            },
        )
        if rng.random() < 0.2:
            error_type, message, stack = rng.choice(_ERRORS)
            t += timedelta(seconds=rng.randint(5, 600))
            add(
                "error",
                "error",
                error_type=error_type,
                error_message=message,
                stack=list(stack),
                properties={"phase": "training", "algorithm": algorithm},
            )
            continue
        for _ in range(rng.randint(1, 3)):
            t += timedelta(seconds=rng.randint(30, 900))
            for name in ("training_step_time", "tokens_per_second", "gpu_memory_peak"):
                unit, typical, spread = _METRICS[name]
                add(
                    "performance",
                    "performance",
                    metric_name=name,
                    unit=unit,
                    value=round(max(0.1, rng.gauss(typical, typical * spread)), 2),
                )
            unit, typical, spread = _METRICS["checkpoint_save"]
            add(
                "performance",
                "performance",
                metric_name="checkpoint_save",
                unit=unit,
                value=round(max(1.0, rng.lognormvariate(0, spread) * typical), 1),
            )
            add("usage", "checkpoint_saved", properties={"format": "safetensors"})
        t += timedelta(seconds=rng.randint(10, 120))
        add(
            "usage",
            "training_completed",
            properties={"algorithm": algorithm, "final_loss": round(rng.uniform(0.6, 1.9), 3)},
        )
        if rng.random() < 0.6:
            t += timedelta(seconds=rng.randint(10, 120))
            add("usage", "evaluation_run", properties={"metric": "rougeL", "samples": 200})
        if rng.random() < 0.4:
            t += timedelta(seconds=rng.randint(5, 60))
            add("usage", "adapter_exported", properties={"format": rng.choice(("gguf", "hf"))})
    for _ in range(rng.randint(1, 4)):
        unit, typical, spread = _METRICS["api_response_time"]
        t += timedelta(seconds=rng.randint(1, 30))
        add(
            "performance",
            "performance",
            metric_name="api_response_time",
            unit=unit,
            value=round(rng.lognormvariate(0, spread) * typical, 1),
        )
    t += timedelta(seconds=rng.randint(5, 60))
    add("usage", "session_ended", properties={"duration_s": round((t - start).total_seconds())})
    return events


def demo_events(*, days: int = 30, seed: int = 0, now: datetime | None = None) -> list[Event]:
    """Sessions spread over the last `days` days (office hours, some days off), oldest first."""
    rng = random.Random(seed)
    now = now or utc_now()
    events: list[Event] = []
    for day in range(days, 0, -1):
        n = rng.choices((0, 1, 2, 3), weights=(0.2, 0.45, 0.25, 0.1))[0]
        for _ in range(n):
            start = (now - timedelta(days=day)).replace(
                hour=rng.randint(7, 18), minute=rng.randint(0, 59), second=rng.randint(0, 59)
            )
            if start >= now - timedelta(minutes=1):
                continue
            events.extend(e for e in _session_events(rng, start) if e.timestamp < now)
    # A session a couple of hours ago, so "last 24 hours" is never empty.
    events.extend(e for e in _session_events(rng, now - timedelta(hours=3)) if e.timestamp < now)
    events.sort(key=lambda e: e.timestamp)
    return events


def generate_demo(
    store: Store, *, days: int = 30, seed: int = 0, now: datetime | None = None
) -> int:
    """Fill `store` with a consent history, redaction counters and `days` days of events.

    Consent changes go through the real consent functions (with a clock set in the past) so
    the audit log looks exactly like one the app would write. Returns the number of events kept.
    """
    now = now or store.clock()  # a store on a pinned clock gives pinned demo data

    def at(moment: datetime) -> Store:
        return Store(
            store.data_dir,
            max_events=store.max_events,
            retention_days=store.retention_days,
            clock=lambda: moment,
        )

    start = now - timedelta(days=days, hours=2)
    record_decision(at(start), accepted=True, actor="gui", method="first_run_dialog")
    set_consent(
        at(start + timedelta(days=3)), enabled=True, actor="cli", categories={"system": False}
    )
    set_consent(
        at(start + timedelta(days=4)),
        enabled=True,
        actor="gui",
        categories={"system": True},
        method="privacy_page",
    )
    reset_anonymous_id(at(start + timedelta(days=days / 2)), actor="gui", method="privacy_page")

    events = demo_events(days=days, seed=seed, now=now)
    system_off = (start + timedelta(days=3), start + timedelta(days=4))
    for event in events:
        # The "system" category was off for a day: sessions started then carry no system info.
        if (
            event.event_type == "session_started"
            and system_off[0] <= event.timestamp < system_off[1]
        ):
            event.properties.pop("system", None)

    def fill(doc: StoreDocument) -> int:
        doc.events.extend(events)
        for key, count in DEMO_REDACTIONS.items():
            doc.redactions[key] = doc.redactions.get(key, 0) + count
        return len(doc.events)

    at(now).update(fill)
    return len(at(now).read().events)
