"""What a damaged upload file still says: the parts that must never be lost.

A truncated `upload-state.json` still names, up to the cut, the anonymous ids that had records
delivered (a later "delete all data" must ask the collector to erase each of them); a truncated
`upload-deletion-request.json` still holds every request written before the cut, and often the
id and address of the one that was cut. Only complete JSON values are trusted: a string whose
closing quote is missing is never guessed at.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from ..i18n import tr
from .records import DeletionRequest

__all__ = ["damage_reason", "is_anonymous_id", "salvage_deletion_requests", "salvage_state"]

_ANONYMOUS_ID = re.compile(r"[0-9A-Za-z_.:-]{1,128}")
_STRING = r'"((?:[^"\\\n]|\\.)*)"'  # a complete JSON string (closing quote present)
_NAMESPACE = uuid.UUID("6f1d8a9e-2b7c-4c55-9a57-3b1f0e5d2c41")  # ids for recovered requests


def is_anonymous_id(text: str) -> bool:
    return bool(_ANONYMOUS_ID.fullmatch(text))


def damage_reason(exc: BaseException) -> str:
    """One line saying what is wrong with the file (never a class repr, never a traceback)."""
    if isinstance(exc, ValidationError):
        errors = exc.errors()
        if errors:
            return str(errors[0].get("msg", "invalid"))[:200]
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    if isinstance(exc, json.JSONDecodeError):
        if not exc.doc.strip():
            return tr("the file is empty")
        return tr("{error} at offset {offset}").format(error=exc.msg, offset=exc.pos)
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]


def _string(raw: str) -> str | None:
    try:
        value = json.loads(f'"{raw}"')
    except ValueError:
        return None
    return value if isinstance(value, str) else None


def _field(text: str, key: str) -> str | None:
    match = re.search(rf'"{key}"\s*:\s*{_STRING}', text)
    return _string(match.group(1)) if match else None


def salvage_state(text: str) -> dict[str, Any]:
    """The fields of a damaged upload state worth keeping: the delivered anonymous ids (and
    the host app's name, so a later deletion request still names it)."""
    out: dict[str, Any] = {}
    match = re.search(r'"sent_anonymous_ids"\s*:\s*\[([^\]]*)', text)
    if match:
        ids = [_string(raw) for raw in re.findall(_STRING, match.group(1))]
        out["sent_anonymous_ids"] = [i for i in ids if i and is_anonymous_id(i)]
    for key in ("app_name", "app_version"):
        value = _field(text, key)
        if value:
            out[key] = value[:100]
    return out


def _from_fragment(
    fragment: str, fallback_url: str | None, created_at: datetime
) -> DeletionRequest | None:
    """The request a cut-off object still identifies: its anonymous id must be complete; the
    address falls back to the endpoint saved now (the one the deletion was made with, unless
    the user changed it since)."""
    anonymous_id = _field(fragment, "anonymous_id")
    if not anonymous_id or not is_anonymous_id(anonymous_id):
        return None
    url = _field(fragment, "logs_url") or fallback_url
    if not url:
        return None
    request_id = _field(fragment, "id") or str(uuid.uuid5(_NAMESPACE, f"{anonymous_id} {url}"))
    when = _field(fragment, "created_at")
    try:
        return DeletionRequest(
            id=request_id,
            anonymous_id=anonymous_id,
            created_at=when or created_at,
            logs_url=url,
        )
    except ValidationError:
        return DeletionRequest(
            id=request_id, anonymous_id=anonymous_id, created_at=created_at, logs_url=url
        )


def salvage_deletion_requests(
    text: str, fallback_url: str | None, created_at: datetime
) -> list[DeletionRequest]:
    """Every complete request object, then the one the cut went through (if it still names its
    anonymous id). Ids are stable across reads, so a delivered one can be crossed off."""
    decoder = json.JSONDecoder()
    found: list[DeletionRequest] = []
    pos = text.find("{")
    while pos != -1:
        try:
            value, end = decoder.raw_decode(text, pos)
        except ValueError:
            request = _from_fragment(text[pos:], fallback_url, created_at)
            if request is not None:
                found.append(request)
            break
        try:
            found.append(DeletionRequest.model_validate(value))
        except ValidationError:
            request = _from_fragment(text[pos:end], fallback_url, created_at)
            if request is not None:
                found.append(request)
        pos = text.find("{", end)
    return found
