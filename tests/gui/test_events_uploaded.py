"""Issue 12, the Events viewer: "for each event ... whether it was uploaded". A real OTLP
receiver on 127.0.0.1 takes one event; the readable view says so, and when; an event recorded
before upload was on says it never left."""

from __future__ import annotations

from upload_receiver import Receiver

from peft_telemetry_gui import TelemetryClient
from peft_telemetry_gui.core.secrets import MemorySecretStore
from peft_telemetry_gui.core.services.consent import set_consent
from peft_telemetry_gui.core.services.upload import enable_upload, send_now
from peft_telemetry_gui.core.store import Store
from peft_telemetry_gui.core.upload.runtime import UploadRuntime


def _record(store: Store, secrets: MemorySecretStore, name: str) -> str:
    with TelemetryClient(
        upload_runtime=UploadRuntime(autostart=False),
        app_name="Host",
        data_dir=store.data_dir,
        secret_store=secrets,
        clock=store.clock,
        environ={},
        start_session=False,
    ) as client:
        client.track_event(name)
        assert client.flush()
    return next(e.id for e in store.read().events if e.event_type == name)


def test_the_readable_view_says_whether_and_when_an_event_was_uploaded(
    qtbot, make_window, store: Store, rx: Receiver
) -> None:
    secrets = MemorySecretStore()
    set_consent(store, enabled=True, actor="cli")
    kept = _record(store, secrets, "stayed_here")
    enable_upload(store, rx.endpoint, actor="cli")
    sent = _record(store, secrets, "went_out")
    send_now(store, secret_store=secrets, environ={})
    assert [r["event_name"] for r in rx.delivered_records()] == ["went_out"]

    window = make_window(store)
    window.show_page("events")
    page = window.pages["events"]
    qtbot.waitUntil(lambda: not page.pending, timeout=5000)
    page.detail.set_mode("readable")
    assert page.select_event(sent)
    qtbot.waitUntil(
        lambda: "Upload: Uploaded to the collector on " in page.detail.readable.toPlainText(),
        timeout=5000,
    )
    assert page.select_event(kept)
    qtbot.waitUntil(
        lambda: (
            "Upload: Not uploaded (recorded before upload was on"
            in page.detail.readable.toPlainText()
        ),
        timeout=5000,
    )
    page.detail.set_mode("raw")  # the stored record stays exactly as stored
    assert "Upload" not in page.detail.raw.toPlainText()
