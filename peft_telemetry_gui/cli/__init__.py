"""`peft-telemetry`: the same powers as the desktop app, for scripts and headless machines.

A thin argparse front over `core.services` and the read-only core: every figure and every
change comes from the same functions the app calls. `common` (options, errors, output) ->
`commands` and `upload` (the commands) -> `main` (the parser and the exit-code rule).
"""

from __future__ import annotations

from .main import build_parser, main

__all__ = ["build_parser", "main"]
