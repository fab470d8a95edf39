"""Running syncd: the API and the sender in one asyncio loop, an embedded fakeforce when configured,
systemd notifications, SIGTERM drains in-flight work and exits 0, SIGHUP reloads the configuration."""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from pathlib import Path

import uvicorn

from . import systemd
from datetime import datetime, timezone
from typing import Callable

from .api import create_app
from .care.events import CareHandler
from .care.store import CareStore
from .chat.events import ChatHandler
from .chat.store import ChatStore
from .chat.worker import ChatWorker
from .interactions.events import InteractionHandler
from .interactions.service import Interactions
from .interactions.store import InteractionStore
from .interactions.worker import InteractionWorker
from .events import plan
from .state.store import Event, Operation
from .config import ConfigError, SyncdConfig, load_config
from .logs import Redactor, setup
from .metrics import Metrics
from .salesforce.client import SalesforceClient
from .salesforce.connection import attach as attach_connection
from .sender import Sender
from .state.session import share_session
from .state.store import State

log = logging.getLogger("syncd")


class Runtime:
    """What the API and the sender share while syncd runs."""

    def __init__(self, config: SyncdConfig, config_path: str | None = None,
                 clock: Callable[[], datetime] | None = None, fakeforce_clock=None) -> None:
        self.config = config
        self.config_path = config_path
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self.escalation_locks: dict[str, asyncio.Lock] = {}
        self.care = CareHandler(lambda: self.config.rules, self.now, lambda: self.config.files)
        self.metrics = Metrics()
        self.state = State(config.service.state_location, lease_seconds=config.service.lease_seconds)
        self.embedded = None
        login_url = None
        if config.salesforce.embedded:
            from fakeforce.server import FakeforceServer
            from fakeforce.settings import OrgSettings

            data = str(Path(config.service.state_path).with_name("fakeforce-org.json"))
            # the embedded org's control surface (reset, faults, clock) is not open to anyone on the machine:
            # it gets a random token, kept beside the state (mode 0600) for whoever runs the demo
            token_file = Path(config.service.state_path).with_name("fakeforce-control-token")
            self.embedded = FakeforceServer(settings=OrgSettings(control_enabled=True), data_path=data,
                                            test_mode=False, control_token_file=token_file,
                                            port=config.salesforce.embedded_port,
                                            schema_files=config.salesforce.embedded_schema,
                                            clock=fakeforce_clock).start()
            login_url = self.embedded.url
        self.client = SalesforceClient(config.salesforce, login_url=login_url, on_call=self.metrics.on_call)
        share_session(self.client, self.state)  # several instances on PostgreSQL: one login for all
        self.sender = Sender(self.state, self.client, config, self.metrics)
        self.chat = ChatHandler(lambda: self.config.chat, self.now, lambda: self.config.files)
        self.sender.stages.append(ChatWorker(self.state, self.client, lambda: self.config.chat, self.now,
                                             on_request=self.metrics.api_calls.inc,
                                             files=lambda: self.config.files))
        self.interactions = Interactions(self.state, self.client, lambda: self.config.interactions, self.now,
                                         on_request=self.metrics.api_calls.inc)  # I1-I5
        self.interaction_events = InteractionHandler(self.now)
        self.sender.stages.append(InteractionWorker(self.interactions, self.state, lambda: self.config.interactions,
                                                    self.now))
        self.draining = False
        self.stop = asyncio.Event()
        self.redactor: Redactor | None = None
        self.reloads = 0
        """SIGHUPs so far: a check that finishes after a later SIGHUP's is not applied."""
        self.check_at_start = False
        """F3: ``syncd run`` checks the configuration against the org before it takes events."""

    def now(self) -> datetime:
        return self.clock()

    def handle(self, event: Event) -> list[Operation]:
        """The rules stage of one accepted event, inside the journal's transaction."""
        if event.type.startswith("io.syncd.care."):
            return self.care.handle(event, CareStore(self.state.conn))
        if event.type.startswith(("io.syncd.chat.", "io.syncd.inbox.")):
            return self.chat.handle(event, ChatStore(self.state.conn, self.state.clock))
        if event.type.startswith("io.syncd.interaction."):
            return self.interaction_events.handle(event, InteractionStore(self.state.conn, self.state.clock))
        return plan(event)

    def secrets(self) -> list[str]:
        sf = self.config.salesforce
        return [*self.config.webhooks.secrets, *self.config.service.api_tokens,
                *(s for s in (sf.client_secret, sf.password) if s)]

    def reload(self) -> None:
        """SIGHUP: a valid new file that fits the org (F3) replaces the configuration; a bad one keeps the
        old and says why. The org check is async: it runs as a task of the loop the signal arrived on."""
        if not self.config_path:
            return
        systemd.notify("RELOADING=1")
        try:
            new = load_config(self.config_path)
        except ConfigError as exc:
            log.error("configuration not reloaded, keeping the running one", extra={"problems": exc.problems})
            systemd.notify("READY=1")
            return
        self.reloads += 1
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop (a direct call): nothing to check against
            self._apply(new)
        else:
            self.reload_task = loop.create_task(self._checked(new, self.reloads))

    async def _checked(self, new: SyncdConfig, number: int) -> None:
        from .checks import service_problems

        try:
            problems = await service_problems(new, self.client, "reload")
        except Exception as exc:  # never let a check bug kill the reload: the file itself was valid
            log.warning("configuration not checked against Salesforce at reload", extra={"error": repr(exc)})
            problems = []
        if number != self.reloads:
            return  # a later SIGHUP superseded this one
        if problems:
            log.error("configuration not reloaded, keeping the running one: it does not fit the org (F3)",
                      extra={"problems": problems})
            systemd.notify("READY=1")
            return
        self._apply(new)

    def _apply(self, new: SyncdConfig) -> None:
        unchangeable = [k for k in ("state_path", "state_url", "listen") if getattr(new.service, k) !=
                        getattr(self.config.service, k)]
        if unchangeable:
            log.warning("these settings need a restart to change", extra={"keys": unchangeable})
            new.service.state_path, new.service.listen = self.config.service.state_path, self.config.service.listen
            new.service.state_url = self.config.service.state_url
        self.config = new
        self.sender.config = new
        self.client.config = new.salesforce
        if self.redactor is not None:
            self.redactor.secrets = self.secrets()
        log.info("configuration reloaded")
        systemd.notify("READY=1")

    def close(self) -> None:
        self.state.close()
        if self.embedded is not None:
            self.embedded.stop()


async def serve(runtime: Runtime) -> int:
    config = runtime.config
    loop = asyncio.get_running_loop()
    host, port = config.service.host_port
    server = uvicorn.Server(uvicorn.Config(create_app(runtime), host=host, port=port, log_level="warning",
                                           access_log=False, lifespan="off",
                                           log_config=None))  # its loggers go through the JSON formatter
    server.capture_signals = _no_signals  # type: ignore[method-assign]

    def begin_stop() -> None:
        if not runtime.draining:
            log.info("stopping: draining in-flight work")
            systemd.notify("STOPPING=1")
            runtime.draining = True
            runtime.stop.set()

    if threading.current_thread() is threading.main_thread():  # in-process runs (scenarios) have no signals
        loop.add_signal_handler(signal.SIGTERM, begin_stop)
        loop.add_signal_handler(signal.SIGINT, begin_stop)
        loop.add_signal_handler(signal.SIGHUP, runtime.reload)
    runtime.begin_stop = begin_stop
    runtime.loop = loop

    if config.service.allow_unauthenticated and not config.service.api_tokens:
        log.warning("service.allow_unauthenticated = true: the care and admin calls answer any local caller "
                    "without a token; set service.api_tokens for anything but local development",
                    extra={"listen": config.service.listen})
    connected = attach_connection(runtime.client, runtime.state, runtime.now)  # S2: disconnected stays so
    if runtime.check_at_start and (problems := await _start_problems(runtime)):
        print("syncd: the configuration does not fit the org:\n" + "\n".join(f"  {p}" for p in problems))
        log.error("not starting: the configuration does not fit the org (F3)", extra={"problems": problems})
        await runtime.client.close()
        return 2
    api_task = asyncio.create_task(server.serve())
    try:
        if connected:
            await runtime.client.ensure_session()
    except Exception as exc:  # the sender retries; readiness reports it meanwhile
        log.warning("Salesforce login failed; will retry", extra={"error": type(exc).__name__})
    while not server.started:
        if api_task.done():
            await api_task
            return 1
        await asyncio.sleep(0.02)
    sender_task = asyncio.create_task(runtime.sender.run(runtime.stop))
    watchdog_task = asyncio.create_task(_watchdog(runtime))
    systemd.notify("READY=1\nSTATUS=syncd is accepting events")
    log.info("syncd ready", extra={"listen": config.service.listen,
                                   "salesforce": "embedded fakeforce" if runtime.embedded else "org"})
    await runtime.stop.wait()
    try:
        await asyncio.wait_for(sender_task, timeout=config.service.drain_timeout_seconds)
    except asyncio.TimeoutError:
        log.warning("drain timeout: unsent operations stay in the outbox for the next start")
    server.should_exit = True
    watchdog_task.cancel()
    await api_task
    await runtime.client.close()
    log.info("syncd stopped")
    return 0


START_CHECK_SECONDS = 20.0
"""How long the start waits for the org's describes before starting unchecked (a slow org is a down org)."""


async def _start_problems(runtime: Runtime) -> list[str]:
    """F3 at start: the problems of the configuration against the org ([] when the org does not answer)."""
    from .checks import service_problems

    try:
        return await asyncio.wait_for(service_problems(runtime.config, runtime.client, "start"),
                                      timeout=START_CHECK_SECONDS)
    except asyncio.TimeoutError:
        log.warning("configuration not checked against Salesforce at start: the org did not answer in time; "
                    "starting anyway")
        return []


async def _watchdog(runtime: Runtime) -> None:
    interval = systemd.watchdog_interval()
    if interval is None or not runtime.config.service.watchdog:
        return
    while True:
        systemd.notify("WATCHDOG=1")
        await asyncio.sleep(interval)


class _NoSignals:
    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None


def _no_signals() -> _NoSignals:
    return _NoSignals()


def run(config_path: str) -> int:
    try:
        config = load_config(config_path)
    except ConfigError as exc:
        print("syncd: the configuration has problems:\n" + "\n".join(f"  {p}" for p in exc.problems))
        return 2
    runtime = Runtime(config, config_path)
    runtime.redactor = setup(config.service.log_level, runtime.secrets())
    runtime.check_at_start = True
    try:
        return asyncio.run(_main(runtime))
    finally:
        runtime.close()


async def _main(runtime: Runtime) -> int:
    runtime.stop = asyncio.Event()
    return await serve(runtime)
