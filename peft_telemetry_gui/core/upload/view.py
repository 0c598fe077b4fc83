"""The part of `telemetry.json` the uploader needs, read without validating every event.

Consent is read from disk right before every request, so it must be cheap: events are skipped.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..models import ConsentState, UploadSettings
from ..store import Store, StoreError

__all__ = ["UploadView", "read_view"]


class UploadView(BaseModel):
    model_config = ConfigDict(extra="ignore")

    schema_version: int = 0
    anonymous_id: str = ""
    consent: ConsentState = Field(default_factory=ConsentState)
    upload: UploadSettings = Field(default_factory=UploadSettings)

    @property
    def allowed(self) -> bool:
        return self.consent.enabled and self.consent.upload_enabled


def read_view(store: Store) -> UploadView | None:
    """None when there is no readable store: then nothing is allowed."""
    try:  # bounded and FIFO-safe: a huge or odd file is refused unread (as the store does)
        view = UploadView.model_validate_json(store.read_bytes())
    except (OSError, StoreError, ValueError, ValidationError):
        return None
    return view if view.schema_version >= 1 else None
