from __future__ import annotations

from pathlib import Path

import pytest

from peft_telemetry_gui.core.consent import collection_text, env_override
from peft_telemetry_gui.core.services.consent import (
    record_decision,
    reset_anonymous_id,
    set_consent,
    set_sampling,
)
from peft_telemetry_gui.core.store import Store


def test_never_asked_is_distinct_from_declined(data_dir: Path) -> None:
    store = Store(data_dir)
    assert store.read().consent.decided is False
    record_decision(store, accepted=False, actor="gui")
    consent = store.read().consent
    assert consent.decided is True and consent.enabled is False
    assert [e.what for e in store.read().audit_log] == ["decision"]


def test_every_change_is_audit_logged_with_actor_and_text_version(data_dir: Path) -> None:
    store = Store(data_dir)
    set_consent(store, enabled=True, actor="cli")
    set_consent(store, enabled=True, actor="gui", categories={"system": False})
    set_consent(store, enabled=False, actor="api")
    log = store.read().audit_log
    assert [(e.actor, e.what, e.from_value, e.to_value) for e in log] == [
        ("cli", "decision", "undecided", "enabled"),
        ("cli", "consent", False, True),
        ("gui", "category:system", True, False),
        ("api", "consent", True, False),
    ]
    assert all(e.text_version == collection_text().version != "unavailable" for e in log)
    assert all(e.at.tzinfo is not None for e in log)


def test_reenabling_after_opt_out_starts_a_new_anonymous_id(data_dir: Path) -> None:
    store = Store(data_dir)
    set_consent(store, enabled=True, actor="cli")
    first = store.read().anonymous_id
    set_consent(store, enabled=True, actor="cli", categories={"usage": True})
    assert store.read().anonymous_id == first  # no opt-out in between: same id
    set_consent(store, enabled=False, actor="cli")
    set_consent(store, enabled=True, actor="cli")
    assert store.read().anonymous_id != first


def test_reset_anonymous_id_does_not_log_either_id(data_dir: Path) -> None:
    store = Store(data_dir)
    set_consent(store, enabled=True, actor="gui")
    old = store.read().anonymous_id
    new = reset_anonymous_id(store, actor="gui")
    assert new != old and store.read().anonymous_id == new
    text = store.path.read_text()
    assert old not in text
    assert text.count(new) == 1


def test_unknown_category_is_rejected(data_dir: Path) -> None:
    with pytest.raises(ValueError, match="unknown category 'location'"):
        set_consent(Store(data_dir), enabled=True, actor="cli", categories={"location": True})


def test_sampling_rate_is_validated_and_logged(data_dir: Path) -> None:
    store = Store(data_dir)
    set_sampling(store, category="usage", rate=0.25, actor="cli")
    assert store.read().consent.sampling["usage"] == 0.25
    with pytest.raises(ValueError):
        set_sampling(store, category="usage", rate=1.5, actor="cli")


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, None),
        ({"DO_NOT_TRACK": "1"}, "DO_NOT_TRACK=1"),
        ({"DO_NOT_TRACK": "true"}, "DO_NOT_TRACK=true"),
        ({"PEFT_TELEMETRY_DISABLED": "yes"}, "PEFT_TELEMETRY_DISABLED=yes"),
        ({"DO_NOT_TRACK": "0"}, None),
        ({"DO_NOT_TRACK": ""}, None),
        ({"DO_NOT_TRACK": "false"}, None),
        ({"DO_NOT_TRACK": "2"}, "DO_NOT_TRACK=2"),
        ({"PEFT_TELEMETRY_DISABLED": "anything"}, "PEFT_TELEMETRY_DISABLED=anything"),
    ],
)
def test_env_override_any_value_but_an_explicit_no_disables(
    env: dict[str, str], expected: str | None
) -> None:
    assert env_override(env) == expected


def test_collection_text_lists_what_is_and_is_not_collected() -> None:
    text = collection_text()
    assert set(text.categories) == {"usage", "error", "performance", "system"}
    assert text.collected and text.never_collected
    assert any("password" in line.lower() for line in text.never_collected)


def test_category_change_alone_keeps_the_master_switch(data_dir: Path) -> None:
    store = Store(data_dir)
    set_consent(store, enabled=False, actor="cli")
    consent = set_consent(store, enabled=None, actor="gui", categories={"system": False})
    assert consent.enabled is False and consent.categories["system"] is False
    assert [e.what for e in store.read().audit_log][-1] == "category:system"


def test_turning_consent_off_logs_that_upload_went_off_too(data_dir: Path) -> None:
    store = Store(data_dir)
    set_consent(store, enabled=True, actor="cli")
    store.update(lambda doc: setattr(doc.consent, "upload_enabled", True))
    set_consent(store, enabled=False, actor="gui")
    log = [(e.what, e.from_value, e.to_value) for e in store.read().audit_log]
    assert log[-2:] == [("consent", True, False), ("upload", True, False)]
    assert store.read().consent.upload_enabled is False


def test_turning_on_again_keeps_the_users_category_choices(data_dir: Path) -> None:
    store = Store(data_dir)
    set_consent(store, enabled=True, actor="gui", categories={"system": False})
    set_consent(store, enabled=False, actor="gui")
    consent = set_consent(store, enabled=True, actor="gui")
    assert consent.categories == {
        "usage": True,
        "error": True,
        "performance": True,
        "system": False,
    }
    for name in ("usage", "error", "performance", "system"):
        set_consent(store, enabled=None, actor="gui", categories={name: False})
    assert set_consent(store, enabled=True, actor="gui").categories == dict.fromkeys(
        ["usage", "error", "performance", "system"], True
    )  # none was on: a plain "yes" means all
