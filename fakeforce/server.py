"""Run fakeforce: in the foreground (the CLI) or in a background thread of a test process."""

from __future__ import annotations

import asyncio
import ipaddress
import os
import secrets
import socket
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import uvicorn

from .http.app import create_app
from .instance import Fakeforce
from .tls import Certificates, make_certificates


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a bind address) only accepts connections from this machine."""
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name: it may resolve to anything


def write_secret(path: str | Path, secret: str) -> Path:
    """Write ``secret`` to a file only its owner can read (0600), its folder created 0700 when missing."""
    path = Path(path)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)  # an existing file keeps its mode through O_CREAT
        os.write(fd, (secret + "\n").encode())
    finally:
        os.close(fd)
    return path


class FakeforceServer:
    """A fakeforce on a free port of 127.0.0.1, in a daemon thread; ``url`` is ready after :meth:`start`.

    >>> with FakeforceServer() as server:
    ...     server.url  # 'http://127.0.0.1:54321'

    The control surface (when ``settings.control_enabled``) is open without a token only in test mode
    (``test_mode=True``, the default, for tests in this process) on a loopback address. Anywhere else it
    requires ``Authorization: Bearer <token>``: ``control_token`` (or ``settings.control_token``), else a
    random one, readable as :attr:`control_token` and written (mode 0600) to ``control_token_file`` if given.
    """

    def __init__(self, fakeforce: Fakeforce | None = None, *, host: str = "127.0.0.1", port: int = 0,
                 tls: bool = False, cert_dir: str | Path | None = None, control_token: str | None = None,
                 test_mode: bool = True, control_token_file: str | Path | None = None,
                 cert_hosts: tuple[str, ...] = (), **instance_args: Any) -> None:
        self.fakeforce = fakeforce or Fakeforce(**instance_args)
        settings = self.fakeforce.settings
        if control_token is not None:
            if not control_token.strip():
                raise ValueError("the control token must not be empty")
            settings.control_token = control_token
        open_without_token = test_mode and is_loopback(host)
        self.control_token_generated = False
        if settings.control_enabled and not settings.control_token and not open_without_token:
            settings.control_token = secrets.token_urlsafe(32)
            self.control_token_generated = True
        self.fakeforce.control_without_token = open_without_token
        self.control_token_file: Path | None = None
        if control_token_file is not None and settings.control_enabled and settings.control_token:
            self.control_token_file = write_secret(control_token_file, settings.control_token)
        self.host = host
        self.port = port
        self.tls = tls
        self.certificates: Certificates | None = None
        self._cert_dir = cert_dir
        # extra names the --tls certificate covers, e.g. login.salesforce.com behind a CONNECT proxy
        self.cert_hosts = tuple(cert_hosts)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def control_token(self) -> str | None:
        """The token the control surface requires (None: open, test mode on loopback)."""
        return self.fakeforce.settings.control_token

    @property
    def org(self):
        return self.fakeforce.org

    @property
    def url(self) -> str:
        scheme = "https" if self.tls else "http"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}"

    def config(self) -> uvicorn.Config:
        kwargs: dict[str, Any] = {}
        if self.tls:
            folder = self._cert_dir or tempfile.mkdtemp(prefix="fakeforce-tls-")
            self.certificates = make_certificates(folder, ("127.0.0.1", "localhost", "::1", *self.cert_hosts))
            kwargs.update(ssl_certfile=str(self.certificates.cert_chain),
                          ssl_keyfile=str(self.certificates.private_key))
        return uvicorn.Config(create_app(self.fakeforce), host=self.host, port=self.port,
                              log_level="warning", access_log=False, lifespan="off", **kwargs)

    def start(self, timeout: float = 10.0) -> "FakeforceServer":
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # small answers go out at once
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        self._server = uvicorn.Server(self.config())
        self._thread = threading.Thread(target=lambda: asyncio.run(self._server.serve(sockets=[sock])),
                                        name="fakeforce", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("fakeforce did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.fakeforce.org.store.close()

    def __enter__(self) -> "FakeforceServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
