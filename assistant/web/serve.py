"""``factcheck serve``: the web app under uvicorn, on loopback unless told otherwise (then with a token)."""

from __future__ import annotations

import socket
from pathlib import Path

from ..app import App
from ..errors import ConfigError
from .app import create_app
from .security import is_loopback, read_token, require_token_off_loopback

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


def listen(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port``, or a one-line error saying why not (port taken, no such address)."""
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host.strip("[]"), port))
    except OSError as exc:
        sock.close()
        raise ConfigError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}; pass another --port"
        ) from None
    return sock


def serve(
    app: App,
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    token_file: Path | None = None,
    workers: int | None = None,
    on_ready: object = None,
) -> None:
    """Serve the web app until interrupted. Refuses a non-loopback address without a token."""
    import uvicorn

    token = read_token(token_file)
    require_token_off_loopback(host, token)
    sock = listen(host, port)  # a taken port is reported before anything is built
    web = create_app(app, token=token, loopback_only=is_loopback(host) and token is None, workers=workers)
    config = uvicorn.Config(web, log_level="info", server_header=False, date_header=False)
    if callable(on_ready):
        on_ready(f"http://{host if ':' not in host else f'[{host}]'}:{port}/")
    uvicorn.Server(config).run(sockets=[sock])
