"""gateway.runtime.counters: what each hook counts, read back from the registry the gateway serves."""

from __future__ import annotations

from typing import Any, cast

from gateway.runtime.counters import GatewayMetrics
from tests.unit.test_console_events import event, ticket
from ticketing.observer import ObserverWork, TicketChange
from ticketing.types import OutboundReply


def reply(kind: str) -> OutboundReply:
    return OutboundReply("TL-000009", "whatsapp", "+573001234567", "VPN", "texto", "gw-1", "SM1", (), "k", kind)


def counted(metrics: GatewayMetrics, name: str, **labels: str) -> float:
    found = metrics.registry.get_sample_value(name, labels)
    assert found is not None, f"no series {name}{labels}"
    return found


async def test_sla_warnings_and_breaches_are_counted_from_the_tickets_events() -> None:
    metrics = GatewayMetrics()
    change = TicketChange(ticket(), (event("sla_warning"), event("sla_breached"), event("sla_breached")))
    await metrics.ticket_changed(cast(ObserverWork, None), change, ticket().received_at)
    assert counted(metrics, "gateway_sla_events_total", kind="warning") == 1
    assert counted(metrics, "gateway_sla_events_total", kind="breach") == 2


def test_each_attempts_result_and_only_sent_acknowledgements() -> None:
    metrics = GatewayMetrics()
    metrics.expect(["whatsapp"], ["whatsapp"])
    metrics.attempted(reply("acknowledgement"), "retry", None)
    metrics.attempted(reply("acknowledgement"), "sent", 2.0)
    metrics.attempted(reply("agent_reply"), "dead", None)
    results: dict[str, Any] = {
        r: counted(metrics, "gateway_replies_total", channel="whatsapp", result=r) for r in ("sent", "retry", "dead")
    }
    assert results == {"sent": 1, "retry": 1, "dead": 1}
    assert counted(metrics, "gateway_acknowledgements_sent_total", channel="whatsapp") == 1
    assert counted(metrics, "gateway_outbox_delivery_seconds_sum", channel="whatsapp") == 2.0


def test_reloads_and_duplicates() -> None:
    metrics = GatewayMetrics()
    metrics.expect(["email"], [])
    metrics.reloaded(True)
    metrics.reloaded(False)
    metrics.accepted("email", duplicate=True)
    assert counted(metrics, "gateway_config_reloads_total", result="applied") == 1
    assert counted(metrics, "gateway_config_reloads_total", result="refused") == 1
    assert counted(metrics, "gateway_duplicates_refused_total", channel="email") == 1
    assert counted(metrics, "gateway_messages_in_total", channel="email") == 0
