"""What the environment says about recording, read in one place.

Only composition roots (the client's constructor, the CLI's `main`, the app's `main`) call these,
with the environment they were given, and pass plain values down: nothing below them reads
`os.environ` behind the caller's back.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

__all__ = ["DISABLE_ENV_VARS", "UPLOAD_WORKER_ENV", "env_override", "upload_worker_allowed"]

DISABLE_ENV_VARS = ("DO_NOT_TRACK", "PEFT_TELEMETRY_DISABLED")
#: `0` keeps a process from starting the background upload worker (tests, batch jobs that
#: leave delivery to the desktop app); everything else still records and queues.
UPLOAD_WORKER_ENV = "PEFT_TELEMETRY_UPLOAD_WORKER"

_FALSE = frozenset({"0", "false", "no", "off"})


def env_override(environ: Mapping[str, str] | None = None) -> str | None:
    """`"DO_NOT_TRACK=1"` when the environment forbids recording, else None.

    Any non-empty value other than 0/false/no/off (any case, spaces ignored) opts out: someone
    who sets the variable at all means it, whether they wrote `1`, `2`, `true` or `yes please`,
    and reading an unexpected value as "track me" is the one mistake an opt-out may not make.
    0/false/no/off or an empty value (an unset shell variable, expanded) leave consent in charge;
    they never turn anything on.
    """
    env = os.environ if environ is None else environ
    for name in DISABLE_ENV_VARS:
        value = env.get(name, "").strip()
        if value and value.lower() not in _FALSE:
            return f"{name}={value}"
    return None


def upload_worker_allowed(environ: Mapping[str, str] | None = None) -> bool:
    env = os.environ if environ is None else environ
    return env.get(UPLOAD_WORKER_ENV, "1").strip().lower() not in _FALSE
