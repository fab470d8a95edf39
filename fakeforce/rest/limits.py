"""``/limits`` (real usage where fakeforce counts it) and the ``updated``/``deleted`` replication resources."""

from __future__ import annotations

from datetime import timedelta

from .. import formats
from ..errors import SalesforceError
from . import ROUTER, Answer, Call

REPLICATION_DAYS = 30


def limits(call: Call) -> Answer:
    ff = call.ff
    usage = ff.usage
    records = sum(call.org.store.count(t) for t in call.org.store.tables())
    bulk = ff.bulk.counts()

    def entry(maximum: int, used: int) -> dict:
        return {"Max": maximum, "Remaining": max(0, maximum - used)}

    return Answer(200, {
        "ConcurrentAsyncGetReportInstances": entry(200, 0),
        "ConcurrentSyncReportRuns": entry(20, 0),
        "DailyApiRequests": entry(usage.daily_limit, usage.used),
        "DailyAsyncApexExecutions": entry(250000, 0),
        "DailyBulkApiBatches": entry(15000, bulk["ingest"]),
        "DailyBulkV2QueryFileStorageMB": entry(976562, 0),
        "DailyBulkV2QueryJobs": entry(10000, bulk["query"]),
        "DailyStreamingApiEvents": entry(10000, 0),
        "DataStorageMB": entry(1024, records * 2 // 1024),  # Salesforce counts about 2 KB a record
        "FileStorageMB": entry(20480, 0),
        "HourlyDashboardRefreshes": entry(200, 0),
        "MassEmail": entry(5000, 0),
        "SingleEmail": entry(5000, 0),
        "StreamingApiConcurrentClients": entry(20, 0),
    })


def _window(call: Call) -> tuple[str, str]:
    """start/end of a replication request, checked as Salesforce checks them."""
    try:
        start = formats.parse_datetime(call.params["start"])
        end = formats.parse_datetime(call.params["end"])
    except KeyError as exc:
        raise SalesforceError("MISSING_ARGUMENT", f"{exc.args[0]} parameter is required", 400) from None
    except ValueError:
        raise SalesforceError("INVALID_REPLICATION_DATE", "start and end must be ISO 8601 date-times", 400) from None
    now = call.org.clock.now()
    if end < start:
        raise SalesforceError("INVALID_REPLICATION_DATE", "end date cannot be before the start date", 400)
    if start < now - timedelta(days=REPLICATION_DAYS):
        raise SalesforceError("INVALID_REPLICATION_DATE", f"start date cannot be more than {REPLICATION_DAYS} days "
                              "ago", 400)
    end = min(end, now).replace(second=0, microsecond=0)  # coverage is by the minute, up to now
    return formats.format_datetime(start), formats.format_datetime(end)


def updated(call: Call, sobject: str) -> Answer:
    obj = call.org.sobject(sobject)
    start, end = _window(call)
    with call.org.store.lock:
        ids = sorted(r["Id"] for r in call.org.store.records(obj.name)
                     if not r.get("IsDeleted") and start <= (r.get("SystemModstamp") or "") < end)
    return Answer(200, {"ids": ids, "latestDateCovered": end})


def deleted(call: Call, sobject: str) -> Answer:
    obj = call.org.sobject(sobject)
    start, end = _window(call)
    with call.org.store.lock:
        rows = sorted((r.get("SystemModstamp"), r["Id"]) for r in call.org.store.records(obj.name)
                      if r.get("IsDeleted") and start <= (r.get("SystemModstamp") or "") < end)
    earliest = formats.format_datetime(call.org.clock.now() - timedelta(days=REPLICATION_DAYS))
    return Answer(200, {"deletedRecords": [{"id": rid, "deletedDate": when} for when, rid in rows],
                        "earliestDateAvailable": earliest, "latestDateCovered": end})


ROUTER.add("/limits", GET=limits)
ROUTER.add("/sobjects/{sobject}/updated", GET=updated)
ROUTER.add("/sobjects/{sobject}/deleted", GET=deleted)
