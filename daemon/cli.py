"""``syncd``: run, check-config, status, dlq, connect, disconnect, schemas."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from . import __version__
from .config import ConfigError, load_config


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="syncd", description="Sync a care platform with Salesforce.")
    parser.add_argument("--version", action="version", version=f"syncd {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, help_text in (("run", "run the service"), ("check-config", "validate the configuration"),
                            ("status", "queue depths, last errors, API usage"),
                            ("connect", "connect to Salesforce (S1); the web-server flow first when needed"),
                            ("disconnect", "revoke syncd's tokens and stop all Salesforce traffic (S2)")):
        cmd = sub.add_parser(name, help=help_text)
        cmd.add_argument("--config", "-c", default="syncd.toml")
        if name == "connect":
            cmd.add_argument("--port", type=int, default=1717, help="local port of the callback URL")
            cmd.add_argument("--timeout", type=float, default=300)
            cmd.add_argument("--browser", action="store_true",
                             help='auth = "refresh_token": authorize in the browser first, storing a new refresh token')
        if name == "check-config":
            cmd.add_argument("--offline", action="store_true", help="do not contact Salesforce")
    dlq = sub.add_parser("dlq", help="dead letters: list, show, replay, drop")
    dlq.add_argument("action", choices=["list", "show", "replay", "drop"])
    dlq.add_argument("ids", nargs="*", type=int)
    dlq.add_argument("--all", action="store_true", help="replay or drop every dead letter")
    dlq.add_argument("--config", "-c", default="syncd.toml")
    send = sub.add_parser("send", help="sign an event file (or stdin) with the first webhook secret and POST it")
    send.add_argument("file", nargs="?", default="-")
    send.add_argument("--config", "-c", default="syncd.toml")
    query = sub.add_parser("query", help="run a SOQL query against the configured org (or the embedded one)")
    query.add_argument("soql")
    query.add_argument("--config", "-c", default="syncd.toml")
    scen = sub.add_parser("scenarios", help="run the scenario files against fakeforce (or a real org)")
    scen.add_argument("--dir", default="scenarios")
    scen.add_argument("-k", dest="match", default=None, help="only scenarios whose file name contains this")
    scen.add_argument("--report", default=None, help="write the report by rule id (Markdown) here")
    scen.add_argument("--target", default=None, metavar="LOGIN_URL",
                      help="run against a real org (OAuth password flow); scenarios that move the clock, inject "
                           "faults or create users are skipped; what a run creates is deleted after it")
    scen.add_argument("--client-id")
    scen.add_argument("--client-secret")
    scen.add_argument("--username")
    scen.add_argument("--password")
    copy = sub.add_parser("state-copy", help="copy the SQLite state (state_path) into PostgreSQL (state_url); "
                                             "syncd stopped, the target empty")
    copy.add_argument("--config", "-c", default="syncd.toml")
    schemas = sub.add_parser("schemas", help="write the event JSON Schemas and the OpenAPI document")
    schemas.add_argument("--out", default="docs/events")
    return parser


def _config(path: str):
    try:
        return load_config(path)
    except ConfigError as exc:
        print("configuration problems:\n" + "\n".join(f"  {p}" for p in exc.problems), file=sys.stderr)
        raise SystemExit(2) from None


def cmd_status(args) -> int:
    from .ops.snapshot import status  # the operator page shows the same numbers
    from .state.store import State

    config = _config(args.config)
    state = State(config.service.state_location)
    try:
        out = status(state)
        if state.shared:  # several instances on PostgreSQL: who holds which part of the queue
            from .state.leases import leases

            out["leases"] = leases(state.conn, state.clock())
    finally:
        state.close()
    print(json.dumps(out, indent=2))
    return 0


def cmd_dlq(args) -> int:
    from .chat.store import ChatStore
    from .state.store import State

    config = _config(args.config)
    state = State(config.service.state_location)
    try:
        chats = ChatStore(state.conn)
        if args.action == "list":
            for row in state.dead_letters():
                print(f"{row.id}\t{row.sobject}\t{row.external_id_field}={row.external_id}\t"
                      f"{row.last_error_code}\t{row.last_error}")
            for job in chats.dead_jobs():  # chat jobs whose identification Salesforce refused
                print(f"chat-job {job['id']}\t{job['chat_key']}\t{job['stage']}:{job['action']}\t"
                      f"{job['last_error_code']}\t{job['last_error']}")
            return 0
        replayed = 0
        if args.action == "replay" and args.all:
            with state.transaction():
                replayed = chats.replay_jobs()
            if replayed:
                print(f"replayed {replayed} chat jobs")
        ids = [r.id for r in state.dead_letters()] if args.all else args.ids
        if not ids:
            if replayed:
                return 0
            print("give dead letter ids, or --all", file=sys.stderr)
            return 2
        failed = 0
        for oid in ids:
            if args.action == "show":
                row = state.get(oid)
                if row is None:
                    print(f"{oid}: no such operation", file=sys.stderr)
                    failed += 1
                    continue
                print(json.dumps({k: v for k, v in row.__dict__.items() if k != "extra"}, indent=2, default=str))
            elif not (state.replay(oid) if args.action == "replay" else state.drop(oid)):
                print(f"{oid}: not a dead letter", file=sys.stderr)
                failed += 1
            else:
                print(f"{oid}: {'queued again' if args.action == 'replay' else 'dropped'}")
        return 1 if failed else 0
    finally:
        state.close()


def cmd_check_config(args) -> int:
    from .checks import check_mappings

    config = _config(args.config)
    if args.offline:
        print("configuration is valid (not checked against Salesforce)")
        return 0
    problems = asyncio.run(check_mappings(config))
    if problems:
        print("problems:\n" + "\n".join(f"  {p}" for p in problems), file=sys.stderr)
        return 1
    print("configuration is valid and every mapped object and field exists in the org")
    return 0


def cmd_send(args) -> int:
    import uuid

    import httpx

    from .webhooks import signed_headers

    config = _config(args.config)
    body = (sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes())
    if not config.webhooks.secrets:
        print("no [webhooks] secrets configured", file=sys.stderr)
        return 2
    host, port = config.service.host_port
    headers = {"Content-Type": "application/cloudevents+json",
               **signed_headers(config.webhooks.secrets[0], f"msg_{uuid.uuid4().hex}", body)}
    response = httpx.post(f"http://{host}:{port}/v1/events", content=body, headers=headers, timeout=30)
    print(response.status_code, response.text)
    return 0 if response.status_code == 202 else 1


def cmd_query(args) -> int:
    from .salesforce.client import SalesforceClient
    from .salesforce.errors import SalesforceApiError

    config = _config(args.config)
    login_url = f"http://127.0.0.1:{config.salesforce.embedded_port}" if config.salesforce.embedded else None

    async def run() -> list[dict]:
        client = SalesforceClient(config.salesforce, login_url=login_url)
        try:
            return await client.query(args.soql)
        finally:
            await client.close()

    try:
        records = asyncio.run(run())
    except SalesforceApiError as exc:
        print(f"{exc.code}: {exc.message}", file=sys.stderr)
        return 1
    for record in records:
        record.pop("attributes", None)
        print(json.dumps(record))
    return 0


def cmd_scenarios(args) -> int:
    from .scenarios.report import markdown, rule_table, scenario_files, uncovered
    from .scenarios.runner import run_scenario

    target = None
    if args.target:
        missing = [k for k in ("client_id", "client_secret", "username", "password") if not getattr(args, k)]
        if missing:
            print(f"--target needs {', '.join('--' + m.replace('_', '-') for m in missing)}", file=sys.stderr)
            return 2
        target = {"login_url": args.target, "client_id": args.client_id, "client_secret": args.client_secret,
                  "username": args.username, "password": args.password}
    outcomes = []
    failed = 0
    for path in scenario_files(args.dir):
        if args.match and args.match not in path.stem:
            continue
        result = run_scenario(path, target)
        outcomes.append((path.stem, result.scenario.rules, result.outcome))
        mark = {"passed": "ok  ", "failed": "FAIL", "skipped": "skip"}[result.outcome]
        detail = result.error or (f"({result.skipped})" if result.skipped else "")
        print(f"{mark} {path.stem} [{', '.join(result.scenario.rules)}] {result.seconds:.1f}s {detail}".rstrip())
        failed += result.outcome == "failed"
    table = rule_table(outcomes)
    if args.report:
        Path(args.report).write_text(markdown(table), encoding="utf-8")
    missing = [] if target or args.match else uncovered(table)
    counts = {o: sum(1 for *_, x in outcomes if x == o) for o in ("passed", "failed", "skipped")}
    print(f"{counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped")
    if missing:
        print(f"rules without a passing scenario: {', '.join(missing)}", file=sys.stderr)
    return 1 if failed or missing else 0


def cmd_schemas(args) -> int:
    from .events import event_schemas
    from .openapi import document

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name, schema in event_schemas().items():
        (out / f"{name}.schema.json").write_text(json.dumps(schema, indent=2) + "\n", encoding="utf-8")
    (out / "syncd-openapi.json").write_text(json.dumps(document(), indent=2) + "\n", encoding="utf-8")
    print(f"wrote {len(event_schemas()) + 1} files to {out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "run":
        from .service import run

        return run(args.config)
    if args.command == "connect":
        from .connect import connect

        return connect(_config(args.config), args.port, args.timeout, browser=args.browser)
    if args.command == "disconnect":
        from .connect import disconnect

        return disconnect(_config(args.config))
    return {"status": cmd_status, "dlq": cmd_dlq, "check-config": cmd_check_config,
            "schemas": cmd_schemas, "send": cmd_send, "query": cmd_query,
            "scenarios": cmd_scenarios, "state-copy": cmd_state_copy}[args.command](args)


def cmd_state_copy(args) -> int:
    """SQLite to PostgreSQL without losing queued work (docs/postgresql.md)."""
    from .state.copy import CopyError, copy_state

    config = _config(args.config)
    if not config.service.state_url:
        print("syncd: set service.state_url to the PostgreSQL database to copy into", file=sys.stderr)
        return 2
    try:
        copied = copy_state(config.service.state_path, config.service.state_url)
    except CopyError as exc:
        print(f"syncd: {exc}", file=sys.stderr)
        return 1
    print(json.dumps({"copied": copied}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
