"""Prometheus metrics of one syncd, in a registry of its own."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.events = Counter("syncd_events_accepted_total", "Events committed to the journal", registry=r)
        self.duplicates = Counter("syncd_events_duplicate_total", "Redelivered events accepted once", registry=r)
        self.rejected = Counter("syncd_events_rejected_total", "Requests refused", ["reason"], registry=r)
        self.outbox_depth = Gauge("syncd_outbox_depth", "Operations waiting for Salesforce", registry=r)
        self.operations = Counter("syncd_operations_total", "Operations by outcome", ["outcome"], registry=r)
        self.api_calls = Counter("syncd_salesforce_api_calls_total", "Salesforce REST requests made", registry=r)
        self.api_usage = Gauge("syncd_salesforce_api_usage", "Org API usage from Sforce-Limit-Info", ["kind"],
                               registry=r)
        self.errors = Counter("syncd_salesforce_errors_total", "Salesforce errors by errorCode", ["error_code"],
                              registry=r)
        self.paused = Gauge("syncd_sender_paused", "1 while the sender waits for the API budget", registry=r)
        self.sender_activity = Gauge("syncd_sender_activity", "1 for what the sender is doing now", ["activity"],
                                     registry=r)
        self.circuit_open = Gauge("syncd_sender_circuit_open", "1 while Salesforce fails as a whole and the "
                                  "sender probes", registry=r)
        self.sender_crashes = Counter("syncd_sender_crashes_total", "Unexpected errors in the sender loop",
                                      registry=r)
        self.leased_keys = Gauge("syncd_outbox_leased_keys", "Ordering keys each instance holds a lease on "
                                 "(PostgreSQL state shared by several instances)", ["instance"], registry=r)
        self.oldest_pending = Gauge("syncd_outbox_oldest_pending_seconds", "Age of the oldest waiting operation",
                                    registry=r)
        self.latency = Histogram("syncd_salesforce_request_seconds", "Salesforce request latency", registry=r)
        self.ingest_latency = Histogram("syncd_ingest_seconds", "Time to verify and commit an event request",
                                        registry=r)

    def on_call(self, path: str, seconds: float, status: int, code: str | None) -> None:
        self.latency.observe(seconds)
