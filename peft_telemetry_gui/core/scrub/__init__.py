"""Scrubbing of everything the library records, before it reaches disk or network.

The scrubber is deliberately paranoid and deliberately cheap. It runs on the hot path of
``track_event``, so strings that cannot contain anything sensitive are recognised with a single
precompiled trigger search and results for short strings are memoised per instance. Everything
else is bounded: strings are cut *before* the expensive regexes run, containers are walked with
``itertools.islice`` and a size budget stops the walk long before a hostile payload can cost
real time.

Redaction counts (the keys of the returned ``Counter``) are rule ids, a class or
``class:kind`` (``email``, ``token:aws``): stable identifiers that the store accumulates and the
GUI turns into sentences via :func:`describe_redactions`. Each rule's marker is its id in
brackets (``[token:aws]``); see :mod:`.markers`.

The modules are layered without cycles. At the bottom, importing nothing from the package:
``limits``, ``markers``, ``patterns`` (the shared pre-filter and network patterns), ``keys``,
``validators`` (checksums; ``stdnum`` and ``phonenumbers`` imported only for a candidate) and
``frames``. The detectors build on those: ``providers`` (the token table), ``emails``,
``paths``, ``entropy`` and ``fit`` on ``markers``; ``pairs`` (values named as secrets) on
``keys`` and ``markers``; ``digits`` (IBAN, phone, card, IMEI) on ``validators``. ``rules`` runs
the detectors over one string in order, ``sequences`` and ``flat`` serve the walk, and
``scrubber``, the walk itself, builds on all of them except ``frames``. The choices behind
non-obvious behaviour are documented in the module that makes them.
"""

from __future__ import annotations

from ..redactions import REDACTION_LABELS, describe_redactions
from .frames import stack_frames
from .limits import ScrubLimits
from .scrubber import Scrubber

__all__ = ["REDACTION_LABELS", "ScrubLimits", "Scrubber", "describe_redactions", "stack_frames"]
