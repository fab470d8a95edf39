"""``syncd check-config`` against the org: every mapped object and field must exist (all problems at once)."""

from __future__ import annotations

from .config import SyncdConfig
from .salesforce.client import SalesforceClient
from .salesforce.errors import SalesforceApiError


async def check_mappings(config: SyncdConfig, client: SalesforceClient | None = None) -> list[str]:
    own = client is None
    embedded = None
    if client is None:
        login_url = None
        if config.salesforce.embedded:
            from fakeforce.server import FakeforceServer

            embedded = FakeforceServer(schema_files=config.salesforce.embedded_schema).start()
            login_url = embedded.url
        client = SalesforceClient(config.salesforce, login_url=login_url)
    problems: list[str] = []
    try:
        try:
            await client.ensure_session()
        except SalesforceApiError as exc:
            return [f"salesforce: cannot log in: {exc.code} {exc.message}"]
        for name, mapping in config.mappings.items():
            key = f"mappings.{name}"
            try:
                describe = await client.describe(mapping.object)
            except SalesforceApiError as exc:
                problems.append(f"{key}.object: {mapping.object!r} is not an object of the org ({exc.code})")
                continue
            fields = {f["name"].lower(): f for f in describe["fields"]}
            if mapping.external_id_field:
                found = fields.get(mapping.external_id_field.lower())
                if found is None:
                    problems.append(f"{key}.external_id_field: no field {mapping.external_id_field!r} on "
                                    f"{mapping.object}")
                elif not (found.get("externalId") or found.get("idLookup")):
                    problems.append(f"{key}.external_id_field: {mapping.external_id_field} is not an external id")
            for field in mapping.fields:
                found = fields.get(field.lower())
                if found is None:
                    problems.append(f"{key}.fields.{field}: no such field on {mapping.object}")
                elif not (found.get("createable") or found.get("updateable")):
                    problems.append(f"{key}.fields.{field}: {mapping.object}.{field} is read-only")
        if config.chat.enabled():
            problems.extend(await _chat(config, client))
        from .bot.checks import bot_problems  # B4: the routing fields exist

        problems.extend(await bot_problems(config, client))
    finally:
        if own:
            await client.close()
        if embedded is not None:
            embedded.stop()
    return problems


async def _chat(config: SyncdConfig, client: SalesforceClient) -> list[str]:
    from .chat.checks import chat_problems

    describes: dict[str, dict | None] = {}
    for sobject in ("Contact", "Lead", "Case", "Task", "Account"):
        try:
            describes[sobject] = await client.describe(sobject)
        except SalesforceApiError as exc:
            if exc.status != 404:
                return [f"salesforce: cannot describe {sobject}: {exc.code} {exc.message}"]
            describes[sobject] = None
    return chat_problems(config.chat, describes)
