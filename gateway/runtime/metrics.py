"""`GET /metrics`: the gateway's state for Prometheus — queue depths, tickets by status, each channel's health —
then what this process counted since it started (`gateway.runtime.counters`: messages in, replies, latencies, SLA
warnings and breaches, reloads).

The state is read from the store at scrape time (a restart loses nothing of it), rendered with prometheus_client
into a registry of this request's own.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector


class Snapshot(Collector):
    """The values read for one scrape."""

    def __init__(self, counts: Mapping[str, int], tickets: Mapping[str, int], channels: Mapping[str, Any]) -> None:
        self._counts = counts
        self._tickets = tickets
        self._channels = channels

    def _by_status(self, name: str, documentation: str, prefix: str) -> GaugeMetricFamily:
        family = GaugeMetricFamily(name, documentation, labels=["status"])
        for key, value in sorted(self._counts.items()):
            if key.startswith(prefix):
                family.add_metric([key.removeprefix(prefix)], value)
        return family

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield self._by_status("gateway_inbox_messages", "Messages in the durable inbox, by state.", "inbox_")
        yield self._by_status("gateway_outbox_replies", "Replies in the outbox, by state.", "outbox_")
        yield GaugeMetricFamily(
            "gateway_outbox_unknown_outcomes",
            "Send attempts whose outcome is unknown (the sender died mid-send): each may have reached the client "
            "twice, as the reply was sent again.",
            value=self._counts.get("unknown_outcomes", 0),
        )
        tickets = GaugeMetricFamily("gateway_tickets", "Tickets, by status.", labels=["status"])
        for status, value in sorted(self._tickets.items()):
            tickets.add_metric([status], value)
        yield tickets
        mailboxes = GaugeMetricFamily(
            "gateway_imap_mailbox_connected", "1 when the IMAP mailbox is connected.", labels=["mailbox"]
        )
        for name, state in sorted((self._channels.get("email", {}).get("imap") or {}).items()):
            mailboxes.add_metric([name], 1.0 if state.get("state") in ("connected", "idle", "polling") else 0.0)
        yield mailboxes


def render_metrics(
    counts: Mapping[str, int],
    tickets: Mapping[str, int],
    channels: Mapping[str, Any],
    counted: CollectorRegistry | None = None,
) -> web.Response:
    """The store's state, then what this process counted (`gateway.runtime.counters`)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(Snapshot(counts, tickets, channels))
    body = generate_latest(registry) + (generate_latest(counted) if counted is not None else b"")
    response = web.Response(body=body)
    response.headers["Content-Type"] = CONTENT_TYPE_LATEST
    return response
