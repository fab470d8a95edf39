"""Sending file operations (F4): one insert per file (a base64 blob per request; never in a collection),
sent once across retries and restarts.

ContentVersion offers upsert, but an upsert that matches updates the version, and VersionData can only be
set on create: so syncd inserts, and keeps a key in ``Syncd_File_Key__c``. Before a create goes out the
file is marked as sent (committed); any later attempt of a file so marked (a lost reply, a timeout, a 5xx,
a crash between send and reply) first queries by the key and takes the existing Id. A file that is too
large, or whose bytes can never be had, becomes a dead letter with a precise error; the chat's other
records are separate operations and go on."""

from __future__ import annotations

import logging
from typing import Awaitable, Callable

from ..identify import soql_literal
from ..salesforce.client import SalesforceClient
from ..salesforce.errors import SalesforceApiError
from ..state.store import OutboxRow, State
from . import rules
from .fetch import FetchFailed, fetch
from .options import LARGEST_FILE, FilesOptions
from .store import FileStore

log = logging.getLogger("syncd.files")

FETCH_ATTEMPTS = 8
"""Transient download failures before the file is given up as a dead letter."""


def split(rows: list[OutboxRow]) -> tuple[list[OutboxRow], list[OutboxRow]]:
    """(rows for collections, file rows): a chat without files leaves everything as it was."""
    return [r for r in rows if r.op != rules.FILE_OP], [r for r in rows if r.op == rules.FILE_OP]


class FileSender:
    def __init__(self, state: State, client: SalesforceClient, options: Callable[[], FilesOptions],
                 api_version: Callable[[], str], on_request: Callable[[], None], retry_delay: Callable[[int], float],
                 fetcher: Callable[..., Awaitable[bytes]] = fetch) -> None:
        self.state = state
        self.client = client
        self.options = options
        self.api_version = api_version
        self.on_request = on_request
        self.retry_delay = retry_delay
        self.fetcher = fetcher
        self.dead: Callable[[list[OutboxRow], str, str], None] = lambda rows, code, message: self.state.kill(
            [(r.id, code, message) for r in rows])

    @property
    def store(self) -> FileStore:
        return FileStore(self.state.conn)

    async def send(self, rows: list[OutboxRow]) -> None:
        """Each file in turn; an org-wide failure (SalesforceApiError) stops the turn and propagates."""
        for row in rows:
            await self.send_one(row)

    async def send_one(self, row: OutboxRow) -> None:
        options = self.options()
        data = await self._bytes(row, options)
        if data is None:
            return
        if len(data) > options.max_bytes:
            self.dead([row], "FILE_TOO_LARGE", f"{row.fields.get('Title') or row.fields.get('Name')}: "
                      f"{len(data)} bytes; files.max_bytes is {options.max_bytes} (Salesforce takes at most "
                      f"{LARGEST_FILE} bytes in one JSON insert)")
            return
        try:
            if self.store.was_sent(row.external_id):
                existing = await self._existing(row)
                if existing is not None:
                    self._done(row, existing)
                    return
            with self.state.transaction():
                self.store.mark_sent(row.external_id)
            self.on_request()
            answer = await self.client.request(
                "POST", f"/sobjects/{row.sobject}",
                json=rules.body(row.fields, row.external_id_field, row.external_id, data, row.sobject))
        except SalesforceApiError as exc:
            if exc.org_wide:
                raise
            if exc.retryable:
                self.state.retry([row.id], exc.code, exc.message, self.retry_delay)
            elif exc.code == "DUPLICATE_VALUE" and row.sobject == "ContentVersion":
                await self._duplicate(row, exc)  # the key is taken: an earlier attempt made the file
            else:
                self.dead([row], exc.code, exc.message)
            return
        self._done(row, (answer or {}).get("id"))

    async def _duplicate(self, row: OutboxRow, exc: SalesforceApiError) -> None:
        existing = await self._existing(row)
        if existing is None:
            self.dead([row], exc.code, exc.message)
        else:
            self._done(row, existing)

    async def _existing(self, row: OutboxRow) -> str | None:
        """The record an earlier attempt may have created (its reply lost): by the key, or for a classic
        Attachment (no custom fields) by its parent, name and size, so that two files of one name on one
        record are not taken for each other."""
        if row.sobject == "ContentVersion":
            soql = (f"SELECT Id FROM ContentVersion WHERE {row.external_id_field} = "
                    f"{soql_literal(row.external_id)} LIMIT 1")
        else:
            size = len(self.store.data(row.external_id) or b"")
            soql = (f"SELECT Id FROM Attachment WHERE ParentId = {soql_literal(str(row.fields['ParentId']))} "
                    f"AND Name = {soql_literal(str(row.fields['Name']))} AND BodyLength = {size} LIMIT 1")
        self.on_request()
        found = await self.client.query(soql)
        return found[0]["Id"] if found else None

    async def _bytes(self, row: OutboxRow, options: FilesOptions) -> bytes | None:
        """The file's bytes: kept ones, else downloaded from an allowed URL (None: dead or retrying)."""
        data = self.store.data(row.external_id)
        if data is not None:
            return data
        url = (row.fields.get("$file") or {}).get("url")
        if not rules.allowed(url, options):
            self.dead([row], "FILE_NOT_AVAILABLE", f"no bytes for this file and its URL {url!r} is not under "
                      "files.fetch_allowed_prefixes; allow its prefix and replay it")
            return None
        try:
            data = await self.fetcher(url, max_bytes=options.max_bytes, timeout=options.fetch_timeout_seconds)
        except FetchFailed as exc:
            if exc.permanent or row.attempts + 1 >= FETCH_ATTEMPTS:
                self.dead([row], exc.code, exc.message)
            else:
                self.state.retry([row.id], exc.code, exc.message, self.retry_delay)
            return None
        with self.state.transaction():
            self.store.keep(row.external_id, data, "fetched")
        return data

    def _done(self, row: OutboxRow, record_id: str | None) -> None:
        with self.state.transaction():
            self.state.complete([(row.id, record_id)])
            if record_id:
                self.store.done(row.external_id, record_id)
        log.info("file stored in Salesforce", extra={"sobject": row.sobject, "external_id": row.external_id,
                                                      "record_id": record_id})
