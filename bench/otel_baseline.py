"""The yardstick for the client's durable cost: the OpenTelemetry SDK doing the same job.

One span per event carrying the same attributes, a ``BatchSpanProcessor`` (queue sized so
nothing is dropped, as our client drops nothing) and an exporter that encodes each batch as
OTLP protobuf and appends it to a file with an fsync, so both sides end on disk: the like-for-
like comparison the target applies to. A second variant drops each batch unencoded, the
processor's own cost, printed for scale. Timed from the
first call to ``force_flush()`` returning, exactly like row (b). The SDK neither scrubs nor
checks consent, so the comparison flatters it. Needs the ``bench`` extra
(``pip install -e '.[bench]'``); without it the row says so instead of failing the run.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any


def available() -> bool:
    try:
        import opentelemetry.exporter.otlp.proto.common
        import opentelemetry.sdk.trace  # noqa: F401
    except ImportError:
        return False
    return True


def us_per_event(path: Path | None, event_type: str, props: Mapping[str, Any], n: int) -> float:
    """Per event, to a file when ``path`` is given, else to an exporter that drops each batch
    (the processor's own cost, a floor no real exporter reaches: it must at least encode)."""
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
    from opentelemetry.sdk.trace.export import (
        BatchSpanProcessor,
        SpanExporter,
        SpanExportResult,
    )

    class DropExporter(SpanExporter):
        def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
            return SpanExportResult.SUCCESS

    class FileExporter(SpanExporter):
        def __init__(self, target: Path) -> None:
            self._fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)

        def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
            os.write(self._fd, encode_spans(spans).SerializeToString())
            os.fsync(self._fd)
            return SpanExportResult.SUCCESS

        def shutdown(self) -> None:
            os.close(self._fd)

    provider = TracerProvider(resource=Resource.create({"service.name": "bench"}))
    exporter = DropExporter() if path is None else FileExporter(path)
    processor = BatchSpanProcessor(exporter, max_queue_size=n)
    provider.add_span_processor(processor)
    tracer = provider.get_tracer("bench")
    try:
        start = time.perf_counter()
        for _ in range(n):
            tracer.start_span(event_type, attributes=props).end()
        if not processor.force_flush(60_000):
            raise RuntimeError("the OpenTelemetry batch processor did not flush")
        took = time.perf_counter() - start
    finally:
        provider.shutdown()
    return took / n * 1e6
