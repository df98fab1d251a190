"""What the gateway counts as it works, for Prometheus: messages in and duplicates refused per channel, replies per
channel and result, acknowledgements sent, how long a message takes from its commit to its ticket and a reply from
its queueing to its sending, SLA warnings and breaches, configuration reloads.

Counted by this process in a registry of its own (`GatewayMetrics.registry`, no global one): with several replicas,
Prometheus sums the instances; a restart starts the counters at 0, which Prometheus' `rate()` and `increase()`
expect. Every series an alert or a dashboard reads exists from the start, at 0, for every channel the gateway runs.
`/metrics` serves these after the state it reads from the store (`gateway.runtime.metrics`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Histogram

from ticketing.observer import ObserverWork, TicketChange
from ticketing.types import OutboundReply

# Seconds: from a chat message's few hundred milliseconds to a mail read after an outage of an hour.
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0)
REPLY_RESULTS = ("sent", "retry", "dead")
SLA_EVENTS = {"sla_warning": "warning", "sla_breached": "breach"}
RELOAD_RESULTS = ("applied", "refused")


class GatewayMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)

        def counter(name: str, documentation: str, label: str, *more: str) -> Counter:
            return Counter(name, documentation, [label, *more], registry=self.registry)

        def latency(name: str, documentation: str) -> Histogram:
            return Histogram(name, documentation, ["channel"], buckets=LATENCY_BUCKETS, registry=self.registry)

        self._messages_in = counter("gateway_messages_in", "Messages committed to the inbox, by channel.", "channel")
        self._duplicates = counter(
            "gateway_duplicates_refused",
            "Messages refused as copies of one already committed (a retry, the same mail twice), by channel.",
            "channel",
        )
        self._replies = counter(
            "gateway_replies",
            "Send attempts of replies, by channel and result: sent, retry (a temporary failure), dead (given up).",
            "channel",
            "result",
        )
        self._acknowledgements = counter(
            "gateway_acknowledgements_sent", "Acknowledgements sent, by channel.", "channel"
        )
        self._intake = latency("gateway_intake_to_ticket_seconds", "From a message's commit to its ticket, by channel.")
        self._delivery = latency(
            "gateway_outbox_delivery_seconds", "From a reply's queueing to its sending, by channel."
        )
        self._sla = counter("gateway_sla_events", "SLA warnings and breaches fired, by kind.", "kind")
        self._reloads = counter("gateway_config_reloads", "Configuration reloads, by result.", "result")
        for kind in SLA_EVENTS.values():
            self._sla.labels(kind)
        for result in RELOAD_RESULTS:
            self._reloads.labels(result)

    def expect(self, inbound: Iterable[str], outbound: Iterable[str]) -> None:
        """Make every series of these channels exist, at 0 (the channels are known once they are built)."""
        for channel in inbound:
            self._messages_in.labels(channel)
            self._duplicates.labels(channel)
            self._intake.labels(channel)
        for channel in outbound:
            for result in REPLY_RESULTS:
                self._replies.labels(channel, result)
            self._acknowledgements.labels(channel)
            self._delivery.labels(channel)

    def accepted(self, channel: str, duplicate: bool) -> None:
        (self._duplicates if duplicate else self._messages_in).labels(channel).inc()

    def ticketed(self, channel: str, seconds: float) -> None:
        self._intake.labels(channel).observe(max(0.0, seconds))

    def attempted(self, reply: OutboundReply, result: str, seconds: float | None) -> None:
        """One send attempt's `result` (sent, retry, dead); `seconds` since the reply was queued, when sent."""
        self._replies.labels(reply.channel, result).inc()
        if result == "sent":
            self._delivery.labels(reply.channel).observe(max(0.0, seconds or 0.0))
            if reply.kind == "acknowledgement":
                self._acknowledgements.labels(reply.channel).inc()

    def reloaded(self, applied: bool) -> None:
        self._reloads.labels(RELOAD_RESULTS[0] if applied else RELOAD_RESULTS[1]).inc()

    async def ticket_changed(self, work: ObserverWork, change: TicketChange, now: datetime) -> None:
        """As a ticket observer: count the SLA warnings and breaches the monitor appended (when it appends them,
        before its commit: a transaction that fails after that, and is fired again, counts twice)."""
        for event in change.events:
            kind = SLA_EVENTS.get(event.kind)
            if kind is not None:
                self._sla.labels(kind).inc()
