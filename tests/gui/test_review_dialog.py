"""Re-consent in the app (issue 9 §3): the review dialog for what an app added.

A real store with a real catalogue history; the window's own live reload shows the dialog.
"""

from __future__ import annotations

import copy
from typing import Any

from peft_telemetry_gui import TelemetryClient
from peft_telemetry_gui.core.catalogue import parse_catalogue, stored_record
from peft_telemetry_gui.core.review import review
from peft_telemetry_gui.core.secrets import MemorySecretStore
from peft_telemetry_gui.core.services.consent import set_consent
from peft_telemetry_gui.core.store import Store

V1: dict[str, Any] = {
    "version": "1",
    "events": {
        "training_started": {
            "category": "usage",
            "description": "Which fine-tuning method people use",
            "properties": {"algorithm": "LoRA variant"},
        },
        "export_done": {"category": "usage", "description": "That a model was exported"},
    },
}
V2 = copy.deepcopy(V1)
V2["events"]["merge_done"] = {"category": "usage", "description": "That adapters were merged"}
V2["events"]["training_started"]["properties"]["dataset_size"] = "How many examples"
del V2["events"]["export_done"]


def _declare(store: Store, catalogue: dict[str, Any]) -> None:
    record = stored_record(parse_catalogue(catalogue), app_version="2.1", now=store.clock())
    store.update(lambda doc: doc.catalogues.__setitem__("PEFT Studio", record))


def _pending(store: Store) -> None:
    _declare(store, V1)
    set_consent(store, enabled=True, actor="cli")
    _declare(store, V2)


def _record_merge_done(store: Store) -> bool:
    with TelemetryClient(
        "PEFT Studio",
        store.data_dir,
        app_version="2.1",
        catalogue=V2,
        secret_store=MemorySecretStore(),
        environ={},
        clock=store.clock,
        start_session=False,
    ) as client:
        client.track_event("merge_done")
        assert client.flush()
    return any(e.event_type == "merge_done" for e in store.read().events)


def test_the_dialog_shows_the_additions_in_words_and_allow_records_them(
    qtbot, store, make_window
) -> None:
    _pending(store)
    window = make_window(store)
    qtbot.waitUntil(lambda: window.review_prompt.dialog is not None, timeout=5000)
    dialog = window.review_prompt.dialog
    added = dialog.added_label.text()
    assert "PEFT Studio: merge_done (Usage): That adapters were merged" in added
    assert "training_started.dataset_size (Usage): How many examples" in added
    assert "export_done" in dialog.removed_label.text()
    assert dialog.allow_button.width() == dialog.later_button.width()
    assert not dialog.allow_button.isDefault() and not dialog.later_button.isDefault()
    assert not _record_merge_done(store)  # held back until the user allows it

    dialog.allow_button.click()
    qtbot.waitUntil(lambda: not review(store.read()).added, timeout=5000)
    last = store.read().audit_log[-1]
    assert (last.what, last.actor, last.method) == ("review", "gui", "review_dialog")
    assert _record_merge_done(store)
    qtbot.waitUntil(lambda: window.review_prompt.dialog is None, timeout=5000)


def test_not_now_keeps_them_unrecorded_and_does_not_ask_again_for_the_same_set(
    qtbot, store, make_window
) -> None:
    _pending(store)
    window = make_window(store)
    prompt = window.review_prompt
    qtbot.waitUntil(lambda: prompt.dialog is not None, timeout=5000)
    prompt.dialog.later_button.click()
    assert prompt.dialog is None
    assert not _record_merge_done(store)  # a write: the window reloads the same pending set
    qtbot.waitUntil(lambda: window.state.document.redactions.get("pending_review"), timeout=5000)
    assert prompt.dialog is None and review(store.read()).added

    v3 = copy.deepcopy(V2)
    v3["events"]["upload_done"] = {"category": "usage", "description": "That a model was shared"}
    _declare(store, v3)  # a different pending set: asked again
    qtbot.waitUntil(lambda: prompt.dialog is not None, timeout=5000)
    assert "upload_done" in prompt.dialog.added_label.text()
