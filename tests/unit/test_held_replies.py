"""An agent's reply held back for its grace period: taken back, rewritten, kept as a note, or too late to stop."""

from __future__ import annotations

from datetime import timedelta

from tests.unit.desk import MONDAY_9, Desk
from ticketing.agent_actions import Held, HeldChange
from ticketing.types import Direction, OutboxItem, Priority, Ticket, TicketEvent, TicketMessage

GRACE = timedelta(seconds=30)


async def state(desk: Desk) -> tuple[Ticket, list[TicketMessage], list[TicketEvent], list[OutboxItem]]:
    async with desk.store.transaction() as tx:
        ticket = await tx.get_ticket("TL-000001")
        assert ticket is not None and ticket.id is not None
        return ticket, await tx.messages(ticket.id), await tx.events(ticket.id), list(reversed(await tx.list_outbox()))


async def held_reply(desk: Desk, key: str = "k-1", text: str = "Reinicie el equipo, por favor.") -> None:
    await desk.receive("ana@andina.com.co", priority=Priority.HIGH)
    async with desk.store.transaction() as tx:  # the acknowledgement went out
        [acknowledgement] = await tx.due_outbox(desk.now)
        await tx.mark_outbox(acknowledgement.id, "sent", desk.now)
    desk.now = MONDAY_9 + timedelta(minutes=10)
    assert await desk.agents.reply("TL-000001", "U-agent", text, key, hold=GRACE) is not None


async def test_a_held_reply_waits_its_grace_period_and_shows_as_held(desk: Desk) -> None:
    await held_reply(desk)
    ticket, messages, events, outbox = await state(desk)
    assert outbox[-1].next_attempt_at == MONDAY_9 + timedelta(minutes=10) + GRACE
    async with desk.store.transaction() as tx:
        assert await tx.due_outbox(desk.now) == []
        assert [item.reply.kind for item in await tx.due_outbox(desk.now + GRACE)] == ["agent_reply"]
    assert messages[-1].delivery_state == "held" and not messages[-1].reached_client
    assert events[-2].kind == "agent_reply" and "held_until" in events[-2].data
    assert ticket.responded_at == desk.now  # the response is the agent's reply, not its delivery


async def test_deleting_a_held_reply_cancels_it_and_the_response_time_with_it(desk: Desk) -> None:
    await held_reply(desk)
    desk.now += timedelta(seconds=20)
    assert await desk.agents.withdraw("k-1", "U-agent") == HeldChange(Held.DONE, "TL-000001")
    ticket, messages, events, outbox = await state(desk)
    assert outbox[-1].status == "withdrawn"
    async with desk.store.transaction() as tx:
        assert await tx.due_outbox(desk.now + GRACE) == []  # never sent
    assert ticket.responded_at is None  # nothing reached the client
    assert events[-1].kind == "reply_withdrawn"
    assert events[-1].data == {"channel": "email", "recipient": "ana@andina.com.co", "kept_as_note": False}
    assert messages[-1].withdrawn and not messages[-1].reached_client
    assert await desk.agents.withdraw("k-1", "U-agent") == HeldChange(Held.UNKNOWN, None)  # Slack's retry


async def test_a_later_reply_keeps_the_response_time_when_the_first_is_withdrawn(desk: Desk) -> None:
    await held_reply(desk)
    desk.now += timedelta(seconds=5)
    second = desk.now
    await desk.agents.reply("TL-000001", "U-agent", "Perdón, quise decir: reinicie el router.", "k-2", hold=GRACE)
    desk.now += timedelta(seconds=5)
    await desk.agents.withdraw("k-1", "U-agent")
    ticket, *_ = await state(desk)
    assert ticket.responded_at == second


async def test_an_edit_within_the_grace_period_sends_the_new_words(desk: Desk) -> None:
    await held_reply(desk)
    desk.now += timedelta(seconds=10)
    assert (await desk.agents.revise("k-1", "U-agent", "Reinicie el router, por favor.")).result is Held.DONE
    _, messages, events, outbox = await state(desk)
    assert outbox[-1].reply.text == "Reinicie el router, por favor." and outbox[-1].status == "pending"
    assert messages[-1].body == "Reinicie el router, por favor."
    assert events[-1].kind == "reply_revised"


async def test_an_edit_that_adds_the_note_prefix_keeps_it_as_a_note(desk: Desk) -> None:
    await held_reply(desk, text="el cliente no paga desde marzo")
    desk.now += timedelta(seconds=10)
    note = "el cliente no paga desde marzo"
    assert (await desk.agents.withdraw("k-1", "U-agent", note=note)).result is Held.DONE
    _, messages, events, outbox = await state(desk)
    assert outbox[-1].status == "withdrawn"
    assert [(m.direction, m.body) for m in messages if m.direction is Direction.NOTE] == [(Direction.NOTE, note)]
    assert [e.kind for e in events[-2:]] == ["reply_withdrawn", "note"] and events[-2].data["kept_as_note"] is True


async def test_after_the_grace_period_it_is_too_late_and_the_trail_says_so(desk: Desk) -> None:
    await held_reply(desk)
    desk.now += GRACE
    assert (await desk.agents.withdraw("k-1", "U-agent")).result is Held.TOO_LATE
    assert (await desk.agents.revise("k-1", "U-agent", "otra cosa")).result is Held.TOO_LATE
    ticket, messages, events, outbox = await state(desk)
    assert outbox[-1].status == "pending" and outbox[-1].reply.text == "Reinicie el equipo, por favor."
    assert [e.data["change"] for e in events if e.kind == "reply_too_late"] == ["deleted", "edited"]
    assert ticket.responded_at is not None


async def test_a_reply_already_tried_is_too_late_even_if_its_retry_is_later(desk: Desk) -> None:
    await held_reply(desk)
    _, _, _, outbox = await state(desk)
    async with desk.store.transaction() as tx:  # the first attempt failed; the retry is a minute away
        await tx.mark_outbox(outbox[-1].id, "pending", desk.now + GRACE, "timeout", desk.now + timedelta(minutes=2))
    assert (await desk.agents.withdraw("k-1", "U-agent")).result is Held.TOO_LATE


async def test_a_reply_sent_at_once_cannot_be_withdrawn(desk: Desk) -> None:
    await desk.receive("ana@andina.com.co", priority=Priority.HIGH)
    await desk.agents.reply("TL-000001", "U-agent", "Listo.", "k-now")
    assert (await desk.agents.withdraw("k-now", "U-agent")).result is Held.TOO_LATE
    assert (await desk.agents.withdraw("no-such-key", "U-agent")).result is Held.UNKNOWN
