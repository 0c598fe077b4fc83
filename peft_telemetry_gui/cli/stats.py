"""The data commands: `events` (raw events), `stats` (every event, through the rollups) and
`limits` (how much the store keeps, for every process)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from ..core import analytics
from ..core.i18n import tr, trn
from ..core.models import StoreDocument
from ..core.services.limits import MAX_EVENTS_RANGE, RETENTION_DAYS_RANGE, set_limits
from .common import EXIT_OK, UsageError, emit, open_store, printable, read_store, time_arg

__all__ = ["add_data_commands"]


def _summary(event_dict: dict[str, Any]) -> str:
    """Raw, for `printable` to escape once it is cut to the column's width."""
    if "metric_name" in event_dict:
        return (
            f"{event_dict['metric_name']} = {event_dict.get('value')} {event_dict.get('unit', '')}"
        )
    if "error_type" in event_dict:
        return f"{event_dict['error_type']}: {event_dict.get('error_message', '')}"
    props = event_dict.get("properties") or {}
    return ", ".join(f"{k}={v}" for k, v in list(props.items())[:4])


def _time_range(args: argparse.Namespace) -> tuple[Any, Any]:
    since = None if args.since is None else time_arg(args.since, "--since")
    until = None if args.until is None else time_arg(args.until, "--until", end_of_day=True)
    return since, until


def cmd_events(args: argparse.Namespace) -> int:
    since, until = _time_range(args)
    if args.type is not None and not args.type.strip():
        raise UsageError(tr("--type is empty; give an event type (or leave the option out)"))
    doc = read_store(open_store(args))
    events = analytics.filter_events(doc.events, since, until, event_type=args.type)
    records = [e.stored_dict() for e in events]
    lines = [
        f"{r['timestamp'][:19].replace('T', ' ')}  {printable(r['category']):<11}  "
        f"{printable(r['event_type']):<24}  {printable(_summary(r)[:80])}"
        for r in records
    ]
    emit(args, records, "\n".join(lines) if lines else tr("No events stored for that selection."))
    return EXIT_OK


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def cmd_stats(args: argparse.Namespace) -> int:
    since, until = _time_range(args)
    store = open_store(args)
    doc = read_store(store)
    result = analytics.compute_with_rollups(doc.events, doc.rollups, since, until).analytics
    lines = [
        tr(
            "Events: {events}   Sessions: {sessions}   Mean session: {mean} s   Errors: {errors}"
        ).format(
            events=result.total_events,
            sessions=result.sessions.count,
            mean=_fmt(result.sessions.mean_duration_s),
            errors=result.error_count,
        ),
    ]
    if result.event_counts:
        lines.append(tr("By type:"))
        lines += [f"  {printable(name):<28} {n}" for name, n in result.event_counts.items()]
        lines.append(tr("By category:"))
        lines += [f"  {printable(name):<28} {n}" for name, n in result.category_counts.items()]
    if result.performance:
        # Translators: column headings of the performance table (p50, p95: percentiles)
        metric, count, avg, low, high = tr("metric"), tr("count"), tr("avg"), tr("min"), tr("max")
        # Translators: the heading of the performance table's last column (ms, MB, ...)
        unit = tr("unit")
        lines.append(
            f"  {metric:<28} {count:>6} {avg:>9} {low:>9} {high:>9} {'p50':>9} {'p95':>9} {unit}"
        )
        for name, m in result.performance.items():
            lines.append(
                f"  {printable(name):<28} {m.count:>6} {_fmt(m.avg):>9} {_fmt(m.min):>9} "
                f"{_fmt(m.max):>9} {_fmt(m.p50):>9} {_fmt(m.p95):>9} {printable(m.unit)}"
            )
    if result.total_events:
        lines.append(kept_sentence(store.limits_of(doc)[0], doc, result))
    emit(args, result.model_dump(mode="json"), "\n".join(lines))
    return EXIT_OK


def kept_sentence(max_events: int, doc: StoreDocument, result: analytics.Analytics) -> str:
    """The dashboard's sentence, in UTC, with how many of the raw events fall in the range."""
    oldest = doc.events[0].timestamp if doc.events else None
    when = oldest.strftime("%Y-%m-%d %H:%M UTC") if oldest is not None else "-"
    sentence = analytics.kept_sentence(len(doc.events), max_events, when)
    return trn(
        "{sentence} ({n:,} raw event in it).",
        "{sentence} ({n:,} raw events in it).",
        result.retained_events,
    ).format(sentence=sentence[:-1], n=result.retained_events)


def cmd_limits(args: argparse.Namespace) -> int:
    store = open_store(args)
    removed = None
    if args.max_events is not None or args.retention_days is not None:
        try:
            change = set_limits(
                store, max_events=args.max_events, retention_days=args.retention_days, actor="cli"
            )
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        removed = change.events_removed
    doc = read_store(store)
    max_events, retention_days = store.limits_of(doc)
    oldest = doc.events[0].timestamp if doc.events else None
    payload = {
        "max_events": max_events,
        "retention_days": retention_days,
        "user_chosen": list(doc.limits.user_chosen),
        "events_stored": len(doc.events),
        "oldest_retained": None if oldest is None else oldest.isoformat(),
        "rollup_days": len(doc.rollups),
        "events_removed": removed,
    }
    # The settings' names (max_events, retention_days), as `--json` has them.
    chosen = ", ".join(doc.limits.user_chosen) or tr("none (a host app may set them)")
    stored, days = len(doc.events), len(doc.rollups)
    if oldest:
        kept = trn(
            "Stored: {n:,} raw event since {oldest}; daily counts and statistics for {days} days.",
            "Stored: {n:,} raw events since {oldest}; daily counts and statistics for {days} days.",
            stored,
        ).format(n=stored, oldest=oldest.strftime("%Y-%m-%d %H:%M UTC"), days=days)
    else:
        kept = trn(
            "Stored: {n:,} raw event; daily counts and statistics for {days} days.",
            "Stored: {n:,} raw events; daily counts and statistics for {days} days.",
            stored,
        ).format(n=stored, days=days)
    lines = [
        tr("Keep at most {max:,} raw events, for {days} days.").format(
            max=max_events, days=retention_days
        ),
        tr("Set by you: {settings}.").format(settings=chosen),
        kept,
    ]
    if removed:
        lines.append(
            trn(
                "Removed now: {n:,} raw event (its count stays in the summaries).",
                "Removed now: {n:,} raw events (their counts stay in the summaries).",
                removed,
            ).format(n=removed)
        )
    emit(args, payload, "\n".join(lines))
    return EXIT_OK


def _whole(low: int, high: int, option: str) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(
                tr("{value!r} is not a whole number").format(value=text)
            ) from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(
                tr("{option} takes {low} to {high}, not {value}").format(
                    option=option, low=low, high=high, value=value
                )
            )
        return value

    return parse


Command = Callable[[argparse.Namespace], int]
AddCommand = Callable[[str, Command, str], argparse.ArgumentParser]


def add_data_commands(add: AddCommand) -> None:
    p = add("events", cmd_events, tr("list stored events"))
    p.add_argument("--since", metavar="ISO")
    p.add_argument("--until", metavar="ISO")
    p.add_argument("--type", metavar="T")
    p = add("stats", cmd_stats, tr("counts per type/category/day and performance statistics"))
    p.add_argument("--since", metavar="ISO")
    p.add_argument("--until", metavar="ISO")
    p = add(
        "limits",
        cmd_limits,
        tr("show or set how many raw events and days the store keeps (audited)"),
    )
    p.add_argument(
        "--max-events",
        type=_whole(*MAX_EVENTS_RANGE, "--max-events"),
        metavar="N",
        help=tr("keep at most the newest N raw events (daily counts and statistics stay)"),
    )
    p.add_argument(
        "--retention-days",
        type=_whole(*RETENTION_DAYS_RANGE, "--retention-days"),
        metavar="D",
        help=tr("keep raw events and daily summaries for D days"),
    )
