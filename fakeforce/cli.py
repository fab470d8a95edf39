"""``fakeforce serve``: a Salesforce org on a local port."""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sys
import tempfile
from pathlib import Path

import uvicorn

from . import LATEST_API_VERSION, __version__
from .schema.loader import SchemaFileError
from .seed import SeedError
from .settings import UNLIMITED_API_REQUESTS, ConnectedApp, OrgSettings


def api_limit(text: str) -> int:
    """``--daily-api-limit``: a count of requests per day (0 refuses every request), or ``unlimited``."""
    if text.strip().lower() == "unlimited":
        return UNLIMITED_API_REQUESTS
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of requests or 'unlimited', got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("the daily API limit cannot be negative (use 'unlimited' for no limit)")
    return min(value, UNLIMITED_API_REQUESTS)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fakeforce", description="A Salesforce org in a process.")
    parser.add_argument("--version", action="version", version=f"fakeforce {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the REST, OAuth and SOAP login APIs")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8642)
    serve.add_argument("--data", metavar="FILE", help="keep records in this TinyDB JSON file (default: memory)")
    serve.add_argument("--schema", metavar="FILE", action="append", default=[],
                       help="custom objects/fields or a real org's describe JSON (repeatable)")
    serve.add_argument("--seed", metavar="FILE", action="append", default=[],
                       help="users and records to load at start (JSON or YAML; repeatable)")
    serve.add_argument("--tls", action="store_true", help="serve HTTPS with a locally generated CA")
    serve.add_argument("--cert-dir", metavar="DIR", default=None,
                       help="where --tls writes its CA bundle and certificate (default: a temporary folder)")
    serve.add_argument("--cert-host", metavar="NAME", action="append", default=[],
                       help="another name the --tls certificate covers, e.g. login.salesforce.com for a client "
                            "whose login host is fixed, reached through a proxy (repeatable)")
    serve.add_argument("--username", default="admin@fakeforce.local")
    serve.add_argument("--password", default="fakeforce")
    serve.add_argument("--security-token", default="", help="must follow the password at login")
    serve.add_argument("--client-id", default="fakeforce")
    serve.add_argument("--client-secret", default="fakeforce")
    serve.add_argument("--callback-url", action="append", default=[],
                       help="registered OAuth callback URL of the connected app (repeatable)")
    serve.add_argument("--jwt-cert", metavar="PEM", help="certificate that verifies JWT bearer assertions")
    serve.add_argument("--session-seconds", type=int, default=7200, help="access token lifetime")
    serve.add_argument("--daily-api-limit", type=api_limit, default=15000, metavar="N|unlimited",
                       help="API requests per day before REQUEST_LIMIT_EXCEEDED (default 15000, a Developer "
                            "Edition org; 0 refuses every request; 'unlimited' never runs out)")
    serve.add_argument("--time-zone", default="UTC", help="the org's time zone (date literals, date functions)")
    serve.add_argument("--control", action="store_true", help="enable the /_fakeforce control surface")
    serve.add_argument("--control-token", default=None,
                       help="the bearer token control calls need (default: $FAKEFORCE_CONTROL_TOKEN, else a random "
                            "one written to --control-token-file)")
    serve.add_argument("--control-token-file", metavar="FILE", default=None,
                       help="where to write the control token, mode 0600 (default: a new private temporary folder)")
    serve.add_argument("--request-log-size", type=int, default=1000, metavar="N",
                       help="requests the request journal keeps (GET /_fakeforce/requests); 0 keeps none")
    serve.add_argument("--request-log-body-bytes", type=int, default=4096, metavar="N",
                       help="how much of each request and response body the journal keeps")
    serve.add_argument("--log-level", default="info")
    return parser


def settings_from(args: argparse.Namespace) -> OrgSettings:
    app = ConnectedApp(client_id=args.client_id, client_secret=args.client_secret)
    if args.callback_url:
        app.callback_urls = args.callback_url
    if args.jwt_cert:
        app.certificate_pem = Path(args.jwt_cert).read_text(encoding="utf-8")
    return OrgSettings(username=args.username, password=args.password, security_token=args.security_token,
                       apps=[app], session_seconds=args.session_seconds, daily_api_limit=args.daily_api_limit,
                       time_zone=args.time_zone, request_log_size=max(0, args.request_log_size),
                       request_log_body_bytes=max(0, args.request_log_body_bytes),
                       control_enabled=args.control or args.control_token is not None,
                       control_token=control_token(args))


def control_token(args: argparse.Namespace) -> str | None:
    """--control-token, else $FAKEFORCE_CONTROL_TOKEN (which alone does not enable the surface), else None."""
    if args.control_token is not None:
        return args.control_token
    return os.environ.get("FAKEFORCE_CONTROL_TOKEN") or None


def serve(args: argparse.Namespace) -> int:
    from .instance import Fakeforce
    from .server import FakeforceServer

    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    token = control_token(args)
    if token is not None and not token.strip():
        print("fakeforce: the control token must not be empty", file=sys.stderr)
        return 2
    try:
        ff = Fakeforce(settings=settings_from(args), data_path=args.data, schema_files=args.schema,
                       seed_files=args.seed)
    except (SchemaFileError, SeedError, OSError) as exc:
        print(f"fakeforce: {exc}", file=sys.stderr)
        return 2
    settle_heap()
    token_file = args.control_token_file
    if ff.settings.control_enabled and not ff.settings.control_token and token_file is None:
        token_file = Path(tempfile.mkdtemp(prefix="fakeforce-control-")) / "token"  # the folder is 0700
    # Not test mode: the control surface always needs a token here, generated when none is given.
    try:
        server = FakeforceServer(ff, host=args.host, port=args.port, tls=args.tls, cert_dir=args.cert_dir,
                                 cert_hosts=tuple(args.cert_host), test_mode=False, control_token_file=token_file)
    except OSError as exc:
        print(f"fakeforce: cannot write the control token file: {exc}", file=sys.stderr)
        return 2
    config = server.config()
    scheme = "https" if args.tls else "http"
    s = ff.settings
    print(f"fakeforce {__version__} serving {scheme}://{args.host}:{args.port} (API v{LATEST_API_VERSION})")
    print(f"  login: {s.username} / {s.password}{s.security_token}   connected app: {s.apps[0].client_id} / "
          f"{s.apps[0].client_secret}")
    print(f"  records: {args.data or 'in memory'}")
    if server.certificates:
        print(f"  CA bundle: {server.certificates.ca_bundle}  (export REQUESTS_CA_BUNDLE=...)")
    if s.control_enabled:
        where = (f"the token is in {server.control_token_file}" if server.control_token_file
                 else "the token given with --control-token or $FAKEFORCE_CONTROL_TOKEN")
        print(f"  control surface: {scheme}://{args.host}:{args.port}/_fakeforce "
              f"(Authorization: Bearer <token>; {where})")
    sys.stdout.flush()
    GracefulServer(config).run()
    ff.org.store.close()
    return 0


def settle_heap() -> None:
    """Move the loaded org (schema, records, indexes) out of the garbage collector's sight.

    A full collection walks every tracked object; with 100,000 records that is millions of objects and
    tens of milliseconds, which land as latency spikes on whichever request triggers it. Objects alive
    after start-up stay alive for the process's life anyway, so freezing them costs nothing but those
    walks; later records are still collected normally.
    """
    gc.collect()
    gc.freeze()


class GracefulServer(uvicorn.Server):
    def handle_exit(self, sig: int, frame: object) -> None:
        """SIGTERM/SIGINT stop the server gracefully and the process then exits 0 (uvicorn would re-raise)."""
        super().handle_exit(sig, frame)  # type: ignore[arg-type]
        captured = getattr(self, "_captured_signals", None)
        if isinstance(captured, list):
            captured.clear()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        return serve(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
