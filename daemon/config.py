"""The TOML configuration, validated into typed models; every problem is reported at once with its key."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from .bot.options import BotOptions
from .chat.options import ChatOptions
from .console.forms import FormsOptions
from .console.options import ConsoleOptions
from .files.options import FilesOptions
from .care.options import CareRules
from .interactions.options import InteractionOptions
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator


class ConfigError(ValueError):
    """A configuration that cannot be used: one line per problem, each starting with its key path."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


MIN_TOKEN_LENGTH = 16


def is_loopback(host: str) -> bool:
    """Whether ``host`` (from ``listen``) is only reachable from this machine."""
    import ipaddress

    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ServiceConfig(Strict):
    listen: str = "127.0.0.1:8700"
    api_tokens: list[str] = Field(default_factory=list)
    """Bearer tokens for the synchronous calls (care, ``/v1/admin``); several allow rotation. Required unless
    ``allow_unauthenticated`` is set."""
    allow_unauthenticated: bool = False
    """Open the synchronous calls to any local caller: only with a loopback ``listen``, warned at every start."""
    allowed_hosts: list[str] = Field(default_factory=list)
    """``Host`` names (``name`` or ``name:port``) syncd answers to; empty: the listen address, localhost,
    127.0.0.1 and [::1] with the port. Guards against DNS rebinding."""
    api_max_body_bytes: int = Field(64 * 1024, gt=0)
    """Largest body of a synchronous call (ingest has ``webhooks.max_body_bytes``)."""
    state_path: str = "syncd-state/syncd.db"
    state_url: str | None = None
    """A ``postgresql://user@host/db`` URL: the state lives in PostgreSQL, shared by any number of syncd
    instances (docs/postgresql.md); unset, it is the SQLite file at ``state_path``. A password belongs in
    ``~/.pgpass`` or ``PGPASSWORD``, not here."""
    lease_seconds: float = Field(30.0, gt=0)
    """PostgreSQL: how long an instance holds the ordering keys it claimed; a killed instance's keys go to
    another instance after this long."""
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    drain_timeout_seconds: float = Field(20.0, gt=0)
    sender_batch_size: int = Field(200, ge=1, le=200)
    poll_interval_seconds: float = Field(0.2, gt=0)
    watchdog: bool = True
    done_retention_seconds: float = Field(7 * 86400, ge=0)
    """How long delivered (and dropped) operations stay in the outbox for inspection; 0 keeps them forever.
    Dead letters stay until replayed or dropped."""

    @property
    def state_location(self) -> str:
        """Where the state is: the PostgreSQL URL when set, else the SQLite file."""
        return self.state_url or self.state_path

    @field_validator("state_url")
    @classmethod
    def _state_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("postgresql://", "postgres://")):
            raise ValueError(f"must be a postgresql:// URL, got {value.split('@')[-1]!r}")
        return value

    @property
    def host_port(self) -> tuple[str, int]:
        host, _, port = self.listen.rpartition(":")
        return host or "127.0.0.1", int(port)

    @field_validator("listen")
    @classmethod
    def _listen(cls, value: str) -> str:
        host, _, port = value.rpartition(":")
        if not port.isdigit() or not 0 <= int(port) < 65536:
            raise ValueError(f"must be host:port, got {value!r}")
        return value

    @field_validator("api_tokens")
    @classmethod
    def _tokens(cls, value: list[str]) -> list[str]:
        for token in value:
            if len(token.strip()) < MIN_TOKEN_LENGTH or token != token.strip() or not token.isprintable() \
                    or not token.isascii():
                raise ValueError(f"each token must be at least {MIN_TOKEN_LENGTH} printable ASCII characters "
                                 "with no surrounding spaces (for example: openssl rand -hex 24)")
        return value

    @field_validator("allowed_hosts")
    @classmethod
    def _hosts(cls, value: list[str]) -> list[str]:
        for name in value:
            if not name or any(c.isspace() or c in "/@?#" for c in name):
                raise ValueError(f"{name!r} is not a host name or host:port")
        return [name.lower() for name in value]

    @model_validator(mode="after")
    def _access(self) -> "ServiceConfig":
        if self.allow_unauthenticated and not is_loopback(self.host_port[0]):
            raise ValueError(f"allow_unauthenticated = true needs a loopback listen address (127.0.0.1, ::1), "
                             f"not {self.listen!r}: set api_tokens to listen on other addresses")
        if not self.api_tokens and not self.allow_unauthenticated:
            raise ValueError("no api_tokens: set service.api_tokens = [\"<a random token of 16+ characters>\"] "
                             "(the bearer token of the care and admin calls), or, for local use only, "
                             "service.allow_unauthenticated = true")
        return self


class SalesforceConfig(Strict):
    embedded: bool = False
    """Start an in-process fakeforce and use it: the main job needs no external service."""
    embedded_port: int = Field(8642, ge=0, lt=65536)
    embedded_schema: list[str] = Field(default_factory=list)
    """Schema files (custom fields, external ids) for the embedded org, relative to the config file."""
    login_url: str = "https://login.salesforce.com"
    instance_url: str | None = None
    api_version: str = "62.0"
    auth: Literal["password", "client_credentials", "jwt", "refresh_token"] = "password"
    client_id: str | None = None
    client_secret: str | None = None
    username: str | None = None
    password: str | None = None
    private_key_file: str | None = None
    refresh_token_file: str | None = None
    redirect_uri: str = "http://localhost:1717/OauthRedirect"
    timeout_seconds: float = Field(30.0, gt=0)
    budget_fraction: float = Field(0.9, gt=0, le=1)
    """Share of the org's daily API limit syncd may use; the sender slows down as usage approaches it."""
    max_attempts: int | None = Field(None, ge=1)
    """Deprecated and ignored: transient failures retry until they succeed; only errors that can never
    succeed become dead letters. Kept so that older configuration files still load."""
    retry_base_seconds: float = Field(1.0, gt=0)
    """First backoff step, for a record that failed on its own (a locked row) and for the circuit."""
    retry_cap_seconds: float = Field(300.0, gt=0)
    """Longest backoff of one record that keeps failing on its own (UNABLE_TO_LOCK_ROW)."""
    probe_cap_seconds: float = Field(10.0, gt=0)
    """Longest wait between probes while Salesforce fails as a whole: delivery resumes at most this long
    after Salesforce is back."""
    budget_probe_seconds: float = Field(60.0, gt=0)
    """While paused at the API budget, how often one ``/limits`` request checks whether usage fell."""

    @model_validator(mode="after")
    def _credentials(self) -> "SalesforceConfig":
        if self.embedded:
            return self
        needed = {"password": ["client_id", "client_secret", "username", "password"],
                  "client_credentials": ["client_id", "client_secret", "instance_url"],
                  "jwt": ["client_id", "username", "private_key_file"],
                  "refresh_token": ["client_id", "refresh_token_file"]}[self.auth]
        missing = [k for k in needed if not getattr(self, k)]
        if missing:
            raise ValueError(f"auth = {self.auth!r} needs {', '.join(missing)}")
        return self


class WebhooksConfig(Strict):
    secrets: list[str] = Field(default_factory=list)
    """Standard Webhooks secrets (whsec_...); several allow rotation."""
    tolerance_seconds: int = Field(300, gt=0)
    max_body_bytes: int = Field(5_000_000, gt=0)
    max_batch: int = Field(1000, ge=1, le=1000)

    @field_validator("secrets")
    @classmethod
    def _secrets(cls, value: list[str]) -> list[str]:
        for secret in value:
            if not secret.startswith("whsec_") or len(secret) < 16:
                raise ValueError("each secret must look like whsec_<base64>")
        return value


class ObjectMapping(Strict):
    object: str
    external_id_field: str | None = None
    fields: dict[str, str] = Field(default_factory=dict)
    """Salesforce field -> source path in the event data (``customer.email``)."""


class SyncdConfig(Strict):
    service: ServiceConfig = Field(default_factory=dict, validate_default=True)  # type: ignore[arg-type]
    salesforce: SalesforceConfig
    webhooks: WebhooksConfig = Field(default_factory=WebhooksConfig)
    mappings: dict[str, ObjectMapping] = Field(default_factory=dict)
    rules: CareRules = Field(default_factory=CareRules)
    """Options of the integration rules (grace period, storage object, mappings, ...)."""
    chat: ChatOptions = Field(default_factory=ChatOptions)
    """Live chat and inbox: triggers, identification, update policy, mappings (T, M, F, O1)."""
    interactions: InteractionOptions = Field(default_factory=InteractionOptions)
    """Phone, chat and email interactions logged as Tasks (I1-I5): key fields, closed status, mappings."""
    bot: BotOptions = Field(default_factory=BotOptions)
    """Chatbot actions and routing lookup (B1-B4): row cap, idempotency, routing fields and cache."""
    console: ConsoleOptions = Field(default_factory=ConsoleOptions)
    """The agent console (T4): display fields of the recognise call and its cache."""
    forms: FormsOptions = Field(default_factory=FormsOptions)
    """The console's forms (T5): how long an object's describe and layout are cached, what is offered."""
    files: FilesOptions = Field(default_factory=FilesOptions)
    """Attachments as Salesforce Files on the conversation's record (F4): target, limits, allowed URLs."""


def _key(loc: tuple) -> str:
    return ".".join(str(p) for p in loc) or "(top level)"


def parse_config(data: dict) -> SyncdConfig:
    try:
        return SyncdConfig.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = "unknown key"
            elif err["type"] == "missing":
                msg = "required"
            problems.append(f"{_key(err['loc'])}: {msg}")
        raise ConfigError(problems) from None


def load_config(path: str | Path) -> SyncdConfig:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError([f"{path}: no such file"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{path}: not valid TOML: {exc}"]) from None
    config = parse_config(data)
    base = path.parent
    state = Path(config.service.state_path)
    if not state.is_absolute():
        config.service.state_path = str((base / state).resolve())
    config.salesforce.embedded_schema = [str((base / p).resolve()) if not Path(p).is_absolute() else p
                                         for p in config.salesforce.embedded_schema]
    for key in ("private_key_file", "refresh_token_file"):
        value = getattr(config.salesforce, key)
        if value and not Path(value).is_absolute():
            setattr(config.salesforce, key, str((base / value).resolve()))
    return config
