"""One event as a person reads, searches and exports it (core/event_view.py, Qt-free)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest

from peft_telemetry_gui.core.catalogue import parse_catalogue, stored_record
from peft_telemetry_gui.core.event_view import (
    ContextBuilder,
    ExplainContext,
    explain,
    export_bytes,
    readable_fields,
    readable_text,
    search_text,
)
from peft_telemetry_gui.core.export import CSV_COLUMNS
from peft_telemetry_gui.core.models import Event, StoreDocument

T0 = datetime(2026, 11, 23, 15, 30, tzinfo=UTC)
TEXTS = {
    "usage": "Which features are used.",
    "error": "Crashes, scrubbed.",
    "performance": "Timings.",
}
CATALOGUE = {
    "version": "1",
    "events": {
        "training_started": {
            "category": "usage",
            "description": "Which fine-tuning method people use",
            "properties": {"algorithm": "LoRA variant", "rank": "adapter rank"},
        },
        "checkpoint_save": {"category": "performance", "description": "How long saving takes"},
    },
}


def _event(**fields: object) -> Event:
    base: dict[str, object] = {
        "timestamp": T0,
        "category": "usage",
        "event_type": "training_started",
        "session_id": "s1",
    }
    base.update(fields)
    return Event(**base)  # type: ignore[arg-type]


def _doc(events: list[Event], apps: dict[str, dict] | None = None) -> StoreDocument:
    doc = StoreDocument()
    doc.events = events
    for app, raw in (apps or {}).items():
        doc.catalogues[app] = stored_record(parse_catalogue(raw), app_version="1", now=T0)
    return doc


def _started(session: str, app: str) -> Event:
    return _event(event_type="session_started", session_id=session, properties={"app_name": app})


def test_explanation_comes_from_the_declaring_apps_catalogue() -> None:
    other = {
        "version": "2",
        "events": {"training_started": {"category": "usage", "description": "Other words"}},
    }
    run = _event(session_id="s1", properties={"algorithm": "lora"})
    doc = _doc(
        [_started("s1", "PEFT Studio"), _started("s2", "Other"), run],
        {"PEFT Studio": CATALOGUE, "Other": other},
    )
    context = ExplainContext.build(doc, TEXTS)
    found = explain(run, context)
    assert found.text == "Which fine-tuning method people use"
    assert found.source == "Declared by PEFT Studio in its catalogue"
    assert explain(run.replace(session_id="s2"), context).text == "Other words"
    # A metric is declared under its metric name.
    save = _event(
        category="performance",
        event_type="performance",
        metric_name="checkpoint_save",
        value=12.0,
        unit="ms",
    )
    assert explain(save, context).text == "How long saving takes"
    text = readable_text(run, found)
    assert "What this is: Which fine-tuning method people use" in text
    assert "  algorithm: LoRA variant" in text and "rank: adapter rank" not in text


def test_without_a_catalogue_the_category_text_explains() -> None:
    run = _event(event_type="something_else")
    context = ExplainContext.build(_doc([run], {"PEFT Studio": CATALOGUE}), TEXTS)
    found = explain(run, context)
    assert found.text == TEXTS["usage"]
    assert found.source == "What the Usage category collects (no app declared this event)"
    error = _event(category="error", event_type="error", error_type="ValueError")
    assert explain(error, ExplainContext.build(_doc([error]), TEXTS)).text == TEXTS["error"]
    # The library's own events explain themselves with or without a catalogue.
    started = _started("s9", "X")
    assert explain(started, ExplainContext()).source == "Recorded by the library itself"


def test_an_unknown_session_uses_the_only_catalogue_that_declares_it() -> None:
    run = _event(session_id="pruned")
    context = ExplainContext.build(_doc([run], {"PEFT Studio": CATALOGUE}), TEXTS)
    assert explain(run, context).source == "Declared by PEFT Studio in its catalogue"


def test_context_has_the_span_whatever_the_order() -> None:
    events = [
        _event(timestamp=T0),
        _event(timestamp=T0 - timedelta(days=3)),
        _event(timestamp=T0 + timedelta(hours=1)),
    ]
    context = ExplainContext.build(_doc(events), TEXTS)
    assert (context.oldest, context.newest) == (T0 - timedelta(days=3), T0 + timedelta(hours=1))


def test_readable_fields_label_what_the_event_has() -> None:
    error = _event(
        category="error",
        event_type="error",
        error_type="OutOfMemoryError",
        error_message="CUDA out of memory",
        stack=["a.py:1 in f", "b.py:2 in g"],
        properties={"step": 3, "tags": ["x"]},
    )
    fields = dict(readable_fields(error))
    assert fields["Time"] == "2026-11-23 15:30:00 UTC"
    assert fields["Category"] == "Errors"
    assert fields["Error message"] == "CUDA out of memory"
    assert fields["Stack"] == "a.py:1 in f\nb.py:2 in g"
    assert fields["Property step"] == "3" and fields["Property tags"] == '["x"]'
    assert "Metric" not in fields and "Value" not in fields


def test_search_text_covers_every_field() -> None:
    event = _event(
        category="error",
        event_type="error",
        error_type="OutOfMemoryError",
        error_message="CUDA Out Of Memory",
        stack=["trainer.py:88 in step"],
        properties={"GpuName": "A100", "nested": {"innerKey": 7}},
    )
    text = search_text(event)
    for needle in (
        "gpuname",
        "a100",
        "innerkey",
        "7",
        "cuda out of memory",
        "trainer.py:88",
        "outofmemoryerror",
        "s1",
        event.id,
    ):
        assert needle in text
    assert text == text.lower()


def test_export_json_is_the_stored_records_in_the_order_given() -> None:
    events = [_event(properties={"n": i}) for i in range(3)][::-1]
    data = json.loads(export_bytes(events, "json"))
    assert data == [e.stored_dict() for e in events]


def test_export_csv_has_the_full_exports_columns_no_null_and_no_formulas() -> None:
    plain = _event(properties={"note": "=HYPERLINK(1)"})
    metric = _event(
        category="performance",
        event_type="performance",
        metric_name="step_time",
        value=-1.5,
        unit="ms",
    )
    rows = list(csv.reader(io.StringIO(export_bytes([plain, metric], "csv").decode())))
    assert tuple(rows[0]) == CSV_COLUMNS
    first = dict(zip(CSV_COLUMNS, rows[1], strict=True))
    assert first["stack"] == "" and first["error_type"] == ""  # never a literal null
    assert json.loads(first["properties"]) == {"note": "=HYPERLINK(1)"}
    second = dict(zip(CSV_COLUMNS, rows[2], strict=True))
    assert second["value"] == "-1.5"  # a negative number stays a number
    formula = export_bytes([_event(event_type="=cmd()")], "csv").decode()
    assert "'=cmd()" in formula
    with pytest.raises(ValueError, match="unknown format"):
        export_bytes([plain], "xml")  # type: ignore[arg-type]


def _same(a: ExplainContext, b: ExplainContext) -> None:
    assert (a.oldest, a.newest, dict(a.session_apps)) == (b.oldest, b.newest, dict(b.session_apps))
    assert [c.app_name for c in a.catalogues] == [c.app_name for c in b.catalogues]


def test_the_builder_reuses_work_and_agrees_with_a_fresh_build() -> None:
    """Reloads append, prune the oldest, or replace everything; each time the incremental
    context is the one a fresh build gives (apps of pruned sessions may stay: harmless)."""
    builder = ContextBuilder()
    events = [_started(f"s{i}", f"app{i % 3}") for i in range(6)]
    events += [_event(session_id=f"s{i}", timestamp=T0 + timedelta(minutes=i)) for i in range(6)]
    grown = [*events, _event(timestamp=T0 + timedelta(days=1)), _started("s9", "late")]
    steps = [
        events,
        grown,  # appended
        [*grown[3:], _event(timestamp=T0 - timedelta(days=1))],  # pruned, then an older one
        [_event(timestamp=T0 + timedelta(hours=5))],  # everything replaced
        [],
    ]
    for step in steps:
        doc = _doc(list(step), {"PEFT Studio": CATALOGUE})
        built, fresh = builder.build(doc, TEXTS), ExplainContext.build(doc, TEXTS)
        assert built.oldest == fresh.oldest and built.newest == fresh.newest
        assert dict(fresh.session_apps).items() <= dict(built.session_apps).items()
        assert [c.app_name for c in built.catalogues] == ["PEFT Studio"]
    # Appending reuses the apps found so far and adds the new session's.
    builder = ContextBuilder()
    builder.build(_doc(events), TEXTS)
    grown = builder.build(_doc([*events, _started("s9", "late")]), TEXTS)
    _same(grown, ExplainContext.build(_doc([*events, _started("s9", "late")]), TEXTS))
