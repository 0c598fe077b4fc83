"""The core's texts a user reads (store, services, upload) go through the translations.

Qt-free. The pseudo-locale brackets every text that went through `tr`; a small stand-in
catalogue shows what depends on a translation's wording (the "will retry" ending).
"""

from __future__ import annotations

import gettext
from datetime import UTC, datetime
from pathlib import Path

import pytest

from peft_telemetry_gui.core import i18n
from peft_telemetry_gui.core.models import QuarantineNotice
from peft_telemetry_gui.core.services.delete import describe_deletion
from peft_telemetry_gui.core.services.limits import validate_limits
from peft_telemetry_gui.core.store.access import check_access
from peft_telemetry_gui.core.store.quarantine import describe_notice
from peft_telemetry_gui.core.upload.endpoint import EndpointError, validate_endpoint
from peft_telemetry_gui.core.upload.transport import plain_status, without_retry_note

PSEUDO = ("⟦", "⟧")


@pytest.fixture
def pseudo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANGUAGE", "pseudo")


def bracketed(text: str) -> bool:
    return text.startswith(PSEUDO[0]) and text.endswith(PSEUDO[1])


def test_store_and_service_texts_are_translated(pseudo: None, tmp_path: Path) -> None:
    a_file = tmp_path / "data"
    a_file.write_text("not a folder")
    reason = check_access(a_file).reason
    assert bracketed(reason) and str(a_file) in reason
    notice = QuarantineNotice(
        at=datetime(2026, 11, 23, tzinfo=UTC), moved_to="/x/aside.json", reason="bad"
    )
    assert bracketed(describe_notice(notice)) and "/x/aside.json" in describe_notice(notice)
    assert all(bracketed(item) for item in describe_deletion())
    with pytest.raises(ValueError) as refused:
        validate_limits(0, None)
    assert bracketed(str(refused.value))
    with pytest.raises(EndpointError) as bad_url:
        validate_endpoint("ftp://collector.example.com")
    assert bracketed(str(bad_url.value))
    assert bracketed(plain_status(503, "https://collector.example.com/v1/logs", ""))


def test_the_english_is_unchanged_without_a_translation() -> None:
    message = plain_status(503, "https://collector.example.com/v1/logs", "")
    assert message == (
        "collector.example.com is temporarily unavailable (HTTP 503); will retry later"
    )
    assert without_retry_note(message) == (
        "collector.example.com is temporarily unavailable (HTTP 503)"
    )


_FRENCH = {
    "{host} is temporarily unavailable (HTTP {status}); will retry later": (
        "{host} est temporairement indisponible (HTTP {status})\u00a0; nouvel essai plus tard"
    ),
    "; will retry later": "\u00a0; nouvel essai plus tard",
    "; will retry": "\u00a0; nouvel essai prévu",
}


class _French(gettext.NullTranslations):
    def gettext(self, message: str) -> str:
        return _FRENCH.get(message, message)


def test_a_quoted_upload_message_loses_its_retry_note_in_the_users_language(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The pending-deletion sentence quotes the last failure without its "will retry": the
    ending is found in the language the message was shown in, not by its English words."""
    monkeypatch.setattr(i18n, "_catalogue", lambda language: _French())
    message = plain_status(503, "https://collector.example.com/v1/logs", "")
    assert message.endswith("nouvel essai plus tard")
    assert without_retry_note(message) == (
        "collector.example.com est temporairement indisponible (HTTP 503)"
    )
