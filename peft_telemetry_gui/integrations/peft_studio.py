"""PEFT Studio's `services.telemetry_service`, over our `TelemetryClient`: the same names.

Their backend imports `get_telemetry`, `track_event`, `track_error` and `track_performance`
from this module instead of their own; everything they called keeps its name, arguments and
return shape (`shapes.py`), while events go through our scrubber into the store the desktop app
and the CLI read, under the consent every process shares. docs/integrations.md lists where
their behaviour and ours differ.

The `track_*` coroutines only enqueue (the client's calls never touch the disk), so they can
never stall the host's event loop; the coroutines that read or write the store run that work on
a worker thread (`asyncio.to_thread`). Importing this module loads neither FastAPI nor pydantic.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.client import TelemetryClient
from ..core.clock import Clock, utc_now
from .reading import StoreReader
from .shapes import analytics_shape, consent_shape, export_shape, parse_bound

if TYPE_CHECKING:
    from ..core.models import ConsentState
    from ..core.secrets import SecretStore
    from ..core.store import Store

__all__ = [
    "APP_NAME",
    "PeftStudioTelemetry",
    "TelemetryService",
    "configure_telemetry",
    "get_telemetry",
    "reset_telemetry",
    "track_error",
    "track_event",
    "track_performance",
]

#: The name consent changes are audit-logged under, and shown with in the desktop app.
APP_NAME = "PEFT Studio"
#: How long a read waits for events accepted before it to reach the disk (their reads flushed
#: their buffer first, so an event tracked just before shows up).
FLUSH_SECONDS = 5.0
#: How long "delete everything" waits to tell a collector, when upload had been on.
DELETE_DELIVERY_SECONDS = 3.0


class PeftStudioTelemetry:
    """Their `TelemetryService(config_dir)`, where `config_dir` is our data folder (default:
    $PEFT_TELEMETRY_DIR or the per-user folder the desktop app opens; not their
    ~/.peft-studio/config, so the app shows what they record).

    `app_name`, `app_version`, `clock`, `environ` and `secret_store` go to `TelemetryClient`
    (and `clock` also times `session_duration_minutes`, so tests never read the wall clock).
    """

    def __init__(
        self,
        config_dir: str | os.PathLike[str] | None = None,
        *,
        app_name: str = APP_NAME,
        app_version: str | None = None,
        clock: Clock = utc_now,
        environ: Mapping[str, str] | None = None,
        secret_store: SecretStore | None = None,
    ) -> None:
        self.client = TelemetryClient(
            app_name=app_name,
            data_dir=config_dir,
            app_version=app_version,
            clock=clock,
            environ=environ,
            secret_store=secret_store,
        )
        self._secret_store = secret_store
        self._reader = StoreReader(self.client.data_dir, self.client.clock)
        self.session_start: datetime = self.client.clock()

    # ------------------------------------------------------------------ their attributes
    @property
    def config_dir(self) -> Path:
        return self.client.data_dir

    @property
    def session_id(self) -> str:
        return self.client.session_id

    @property
    def store(self) -> Store:
        return self.client.store

    @property
    def config(self) -> dict[str, Any]:
        """Their `config` dict (read-only here: change consent with `enable()`/`disable()`)."""
        consent, anonymous_id = self._consent()
        status = consent_shape(consent, anonymous_id, self.client.env_override)
        keep = ("enabled", "user_id", "last_prompt", "decided", "categories")
        return {key: status[key] for key in keep}

    # ------------------------------------------------------------------ consent
    def _consent(self) -> tuple[ConsentState, str]:
        """Consent and the anonymous id from the store's head only (`core.upload.view`, the
        uploader's per-request read): no event is parsed, so a full store costs the same."""
        from ..core.upload.view import read_view

        view = read_view(self.store)
        if view is not None:
            return view.consent, view.anonymous_id
        doc = self.store.read()  # missing (undecided), older schema, or to be set aside
        return doc.consent, doc.anonymous_id

    def is_enabled(self) -> bool:
        """The master switch, false whatever it says while DO_NOT_TRACK (or
        PEFT_TELEMETRY_DISABLED) is set. A category the user switched off stays off."""
        if self.client.env_override is not None:
            return False
        return self._consent()[0].enabled

    def category_on(self, category: str) -> bool:
        """Whether events of `category` ("usage", "error", "performance", "system") are
        recorded now: what the router checks before it says an event was accepted."""
        return self.client.env_override is None and self._consent()[0].category_on(category)

    def enable(self) -> bool:
        """Audit-logged as this app (actor "api"). The user's category choices win; all of
        them are on only if none was ever made. False when it could not be recorded (an
        environment opt-out, an unwritable store: the client logs why)."""
        return self.client.enable()

    def disable(self) -> bool:
        """Audit-logged as this app. Events accepted but not yet on disk are dropped."""
        return self.client.disable()

    def get_consent_status(self) -> dict[str, Any]:
        consent, anonymous_id = self._consent()
        return consent_shape(consent, anonymous_id, self.client.env_override)

    # ------------------------------------------------------------------ recording
    async def track_event(
        self, event_type: str, properties: Mapping[str, Any] | None = None
    ) -> None:
        self.client.track_event(event_type, properties)

    async def track_error(
        self, error: BaseException, context: Mapping[str, Any] | None = None
    ) -> None:
        self.client.track_error(error, context)

    async def track_performance(self, metric_name: str, value: float, unit: str = "ms") -> None:
        self.client.track_performance(metric_name, value, unit)

    # ------------------------------------------------------------------ reading and deleting
    def session_minutes(self) -> float:
        return (self.client.clock() - self.session_start).total_seconds() / 60.0

    def analytics(self, start_date: object = None, end_date: object = None) -> dict[str, Any]:
        """`get_analytics` on the caller's thread (it reads the store). Bounds are inclusive;
        a ValueError says which one could not be read."""
        from ..core import analytics

        since = parse_bound(start_date, "start_date")
        until = parse_bound(end_date, "end_date", end=True)
        if since is not None and until is not None and since > until:
            raise ValueError(
                f"start_date ({since.isoformat()}) is after end_date ({until.isoformat()})"
            )
        self.client.flush(FLUSH_SECONDS)
        doc = self._reader.read()
        figures = analytics.compute_with_rollups(doc.events, doc.rollups, since, until)
        return analytics_shape(figures.analytics, self.session_minutes())

    async def get_analytics(
        self, start_date: datetime | str | None = None, end_date: datetime | str | None = None
    ) -> dict[str, Any]:
        """The figures of every event stored, on or off: a user may always see their data
        (theirs answered an error while off)."""
        return await asyncio.to_thread(self.analytics, start_date, end_date)

    def export(self) -> dict[str, Any]:
        """`export_data` on the caller's thread."""
        from ..core.export import build_export

        self.client.flush(FLUSH_SECONDS)
        document = build_export(self._reader.read(), self.client.clock)
        return export_shape(document, self.session_minutes(), self.client.env_override)

    async def export_data(self) -> dict[str, Any]:
        return await asyncio.to_thread(self.export)

    def delete(self) -> dict[str, Any]:
        """`delete_data` on the caller's thread: `core.services.delete`, as the app's button
        (events, history, anonymous id and secrets go; consent is off), recorded as actor
        "api". Returns what was removed, where theirs returned nothing."""
        from ..core.secrets import default_secret_store
        from ..core.services.delete import delete_all_data

        store = self.store
        report = delete_all_data(
            store,
            actor="api",
            secret_store=self._secret_store or default_secret_store(store.data_dir),
            deliver_within=DELETE_DELIVERY_SECONDS,
            app_name=self.client.app_name,
        )
        return {
            "events_deleted": report.events_deleted,
            "warnings": list(report.warnings),
            "deletion_request": report.deletion_request,
            "deletion_message": report.deletion_message,
        }

    async def delete_data(self) -> dict[str, Any]:
        return await asyncio.to_thread(self.delete)

    def close(self) -> None:
        """Records `session_ended` (when usage is on), flushes and stops the writer."""
        self.client.close()

    async def shutdown(self) -> None:
        await asyncio.to_thread(self.close)


#: Their class name, for hosts (and tests) that construct the service themselves.
TelemetryService = PeftStudioTelemetry


class _Registry:
    """The one facade of this process, built on first use: their `get_telemetry()` promise.

    The only mutable state in the module, kept in this one object so tests can `reset` it. A
    forked child keeps the parent's facade: its client re-arms itself in the child (queue, locks,
    writer; see `TelemetryClient`), and only this object's lock, which another thread may have
    held at the fork, is replaced.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._options: dict[str, Any] = {}
        self._instance: PeftStudioTelemetry | None = None
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=self._after_fork_in_child)

    def _after_fork_in_child(self) -> None:
        self._lock = threading.Lock()

    def configure(self, options: dict[str, Any]) -> None:
        with self._lock:
            if self._instance is not None:
                raise RuntimeError(
                    "configure_telemetry() must come before the first get_telemetry() "
                    "(or after reset_telemetry())"
                )
            self._options = dict(options)

    def get(self) -> PeftStudioTelemetry:
        with self._lock:
            if self._instance is None:
                self._instance = PeftStudioTelemetry(**self._options)
            return self._instance

    def reset(self) -> None:
        """Close the facade (flushing it) and forget it and the options: for tests, and for a
        host that wants a fresh one (another data folder)."""
        with self._lock:
            instance, self._instance, self._options = self._instance, None, {}
        if instance is not None:
            instance.close()


_registry = _Registry()


def configure_telemetry(
    config_dir: str | os.PathLike[str] | None = None,
    *,
    app_name: str = APP_NAME,
    app_version: str | None = None,
    clock: Clock = utc_now,
    environ: Mapping[str, str] | None = None,
    secret_store: SecretStore | None = None,
) -> None:
    """What `get_telemetry()` builds its facade with (not theirs: they had no options). Call it
    once at start-up, before anything tracks; a RuntimeError says when it came too late."""
    _registry.configure(
        {
            "config_dir": config_dir,
            "app_name": app_name,
            "app_version": app_version,
            "clock": clock,
            "environ": environ,
            "secret_store": secret_store,
        }
    )


def get_telemetry() -> PeftStudioTelemetry:
    """The process's facade. Its first call builds the client (a small read of the store's
    head and a thread start): make it at start-up rather than inside a request."""
    return _registry.get()


def reset_telemetry() -> None:
    _registry.reset()


async def track_event(event_type: str, properties: Mapping[str, Any] | None = None) -> None:
    await get_telemetry().track_event(event_type, properties)


async def track_error(error: BaseException, context: Mapping[str, Any] | None = None) -> None:
    await get_telemetry().track_error(error, context)


async def track_performance(metric_name: str, value: float, unit: str = "ms") -> None:
    await get_telemetry().track_performance(metric_name, value, unit)
