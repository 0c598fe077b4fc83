"""Drop-ins for host apps that had telemetry of their own, so switching to ours is one line.

Each module keeps a host's public shapes (names, arguments, JSON) and puts our pipeline
behind them: the store every process shares, scrubbing before anything is written, the consent
rules and their audit log, and the desktop app that shows it all. Nothing here computes a
figure or decides consent itself; that stays in `core`, so the host, the CLI and the app can
never disagree.

- `peft_studio`: PEFT Studio's `TelemetryService` surface (`get_telemetry()`, `track_*`).
- `shapes`: our figures and consent in the JSON shapes PEFT Studio's UI reads.
- `reading`: the facade's re-reads of the store, parsing only what was appended.
- `fastapi`: its `/api/telemetry` router and a standalone app (`peft-telemetry serve`), with
  `errors` (one sentence per refused request); the only modules that need the `fastapi`
  extra, so importing this package or `peft_studio` never loads it.
"""

from __future__ import annotations
