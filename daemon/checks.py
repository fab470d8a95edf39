"""F3: a configuration is checked against the org's describe before it is used, by ``syncd check-config``,
at ``syncd run`` and on reload (SIGHUP). Every problem at once, each starting with its TOML key path.

``config_problems`` is the check itself; it raises ``OrgUnreachable`` when the org cannot answer (down,
disconnected, a login refused), which is not a problem of the configuration: ``check-config`` reports it,
the service logs it and goes on (a down org must not stop syncd from taking events)."""

from __future__ import annotations

import logging

from .config import SyncdConfig
from .fit import source_problems
from .salesforce.client import SalesforceClient
from .salesforce.errors import SalesforceApiError

log = logging.getLogger("syncd")


class OrgUnreachable(Exception):
    """The org did not answer a describe (or the login): nothing can be said about the configuration."""


class Describer:
    """Each object's describe once per check; None for an object the org does not have (404)."""

    def __init__(self, client: SalesforceClient) -> None:
        self.client = client
        self.seen: dict[str, dict | None] = {}

    async def __call__(self, sobject: str) -> dict | None:
        if sobject not in self.seen:
            try:
                self.seen[sobject] = await self.client.describe(sobject)
            except SalesforceApiError as exc:
                if exc.status != 404:
                    raise OrgUnreachable(f"salesforce: cannot describe {sobject}: {exc.code} {exc.message}") \
                        from None
                self.seen[sobject] = None
        return self.seen[sobject]


def care_in_use(config: SyncdConfig) -> bool:
    """``[rules]`` is checked when the file has it: a chat-only deployment has no care fields to check."""
    return "rules" in config.model_fields_set


async def config_problems(config: SyncdConfig, client: SalesforceClient) -> list[str]:
    """Every problem of ``config`` against the org ``client`` talks to. Raises OrgUnreachable."""
    try:
        await client.ensure_session()
    except SalesforceApiError as exc:
        raise OrgUnreachable(f"salesforce: cannot log in: {exc.code} {exc.message}") from None
    describe = Describer(client)
    problems = await _mappings(config, describe)
    if config.chat.enabled():
        from .chat.checks import chat_problems

        describes = {sobject: await describe(sobject) for sobject in ("Contact", "Lead", "Case", "Task", "Account")}
        problems += chat_problems(config.chat, describes)
    if care_in_use(config):
        from .care.checks import care_problems, objects

        problems += care_problems(config.rules, {sobject: await describe(sobject) for sobject in objects(config.rules)})
    from .bot.checks import bot_problems  # B4: the routing fields exist

    problems += await bot_problems(config, describe)
    from .console.checks import console_problems  # T4: the fields the recognise answer shows exist

    problems += await console_problems(config, describe)
    return problems


async def _mappings(config: SyncdConfig, describe: Describer) -> list[str]:
    problems: list[str] = []
    for name, mapping in config.mappings.items():
        key = f"mappings.{name}"
        found_object = await describe(mapping.object)
        if found_object is None:
            problems.append(f"{key}.object: {mapping.object!r} is not an object of the org")
            continue
        fields = {f["name"].lower(): f for f in found_object["fields"]}
        if mapping.external_id_field:
            found = fields.get(mapping.external_id_field.lower())
            if found is None:
                problems.append(f"{key}.external_id_field: no field {mapping.external_id_field!r} on "
                                f"{mapping.object}")
            elif not (found.get("externalId") or found.get("idLookup")):
                problems.append(f"{key}.external_id_field: {mapping.external_id_field} is not an external id")
        for field, source in mapping.fields.items():
            found = fields.get(field.lower())
            if found is None:
                problems.append(f"{key}.fields.{field}: no such field on {mapping.object}")
            elif not (found.get("createable") or found.get("updateable")):
                problems.append(f"{key}.fields.{field}: {mapping.object}.{field} is read-only")
            else:
                problems += [f"{key}.fields.{field}: {reason}" for reason in source_problems(found, source, {})]
    return problems


async def check_mappings(config: SyncdConfig, client: SalesforceClient | None = None) -> list[str]:
    """``syncd check-config``: the problems, or the one line saying why the org could not be asked. In
    embedded mode the check runs against an org loaded with the configured schema files."""
    own = client is None
    embedded = None
    if client is None:
        login_url = None
        if config.salesforce.embedded:
            from fakeforce.server import FakeforceServer

            embedded = FakeforceServer(schema_files=config.salesforce.embedded_schema).start()
            login_url = embedded.url
        client = SalesforceClient(config.salesforce, login_url=login_url)
    try:
        return await config_problems(config, client)
    except OrgUnreachable as exc:
        return [str(exc)]
    finally:
        if own:
            await client.close()
        if embedded is not None:
            embedded.stop()


async def service_problems(config: SyncdConfig, client: SalesforceClient, when: str) -> list[str]:
    """At start and on reload: the problems; [] with a warning when the org cannot be asked now."""
    if not client.connected:
        log.warning(f"configuration not checked against Salesforce at {when}: disconnected (S2)")
        return []
    try:
        return await config_problems(config, client)
    except OrgUnreachable as exc:
        then = "starting anyway" if when == "start" else "using the new configuration"
        log.warning(f"configuration not checked against Salesforce at {when}: the org did not answer; {then}",
                    extra={"error": str(exc)})
        return []
