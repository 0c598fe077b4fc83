"""Upload switches, endpoint rules, OTLP environment variables and the token."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from peft_telemetry_gui.core.secrets import FileSecretStore, MemorySecretStore
from peft_telemetry_gui.core.services.consent import set_consent
from peft_telemetry_gui.core.services.upload import (
    clear_token,
    disable_upload,
    enable_upload,
    set_token,
)
from peft_telemetry_gui.core.store import Store
from peft_telemetry_gui.core.upload import (
    EndpointError,
    TokenUnavailableError,
    UploadError,
    get_token,
    otlp_headers,
    read_queue,
    resolve_logs_url,
    token_state,
    validate_endpoint,
)
from peft_telemetry_gui.core.upload.queue import append_locked

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "url",
    [
        "https://collector.example.com",
        "https://collector.example.com:4318/",
        "http://127.0.0.1:4318",
        "http://127.8.9.10:4318",
        "http://localhost:4318",
        "http://[::1]:4318",
    ],
)
def test_https_anywhere_and_plain_http_only_to_loopback(url: str) -> None:
    assert validate_endpoint(url) == url.rstrip("/")


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://collector.example.com", "only allowed to this computer"),
        ("http://10.0.0.5:4318", "only allowed to this computer"),
        ("http://127.0.0.1.evil.com", "only allowed to this computer"),
        ("ftp://collector.example.com", "not an http(s) URL"),
        ("https://user:pw@collector.example.com", "user name or password"),
        ("https://collector.example.com/?token=x", "query string"),
        ("", "empty"),
        ("https://host:notaport", "not a valid URL"),
    ],
)
def test_bad_endpoints_are_refused_in_plain_words(url: str, words: str) -> None:
    with pytest.raises(EndpointError, match=words.replace("(", r"\(").replace(")", r"\)")):
        validate_endpoint(url)


def test_enable_is_refused_until_local_consent_is_on(data_dir: Path) -> None:
    store = Store(data_dir)
    with pytest.raises(UploadError, match="turn it on first"):
        enable_upload(store, "https://collector.example.com", actor="cli")
    assert not store.read().consent.upload_enabled


def test_enable_and_disable_are_audit_logged_and_disable_empties_the_queue(
    data_dir: Path,
) -> None:
    store = Store(data_dir)
    set_consent(store, enabled=True, actor="cli")
    settings = enable_upload(store, "https://collector.example.com/", actor="gui")
    assert settings.endpoint == "https://collector.example.com"
    doc = store.read()
    assert doc.consent.upload_enabled
    whats = [(a.actor, a.what, a.from_value, a.to_value) for a in doc.audit_log]
    assert ("gui", "upload", False, True) in whats
    assert ("gui", "upload endpoint", None, "https://collector.example.com") in whats

    store.update(lambda d: append_locked(store, [_event("e1")], d.anonymous_id))
    assert len(read_queue(store)) == 1
    assert disable_upload(store, actor="cli") == 1
    assert read_queue(store) == []
    doc = store.read()
    assert not doc.consent.upload_enabled
    assert doc.upload.endpoint == "https://collector.example.com"  # kept for switching back
    assert doc.audit_log[-1].what == "upload" and doc.audit_log[-1].to_value is False


def test_consent_off_turns_upload_off_and_empties_the_queue(data_dir: Path) -> None:
    store = Store(data_dir)
    set_consent(store, enabled=True, actor="cli")
    enable_upload(store, "https://collector.example.com", actor="cli")
    store.update(lambda d: append_locked(store, [_event("e1"), _event("e2")], d.anonymous_id))
    set_consent(store, enabled=False, actor="gui")
    assert read_queue(store) == []
    assert not store.read().consent.upload_enabled


def test_category_switched_off_takes_its_queued_events_out(data_dir: Path) -> None:
    store = Store(data_dir)
    set_consent(store, enabled=True, actor="cli")
    enable_upload(store, "https://collector.example.com", actor="cli")
    events = [_event("u1"), _event("e1", category="error")]
    store.update(lambda d: append_locked(store, events, d.anonymous_id))
    set_consent(store, enabled=True, actor="gui", categories={"error": False})
    assert [r.id for r in read_queue(store)] == ["u1"]


def test_otlp_environment_variables_follow_the_spec() -> None:
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": "https://otel.example.com:4318/"}
    got = resolve_logs_url("https://saved.example.com", env)
    assert got is not None
    assert got.url == "https://otel.example.com:4318/v1/logs"
    assert got.source == "OTEL_EXPORTER_OTLP_ENDPOINT"
    env["OTEL_EXPORTER_OTLP_LOGS_ENDPOINT"] = "https://logs.example.com/custom/path"
    got = resolve_logs_url("https://saved.example.com", env)
    assert got is not None and got.url == "https://logs.example.com/custom/path"
    got = resolve_logs_url("https://saved.example.com", {})
    assert got is not None and got.url == "https://saved.example.com/v1/logs"
    assert got.source == "settings"
    assert resolve_logs_url(None, {}) is None
    with pytest.raises(EndpointError):  # never silently falls back to the saved one
        resolve_logs_url("https://saved.example.com", {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://x"})


def test_otlp_headers_are_parsed_and_url_decoded() -> None:
    env = {
        "OTEL_EXPORTER_OTLP_HEADERS": "api-key=abc%3D%3D, x-team = data%20science ,broken,=v",
        "OTEL_EXPORTER_OTLP_LOGS_HEADERS": "x-team=logs",
    }
    assert otlp_headers(env) == {"api-key": "abc==", "x-team": "logs"}
    assert otlp_headers({"OTEL_EXPORTER_OTLP_HEADERS": "a=b%0D%0AEvil: 1"}) == {}


def test_enable_without_endpoint_uses_the_environment(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(data_dir)
    set_consent(store, enabled=True, actor="cli")
    with pytest.raises(EndpointError, match="give an upload endpoint"):
        enable_upload(store, None, actor="cli", environ={})
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": "https://otel.example.com"}
    enable_upload(store, None, actor="cli", environ=env)
    assert store.read().consent.upload_enabled


# ----------------------------------------------------------------------------------- token
def test_token_round_trip_is_audited_without_its_value(data_dir: Path) -> None:
    store = Store(data_dir)
    secrets = MemorySecretStore()
    token = "tok_SECRET_0123456789"
    assert token_state(data_dir, secrets) == "not set"
    set_token(store, f"Bearer {token}\n", actor="cli", secret_store=secrets)
    assert get_token(data_dir, secrets) == token
    assert token_state(data_dir, secrets) == "set"
    assert clear_token(store, actor="cli", secret_store=secrets)
    assert get_token(data_dir, secrets) is None
    assert not clear_token(store, actor="cli", secret_store=secrets)
    text = store.path.read_text()
    assert token not in text
    assert [a.to_value for a in store.read().audit_log if a.what == "upload token"] == [
        "set",
        "not set",
    ]


@pytest.mark.parametrize("bad", ["", "   ", "two words", "a\nb", "x" * 5000])
def test_unusable_tokens_are_refused(data_dir: Path, bad: str) -> None:
    with pytest.raises(UploadError):
        set_token(Store(data_dir), bad, actor="cli", secret_store=MemorySecretStore())


def test_without_a_keyring_the_token_is_refused_plainly_and_never_written(
    data_dir: Path,
) -> None:
    # conftest sets PEFT_TELEMETRY_SECRETS=file: "no keyring" for this process.
    store = Store(data_dir)
    # Before any save: what will happen, not a refusal nobody asked for (`upload status`).
    assert "No keyring backend" in token_state(data_dir)
    assert "not saved" not in token_state(data_dir)
    with pytest.raises(TokenUnavailableError, match="No keyring backend is available"):
        set_token(store, "tok_SECRET", actor="cli")
    with pytest.raises(TokenUnavailableError):  # a plain file is never the token's fallback
        set_token(store, "tok_SECRET", actor="cli", secret_store=FileSecretStore(data_dir / "s"))
    assert "No keyring backend" in token_state(data_dir)
    assert get_token(data_dir) is None
    assert not clear_token(store, actor="cli")
    for path in data_dir.rglob("*") if data_dir.exists() else []:
        if path.is_file():
            assert b"tok_SECRET" not in path.read_bytes()


def _gnome_keyring_available() -> str | None:
    for tool in ("dbus-run-session", "gnome-keyring-daemon"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (apt-get install gnome-keyring dbus-x11)"
    try:
        import secretstorage  # noqa: F401
    except ImportError:
        return "the secretstorage package is not installed (pip install secretstorage)"
    return None


def test_token_round_trips_through_a_real_secret_service(tmp_path: Path) -> None:
    """gnome-keyring under a private D-Bus session: the real Secret Service path."""
    reason = _gnome_keyring_available()
    if reason:
        pytest.skip(reason)
    data_dir = tmp_path / "data"
    script = textwrap.dedent(
        f"""
        import json, sys
        from pathlib import Path
        from peft_telemetry_gui.core.secrets import keyring_available
        from peft_telemetry_gui.core.store import Store
        from peft_telemetry_gui.core.services.upload import clear_token, set_token
        from peft_telemetry_gui.core.upload import get_token, token_state
        data = Path({str(data_dir)!r})
        store = Store(data)
        out = {{"available": keyring_available()}}
        import keyring
        out["backend"] = type(keyring.get_keyring()).__module__
        set_token(store, "tok_REAL_keyring_123", actor="cli")
        out["state"] = token_state(data)
        out["got"] = get_token(data)
        out["cleared"] = clear_token(store, actor="cli")
        out["after"] = get_token(data)
        print(json.dumps(out))
        """
    )
    env = dict(os.environ)
    env.pop("PEFT_TELEMETRY_SECRETS", None)
    env["PYTHONPATH"] = str(ROOT)
    env["HOME"] = str(tmp_path / "home")
    env["XDG_DATA_HOME"] = str(tmp_path / "home" / ".local" / "share")
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.SecretService.Keyring"
    (tmp_path / "home").mkdir()
    (tmp_path / "probe.py").write_text(script)
    shell = (
        # A non-empty password: with an empty one gnome-keyring wants a GUI prompt to create
        # the login collection, and there is no display here.
        "echo -n 'peft-test' | gnome-keyring-daemon --unlock --components=secrets "
        ">/dev/null 2>&1; "
        f"{sys.executable} {tmp_path / 'probe.py'}"
    )
    try:
        proc = subprocess.run(
            ["dbus-run-session", "--", "sh", "-c", shell],
            capture_output=True,
            text=True,
            env=env,
            timeout=45,
        )
    except subprocess.TimeoutExpired:
        pytest.skip("gnome-keyring did not start within 45 s on this machine")
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        if "dbus" in proc.stderr.lower() and "keyring" not in proc.stderr.lower():
            pytest.skip(f"no D-Bus session could be started: {proc.stderr.strip()[:200]}")
        raise AssertionError(f"keyring probe failed: {proc.stderr[-2000:]}")
    out = json.loads(lines[-1])
    assert out["available"], out
    assert "SecretService" in out["backend"]
    assert out["state"] == "set"
    assert out["got"] == "tok_REAL_keyring_123"
    assert out["cleared"] is True and out["after"] is None
    assert b"tok_REAL_keyring_123" not in (data_dir / "telemetry.json").read_bytes()


def _event(event_id: str, category: str = "usage") -> dict[str, object]:
    return {
        "id": event_id,
        "timestamp": "2026-01-01T00:00:00+00:00",
        "category": category,
        "event_type": "training_started",
        "session_id": "s1",
        "properties": {"algorithm": "lora"},
    }
