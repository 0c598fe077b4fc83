"""One clear sentence for every refused request, from the router itself.

FastAPI answers a bad body with a list of pydantic error records, and exception handlers
belong to the host's app, which a drop-in router must not touch. So the router's own route
class (`OneMessageRoute`, FastAPI's documented extension point) turns each refusal into
`{"detail": "<one sentence>"}` and caps the body before anything parses it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message

__all__ = ["MAX_BODY_BYTES", "OneMessageRoute", "one_message"]

#: The largest body read. An event the scrubber keeps is at most 16 KiB
#: (`ScrubLimits.max_event_bytes`); four times that leaves room for escapes and spacing.
MAX_BODY_BYTES = 64 * 1024
_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})
_NOT_AN_OBJECT = frozenset({"model_attributes_type", "dict_type", "model_type"})


def _where(error: Mapping[str, Any]) -> str:
    return ".".join(str(part) for part in error.get("loc", ()) if part != "body")


def _sentence(error: Mapping[str, Any]) -> str:
    kind = error.get("type", "")
    field = _where(error)
    ctx = error.get("ctx") or {}
    if kind == "json_invalid":
        return f"The request body is not valid JSON ({ctx.get('error', 'it cannot be parsed')})"
    if not field:
        if kind == "missing":
            return "The request body is missing: send a JSON object"
        if kind in _NOT_AN_OBJECT:
            return "The request body must be a JSON object (Content-Type: application/json)"
    if kind == "extra_forbidden":
        return f"Unknown field {field!r}: it is not part of this request"
    if kind == "missing":
        return f"{field!r} is required"
    if kind == "too_long" and isinstance(error.get("input"), Mapping):
        given = len(error["input"])
        return f"{field} has {given:,} entries; at most {ctx.get('max_length')} are accepted"
    if kind == "string_too_long":
        return f"{field} is longer than {ctx.get('max_length')} characters"
    return f"{field or 'The request body'}: {error.get('msg', 'not accepted')}"


def one_message(errors: Sequence[Mapping[str, Any]]) -> str:
    """The first problem in words, and how many more there are."""
    if not errors:
        return "The request could not be read"
    more = len(errors) - 1
    tail = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    return _sentence(errors[0]) + tail


def _too_large(size: int | None) -> JSONResponse:
    said = f"{size:,} bytes" if size is not None else "larger"
    return JSONResponse(
        {"detail": f"The request body is {said}; at most {MAX_BODY_BYTES:,} bytes are accepted"},
        status_code=413,
    )


async def _bounded(request: Request) -> Request | Response:
    """The request with its body read up to the cap (a 413 past it, unread when its
    Content-Length already says so), replayed to FastAPI from memory."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            return JSONResponse({"detail": "Content-Length is not a number"}, status_code=400)
        if int(declared) > MAX_BODY_BYTES:
            return _too_large(int(declared))
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return _too_large(None)
        chunks.append(chunk)
    body = b"".join(chunks)
    replayed = False
    upstream = request.receive

    async def receive() -> Message:
        nonlocal replayed
        if replayed:  # later calls only watch for the client leaving
            return await upstream()
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}

    return Request(request.scope, receive)


class OneMessageRoute(APIRoute):
    """A route whose refusals are one sentence each (422 for a body that does not fit)."""

    def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            if request.method in _WITH_BODY:
                bounded = await _bounded(request)
                if isinstance(bounded, Response):
                    return bounded
                request = bounded
            try:
                return await handler(request)
            except RequestValidationError as exc:
                return JSONResponse({"detail": one_message(exc.errors())}, status_code=422)

        return route
