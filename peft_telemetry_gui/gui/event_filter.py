"""What the Events filter matches, computed on the Events page's worker thread.

No Qt here on purpose: filtering 100 000 events through `QSortFilterProxyModel` called `data()`
once per row and column on the GUI thread (seconds per keystroke). Instead each event gets one
lower-case search text, built on the worker the first time a filter needs it and then reused by
event id (a reload reuses the event objects, so only new events cost anything), and a filter is
a list of matching row numbers that the GUI thread only swaps in.

The text is what the table shows (local time, category, type, summary) plus what of the stored
fields the summary leaves out (nested or long properties, a long error message, the stack),
so a search finds what the detail pane then highlights (`core.event_view.search_text` is the
reference: every field). A usage event's summary already holds most of its properties, and a
key or value it contains is not added again; the two ids are matched on the events
themselves, only for a search that looks like one. At 100 000
events that keeps the texts' size and build time near what they were for the columns alone.
The date range is checked in the same pass.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..core.event_view import category_title, property_texts
from ..core.i18n import active_language
from ..core.models import Event
from .table_models import event_summary, format_time

__all__ = ["FilterSpec", "SearchIndex", "select_rows"]


@dataclass(frozen=True, slots=True)
class FilterSpec:
    """The filter and sort the user chose. `sort_column` -1 is the store's order, newest first
    (no work at all); otherwise a column of the table, ascending unless `descending`. `since`
    and `until` bound the time (both included); None leaves that side open."""

    text: str = ""
    category: str | None = None
    sort_column: int = -1
    descending: bool = False
    since: datetime | None = None
    until: datetime | None = None

    @property
    def needle(self) -> str:
        return self.text.strip().lower()

    @property
    def filtering(self) -> bool:
        """Whether some events may be hidden (the page then says "N of M events")."""
        return (
            bool(self.needle)
            or self.category is not None
            or self.since is not None
            or self.until is not None
        )

    @property
    def active(self) -> bool:
        """Whether the rows differ from the store's order at all (a job is needed)."""
        return self.filtering or self.sort_column >= 0


#: A search that could be (part of) an event or session id: hex digits and dashes.
_ID_LIKE = re.compile(r"[0-9a-f-]{4,}")
#: From this length on, `event_summary` may have cut the error message (it cuts at 120).
_SUMMARY_COVERS = 100


def _search_text(event: Event) -> str:
    # What the table shows, then what the summary may have left out of the stored fields.
    summary = event_summary(event)
    category = event.category
    label = category_title(category)  # as the table shows it, and as stored
    parts = [format_time(event.timestamp), category, event.event_type, summary]
    if label.lower() != category:
        parts.append(label)
    props = event.properties
    if props and (
        event.metric_name is not None  # a metric's or an error's summary shows no properties
        or event.error_type is not None
        or "…" in summary  # a usage event's shows them all, unless it cut one,
        or "\\" in summary  # escaped one (nested, as JSON),
        or "system" in props  # or shortened the system information
    ):
        parts += [p for p in property_texts(props) if p not in summary]
    if event.value is not None and str(event.value) not in summary:  # shown as "1,004.20"
        parts.append(str(event.value))
    if event.error_message is not None and len(summary) >= _SUMMARY_COVERS:
        parts.append(event.error_message)
    if event.stack:
        parts.extend(event.stack)
    return "\t".join(parts).lower()


class SearchIndex:
    """The search text of each stored event, in store order (oldest first, as the document
    holds them). Lives on the page's one worker thread only; not a QObject."""

    def __init__(self) -> None:
        self._events: Sequence[Event] | None = None
        self._texts: list[str] = []
        self._language = active_language()  # the texts hold the shown category labels

    def texts_for(self, events: Sequence[Event]) -> list[str]:
        """The texts for this document's events; only events not seen before are formatted
        (all of them again after a change of language)."""
        if (language := active_language()) != self._language:
            self._events, self._texts, self._language = None, [], language
        if events is not self._events:
            known = dict(zip(map(_event_id, self._events or ()), self._texts, strict=True))
            self._texts = [known.get(e.id) or _search_text(e) for e in events]
            self._events = events
        return self._texts


def _event_id(event: Event) -> str:
    return event.id


def _sort_key(events: Sequence[Event], column: int) -> Callable[[int], Any]:
    if column == 0:
        return lambda i: events[i].timestamp
    if column == 1:  # as shown: the category's label in the user's language
        labels = {name: category_title(name) for name in {e.category for e in events}}
        return lambda i: labels[events[i].category]
    if column == 2:
        return lambda i: events[i].event_type
    return lambda i: event_summary(events[i])


def select_rows(events: Sequence[Event], index: SearchIndex, spec: FilterSpec) -> list[int] | None:
    """The table's rows as indexes into `events`, in display order; None for "all of them,
    newest first" (the model then maps row r to the r-th newest without a list)."""
    if not spec.active:
        return None
    newest_first = range(len(events) - 1, -1, -1)
    if spec.filtering:
        needle, category, since, until = spec.needle, spec.category, spec.since, spec.until
        texts = index.texts_for(events) if needle else None
        ids = bool(_ID_LIKE.fullmatch(needle))
        rows = [
            i
            for i in newest_first
            if (category is None or events[i].category == category)
            and (since is None or events[i].timestamp >= since)
            and (until is None or events[i].timestamp <= until)
            and (
                texts is None
                or needle in texts[i]
                or (ids and (needle in events[i].id or needle in events[i].session_id))
            )
        ]
    else:
        rows = list(newest_first)
    if spec.sort_column >= 0:
        # A stable sort of the newest-first list: ties stay newest first, as Qt's proxy did.
        rows.sort(key=_sort_key(events, spec.sort_column), reverse=spec.descending)
    return rows
