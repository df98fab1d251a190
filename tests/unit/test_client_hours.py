"""The client's side of the agreement on a frozen clock: 8 business hours to give information an agent asked for
(then one reminder, then the close), and the resolution notice with its 7-day window to reopen."""

from __future__ import annotations

from datetime import timedelta

from tests.conftest import at
from tests.unit.test_sla_monitor import ANDINA, Walk, bogota, receive
from tests.unit.test_sla_monitor import walk as walk  # the same desk, monitor and console
from ticketing.types import Priority, Status


async def status(walk: Walk, number: str) -> Status:
    async with walk.desk.store.transaction() as tx:
        ticket = await tx.get_ticket(number)
    assert ticket is not None
    return ticket.status


def notices(walk: Walk) -> list[tuple[str, dict[str, object]]]:
    """(kind, extra facts) of every notice the desk wrote to a client, in order."""
    return [
        (kind, {k: v for k, v in context.items() if k in ("closes_at", "level", "reopen_until")})
        for kind, _, context in walk.composer.calls
    ]


async def ask(walk: Walk, number: str, moment: str) -> None:
    walk.desk.now = at(bogota(moment))
    await walk.desk.agents.reply(number, "U1AGENT", "¿Nos envía el registro del servidor?", f"ask-{moment}", ask=True)


async def test_unanswered_the_client_is_reminded_after_8_business_hours_and_the_ticket_closes_after_16_more(
    walk: Walk,
) -> None:
    """Asked Monday 11:00: 5 h 30 min on Monday and 2 h 30 min on Tuesday make the 8 hours (Tuesday 10:30); 16 more
    end Thursday 09:30."""
    number = await receive(walk, "2026-11-30T10:00:00", ANDINA, Priority.HIGH)
    await ask(walk, number, "2026-11-30T11:00:00")
    assert await status(walk, number) is Status.WAITING_ON_CLIENT
    assert await walk.fire("2026-12-01T10:29:00") == []
    assert await walk.fire("2026-12-01T10:30:00") == [(number, "client_reminder")]
    assert await walk.fire("2026-12-03T09:29:00") == []
    assert await walk.fire("2026-12-03T09:30:00") == [(number, "client_close")]
    assert await status(walk, number) is Status.CLOSED
    closes = at(bogota("2026-12-03T09:30:00"))
    assert notices(walk) == [("information_reminder", {"closes_at": closes}), ("closed_unanswered", {})]
    assert [event for _, event, _ in await walk.alerts()] == ["client_reminded"]
    async with walk.desk.store.transaction() as tx:
        items = sorted(await tx.list_outbox(limit=100), key=lambda item: item.id)
    kinds = [item.reply.kind for item in items]
    assert kinds.count("information_reminder") == 1 and kinds.count("closed_unanswered") == 1
    lines = [item.reply.text for item in items if item.reply.kind == "console_message"]
    assert lines == [
        ":pause_button: Se pidió información al cliente: el SLA queda en pausa hasta que responda.",
        ":lock: Caso cerrado: el cliente no envió la información pedida. Se le avisó.",
    ]


async def test_the_clients_answer_or_an_agents_reply_ends_the_wait_and_its_reminder(walk: Walk) -> None:
    answered = await receive(walk, "2026-11-30T10:00:00", ANDINA, Priority.LOW)
    await ask(walk, answered, "2026-11-30T11:00:00")
    walk.desk.now = at(bogota("2026-11-30T15:00:00"))
    await walk.desk.receive(ANDINA, ref=answered)  # the client sends what was asked
    assert await status(walk, answered) is Status.OPEN

    replied = await receive(walk, "2026-11-30T10:00:00", ANDINA, Priority.LOW)
    await ask(walk, replied, "2026-11-30T11:00:00")
    walk.desk.now = at(bogota("2026-11-30T12:00:00"))
    await walk.desk.agents.reply(replied, "U1AGENT", "Ya lo encontramos, gracias.", "found")
    assert await status(walk, replied) is Status.OPEN

    fired = await walk.fire("2026-12-04T16:00:00")
    assert not [kind for _, kind in fired if kind.startswith("client_")]
    assert notices(walk) == []


async def test_a_resolved_ticket_reopens_within_7_days_and_closes_after_them(walk: Walk) -> None:
    number = await receive(walk, "2026-11-30T10:00:00", ANDINA, Priority.MEDIUM)
    walk.desk.now = resolved = at(bogota("2026-11-30T12:00:00"))
    await walk.desk.agents.change_status(number, Status.RESOLVED, "U1AGENT", level=1)
    assert notices(walk) == [("resolved", {"level": 1, "reopen_until": resolved + timedelta(days=7)})]

    walk.desk.now = at(bogota("2026-12-03T09:00:00"))
    action, again = await walk.desk.receive(ANDINA, ref=number)  # "sigue fallando": within the window
    async with walk.desk.store.transaction() as tx:
        ticket = await tx.get_ticket(number)
    assert (action, again) == ("added", number)
    assert ticket is not None and ticket.status is Status.OPEN and ticket.resolved_at is None

    walk.desk.now = resolved = at(bogota("2026-12-03T10:00:00"))
    await walk.desk.agents.change_status(number, Status.RESOLVED, "U1AGENT", level=2)
    assert await walk.fire("2026-12-10T09:59:00") == []
    assert await walk.fire("2026-12-10T10:00:00") == [(number, "resolved_close")]
    assert await status(walk, number) is Status.CLOSED

    walk.desk.now = at(bogota("2026-12-11T09:00:00"))
    action, later = await walk.desk.receive(ANDINA, ref=number)  # after the window: a new ticket
    assert action == "created" and later not in (None, number)
    async with walk.desk.store.transaction() as tx:
        newer = await tx.get_ticket(str(later))
        assert newer is not None and newer.id is not None
        [created] = [e for e in await tx.events(newer.id) if e.kind == "created"]
    assert created.data["referenced"] == number
