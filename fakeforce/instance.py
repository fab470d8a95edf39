"""Everything one running fakeforce holds: the org, its sessions, API usage, injected faults."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from .auth.sessions import Sessions
from .bulk import Bulk
from .clock import Clock
from .cursors import Cursors
from .faults import Faults
from .org import Org
from .requestlog import RequestLog
from .settings import OrgSettings
from .usage import Usage


class Fakeforce:
    def __init__(self, *, settings: OrgSettings | None = None, data_path: str | None = None,
                 schema_files: Iterable[str | Path] = (), seed_files: Iterable[str | Path] = (),
                 clock: Clock | None = None, max_body_bytes: int | None = None) -> None:
        self.settings = settings or OrgSettings()
        self.org = Org(schema_files=schema_files, data_path=data_path, settings=self.settings, clock=clock)
        self.sessions = Sessions(self.org)
        self.faults = Faults()
        self.usage = Usage(self.org.clock, self.settings.daily_api_limit)
        self.cursors = Cursors(self.org.clock, self.settings.pod)
        self.bulk = Bulk(self.org)
        self.requests = RequestLog(size=self.settings.request_log_size,
                                   body_limit=self.settings.request_log_body_bytes)
        """The request journal: what clients sent and what they were answered (control: /requests)."""
        self.max_body_bytes = max_body_bytes or self.settings.max_body_bytes
        """The largest REST request body (bytes); Bulk uploads and the control surface have their own."""
        self.control_without_token = False
        """Whether the control surface may be used without a token: only a test-mode server on a loopback
        address sets this (:class:`fakeforce.server.FakeforceServer`); everything else fails closed."""
        from .seed import load_seed_file

        for path in seed_files:
            load_seed_file(self.org, path)

    def reset(self) -> None:
        """Back to a fresh org: records, sessions, faults, counters, the request journal and the clock."""
        self.org.reset()
        self.sessions.clear()
        self.faults.clear()
        self.usage.reset()
        self.cursors.clear()
        self.bulk.clear()
        from .bulk1 import forget

        forget(self)
        self.requests.clear()
        self.org.clock.reset()
