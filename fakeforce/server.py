"""Run fakeforce: in the foreground (the CLI) or in a background thread of a test process."""

from __future__ import annotations

import asyncio
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


class FakeforceServer:
    """A fakeforce on a free port of 127.0.0.1, in a daemon thread; ``url`` is ready after :meth:`start`.

    >>> with FakeforceServer() as server:
    ...     server.url  # 'http://127.0.0.1:54321'
    """

    def __init__(self, fakeforce: Fakeforce | None = None, *, host: str = "127.0.0.1", port: int = 0,
                 tls: bool = False, cert_dir: str | Path | None = None, **instance_args: Any) -> None:
        self.fakeforce = fakeforce or Fakeforce(**instance_args)
        self.host = host
        self.port = port
        self.tls = tls
        self.certificates: Certificates | None = None
        self._cert_dir = cert_dir
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

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
            self.certificates = make_certificates(folder)
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
