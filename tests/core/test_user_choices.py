"""The user's choices win (issue 9, part 1): a host's `enable()` keeps what the user chose, the
anonymous id exists only after a yes, and another process's change can be read and undone.

Real stores in tmp_path, real `TelemetryClient`s; the user acts through the same services the
app and the CLI call.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from peft_telemetry_gui import TelemetryClient
from peft_telemetry_gui.core.secrets import MemorySecretStore
from peft_telemetry_gui.core.services.consent import record_decision, set_consent
from peft_telemetry_gui.core.store import Store

ALL = ("usage", "error", "performance", "system")
T0 = datetime(2026, 12, 1, 14, 2, tzinfo=UTC)


def _store(data_dir: Path, at: datetime = T0) -> Store:
    return Store(data_dir, clock=lambda: at)


def _host(data_dir: Path, at: datetime = T0) -> TelemetryClient:
    """A host app as the README shows it, named, versioned, on a pinned clock."""
    return TelemetryClient(
        app_name="PEFT Studio",
        app_version="2.1",
        data_dir=data_dir,
        start_session=False,
        secret_store=MemorySecretStore(),
        environ={},
        clock=lambda: at,
    )


def _user_unticks_performance_and_system(data_dir: Path, *, master_on: bool) -> None:
    store = _store(data_dir)
    record_decision(store, accepted=True, actor="gui")
    for name in ("performance", "system"):
        set_consent(store, enabled=None, actor="gui", categories={name: False})
    if not master_on:
        set_consent(store, enabled=False, actor="gui")


def _categories(data_dir: Path) -> dict[str, bool]:
    return dict(Store(data_dir).read().consent.categories)


@pytest.mark.parametrize("master_on", [True, False], ids=["master-on", "master-off"])
def test_host_enable_keeps_the_categories_the_user_unticked(
    data_dir: Path, master_on: bool
) -> None:
    _user_unticks_performance_and_system(data_dir, master_on=master_on)
    with _host(data_dir) as client:
        assert client.enable() is True
        client.track_performance("checkpoint_save", 12.0)
        client.track_event("training_started")
    doc = Store(data_dir).read()
    assert doc.consent.enabled is True
    assert _categories(data_dir) == {
        "usage": True,
        "error": True,
        "performance": False,
        "system": False,
    }
    assert [e.event_type for e in doc.events] == ["training_started"]  # no timing recorded
    host = [e for e in doc.audit_log if e.actor == "api"]
    assert not [e for e in host if e.what.startswith("category:")]
    if not master_on:  # the host turned the master switch on, and says who it is
        assert [(e.what, e.from_value, e.to_value) for e in host] == [("consent", False, True)]
        assert (host[0].app_name, host[0].app_version, host[0].method) == (
            "PEFT Studio",
            "2.1",
            "host_api",
        )


def test_a_host_naming_a_category_turns_on_only_that_one(data_dir: Path) -> None:
    _user_unticks_performance_and_system(data_dir, master_on=False)
    with _host(data_dir) as client:
        assert client.enable(categories={"performance": True}) is True
    assert _categories(data_dir) == {
        "usage": True,
        "error": True,
        "performance": True,
        "system": False,
    }
    host = [e for e in Store(data_dir).read().audit_log if e.actor == "api"]
    assert [(e.what, e.to_value, e.app_name) for e in host] == [
        ("consent", True, "PEFT Studio"),
        ("category:performance", True, "PEFT Studio"),
    ]


def test_enable_without_any_choice_ever_made_turns_everything_on(data_dir: Path) -> None:
    with _host(data_dir) as client:
        assert client.enable() is True
    doc = Store(data_dir).read()
    assert doc.consent.enabled and all(doc.consent.categories[c] for c in ALL)
    assert [(e.actor, e.what, e.app_name) for e in doc.audit_log] == [
        ("api", "decision", "PEFT Studio"),
        ("api", "consent", "PEFT Studio"),
    ]


def test_a_host_naming_categories_on_a_fresh_store_starts_nothing_it_did_not_name(
    data_dir: Path,
) -> None:
    """The host asked its users about usage and errors: performance and system (on by default
    in a store no one has decided about) must not be recorded because of it."""
    with _host(data_dir) as client:
        client.enable(categories={"usage": True, "error": True})
        client.track_performance("checkpoint_save", 12.0)
        client.track_event("training_started")
    assert _categories(data_dir) == {
        "usage": True,
        "error": True,
        "performance": False,
        "system": False,
    }
    assert [e.event_type for e in Store(data_dir).read().events] == ["training_started"]


def test_a_host_may_turn_a_category_off_but_nothing_unnamed_on(data_dir: Path) -> None:
    set_consent(_store(data_dir), enabled=True, actor="cli", categories={"system": False})
    with _host(data_dir) as client:
        client.enable(categories={"usage": False})
    assert _categories(data_dir) == {
        "usage": False,
        "error": True,
        "performance": True,
        "system": False,
    }


def test_a_host_mistake_in_categories_is_a_warning_not_an_exception(
    data_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    with _host(data_dir) as client:
        assert client.enable(categories=5) is False  # type: ignore[arg-type]
        assert client.enable(categories={"location": True}) is False
    assert not Store(data_dir).path.exists() or not Store(data_dir).read().consent.enabled
    assert "consent not changed" in caplog.text


def test_a_host_disable_is_logged_with_the_host_app(data_dir: Path) -> None:
    set_consent(_store(data_dir), enabled=True, actor="gui")
    with _host(data_dir) as client:
        client.disable()
    last = Store(data_dir).read().audit_log[-1]
    assert (last.actor, last.what, last.to_value, last.app_name) == (
        "api",
        "consent",
        False,
        "PEFT Studio",
    )


def test_the_user_can_undo_exactly_what_a_host_changed(data_dir: Path) -> None:
    from peft_telemetry_gui.core.consent_changes import external_entries
    from peft_telemetry_gui.core.services.consent import undo_changes

    _user_unticks_performance_and_system(data_dir, master_on=False)
    before = Store(data_dir).read().audit_log
    with _host(data_dir) as client:
        client.enable(categories={"performance": True})
    theirs = external_entries(before, Store(data_dir).read().audit_log)
    assert [e.what for e in theirs] == ["consent", "category:performance"]
    undo_changes(_store(data_dir, T0 + timedelta(minutes=1)), theirs, actor="gui")
    doc = Store(data_dir).read()
    assert doc.consent.enabled is False
    assert doc.consent.categories["performance"] is False
    assert doc.consent.categories["usage"] is True  # untouched by either
    mine = doc.audit_log[-2:]
    assert [(e.actor, e.what, e.to_value) for e in mine] == [
        ("gui", "consent", False),
        ("gui", "category:performance", False),
    ]


def test_undo_leaves_a_switch_that_changed_again_since(data_dir: Path) -> None:
    from peft_telemetry_gui.core.consent_changes import external_entries
    from peft_telemetry_gui.core.services.consent import undo_changes

    set_consent(_store(data_dir), enabled=True, actor="gui", categories={"usage": False})
    before = Store(data_dir).read().audit_log
    with _host(data_dir) as client:
        client.enable(categories={"usage": True, "system": False})
    theirs = external_entries(before, Store(data_dir).read().audit_log)
    # The user turns usage off again by hand before pressing Undo: that stays as it is.
    set_consent(_store(data_dir), enabled=None, actor="cli", categories={"usage": False})
    undo_changes(_store(data_dir), theirs, actor="gui")
    categories = _categories(data_dir)
    assert categories["usage"] is False and categories["system"] is True


def test_last_change_names_the_host_app_and_what_it_did(data_dir: Path) -> None:
    from peft_telemetry_gui.core.consent_changes import last_change

    set_consent(_store(data_dir), enabled=True, actor="gui", categories={"usage": False})
    with _host(data_dir) as client:
        client.enable(categories={"usage": True})
    change = last_change(Store(data_dir).read().audit_log)
    assert change is not None
    assert change.sentence() == "PEFT Studio turned on usage at 2026-12-01 14:02 UTC (host app)"
    assert change.payload() | {"summary": None} == {
        "at": "2026-12-01T14:02:00+00:00",
        "actor": "api",
        "app_name": "PEFT Studio",
        "app_version": "2.1",
        "method": "host_api",
        "what": "category:usage",
        "from": False,
        "to": True,
        "summary": None,
    }


# ---------------------------------------------------------------- no identifier before a yes
def test_no_anonymous_id_before_a_yes_and_none_made_by_a_no(data_dir: Path) -> None:
    store = _store(data_dir)
    assert store.read().anonymous_id == ""
    record_decision(store, accepted=False, actor="gui")
    assert store.read().anonymous_id == ""
    assert '"anonymous_id":""' in store.path.read_text()
    set_consent(store, enabled=True, actor="gui")
    made = store.read().anonymous_id
    assert len(made) == 32
    set_consent(store, enabled=False, actor="gui")
    assert store.read().anonymous_id == made  # kept once made (exports and deletion name it)


def test_reset_id_without_an_id_changes_nothing(data_dir: Path) -> None:
    from peft_telemetry_gui.core.services.consent import reset_anonymous_id

    store = _store(data_dir)
    record_decision(store, accepted=False, actor="cli")
    assert reset_anonymous_id(store, actor="cli") is None
    doc = store.read()
    assert doc.anonymous_id == "" and [e.what for e in doc.audit_log] == ["decision"]


def test_delete_all_leaves_no_id_until_the_next_yes(data_dir: Path) -> None:
    from peft_telemetry_gui.core.services.delete import delete_all_data

    store = _store(data_dir)
    set_consent(store, enabled=True, actor="gui")
    old = store.read().anonymous_id
    delete_all_data(store, actor="gui", secret_store=MemorySecretStore())
    assert store.read().anonymous_id == ""
    set_consent(store, enabled=True, actor="gui")
    assert store.read().anonymous_id not in ("", old)


def test_an_export_before_any_yes_says_there_is_no_id(data_dir: Path, tmp_path: Path) -> None:
    from peft_telemetry_gui.core.export import export_data

    store = _store(data_dir)
    record_decision(store, accepted=False, actor="gui")
    out = tmp_path / "export.json"
    export_data(store.read(), out, "json")
    assert json.loads(out.read_text())["anonymous_id"] is None


def test_existing_stores_keep_their_id_and_an_on_store_without_one_gets_one(
    data_dir: Path,
) -> None:
    data_dir.mkdir()
    path = data_dir / "telemetry.json"
    path.write_text(json.dumps({"schema_version": 1, "anonymous_id": "ab" * 16}))
    assert Store(data_dir).read().anonymous_id == "ab" * 16  # an older version's id stays
    on = {"decided": True, "enabled": True}
    path.write_text(json.dumps({"schema_version": 1, "consent": on}))
    assert len(Store(data_dir).read().anonymous_id) == 32  # on: never without an id


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        (
            [("max_events", 100_000), ("retention_days", 30)],
            "set the store to keep at most 100,000 raw events, for 30 days",
        ),
        ([("retention_days", 7)], "set the store to keep events for 7 days"),
        (
            [("consent", True), ("max_events", 5000)],
            "turned on telemetry and set the store to keep at most 5,000 raw events",
        ),
    ],
)
def test_a_change_of_limits_is_said_in_one_phrase(
    changes: list[tuple[str, object]], words: str
) -> None:
    """What the Privacy page's notice and `status` say after a host or the CLI set limits."""
    from peft_telemetry_gui.core.consent_changes import describe
    from peft_telemetry_gui.core.models import AuditEntry

    at = datetime(2026, 11, 23, tzinfo=UTC)
    entries = [AuditEntry(at=at, actor="api", what=what, to=value) for what, value in changes]
    assert describe(entries) == words
