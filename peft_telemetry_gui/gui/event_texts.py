"""The Events page's words that are built from data: category labels, counts, the placeholder
explanation. Qt-free, so the worker-side filter (`event_filter`) shows and searches the same
category label the table does.

Everything is translated when it is asked for (`tr`), never at import: the language can change
while the app runs.
"""

from __future__ import annotations

from ..core.event_view import Explanation
from ..core.i18n import tr, trn

__all__ = ["count_text", "exporting_text", "looking_up"]


def count_text(shown: int, total: int, filtering: bool) -> str:
    """The count line: "12 of 340 events" while a filter may hide some, else "340 stored
    events"."""
    if filtering:
        return trn("{shown:,} of {n:,} event", "{shown:,} of {n:,} events", total).format(
            shown=shown, n=total
        )
    return trn("{n:,} stored event", "{n:,} stored events", total).format(n=total)


def exporting_text(count: int) -> str:
    return trn("Exporting {n:,} event…", "Exporting {n:,} events…", count).format(n=count)


def looking_up() -> Explanation:
    """The readable view's explanation until the first context is computed (a few ms)."""
    return Explanation(tr("Looking this up…"), tr("the catalogues in the store, once read"))
