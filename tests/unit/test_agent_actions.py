"""Agent actions and the SLA clock: response on the first public reply, pauses, priority changes, resolution."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.unit.desk import MONDAY_9, Desk
from ticketing.agent_actions import TicketNotFound
from ticketing.types import Direction, Priority, Status


async def outbox_kinds(desk: Desk) -> list[str]:
    async with desk.store.transaction() as tx:
        return [item.reply.kind for item in reversed(await tx.list_outbox())]


async def test_the_first_public_reply_records_the_response_and_a_note_does_not(desk: Desk) -> None:
    await desk.receive("ana@andina.com.co", priority=Priority.HIGH)
    desk.now = MONDAY_9 + timedelta(minutes=20)
    assert await desk.agents.reply("TL-000001", "U-agent", "Revisando el log", "k-note", internal=True) is None
    async with desk.store.transaction() as tx:
        ticket = await tx.get_ticket("TL-000001")
    assert ticket is not None and ticket.responded_at is None and ticket.status is Status.NEW
    assert await outbox_kinds(desk) == ["acknowledgement"]  # the note never left

    desk.now = MONDAY_9 + timedelta(minutes=40)
    reply = await desk.agents.reply("TL-000001", "U-agent", "Ya reiniciamos el servicio.", "k-1")
    assert reply is not None and reply.recipient == "ana@andina.com.co" and reply.thread_key == "m1@client"
    assert reply.subject == "[TL-000001] Servidor caído"
    assert await desk.agents.reply("TL-000001", "U-agent", "Ya reiniciamos el servicio.", "k-1") is None  # retried
    desk.now = MONDAY_9 + timedelta(minutes=50)
    await desk.agents.reply("TL-000001", "U-agent", "¿Funciona ahora?", "k-2")
    async with desk.store.transaction() as tx:
        ticket = await tx.get_ticket("TL-000001")
        assert ticket is not None and ticket.id is not None
        events = await tx.events(ticket.id)
        messages = await tx.messages(ticket.id)
    assert ticket.responded_at == MONDAY_9 + timedelta(minutes=40) and ticket.status is Status.OPEN
    assert [e.kind for e in events].count("responded") == 1
    assert next(e for e in events if e.kind == "responded").data == {"within_sla": True}
    assert [m.direction for m in messages] == [
        Direction.IN,
        Direction.OUT,
        Direction.NOTE,
        Direction.OUT,
        Direction.OUT,
    ]
    assert await outbox_kinds(desk) == ["acknowledgement", "agent_reply", "agent_reply"]


async def test_waiting_on_the_client_stops_the_clock(desk: Desk) -> None:
    await desk.receive("ana@andina.com.co", priority=Priority.MEDIUM)  # Monday 09:00: due 11:00 / 13:00
    desk.now = MONDAY_9 + timedelta(minutes=30)
    ticket = await desk.agents.change_status("TL-000001", Status.WAITING_ON_CLIENT, "U-agent")
    assert ticket.paused_since == desk.now
    desk.now = MONDAY_9 + timedelta(hours=2, minutes=30)  # two hours later the agent resumes
    ticket = await desk.agents.change_status("TL-000001", Status.OPEN, "U-agent")
    assert ticket.paused_since is None
    assert ticket.response_due == MONDAY_9 + timedelta(hours=4)
    assert ticket.resolution_due == MONDAY_9 + timedelta(hours=6)


async def test_a_priority_change_recomputes_from_receipt(desk: Desk) -> None:
    await desk.receive("ana@andina.com.co", priority=Priority.LOW)
    desk.now = MONDAY_9 + timedelta(hours=3)
    ticket = await desk.agents.change_priority("TL-000001", Priority.HIGH, "U-agent")
    assert (ticket.response_due, ticket.resolution_due) == (
        MONDAY_9 + timedelta(hours=1),
        MONDAY_9 + timedelta(hours=4),
    )
    ticket = await desk.agents.change_priority("TL-000001", Priority.PLANNED, "U-agent")
    assert (ticket.response_due, ticket.resolution_due) == (None, None)


async def test_resolving_records_the_level_and_whether_it_was_in_time(desk: Desk) -> None:
    await desk.receive("ana@andina.com.co", priority=Priority.HIGH)
    with pytest.raises(ValueError, match="level"):
        await desk.agents.change_status("TL-000001", Status.RESOLVED, "U-agent")
    desk.now = MONDAY_9 + timedelta(hours=5)  # one hour past the 4 h resolution target
    ticket = await desk.agents.change_status("TL-000001", Status.RESOLVED, "U-agent", level=2)
    assert (ticket.level, ticket.resolved_at) == (2, desk.now)
    async with desk.store.transaction() as tx:
        assert ticket.id is not None
        last = (await tx.events(ticket.id))[-1]
    assert last.kind == "status" and last.data["level"] == 2 and last.data["within_sla"] is False
    # The client writes again: the ticket reopens.
    assert await desk.receive("ana@andina.com.co", ref="TL-000001") == ("added", "TL-000001")
    async with desk.store.transaction() as tx:
        reopened = await tx.get_ticket("TL-000001")
    assert reopened is not None and reopened.status is Status.OPEN


async def test_unknown_ticket(desk: Desk) -> None:
    with pytest.raises(TicketNotFound):
        await desk.agents.assign("TL-009999", "U-agent", "U-lead")


async def test_escalation_moves_one_level_at_a_time_and_records_who_and_why(desk: Desk) -> None:
    await desk.receive("ana@andina.com.co")
    second = await desk.agents.escalate("TL-000001", "U-agent", "necesita acceso al firewall")
    third = await desk.agents.escalate("TL-000001", "U-lead", "requiere al fabricante")
    assert (second.level, third.level) == (2, 3)
    with pytest.raises(ValueError, match="already at level 3"):
        await desk.agents.escalate("TL-000001", "U-lead", "más arriba")
    async with desk.store.transaction() as tx:
        assert third.id is not None
        escalations = [e for e in await tx.events(third.id) if e.kind == "escalated"]
    assert [(e.actor, e.data) for e in escalations] == [
        ("U-agent", {"from": 1, "to": 2, "reason": "necesita acceso al firewall"}),
        ("U-lead", {"from": 2, "to": 3, "reason": "requiere al fabricante"}),
    ]
