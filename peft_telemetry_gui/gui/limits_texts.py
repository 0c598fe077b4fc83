"""The limits box's words (gui/limits_box.py): why a typed value is refused, and what a change
removes. Qt-free, so they read and test as plain functions."""

from __future__ import annotations

from ..core.i18n import N_, number_separators, tr, trn

__all__ = ["parse_limit", "removal_text"]

_SEPARATORS = str.maketrans("", "", ",_ '\u00a0\u202f")

#: What a refused value is told, per unit (`parse_limit`): (not a number, out of range).
_REFUSALS = {
    "raw events": (
        N_("Enter a whole number of raw events, from {low:,} to {high:,}."),
        N_("Keep between {low:,} and {high:,} raw events; {value:,} is not allowed."),
    ),
    "days": (
        N_("Enter a whole number of days, from {low:,} to {high:,}."),
        N_("Keep between {low:,} and {high:,} days; {value:,} is not allowed."),
    ),
}
_REFUSED = (
    N_("Enter a whole number, from {low:,} to {high:,}."),
    N_("Keep between {low:,} and {high:,}; {value:,} is not allowed."),
)


def parse_limit(text: str, bounds: tuple[int, int], unit: str) -> int | str:
    """The whole number typed ("5,000" and "5 000" too), or why it is refused, in words.

    The fields are plain line edits rather than spin boxes on purpose: a spin box silently
    clamps or swallows an out-of-range key, where the user should be told what is allowed."""
    low, high = bounds
    not_a_number, out_of_range = _REFUSALS.get(unit, _REFUSED)
    # "5,000", "5 000" and, where the language groups with dots, "5.000".
    cleaned = text.strip().translate(_SEPARATORS)
    if number_separators()[0] == ".":
        cleaned = cleaned.replace(".", "")
    if not cleaned.isascii() or not cleaned.isdigit():
        return tr(not_a_number).format(low=low, high=high)
    value = int(cleaned)
    if not low <= value <= high:
        return tr(out_of_range).format(low=low, high=high, value=value)
    return value


def removal_text(events: int, days: int, retention_days: int) -> str:
    """What a change removed (or would remove), the daily counts' fate always said: a phrase
    that ends the sentences "Applying removes …" and "Saved. Removed …"."""
    if not events and not days:
        return ""
    raw = trn("{n:,} older raw event", "{n:,} older raw events", events).format(n=events)
    if not days:
        # Translators: {raw} is such as "2,000 older raw events"; what "Applying removes"
        return tr("{raw}; daily counts are kept").format(raw=raw)
    counts = trn(
        "the daily counts of {n:,} day older than {retention:,} days",
        "the daily counts of {n:,} days older than {retention:,} days",
        days,
    ).format(n=days, retention=retention_days)
    # Translators: {raw} is such as "2,000 older raw events", {counts} "the daily counts of …"
    return tr("{raw} and {counts}").format(raw=raw, counts=counts) if events else counts
