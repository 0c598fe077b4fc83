"""Tracebacks reduced to ``module:function:line``, the only part of them that is safe to keep.

Directories are dropped structurally rather than scrubbed, so this needs neither scrubber state
nor patterns and stays apart from the walk.
"""

from __future__ import annotations

import re
import types
from collections import deque

_FRAME_NAME_SPLIT = re.compile(r"[\\/]")


def stack_frames(tb: types.TracebackType | None, limit: int = 30) -> list[str]:
    """Describe a traceback without directories, which would reveal user and project names."""
    frames: deque[str] = deque(maxlen=max(0, limit))
    if limit <= 0:
        return []
    try:
        seen = 0
        while tb is not None and seen < 10_000:
            seen += 1
            try:
                frame = tb.tb_frame
                code = frame.f_code
                module = frame.f_globals.get("__name__")
                if not isinstance(module, str) or not module:
                    base = _FRAME_NAME_SPLIT.split(code.co_filename)[-1]
                    module = base.rsplit(".", 1)[0] if "." in base else base
                module = _FRAME_NAME_SPLIT.split(module)[-1]
                frames.append(f"{module}:{code.co_name}:{tb.tb_lineno}")
            except Exception:
                frames.append("?:?:0")
            tb = tb.tb_next
    except Exception:
        pass
    return list(frames)
