"""A chart's data as a file a person keeps: the rows its table twin shows, as CSV.

Qt-free so the same rows could come from the CLI one day; the GUI passes the rows the table
twin holds, so what is saved is exactly what was on screen. Also how a chart names an instant
(a bucket's start, with its zone), since a saved picture outlives the machine's time zone.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from .export import write_private_file
from .i18n import tr

__all__ = ["file_stem", "format_instant", "render_csv", "write_csv"]

_NOT_NAME = re.compile(r"[\W_]+")  # letters of any language stay: a translated title


def _cell(text: str) -> str:
    """A name starting with = + - @ would run as a formula in a spreadsheet: quoted, as in
    `export`. Numbers (a negative value) are kept as they are."""
    if text and text[0] in "=+-@\t\r":
        try:
            float(text.replace(",", ""))
        except ValueError:
            return "'" + text
    return text


def render_csv(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """The header row, then `rows`, every cell as shown (thousands separators included)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([_cell(str(h)) for h in headers])
    writer.writerows([_cell(str(value)) for value in row] for row in rows)
    return out.getvalue()


def write_csv(path: Path, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Atomic write (`export.write_private_file`): a failed save leaves no half file, and says
    so with an `ExportError` worded for the user."""
    write_private_file(Path(path), render_csv(headers, rows).encode("utf-8"), overwrite=True)


def format_instant(moment: datetime, size: str) -> str:
    """A bucket's start with its zone: hours in local time (the zone's name, or its offset
    when it has none), days as the UTC days the rollups count."""
    if size == "hour":
        local = moment.astimezone()
        zone = local.strftime("%Z") or local.strftime("UTC%z")
        return f"{local:%Y-%m-%d %H:%M} {zone}"
    # Translators: a day as the daily summaries count it, as in "2026-12-01 (UTC day)"
    return tr("{day} (UTC day)").format(day=f"{moment.astimezone(UTC):%Y-%m-%d}")


def file_stem(title: str) -> str:
    """A file name from a chart's title: "Events over time" -> "events-over-time" (a translated
    title keeps its letters: "Ereignisse über die Zeit" -> "ereignisse-über-die-zeit")."""
    return _NOT_NAME.sub("-", title.lower()).strip("-") or "chart"
