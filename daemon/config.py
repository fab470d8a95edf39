"""The TOML configuration, validated into typed models; every problem is reported at once with its key."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from .rules.options import CareRules
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator


class ConfigError(ValueError):
    """A configuration that cannot be used: one line per problem, each starting with its key path."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ServiceConfig(Strict):
    listen: str = "127.0.0.1:8700"
    api_tokens: list[str] = Field(default_factory=list)
    """Bearer tokens for the care calls (escalate, link...); none configured: the calls are open (local use)."""
    state_path: str = "syncd-state/syncd.db"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    drain_timeout_seconds: float = Field(20.0, gt=0)
    sender_batch_size: int = Field(200, ge=1, le=200)
    poll_interval_seconds: float = Field(0.2, gt=0)
    watchdog: bool = True

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
    max_attempts: int = Field(12, ge=1)
    retry_base_seconds: float = Field(1.0, gt=0)
    retry_cap_seconds: float = Field(300.0, gt=0)

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
    service: ServiceConfig = Field(default_factory=ServiceConfig)
    salesforce: SalesforceConfig
    webhooks: WebhooksConfig = Field(default_factory=WebhooksConfig)
    mappings: dict[str, ObjectMapping] = Field(default_factory=dict)
    rules: CareRules = Field(default_factory=CareRules)
    """Options of the integration rules (grace period, storage object, mappings, ...)."""


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
