"""PEFT Studio's `/api/telemetry` router, over `peft_studio`: their paths, bodies and answers.

Their backend swaps one import (`from peft_telemetry_gui.integrations.fastapi import router`)
and their React components keep working. `create_app()` serves the router alone, for
`peft-telemetry serve`. Needs the `fastapi` extra; nothing else in the package imports it.

What the router adds to their shapes, each answer saying so in one sentence (`errors.py`):
bodies are checked strictly (a bool is a JSON boolean, unknown fields are refused, at most
`MAX_PROPERTIES` properties, at most `MAX_BODY_BYTES` bytes), a date that cannot be read is a
422 rather than a 500, and an event is refused unless its category is on. Their dashboard may
read and export what is stored while telemetry is off (theirs said 403): the data is the
user's. The endpoints that touch the store are plain functions, which FastAPI runs on its
thread pool, so a busy disk never stalls the host's event loop.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr

from .._version import __version__
from ..core.client.capture import MAX_NAME, MAX_UNIT
from ..core.scrub.limits import DEFAULT_LIMITS
from .errors import MAX_BODY_BYTES, OneMessageRoute
from .peft_studio import APP_NAME, PeftStudioTelemetry, get_telemetry

__all__ = ["MAX_BODY_BYTES", "MAX_PROPERTIES", "create_app", "router"]

#: More would be cut by the scrubber (`ScrubLimits.max_keys`): refused instead, so the host
#: learns of it rather than losing properties silently.
MAX_PROPERTIES = DEFAULT_LIMITS.max_keys
#: The hosts a standalone server answers to. A page on another site can make a browser send
#: requests to 127.0.0.1; with a name of its own that resolves there (DNS rebinding) it could
#: also read the answers, and this check is what refuses it.
LOCAL_HOSTS = ("127.0.0.1", "localhost")

router = APIRouter(prefix="/api/telemetry", tags=["telemetry"], route_class=OneMessageRoute)
Telemetry = Annotated[PeftStudioTelemetry, Depends(get_telemetry)]
_STRICT = ConfigDict(extra="forbid")


class ConsentBody(BaseModel):
    model_config = _STRICT
    enabled: StrictBool


class EventBody(BaseModel):
    model_config = _STRICT
    event_type: Annotated[StrictStr, Field(min_length=1, max_length=MAX_NAME)]
    properties: Annotated[dict[str, Any] | None, Field(max_length=MAX_PROPERTIES)] = None


class PerformanceBody(BaseModel):
    model_config = _STRICT
    metric_name: Annotated[StrictStr, Field(min_length=1, max_length=MAX_NAME)]
    value: Annotated[float, Field(strict=True, allow_inf_nan=False)]
    unit: Annotated[StrictStr, Field(max_length=MAX_UNIT)] = "ms"


class AnalyticsBody(BaseModel):
    model_config = _STRICT
    start_date: StrictStr | None = None
    end_date: StrictStr | None = None


def _refuse_unless(telemetry: PeftStudioTelemetry, category: str) -> None:
    """403 with their words when telemetry is off; ours when only this category is."""
    if not telemetry.is_enabled():
        override = telemetry.client.env_override
        raise HTTPException(
            status_code=403,
            detail=f"Telemetry is not enabled ({override} is set)"
            if override
            else "Telemetry is not enabled",
        )
    if not telemetry.category_on(category):
        raise HTTPException(
            status_code=403,
            detail=f"Telemetry is on, but {category} events are off (the user's choice)",
        )


@router.get("/consent")
def get_consent_status(telemetry: Telemetry) -> dict[str, Any]:
    return telemetry.get_consent_status()


@router.post("/consent")
def update_consent(body: ConsentBody, telemetry: Telemetry) -> dict[str, Any]:
    """Audit-logged as the host app (actor "api" and its name), as `TelemetryClient.enable`
    and `disable` are: the desktop app's notice names it."""
    changed = telemetry.enable() if body.enabled else telemetry.disable()
    if not changed:
        override = telemetry.client.env_override
        reason = f"{override} is set" if override else "the store could not be written"
        raise HTTPException(status_code=409, detail=f"Telemetry consent not changed: {reason}")
    return {
        "success": True,
        "enabled": telemetry.is_enabled(),
        "message": f"Telemetry {'enabled' if body.enabled else 'disabled'}",
    }


@router.post("/events")
def track_event(body: EventBody, telemetry: Telemetry) -> dict[str, Any]:
    _refuse_unless(telemetry, "usage")
    telemetry.client.track_event(body.event_type, body.properties)
    return {"success": True, "message": "Event tracked"}


@router.post("/performance")
def track_performance_metric(body: PerformanceBody, telemetry: Telemetry) -> dict[str, Any]:
    _refuse_unless(telemetry, "performance")
    telemetry.client.track_performance(body.metric_name, body.value, body.unit)
    return {"success": True, "message": "Performance metric tracked"}


@router.post("/analytics")
def get_analytics(telemetry: Telemetry, body: AnalyticsBody | None = None) -> dict[str, Any]:
    body = body or AnalyticsBody()
    try:
        return telemetry.analytics(body.start_date, body.end_date)
    except ValueError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None


@router.get("/export")
def export_telemetry_data(telemetry: Telemetry) -> dict[str, Any]:
    return telemetry.export()


@router.delete("/data")
def delete_telemetry_data(telemetry: Telemetry) -> dict[str, Any]:
    report = telemetry.delete()
    return {"success": True, "message": "All telemetry data deleted", **report}


@router.get("/health")
def telemetry_health(telemetry: Telemetry) -> dict[str, Any]:
    return {
        "status": "healthy",
        "enabled": telemetry.is_enabled(),
        "session_id": telemetry.session_id,
        "version": __version__,
    }


def create_app(
    telemetry: PeftStudioTelemetry | None = None,
    *,
    data_dir: str | None = None,
    app_name: str = APP_NAME,
    allowed_hosts: tuple[str, ...] = LOCAL_HOSTS,
) -> FastAPI:
    """The router alone, as a server: on `telemetry` (the caller's, left open) or on a facade
    of its own over `data_dir`, closed (so `session_ended` is recorded) when the server stops.
    Requests naming any host but `allowed_hosts` are refused (400)."""
    from fastapi.middleware.trustedhost import TrustedHostMiddleware

    owned = telemetry is None
    facade = telemetry or PeftStudioTelemetry(data_dir, app_name=app_name)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        if owned:
            await facade.shutdown()

    app = FastAPI(title=f"{app_name} telemetry", version=__version__, lifespan=lifespan)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts))
    app.dependency_overrides[get_telemetry] = lambda: facade
    app.include_router(router)
    app.state.telemetry = facade
    return app
