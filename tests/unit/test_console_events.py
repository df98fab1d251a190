"""The console's one table (event kind -> effect), and delivery results as ticket events the console follows."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.slack.console_events import EFFECTS, ConsoleObserver
from tests.conftest import project_texts
from tests.unit.desk import MONDAY_9, Desk, RecordingComposer
from ticketing.observer import TicketChange
from ticketing.store.sqlite import SqliteStore
from ticketing.types import Direction, Priority, Status, Ticket, TicketEvent, TicketMessage


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[Desk]:
    store = SqliteStore(tmp_path / "events.sqlite3")
    await store.open()
    yield Desk(store, RecordingComposer(), ConsoleObserver("slack_console", "C0AGENTS", LABELS))
    await store.close()


LABELS = project_texts()("es")


def ticket() -> Ticket:
    return Ticket(
        "TL-000009", "ana@andina.com.co", "Ana", "whatsapp", "andina", "standard", Status.OPEN, Priority.HIGH, None,
        "VPN", "es", MONDAY_9, None, None, id=9,
    )  # fmt: skip


def event(kind: str, **data: object) -> TicketEvent:
    return TicketEvent(MONDAY_9, kind, "+573001234567", dict(data), id=41)


CLIENT = TicketMessage(Direction.IN, "whatsapp", "No conecta", MONDAY_9, "+573001234567", "SM1")
HELD = {"channel": "whatsapp", "recipient": "+573001234567"}
DELIVERY = {"reply": "agent_reply", "channel": "whatsapp", "recipient": "+573001234567", "error": ""}


@pytest.mark.parametrize(
    ("change", "line", "refresh"),
    [
        (TicketChange(ticket(), (event("created"),)), None, True),
        (TicketChange(ticket(), (event("client_message", native_id="SM1", channel="whatsapp"),), (CLIENT,)),
         "*+573001234567* (WhatsApp):\nNo conecta", False),
        (TicketChange(ticket(), (event("auto_reply", native_id="SM1", sender_name="Ana"),), (CLIENT,)),
         "*Ana* (respuesta automática):\nNo conecta", False),
        (TicketChange(ticket(), (event("status"),)), None, True),
        (TicketChange(ticket(), (event("priority", by="agent"),)), None, True),  # the summary shows it
        (TicketChange(ticket(), (event("priority", **{"from": "medium", "to": "critical", "by": "client"}),)),
         ":arrows_counterclockwise: El cliente cambió la prioridad: Medio → *Crítico*. Plazos recalculados.", True),
        (TicketChange(ticket(), (event("client_message", native_id="SM1", channel="relay:teams"),), (CLIENT,)),
         "*+573001234567* (Chat externo · teams):\nNo conecta", False),
        (TicketChange(ticket(), (event("assigned"),)), None, True),
        (TicketChange(ticket(), (event("escalated"),)), None, True),
        (TicketChange(ticket(), (event("agent_reply"), event("responded"))), None, True),
        (TicketChange(ticket(), (event("note"),)), None, False),
        (TicketChange(ticket(), (event("reply_withdrawn", kept_as_note=False, **HELD),)),
         ":wastebasket: Respuesta cancelada: no se envió a +573001234567.", True),
        (TicketChange(ticket(), (event("reply_withdrawn", kept_as_note=True, **HELD), event("note"))),
         ":wastebasket: Respuesta cancelada: no se envió a +573001234567. Queda como nota interna.", True),
        (TicketChange(ticket(), (event("reply_revised", **HELD),)),
         ":pencil2: Se enviará a +573001234567 la versión editada.", False),
        (TicketChange(ticket(), (event("reply_too_late", change="deleted", **HELD),)),
         ":warning: La respuesta ya se había enviado a +573001234567 por WhatsApp: el borrado no le llega.", False),
        (TicketChange(ticket(), (event("reply_too_late", change="edited", **HELD),)),
         ":warning: La respuesta ya se había enviado a +573001234567 por WhatsApp: la edición no le llega.", False),
        (TicketChange(ticket(), (event("acknowledgement_suppressed"),)), None, False),
        (TicketChange(ticket(), (event("bounce", failed=["ana@andina.com.co"], reason="5.1.1 user unknown"),)),
         ":warning: Falló la entrega a ana@andina.com.co (5.1.1 user unknown)", False),
        (TicketChange(ticket(), (event("delivery", state="sent", **DELIVERY),)),
         ":white_check_mark: Enviado a +573001234567 por WhatsApp.", False),
        (TicketChange(ticket(), (event("delivery", state="delivered", **DELIVERY),)),
         ":inbox_tray: Entregado en WhatsApp a +573001234567.", False),
        (TicketChange(ticket(), (event("delivery", state="read", **DELIVERY),)),
         ":eyes: Leído en WhatsApp por +573001234567.", False),
        (TicketChange(ticket(), (event("delivery", state="failed", **{**DELIVERY, "error": "63016"}),)),
         ":x: WhatsApp no pudo entregarlo a +573001234567: 63016", False),
        (TicketChange(ticket(), (event("delivery", state="queued", **DELIVERY),)), None, False),
        (TicketChange(ticket(), (event("delivery", state="sent", **{**DELIVERY, "reply": "acknowledgement"}),)),
         None, False),
    ],
)  # fmt: skip
def test_each_event_kind_has_its_effect(change: TicketChange, line: str | None, refresh: bool) -> None:
    effects = [EFFECTS.get(e.kind) for e in change.events]
    lines = [
        effect.line(e, change, LABELS)
        for effect, e in zip(effects, change.events, strict=True)
        if effect and effect.line
    ]
    assert [text for text in lines if text] == ([line] if line else [])
    assert any(effect.refresh for effect in effects if effect) is refresh


async def console(desk: Desk) -> list[tuple[str, str]]:
    async with desk.store.transaction() as tx:
        return [(i.reply.kind, i.reply.text) for i in reversed(await tx.list_outbox()) if i.reply.channel != "email"]


async def test_a_summary_carries_the_ticket_it_shows(desk: Desk) -> None:
    await desk.receive("ana@andina.com.co", priority=Priority.HIGH)
    async with desk.store.transaction() as tx:
        [summary] = [i.reply for i in await tx.list_outbox() if i.reply.kind == "console_ticket"]
    snapshot = summary.data["ticket"]
    assert (snapshot["number"], snapshot["priority"], snapshot["status"]) == ("TL-000001", "high", "new")
    assert snapshot["excerpt"] == "texto" and snapshot["organisation"] == "andina"


async def test_a_reported_delivery_is_an_event_and_a_line_once(desk: Desk) -> None:
    await desk.receive("ana@andina.com.co")
    await desk.agents.reply("TL-000001", "U0AGENT", "Ya quedó.", "k-1")
    async with desk.store.transaction() as tx:
        item = next(i for i in await tx.list_outbox() if i.reply.kind == "agent_reply")
        await tx.set_provider_id(item.id, "SM77")
    assert await desk.deliveries.reported("SM77", "delivered", "") is not None
    assert await desk.deliveries.reported("SM77", "delivered", "") is None  # Twilio's retry of the same report
    assert await desk.deliveries.reported("SM00", "delivered", "") is None  # not one of ours
    async with desk.store.transaction() as tx:
        found = await tx.get_ticket("TL-000001")
        assert found is not None and found.id is not None
        deliveries = [e.data for e in await tx.events(found.id) if e.kind == "delivery"]
    assert deliveries == [
        {"outbox_id": item.id, "reply": "agent_reply", "channel": "email", "recipient": "ana@andina.com.co",
         "state": "delivered", "error": ""}
    ]  # fmt: skip
    lines = [text for kind, text in await console(desk) if kind == "console_message"]
    assert lines == [":inbox_tray: Entregado en Correo a ana@andina.com.co."]
