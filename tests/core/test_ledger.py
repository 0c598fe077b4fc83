"""The audit log as a hash chain (core/ledger.py): built by every change, stable on disk, and
any edit, removal or insertion named by the entry it concerns.

Real stores in tmp_path; the tampering is done the way a user would do it: by editing
`telemetry.json` (or the stored dicts) and reading it back.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from peft_telemetry_gui.core import ledger
from peft_telemetry_gui.core.consent import audit, collection_text, collection_text_sha256
from peft_telemetry_gui.core.paths import resources_dir
from peft_telemetry_gui.core.services.consent import (
    record_decision,
    reset_anonymous_id,
    set_consent,
    set_consent_from_host,
    set_sampling,
)
from peft_telemetry_gui.core.services.delete import delete_all_data
from peft_telemetry_gui.core.services.limits import set_limits
from peft_telemetry_gui.core.services.upload import disable_upload, enable_upload
from peft_telemetry_gui.core.store import Store

NOW = datetime(2026, 11, 23, 15, 30, tzinfo=UTC)


def stepping_clock() -> Callable[[], datetime]:
    """A new second per call (microseconds too, to show they survive the round trip)."""
    ticks = itertools.count()
    return lambda: NOW + timedelta(seconds=next(ticks), microseconds=123)


@pytest.fixture
def store(data_dir: Path) -> Store:
    return Store(data_dir, clock=stepping_clock())


def history(store: Store) -> None:
    """Five changes, by the three actors, of every kind the policy logs."""
    record_decision(store, accepted=True, actor="gui")  # decision + consent (+ no categories)
    set_consent(store, enabled=None, actor="cli", categories={"system": False})
    set_sampling(store, category="performance", rate=0.25, actor="api")
    reset_anonymous_id(store, actor="gui")


def stored_entries(store: Store) -> list[dict[str, Any]]:
    return json.loads(store.path.read_text())["audit_log"]


def write_entries(store: Store, entries: list[Any]) -> None:
    raw = json.loads(store.path.read_text())
    raw["audit_log"] = entries
    store.path.write_text(json.dumps(raw))


# ----------------------------------------------------------------- the chain as written


def test_every_change_is_chained_in_order(store: Store) -> None:
    history(store)
    log = store.read().audit_log
    assert [e.seq for e in log] == list(range(1, len(log) + 1)) and len(log) == 5
    assert log[0].prev_hash == ""
    for before, after in itertools.pairwise(log):
        assert after.prev_hash == before.hash
    for entry in log:
        assert len(entry.hash) == 64 and entry.hash == ledger.entry_hash(entry)
    assert len({e.hash for e in log}) == len(log)
    check = ledger.verify(log)
    assert check.intact and (check.chained, check.unchained) == (5, 0)
    assert (check.head_seq, check.head_hash) == (5, log[-1].hash)


def test_each_entry_names_the_text_its_method_and_the_locale(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LANG", "de_DE.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    monkeypatch.delenv("LANGUAGE", raising=False)
    history(store)
    log = store.read().audit_log
    # The SHA-256 of the text as loaded: its canonical JSON, whatever the file's spacing.
    shipped = json.loads((resources_dir() / "collection.json").read_text(encoding="utf-8"))
    canonical = json.dumps(shipped, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    assert collection_text_sha256() == hashlib.sha256(canonical.encode()).hexdigest()
    assert {e.text_sha256 for e in log} == {collection_text_sha256()}
    assert {e.text_version for e in log} == {collection_text().version}
    # The user's own changes name the language they were shown (German, shipped); a host's
    # its environment's message locale.
    assert [e.locale for e in log] == ["de", "de", "de", "de_DE", "de"]
    # The CLI and a host imply their method; the app's callers name theirs (none here yet).
    assert [(e.actor, e.method) for e in log] == [
        ("gui", ""),
        ("gui", ""),
        ("cli", "cli"),
        ("api", "host_api"),
        ("gui", ""),
    ]


@pytest.mark.parametrize(
    ("environ", "shown"),
    [
        ({"LANG": "fr_CA.UTF-8"}, "fr"),
        ({"LANG": "de_AT.UTF-8", "LANGUAGE": "es:de"}, "de"),
        ({"LANG": "es_ES.UTF-8"}, "en"),  # Spanish asked for, English shown
        ({"LANG": "C", "LANGUAGE": "fr"}, "en"),  # gettext ignores LANGUAGE under C
    ],
)
def test_the_users_own_changes_record_the_language_they_were_shown(
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
    environ: dict[str, str],
    shown: str,
) -> None:
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    record_decision(store, accepted=True, actor="gui", method="first_run_dialog")
    set_consent(store, enabled=None, actor="cli", categories={"system": False})
    set_sampling(store, category="performance", rate=0.25, actor="gui")
    reset_anonymous_id(store, actor="cli")
    set_limits(store, max_events=500, actor="gui", method="privacy_page")
    enable_upload(store, endpoint="https://collector.example.com", actor="cli")
    disable_upload(store, actor="gui")
    log = store.read().audit_log
    assert len(log) >= 7 and {e.locale for e in log} == {shown}
    delete_all_data(store, actor="cli")
    assert [e.locale for e in store.read().audit_log] == [shown]
    # A host's change keeps its environment's locale ("fr_CA", not the language shown).
    set_sampling(store, category="usage", rate=0.5, actor="api")
    set_consent_from_host(store, enabled=True, categories={"usage": True}, app_name="Host")
    host = [e for e in store.read().audit_log if e.actor == "api"]
    assert len(host) >= 2 and {e.locale for e in host} == {ledger.locale_from_environ(environ)}


def test_audit_records_what_the_caller_says(store: Store) -> None:
    store.update(
        lambda doc: audit(
            doc,
            NOW,
            "api",
            "category:usage",
            False,
            True,
            method="host_api",
            app_name="PEFT Studio",
            app_version="2.1",
            locale="fr_CA",
        )
    )
    (entry,) = store.read().audit_log
    assert (entry.method, entry.app_name, entry.app_version, entry.locale) == (
        "host_api",
        "PEFT Studio",
        "2.1",
        "fr_CA",
    )
    assert ledger.verify([entry]).intact


def test_delete_all_starts_the_ledger_again(store: Store) -> None:
    history(store)
    delete_all_data(store, actor="cli")
    (entry,) = store.read().audit_log
    assert (entry.what, entry.method, entry.seq, entry.prev_hash) == (
        "all data deleted",
        "delete",
        1,
        "",
    )
    assert entry.hash == ledger.entry_hash(entry)


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"LANG": "de_DE.UTF-8"}, "de_DE"),
        ({"LC_ALL": "en_GB.ISO-8859-1@euro", "LANG": "de_DE.UTF-8"}, "en_GB"),
        ({"LC_MESSAGES": "pt-br", "LANG": "C"}, "pt_BR"),
        ({"LANGUAGE": "fr_CA:fr:en", "LANG": "de_DE.UTF-8"}, "fr_CA"),
        ({"LANGUAGE": ":sv", "LANG": "en_US.UTF-8"}, "sv"),
        ({"LANGUAGE": "fr", "LANG": "C.UTF-8"}, ""),  # gettext ignores LANGUAGE under C
        ({"LANGUAGE": "fr"}, ""),  # ... and with no locale at all
        ({"LANG": "POSIX"}, ""),
        ({"LC_ALL": " ", "LANG": "nl_NL"}, "nl_NL"),
        ({"LANG": "???"}, ""),
        ({}, ""),
    ],
)
def test_locale_is_the_message_locale_normalised(environ: dict[str, str], expected: str) -> None:
    assert ledger.locale_from_environ(environ) == expected


# ----------------------------------------------------------------- stable on disk


def test_hashes_survive_a_round_trip_through_the_store(store: Store) -> None:
    """Values that JSON changes (a tuple, a datetime, non-ASCII text, a float) are hashed in
    the form a later read gives back, so reading and re-hashing gives the same hashes."""
    history(store)
    odd = (("a", 1), NOW + timedelta(microseconds=7), "Zoë ✓ \u202e", 1e-7)
    store.update(lambda doc: audit(doc, NOW, "cli", "odd values", odd, {"k": [None, 0.5]}))
    written = [e.hash for e in store.read().audit_log]
    again = Store(store.data_dir).read().audit_log  # a fresh reader: no cached document
    assert [ledger.entry_hash(e) for e in again] == written
    assert ledger.verify(again).intact
    # The stored dicts themselves verify too (what a receipt carries).
    assert ledger.verify(stored_entries(store)).intact
    # A write that does not touch the log (an event count, another change) keeps them.
    set_consent(store, enabled=False, actor="cli")
    assert [e.hash for e in store.read().audit_log][: len(written)] == written
    assert ledger.verify(store.read().audit_log).intact


# ----------------------------------------------------------------- tampering


def _edits() -> dict[str, Callable[[dict[str, Any]], None]]:
    """One edit per stored field, each to a value the store still accepts (a user editing the
    file by hand, not a corrupt file that would be set aside)."""

    def shift_time(e: dict[str, Any]) -> None:
        moment = datetime.fromisoformat(e["at"].replace("Z", "+00:00")) + timedelta(seconds=1)
        e["at"] = moment.isoformat()

    return {
        "at": shift_time,
        "actor": lambda e: e.update(actor="cli" if e["actor"] != "cli" else "gui"),
        "what": lambda e: e.update(what=e["what"] + "!"),
        "from": lambda e: e.update({"from": "something else"}),
        "to": lambda e: e.update(to="something else"),
        "text_version": lambda e: e.update(text_version="1999-01-01"),
        "text_sha256": lambda e: e.update(text_sha256="0" * 64),
        "locale": lambda e: e.update(locale="xx_XX"),
        "method": lambda e: e.update(
            method="privacy_page" if e["method"] != "privacy_page" else "cli"
        ),
        "app_name (added)": lambda e: e.update(app_name="Someone Else"),
        "app_version (added)": lambda e: e.update(app_version="9"),
        "seq": lambda e: e.update(seq=e["seq"] + 10),
        "prev_hash": lambda e: e.update(prev_hash="f" * 64),
        "hash": lambda e: e.update(hash="e" * 64),
    }


@pytest.mark.parametrize("field", list(_edits()))
def test_an_edit_of_any_field_of_any_entry_is_named(store: Store, field: str) -> None:
    history(store)
    original = stored_entries(store)
    for index in range(len(original)):
        entries = json.loads(json.dumps(original))
        _edits()[field](entries[index])
        assert entries[index] != original[index]
        write_entries(store, entries)
        log = store.read().audit_log  # still a valid store: nothing was set aside
        assert len(log) == len(original)
        for check in (ledger.verify(log), ledger.verify(entries)):
            assert not check.intact, (field, index)
            assert [p.index for p in check.problems] == [index], (field, index)
            problem = check.problems[0]
            if field != "seq":
                assert problem.seq == index + 1
            assert f"entry {problem.seq} (" in problem.describe()
            assert entries[index]["what"] in problem.describe()


def test_an_entry_rewritten_with_its_hash_recomputed_is_named(store: Store) -> None:
    history(store)
    entries = stored_entries(store)
    entries[1]["to"] = False
    entries[1]["hash"] = ledger.entry_hash(store.read().audit_log[1].model_validate(entries[1]))
    write_entries(store, entries)
    (problem,) = ledger.verify(store.read().audit_log).problems
    assert (problem.index, problem.seq) == (1, 2)
    assert "replaced" in problem.reason and "entry 3" in problem.reason


def test_a_recomputed_chain_is_not_detected_as_documented(store: Store) -> None:
    """The limit the receipt states: whoever recomputes every hash from the edit on wins."""
    history(store)
    log = store.read().audit_log
    log[1].to_value = False
    for before, entry in zip([None, *log], log, strict=False):
        entry.prev_hash = before.hash if before else ""
        entry.hash = ledger.entry_hash(entry)
    assert ledger.verify(log).intact


@pytest.mark.parametrize("index", [0, 2, 3])
def test_a_removed_entry_is_named(store: Store, index: int) -> None:
    history(store)
    entries = stored_entries(store)
    del entries[index]
    write_entries(store, entries)
    check = ledger.verify(store.read().audit_log)
    (problem,) = check.problems
    assert problem.seq == index + 1 and "removed" in problem.reason
    assert problem.describe().startswith(f"entry {index + 1}: was removed")


def test_several_removed_entries_are_named_as_a_range(store: Store) -> None:
    history(store)
    entries = stored_entries(store)
    del entries[1:4]
    (problem,) = ledger.verify(entries).problems
    assert problem.seq == 2 and "2" in problem.describe() and "3 to 4" in problem.reason


def test_swapped_entries_are_not_intact(store: Store) -> None:
    history(store)
    entries = stored_entries(store)
    entries[1], entries[2] = entries[2], entries[1]
    check = ledger.verify(entries)
    assert [(p.index, p.seq) for p in check.problems] == [(1, 3), (2, 2)]
    assert "out of place: entry 2 should come before it" in check.problems[0].reason


def test_an_entry_that_is_not_an_object_is_named() -> None:
    check = ledger.verify(["not an entry"])  # type: ignore[list-item]
    assert [p.describe() for p in check.problems] == ["entry #1 (no seq): is not an audit entry"]


# ----------------------------------------------------------------- before the ledger


def _pre_ledger_store(store: Store) -> None:
    """A store as the version before the ledger wrote it: entries without seq or hash."""
    store.update(lambda doc: None)
    raw = json.loads(store.path.read_text())
    raw["audit_log"] = [
        {"at": "2026-10-01T09:00:00Z", "actor": "gui", "what": "decision", "from": "undecided",
         "to": "enabled", "text_version": "2026-09-01"},
        {"at": "2026-10-01T09:00:00Z", "actor": "gui", "what": "consent", "from": False,
         "to": True, "text_version": "2026-09-01"},
    ]  # fmt: skip
    store.path.write_text(json.dumps(raw))


def test_entries_from_before_the_ledger_are_kept_and_the_chain_starts_after_them(
    store: Store,
) -> None:
    _pre_ledger_store(store)
    set_consent(store, enabled=None, actor="cli", categories={"usage": False})
    log = store.read().audit_log
    assert [(e.seq, e.hash != "") for e in log] == [(0, False), (0, False), (1, True)]
    assert log[0].text_version == "2026-09-01" and log[2].prev_hash == ""
    check = ledger.verify(log)
    assert check.intact and (check.unchained, check.chained) == (2, 1)
    assert "2 unchained (written before the ledger)" in check.summary()


def test_an_unchained_entry_after_the_chain_began_is_named(store: Store) -> None:
    history(store)
    entries = stored_entries(store)
    entries.insert(2, {"at": "2026-11-23T15:30:01Z", "actor": "gui", "what": "consent",
                       "from": True, "to": False, "text_version": "x"})  # fmt: skip
    write_entries(store, entries)
    (problem,) = ledger.verify(store.read().audit_log).problems
    assert problem.index == 2 and "no hash after the chain began" in problem.reason
    assert problem.describe().startswith("entry #3 (no seq) (2026-11-23T15:30:01Z, consent)")


def test_the_first_chained_entry_removed_after_old_entries_is_named(store: Store) -> None:
    _pre_ledger_store(store)
    set_consent(store, enabled=None, actor="cli", categories={"usage": False})
    set_consent(store, enabled=None, actor="cli", categories={"usage": True})
    entries = stored_entries(store)
    del entries[2]
    (problem,) = ledger.verify(entries).problems
    assert problem.seq == 1 and "was removed (entry 2 is the first chained entry)" in problem.reason
