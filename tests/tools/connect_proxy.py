"""A tiny HTTPS ``CONNECT`` proxy that sends every tunnel to one fakeforce, whatever host the client named.

Why: tap-salesforce (and other tools) log in at a fixed ``https://login.salesforce.com``. With
``HTTPS_PROXY`` pointing here, ``requests`` opens ``CONNECT login.salesforce.com:443`` and then speaks TLS
end to end through the tunnel, so fakeforce itself must present a certificate for that name (see
``FakeforceServer(cert_hosts=...)`` / ``fakeforce serve --cert-host``) and the client must trust fakeforce's CA
(``REQUESTS_CA_BUNDLE``). The proxy never sees plaintext; it only splices bytes.
"""

from __future__ import annotations

import select
import socket
import socketserver
import threading
from typing import Iterable


def _splice(a: socket.socket, b: socket.socket) -> None:
    """Copy bytes both ways until either side closes."""
    pair = {a: b, b: a}
    while True:
        readable, _, _ = select.select(list(pair), [], [], 60)
        if not readable:
            return
        for src in readable:
            chunk = src.recv(65536)
            if not chunk:
                return
            pair[src].sendall(chunk)


class _Handler(socketserver.StreamRequestHandler):
    server: "ConnectProxy"

    def handle(self) -> None:
        request_line = self.rfile.readline(8192).decode("latin-1").strip()
        while self.rfile.readline(8192) not in (b"\r\n", b"\n", b""):
            pass  # headers: nothing in them changes where the tunnel goes
        method, _, rest = request_line.partition(" ")
        target = rest.split(" ", 1)[0]
        host = target.rsplit(":", 1)[0]
        if method != "CONNECT" or not self.server.allows(host):
            self.wfile.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            return
        self.server.seen.append(target)
        with socket.create_connection(self.server.upstream, timeout=30) as upstream:
            self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            self.wfile.flush()
            _splice(self.connection, upstream)


class ConnectProxy(socketserver.ThreadingTCPServer):
    """``with ConnectProxy(("127.0.0.1", ff_port), hosts) as proxy: proxy.url`` -> ``http://127.0.0.1:<port>``.

    Only ``hosts`` (exact names) may be tunnelled; anything else gets 403, so a test notices a client that
    tries to reach somewhere unexpected. ``seen`` lists every ``host:port`` tunnelled, in order.
    """

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, upstream: tuple[str, int], hosts: Iterable[str], port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.upstream = upstream
        self.hosts = frozenset(hosts)
        self.seen: list[str] = []
        self._thread = threading.Thread(target=self.serve_forever, name="connect-proxy", daemon=True)

    def allows(self, host: str) -> bool:
        return host in self.hosts

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self) -> "ConnectProxy":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()


def main(argv: list[str] | None = None) -> None:
    """``python tests/tools/connect_proxy.py --to 127.0.0.1:8642 [--port 8643] [--host login.salesforce.com]``."""
    import argparse

    parser = argparse.ArgumentParser(description="Tunnel HTTPS CONNECTs for the given hosts to one fakeforce.")
    parser.add_argument("--to", required=True, metavar="HOST:PORT", help="the fakeforce to tunnel to")
    parser.add_argument("--port", type=int, default=8643, help="where the proxy listens on 127.0.0.1")
    parser.add_argument("--host", action="append", default=[], metavar="NAME",
                        help="a host name clients may CONNECT to (repeatable; default login.salesforce.com)")
    args = parser.parse_args(argv)
    host, _, port = args.to.rpartition(":")
    proxy = ConnectProxy((host, int(port)), args.host or ["login.salesforce.com"], port=args.port)
    print(f"CONNECT proxy on {proxy.url} -> {args.to} for {', '.join(sorted(proxy.hosts))}", flush=True)
    try:
        proxy.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
