"""What a host's `fork()` does to the client, and how the client stays usable in the child.

A forked child has only the thread that forked. Every lock another thread held at that moment
stays held for ever, which is why the child gets fresh locks, a fresh queue and a fresh store
object (`Background.after_fork_in_child`). One lock is out of our hands: the import lock of a
module the writer thread was importing (pydantic, the store, the keyring: its first few hundred
milliseconds). The child's own first import of that module would wait for ever. So:

- once the writer's imports of the store and pydantic are done, a `before` hook makes a fork wait
  for the rest of its start-up (at most `FORK_WAIT`, once); it is registered only then, after
  filelock's own fork hooks, because a hook registered while a fork is under way would get its
  "after" call without its "before" one;
- a child forked before that, while a module was still half-imported, records nothing and says
  so once (`imports_in_flight`): never a hang.

Standard library only.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import weakref
from typing import Protocol

__all__ = ["FORK_WAIT", "imports_in_flight", "register_before_fork"]

#: The longest a host's `fork()` waits for the writer's start-up (see the module docstring).
FORK_WAIT = 3.0


class _ForkAware(Protocol):
    def before_fork(self) -> None: ...


def imports_in_flight() -> bool:
    """True when a module is half-imported. In a freshly forked child, that is the work of a
    thread that no longer exists, and importing the module again would block on its lock."""
    for module in list(sys.modules.values()):
        spec = getattr(module, "__spec__", None)
        if getattr(spec, "_initializing", False) is True:
            return True
    return False


def register_before_fork(owner: _ForkAware) -> None:
    """A weak reference: an owner that is gone costs a forking host nothing but this call."""
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(before=functools.partial(_before, weakref.ref(owner)))


def _before(ref: weakref.ref[_ForkAware]) -> None:
    owner = ref()
    if owner is not None:
        with contextlib.suppress(Exception):  # a hook must never raise into `fork()`
            owner.before_fork()
