"""Scrubbing of everything the library records, before it reaches disk or network.

The scrubber is deliberately paranoid and deliberately cheap. It runs on the hot path of
``track_event``, so strings that cannot contain anything sensitive are recognised with a single
precompiled trigger search and results for short strings are memoised per instance. Everything
else is bounded: strings are cut *before* the expensive regexes run, containers are walked with
``itertools.islice`` and a size budget stops the walk long before a hostile payload can cost
real time.

Redaction classes (the keys of the returned ``Counter``) are stable identifiers that the store
accumulates and the GUI turns into sentences via :func:`describe_redactions`.

The modules are layered without cycles: ``limits``, ``markers``, ``patterns``, ``keys`` and
``frames`` import nothing from the package; ``rules`` builds on ``patterns`` and ``keys``;
``fit`` on ``markers``; and ``scrubber``, the walk itself, on everything except ``frames``. The
choices behind non-obvious behaviour are documented in the module that makes them.
"""

from __future__ import annotations

from ..redactions import REDACTION_LABELS, describe_redactions
from .frames import stack_frames
from .limits import ScrubLimits
from .scrubber import Scrubber

__all__ = ["REDACTION_LABELS", "ScrubLimits", "Scrubber", "describe_redactions", "stack_frames"]
