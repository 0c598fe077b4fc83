"""The Activity page's words for the consent ledger's stored names: who (actor), how
(method), what changed and the values it changed between.

The ledger keeps its identifiers ("gui", "category:usage", "set"): they are what a receipt
records and `receipt --verify` names. These maps only say how each reads in the user's language;
English shows most of them as stored. A name not listed is shown as stored.
"""

from __future__ import annotations

from typing import Any

from ..core.i18n import N_, tr
from ..core.models import AuditEntry

__all__ = ["actor_text", "method_text", "value_text", "what_text"]


def value_text(value: Any) -> str:
    """A From or To value: on/off, a known stored word, else as stored."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        # Translators: a setting's state in the Activity page's From and To columns
        on = tr("on")
        # Translators: a setting's state in the Activity page's From and To columns
        off = tr("off")
        return on if value else off
    if isinstance(value, str):
        return tr(_VALUE_TEXT[value]) if value in _VALUE_TEXT else value
    return str(value)


#: The stored words of the From and To columns (the values are the ledger's, kept as stored;
#: these are only how they read). Anything else (an endpoint, a number) is shown as stored.
_VALUE_TEXT = {
    # Translators: Activity page: consent was not decided yet (before the first choice)
    "undecided": N_("undecided"),
    # Translators: Activity page: telemetry was turned on (the first decision)
    "enabled": N_("enabled"),
    # Translators: Activity page: telemetry was turned off (the first decision)
    "disabled": N_("disabled"),
    # Translators: Activity page: the anonymous id before it was reset
    "previous id": N_("previous id"),
    # Translators: Activity page: the anonymous id after it was reset
    "new id": N_("new id"),
    # Translators: Activity page: an upload token is set
    "set": N_("set"),
    # Translators: Activity page: no upload token is set
    "not set": N_("not set"),
    # Translators: Activity page: what was added since the consent was accepted
    "accepted": N_("accepted"),
}


#: How a change was made, in the words the Activity page shows.
_METHOD_TEXT = {
    "first_run_dialog": N_("First-run dialog"),
    "privacy_page": N_("Privacy page"),
    "review_dialog": N_("Review dialog"),
    "upload_page": N_("Upload page"),
    "cli": N_("Command line"),
    "host_api": N_("Host app"),
    # Translators: Activity page, Method column: set by an environment variable
    "environment": N_("Environment"),
    # Translators: Activity page, Method column: the "Delete all" action
    "delete": N_("Delete all"),
}

#: Who made a change, in the Activity page's Actor column (English shows the stored name).
_ACTOR_TEXT = {
    # Translators: Activity page, Actor column: this desktop app
    "gui": N_("gui"),
    # Translators: Activity page, Actor column: the peft-telemetry command
    "cli": N_("cli"),
    # Translators: Activity page, Actor column: the host application's API
    "api": N_("api"),
}


def method_text(entry: AuditEntry) -> str:
    """How the change was made, with the host app that made it."""
    text = tr(_METHOD_TEXT[entry.method]) if entry.method in _METHOD_TEXT else ""
    if entry.app_name:  # which host app: the user should see who changed their choice
        version = f" {entry.app_version}" if entry.app_version else ""
        text = f"{text} ({entry.app_name}{version})" if text else f"{entry.app_name}{version}"
    return text


# What changed, in words: stored names that read as code, and the others translated (their
# English is the stored name). The tooltip keeps the stored name, which the ledger and
# `receipt --verify` use; a name not listed is shown as stored.
_WHAT_TEXT = {
    "max_events": N_("Raw events kept (at most)"),
    "retention_days": N_("Days kept"),
    # Translators: Activity page, What column: the first choice (allow or not)
    "decision": N_("decision"),
    # Translators: Activity page, What column: the telemetry master switch
    "consent": N_("consent"),
    "category:usage": N_("category:usage"),
    "category:error": N_("category:error"),
    "category:performance": N_("category:performance"),
    "category:system": N_("category:system"),
    "sampling:usage": N_("sampling:usage"),
    "sampling:error": N_("sampling:error"),
    "sampling:performance": N_("sampling:performance"),
    "sampling:system": N_("sampling:system"),
    # Translators: Activity page, What column: the anonymous id was reset
    "anonymous_id": N_("anonymous_id"),
    # Translators: Activity page, What column: the upload switch
    "upload": N_("upload"),
    "upload endpoint": N_("upload endpoint"),
    "upload token": N_("upload token"),
    "all data deleted": N_("all data deleted"),
    # Translators: Activity page, What column: what was added since the consent was reviewed
    "review": N_("review"),
}


def actor_text(actor: str) -> str:
    return tr(_ACTOR_TEXT[actor]) if actor in _ACTOR_TEXT else actor


def what_text(what: str) -> str:
    return tr(_WHAT_TEXT[what]) if what in _WHAT_TEXT else what
