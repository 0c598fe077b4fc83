"""The user's network settings reach every request (issue 8): proxies, trusted CAs, client
certificates and the OTLP exporter variables, read from the injected environment.

Real parts only: certificates generated here in tmp_path (never committed), an https OTLP
receiver on 127.0.0.1, and a small CONNECT proxy on 127.0.0.1 that records every tunnel it
opened and forwards it to that receiver, whatever host name the client asked for.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import select
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from upload_receiver import Action, Receiver

from peft_telemetry_gui.core.models import Event
from peft_telemetry_gui.core.services.consent import set_consent
from peft_telemetry_gui.core.services.upload import enable_upload, send_now
from peft_telemetry_gui.core.store import Store
from peft_telemetry_gui.core.upload import preview_next_batch, read_queue, read_state
from peft_telemetry_gui.core.upload.runtime import UploadRuntime
from peft_telemetry_gui.core.upload.sink import UploadSink

pytestmark = [pytest.mark.faults, pytest.mark.usefixtures("no_upload_worker")]

COLLECTOR = "collector.test"  # never resolved: only the proxy knows where it is
UNROUTABLE = "192.0.2.1"  # TEST-NET-1: a direct connection goes nowhere


# ------------------------------------------------------------------ certificates
@dataclass(frozen=True)
class Pki:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path

    def server_context(self, *, require_client: bool = False) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.server_cert, self.server_key)
        if require_client:
            context.verify_mode = ssl.CERT_REQUIRED
            context.load_verify_locations(self.ca)
        return context


def _make_pki(folder: Path) -> Pki:
    x509 = pytest.importorskip("cryptography.x509")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    start = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)  # fixed: nothing built from the wall clock
    end = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)

    def name(common: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])

    def write(
        stem: str, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey
    ) -> tuple[Path, Path]:
        cert_path, key_path = folder / f"{stem}.pem", folder / f"{stem}.key"
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        return cert_path, key_path

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(name("peft test CA"))
        .issuer_name(name("peft test CA"))
        .public_key(ca_key.public_key())
        .serial_number(1)
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )

    def leaf(
        common: str, serial: int, usage: object, sans: list[x509.GeneralName]
    ) -> tuple[Path, Path]:
        key = ec.generate_private_key(ec.SECP256R1())
        builder = (
            x509.CertificateBuilder()
            .subject_name(name(common))
            .issuer_name(ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(serial)
            .not_valid_before(start)
            .not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
            )
        )
        if sans:
            builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
        return write(common.replace(" ", "-"), builder.sign(ca_key, hashes.SHA256()), key)

    ca_path, _ = write("ca", ca_cert, ca_key)
    server = leaf(
        "server",
        2,
        ExtendedKeyUsageOID.SERVER_AUTH,
        [
            x509.DNSName(COLLECTOR),
            x509.DNSName("localhost"),
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
            x509.IPAddress(ipaddress.ip_address(UNROUTABLE)),
        ],
    )
    client = leaf("client", 3, ExtendedKeyUsageOID.CLIENT_AUTH, [])
    return Pki(ca_path, *server, *client)


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    folder = tmp_path / "pki"
    folder.mkdir()
    return _make_pki(folder)


@pytest.fixture
def tls_rx(pki: Pki) -> Iterator[Receiver]:
    with Receiver(ssl_context=pki.server_context()) as receiver:
        yield receiver


# ------------------------------------------------------------------ a CONNECT proxy
class _Tunnel(BaseHTTPRequestHandler):
    server: _ProxyServer

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_CONNECT(self) -> None:
        self.server.seen.append(self.path)
        upstream = socket.create_connection(("127.0.0.1", self.server.target_port), timeout=5)
        self.send_response(200, "Connection established")
        self.end_headers()
        sockets = [self.connection, upstream]
        try:
            while True:
                readable, _, _ = select.select(sockets, [], [], 5)
                if not readable:
                    return
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    (upstream if sock is self.connection else self.connection).sendall(data)
        except OSError:
            return
        finally:
            upstream.close()
            self.close_connection = True

    def do_POST(self) -> None:  # plain http through the proxy: recorded, refused
        self.server.seen.append(f"POST {self.path}")
        self.send_error(502)


class _ProxyServer(ThreadingHTTPServer):
    daemon_threads = True
    seen: list[str]
    target_port: int


@pytest.fixture
def proxy(tls_rx: Receiver) -> Iterator[_ProxyServer]:
    server = _ProxyServer(("127.0.0.1", 0), _Tunnel)
    server.seen, server.target_port = [], tls_rx.port
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02})
    thread.daemon = True
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _proxy_url(server: _ProxyServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


# ------------------------------------------------------------------ helpers
def _queued(data_dir: Path, endpoint: str, n: int = 1) -> Store:
    store = Store(data_dir)
    set_consent(store, enabled=True, actor="cli")
    enable_upload(store, endpoint, actor="cli", environ={})
    # The store writer's hand-off, as a host's flush makes it (the sink starts no worker here).
    sink = UploadSink(UploadRuntime(autostart=False), "Net App", environ={})
    events = [
        Event(
            id=f"ev-{i}",
            timestamp=store.clock(),
            category="usage",
            event_type="net_event",
            session_id="s",
        )
        for i in range(n)
    ]
    store.update(lambda doc: sink(store, doc, events))
    assert len(read_queue(store)) == n
    return store


def _last(store: Store) -> str:
    return read_state(store).history[-1].message


# ------------------------------------------------------------------ proxy and CA
def test_https_goes_through_the_users_proxy_and_trusts_their_ca(
    data_dir: Path, pki: Pki, tls_rx: Receiver, proxy: _ProxyServer
) -> None:
    store = _queued(data_dir, f"https://{COLLECTOR}:4318")
    env = {"HTTPS_PROXY": _proxy_url(proxy), "OTEL_EXPORTER_OTLP_CERTIFICATE": str(pki.ca)}
    (entry,) = send_now(store, environ=env, timeout=5.0)
    assert entry.outcome == "delivered", entry.message
    assert proxy.seen == [f"{COLLECTOR}:4318"]
    assert [r["event_name"] for r in tls_rx.delivered_records()] == ["net_event"]


@pytest.mark.parametrize(
    "ca_vars",
    [
        {"OTEL_EXPORTER_OTLP_CERTIFICATE": "/nonexistent/ca.pem",
         "OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE": "{ca}"},
        {"SSL_CERT_FILE": "{ca}"},
        {"SSL_CERT_FILE": "/nonexistent/ca.pem", "OTEL_EXPORTER_OTLP_CERTIFICATE": "{ca}"},
    ],
    ids=["logs-variable-wins", "ssl-cert-file", "otlp-wins-over-ssl-cert-file"],
)  # fmt: skip
def test_the_ca_variables_in_their_order_of_precedence(
    data_dir: Path, pki: Pki, tls_rx: Receiver, proxy: _ProxyServer, ca_vars: dict[str, str]
) -> None:
    store = _queued(data_dir, f"https://{COLLECTOR}")
    env = {k: v.format(ca=pki.ca) for k, v in ca_vars.items()}
    env["https_proxy"] = _proxy_url(proxy)  # lower case, as curl and urllib read it
    (entry,) = send_now(store, environ=env, timeout=5.0)
    assert entry.outcome == "delivered", entry.message


def test_no_proxy_sends_directly_and_without_it_the_proxy_is_used(
    data_dir: Path, pki: Pki, tls_rx: Receiver, proxy: _ProxyServer
) -> None:
    store = _queued(data_dir, f"https://{UNROUTABLE}:4318")
    env = {
        "HTTPS_PROXY": _proxy_url(proxy),
        "NO_PROXY": f"example.com, {UNROUTABLE.rsplit('.', 1)[0]}.0/24",
        "OTEL_EXPORTER_OTLP_CERTIFICATE": str(pki.ca),
    }
    (entry,) = send_now(store, environ=env, timeout=0.5)
    assert entry.outcome == "retry" and proxy.seen == []  # went direct, to nowhere
    del env["NO_PROXY"]
    (entry,) = send_now(store, environ=env, timeout=5.0)
    assert entry.outcome == "delivered", entry.message
    assert proxy.seen == [f"{UNROUTABLE}:4318"]


@pytest.mark.parametrize(
    ("url", "env", "expected"),
    [
        ("https://c.example.com", {"HTTPS_PROXY": "http://p:3128"}, "http://p:3128"),
        ("https://c.example.com", {"https_proxy": "http://lower:1", "HTTPS_PROXY": "http://up:2"},
         "http://lower:1"),
        ("https://c.example.com", {"ALL_PROXY": "http://all:3"}, "http://all:3"),
        ("https://c.example.com", {"HTTPS_PROXY": "http://p:1", "NO_PROXY": "example.com"}, None),
        ("https://c.example.com", {"HTTPS_PROXY": "http://p:1", "NO_PROXY": ".example.com"}, None),
        ("https://c.example.com", {"HTTPS_PROXY": "http://p:1", "NO_PROXY": "*.example.com"}, None),
        ("https://c.example.com", {"HTTPS_PROXY": "http://p:1", "NO_PROXY": "*"}, None),
        ("https://badexample.com", {"HTTPS_PROXY": "http://p:1", "NO_PROXY": "example.com"},
         "http://p:1"),
        ("https://c.example:8443", {"HTTPS_PROXY": "http://p:1", "no_proxy": "c.example:80"},
         "http://p:1"),
        ("https://c.example:8443", {"HTTPS_PROXY": "http://p:1", "no_proxy": "c.example:8443"},
         None),
        ("https://10.1.2.3", {"HTTPS_PROXY": "http://p:1", "NO_PROXY": "10.0.0.0/8"}, None),
        ("https://[2001:db8::5]", {"HTTPS_PROXY": "http://p:1", "NO_PROXY": "2001:db8::/32"}, None),
        ("https://localhost:4318", {"HTTPS_PROXY": "http://p:1"}, None),  # loopback: never
        ("https://127.0.0.9", {"ALL_PROXY": "http://p:1"}, None),
        ("http://[::1]:4318", {"HTTP_PROXY": "http://p:1", "ALL_PROXY": "http://p:1"}, None),
    ],
)  # fmt: skip
def test_which_destinations_go_through_a_proxy(
    url: str, env: dict[str, str], expected: str | None
) -> None:
    from peft_telemetry_gui.core.upload.connection import proxy_for  # (new in issue 8)

    found = proxy_for(url, env)
    assert (found[1] if found else None) == expected


def test_plain_http_to_this_computer_never_goes_through_a_proxy(
    data_dir: Path, rx: Receiver, proxy: _ProxyServer
) -> None:
    """http is only allowed to loopback because nothing crosses a network; a proxy would
    carry it across one in clear text (browsers never proxy loopback either)."""
    store = _queued(data_dir, rx.endpoint)
    url = _proxy_url(proxy)
    (entry,) = send_now(store, environ={"HTTP_PROXY": url, "ALL_PROXY": url}, timeout=5.0)
    assert entry.outcome == "delivered" and proxy.seen == []


# ------------------------------------------------------------------ TLS failures and mTLS
def test_an_untrusted_certificate_is_named_as_such(data_dir: Path, tls_rx: Receiver) -> None:
    store = _queued(data_dir, f"https://localhost:{tls_rx.port}")
    (entry,) = send_now(store, environ={}, timeout=5.0)
    assert entry.outcome == "retry"
    assert "certificate of localhost was not accepted" in entry.message
    assert "connection refused" not in entry.message
    assert len(read_queue(store)) == 1


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"OTEL_EXPORTER_OTLP_CERTIFICATE": "/nonexistent/ca.pem"},
         "/nonexistent/ca.pem (OTEL_EXPORTER_OTLP_CERTIFICATE) cannot be used (No such file"),
        ({"SSL_CERT_FILE": "{key}"}, "(SSL_CERT_FILE) cannot be used"),
        ({"OTEL_EXPORTER_OTLP_CLIENT_KEY": "{key}"}, "CLIENT_KEY is set without"),
        ({"OTEL_EXPORTER_OTLP_LOGS_CLIENT_CERTIFICATE": "/nonexistent/c.pem"},
         "client certificate from OTEL_EXPORTER_OTLP_LOGS_CLIENT_CERTIFICATE cannot be used"),
        ({"HTTPS_PROXY": "ftp://user:secret@proxy.example:21"},
         "the proxy ftp://proxy.example:21 (HTTPS_PROXY) cannot be used"),
    ],
)  # fmt: skip
def test_unusable_network_settings_are_reported_and_nothing_is_lost(
    data_dir: Path, pki: Pki, env: dict[str, str], words: str
) -> None:
    store = _queued(data_dir, f"https://{COLLECTOR}")
    env = {k: v.format(key=pki.server_key) for k, v in env.items()}
    (entry,) = send_now(store, environ=env, timeout=2.0)  # no exception, one clear entry
    assert entry.outcome == "retry" and words in entry.message, entry.message
    assert "\n" not in entry.message and "secret" not in entry.message
    assert read_state(store).last_error == entry.message
    assert len(read_queue(store)) == 1  # kept until the setting is fixed


def test_mutual_tls_presents_the_client_certificate_from_the_environment(
    data_dir: Path, pki: Pki
) -> None:
    with Receiver(ssl_context=pki.server_context(require_client=True)) as mtls:
        store = _queued(data_dir, f"https://localhost:{mtls.port}")
        ca = {"OTEL_EXPORTER_OTLP_CERTIFICATE": str(pki.ca)}
        (refused,) = send_now(store, environ=ca, timeout=5.0)
        assert refused.outcome == "retry" and mtls.delivered() == []
        env = {
            **ca,
            "OTEL_EXPORTER_OTLP_LOGS_CLIENT_CERTIFICATE": str(pki.client_cert),
            "OTEL_EXPORTER_OTLP_CLIENT_KEY": str(pki.client_key),
        }
        (entry,) = send_now(store, environ=env, timeout=5.0)
        assert entry.outcome == "delivered", entry.message
        assert len(mtls.delivered_records()) == 1


# ------------------------------------------------------------------ timeout and compression
@pytest.mark.parametrize(
    "env",
    [
        {"OTEL_EXPORTER_OTLP_TIMEOUT": "200"},
        {"OTEL_EXPORTER_OTLP_TIMEOUT": "60000", "OTEL_EXPORTER_OTLP_LOGS_TIMEOUT": "200"},
    ],
    ids=["general", "logs-wins"],
)
def test_the_otlp_timeout_is_in_milliseconds(
    data_dir: Path, rx: Receiver, env: dict[str, str]
) -> None:
    store = _queued(data_dir, rx.endpoint)
    rx.then(Action(delay=3.0))  # well beyond 200 ms, well within the default 10 s
    started = time.monotonic()
    (entry,) = send_now(store, environ=env)
    assert time.monotonic() - started < 2.5
    assert entry.outcome == "retry" and "did not answer within 0.2 s" in entry.message


@pytest.mark.parametrize(
    ("env", "gzip"),
    [
        ({"OTEL_EXPORTER_OTLP_COMPRESSION": "none"}, False),
        ({"OTEL_EXPORTER_OTLP_LOGS_COMPRESSION": "NONE", "OTEL_EXPORTER_OTLP_COMPRESSION": "gzip"},
         False),
        ({"OTEL_EXPORTER_OTLP_COMPRESSION": "none", "OTEL_EXPORTER_OTLP_LOGS_COMPRESSION": "gzip"},
         True),
        ({"OTEL_EXPORTER_OTLP_COMPRESSION": "zstd"}, True),  # unknown: ours, with a warning
        ({}, True),
    ],
)  # fmt: skip
def test_the_otlp_compression_variables_decide_the_content_encoding(
    data_dir: Path, rx: Receiver, env: dict[str, str], gzip: bool
) -> None:
    store = _queued(data_dir, rx.endpoint)
    preview = preview_next_batch(store, environ=env)
    assert ("Content-Encoding" in preview.headers) is gzip
    (entry,) = send_now(store, environ=env, timeout=5.0)
    assert entry.outcome == "delivered"
    (request,) = rx.delivered()
    assert (request.headers.get("content-encoding") == "gzip") is gzip
    assert [r["event_name"] for r in request.records] == ["net_event"]  # decodes either way
