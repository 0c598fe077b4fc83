"""`peft-telemetry serve`: PEFT Studio's telemetry API alone, on this computer only by default.

For a host whose UI talks HTTP (their React components) without their backend, and for trying
the drop-in: the same router they include, over the data folder given, until Ctrl+C or SIGTERM
(either ends it cleanly, `session_ended` recorded, exit 0). FastAPI and uvicorn come with the
`fastapi` extra and load only here, so the rest of the CLI never needs them.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import socket
import sys
from collections.abc import Callable, Iterator

from ..core.i18n import N_, tr
from .common import EXIT_FAILURE, EXIT_OK, UsageError, data_dir_of, printable

__all__ = ["add_serve_command", "cmd_serve"]

DEFAULT_PORT = 8765
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
_MISSING = N_(
    "serve needs FastAPI and uvicorn, which come with the fastapi extra: "
    "pip install 'peft-telemetry-gui[fastapi]'"
)


def _port(text: str) -> int:
    if not text.strip().isdigit() or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(
            tr("{value!r} is not a port (0 to 65535; 0: any free one)").format(value=text)
        )
    return int(text)


def _listen(host: str, port: int) -> socket.socket:
    """Bound before the server starts, so a port in use is one line here (and `--port 0`
    can print the port it got)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


@contextlib.contextmanager
def _quiet_stop() -> Iterator[None]:
    """uvicorn stops on SIGINT/SIGTERM, then raises the signal again for the handler it found:
    with this one in place that re-raise ends the command with exit 0, not a traceback."""
    old = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    for s in old:
        signal.signal(s, lambda *_args: None)
    try:
        yield
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)


def cmd_serve(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from ..integrations.fastapi import LOCAL_HOSTS, create_app
    except ImportError:
        print(tr("peft-telemetry: error: {message}").format(message=tr(_MISSING)), file=sys.stderr)
        return EXIT_FAILURE
    host = args.host.strip()
    if not host:
        raise UsageError(tr("--host is empty; give an address (or leave the option out)"))
    if not args.app_name.strip():
        raise UsageError(tr("--app-name is empty; give the name consent changes are logged under"))
    data_dir = data_dir_of(args)
    try:
        sock = _listen(host, args.port)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        message = tr("cannot listen on {address}: {reason}").format(
            address=f"{host}:{args.port}", reason=reason
        )
        print(tr("peft-telemetry: error: {message}").format(message=message), file=sys.stderr)
        return EXIT_FAILURE
    hosts: tuple[str, ...] = LOCAL_HOSTS
    if host not in LOOPBACK:
        # Wildcard: the Host header is whatever name the machine is reached by.
        hosts = ("*",) if host in ("0.0.0.0", "::") else (*LOCAL_HOSTS, host)
        message = tr(
            "serving on {host}: other computers can read and change telemetry consent and data"
        ).format(host=printable(host))
        print(tr("peft-telemetry: warning: {message}").format(message=message), file=sys.stderr)
    app = create_app(data_dir=str(data_dir), app_name=args.app_name, allowed_hosts=hosts)
    port = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    print(
        tr("Serving {app}'s telemetry API for {folder} on {url} (Ctrl+C to stop)").format(
            app=printable(args.app_name),
            folder=printable(data_dir),
            url=f"http://{shown}:{port}/api/telemetry",
        ),
        flush=True,
    )
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
    with _quiet_stop():
        uvicorn.Server(config).run(sockets=[sock])
    return EXIT_OK


Command = Callable[[argparse.Namespace], int]
AddCommand = Callable[[str, Command, str], argparse.ArgumentParser]


def add_serve_command(add: AddCommand) -> None:
    p = add("serve", cmd_serve, tr("serve PEFT Studio's telemetry API (/api/telemetry) over HTTP"))
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help=tr("address to listen on (default 127.0.0.1: this computer only)"),
    )
    p.add_argument(
        "--port",
        type=_port,
        default=DEFAULT_PORT,
        help=tr("default {port}; 0: any free port").format(port=DEFAULT_PORT),
    )
    p.add_argument(
        "--app-name",
        default="PEFT Studio",
        help=tr("the host name consent changes are audit-logged under (default: PEFT Studio)"),
    )
