"""A real OTLP/HTTP logs receiver on 127.0.0.1 for the upload tests and the benchmark.

It decodes every request with opentelemetry-proto (gunzip first, protobuf or JSON) and can be
scripted to misbehave: any status with any headers (429 + Retry-After, 503 storms, 500, 400;
`Action(503, {"Retry-After": "²"})` sends the value as is, latin-1 encoded),
`partial_success`, slow answers (beyond the client's timeout), dropping the connection without
an answer, and being stopped (connection refused) and restarted on the same port. With an
`ssl_context` it speaks https (the tests build the certificates themselves, in tmp_path).
"""

from __future__ import annotations

import gzip
import ssl
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from google.protobuf import json_format
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)

__all__ = ["Action", "ReceivedRequest", "Receiver", "decode_request"]


@dataclass
class Action:
    """How to answer one request."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (interruptible by stop())
    drop: bool = False  # close the connection without any answer
    rejected: int = 0  # > 0: a 200 with partial_success
    body: bytes | None = None


@dataclass
class ReceivedRequest:
    path: str
    headers: dict[str, str]
    wire_bytes: int
    request: ExportLogsServiceRequest | None
    status: int | None = None  # what we answered (None: dropped / not answered)

    @property
    def records(self) -> list[dict[str, Any]]:
        if self.request is None:
            return []
        out = []
        for resource_logs in self.request.resource_logs:
            resource = _attrs(resource_logs.resource.attributes)
            for scope_logs in resource_logs.scope_logs:
                for record in scope_logs.log_records:
                    out.append(
                        {
                            "event_name": record.event_name,
                            "body": record.body.string_value,
                            "severity_number": record.severity_number,
                            "time_unix_nano": record.time_unix_nano,
                            "attributes": _attrs(record.attributes),
                            "resource": resource,
                        }
                    )
        return out


def _value(value: Any) -> Any:
    kind = value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [_value(v) for v in value.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: _value(kv.value) for kv in value.kvlist_value.values}
    return getattr(value, kind)


def _attrs(attributes: Iterable[Any]) -> dict[str, Any]:
    return {kv.key: _value(kv.value) for kv in attributes}


def decode_request(body: bytes, headers: dict[str, str]) -> ExportLogsServiceRequest:
    if headers.get("content-encoding", "") == "gzip":
        body = gzip.decompress(body)
    if "json" in headers.get("content-type", ""):
        return json_format.Parse(body, ExportLogsServiceRequest())
    return ExportLogsServiceRequest.FromString(body)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def do_POST(self) -> None:
        receiver = self.server.receiver
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            decoded: ExportLogsServiceRequest | None = decode_request(body, headers)
        except Exception:
            decoded = None
        got = ReceivedRequest(self.path, headers, len(body), decoded)
        action = receiver.next_action()
        with receiver.lock:
            receiver.requests.append(got)
        if action.delay and receiver.stopping.wait(action.delay):
            action = Action(drop=True)
        if action.drop:
            self.close_connection = True
            return
        payload = action.body
        if payload is None:
            response = ExportLogsServiceResponse()
            if action.rejected:
                response.partial_success.rejected_log_records = action.rejected
                response.partial_success.error_message = "attribute too long"
            payload = response.SerializeToString()
        try:
            self.send_response(action.status)
            self.send_header("Content-Type", "application/x-protobuf")
            for key, value in action.headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            self.wfile.flush()
        except OSError:  # the client gave up (timeout): it never saw this answer
            self.close_connection = True
            return
        got.status = action.status


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    receiver: Receiver

    def handle_error(self, request: object, client_address: object) -> None:
        # A client that fails the TLS handshake (the point of some tests) is no test failure.
        self.receiver.handshake_failures += 1


class Receiver:
    """`with Receiver() as rx:`; `rx.endpoint` is the base URL to give `enable_upload`."""

    def __init__(self, ssl_context: ssl.SSLContext | None = None) -> None:
        self.ssl_context = ssl_context
        self.handshake_failures = 0
        self.lock = threading.Lock()
        self.requests: list[ReceivedRequest] = []
        self.script: deque[Action] = deque()
        self.default = Action()
        self.stopping = threading.Event()
        self.port = 0
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ control
    def start(self) -> Receiver:
        self.stopping.clear()
        server = _Server(("127.0.0.1", self.port), _Handler)
        server.receiver = self
        if self.ssl_context is not None:  # the handshake happens in the handler's thread
            server.socket = self.ssl_context.wrap_socket(
                server.socket, server_side=True, do_handshake_on_connect=False
            )
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02})
        self._thread.daemon = True
        self._thread.start()
        return self

    def stop(self) -> None:
        """Afterwards connections are refused (same port is kept for restart())."""
        self.stopping.set()
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(5)

    def restart(self) -> None:
        self.stop()
        self.start()

    def __enter__(self) -> Receiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def then(self, *actions: Action) -> Receiver:
        with self.lock:
            self.script.extend(actions)
        return self

    def next_action(self) -> Action:
        with self.lock:
            return self.script.popleft() if self.script else self.default

    # ------------------------------------------------------------------ results
    @property
    def endpoint(self) -> str:
        scheme = "https" if self.ssl_context is not None else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    def delivered(self) -> list[ReceivedRequest]:
        """Requests we answered with a 2xx (what the client may consider sent)."""
        with self.lock:
            return [r for r in self.requests if r.status is not None and 200 <= r.status < 300]

    def delivered_records(self) -> list[dict[str, Any]]:
        return [rec for req in self.delivered() for rec in req.records]

    def delivered_event_ids(self) -> list[str]:
        return [rec["attributes"].get("event.id") for rec in self.delivered_records()]

    def all_records(self) -> list[dict[str, Any]]:
        with self.lock:
            reqs = list(self.requests)
        return [rec for req in reqs for rec in req.records]

    def wait_for(self, predicate: Any, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.01)
        return bool(predicate())
