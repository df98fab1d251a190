"""The ticketing core on a real SQLite store: new tickets, additions, no hijacking, not-covered senders."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.conftest import at
from tests.unit.desk import BOGOTA, MONDAY_9, Desk
from ticketing.types import Direction, Priority, Status, Trust


async def test_a_client_request_opens_a_ticket_and_queues_the_acknowledgement(desk: Desk) -> None:
    assert await desk.receive("ana@andina.com.co", priority=Priority.HIGH) == ("created", "TL-000001")
    async with desk.store.transaction() as tx:
        ticket = await tx.get_ticket("TL-000001")
        outbox = await tx.list_outbox()
        inbox = await tx.inbox_items("done")
    assert ticket is not None and ticket.id is not None
    assert (ticket.status, ticket.plan, ticket.organisation, ticket.priority) == (
        Status.NEW,
        "standard",
        "andina",
        Priority.HIGH,
    )
    assert ticket.response_due == MONDAY_9 + timedelta(hours=1)
    assert ticket.resolution_due == MONDAY_9 + timedelta(hours=4)
    [item] = outbox
    assert (item.reply.kind, item.reply.recipient, item.reply.subject) == (
        "acknowledgement",
        "ana@andina.com.co",
        "[TL-000001] Servidor caído",
    )
    assert item.reply.thread_key == "m1@client" and item.reply.text == "acknowledgement/es/TL-000001"
    assert [(i.native_id, i.status) for i in inbox] == [("m1@client", "done")]
    kind, language, context = desk.composer.calls[0]
    assert context["response_target"] == "minutes" and context["outside_hours"] is False


@pytest.mark.parametrize("sender", ["stranger@hotmail.com", "estudiante@gmail.com"])
async def test_unknown_and_free_senders_are_recorded_without_sla(desk: Desk, sender: str) -> None:
    assert await desk.receive(sender) == ("created", "TL-000001")
    async with desk.store.transaction() as tx:
        ticket = await tx.get_ticket("TL-000001")
        [item] = await tx.list_outbox()
    assert ticket is not None
    assert (ticket.status, ticket.response_due, ticket.resolution_due) == (Status.NOT_COVERED, None, None)
    assert item.reply.kind == "not_covered"


@pytest.mark.parametrize(
    ("second_sender", "trust", "expected"),
    [
        ("ana@andina.com.co", Trust.CLAIMED, ("added", "TL-000001")),  # the requester
        ("soporte.ti@andina.com.co", Trust.CLAIMED, ("added", "TL-000001")),  # listed in customers.toml
        ("jefe@andina.com.co", Trust.VERIFIED, ("added", "TL-000001")),  # same organisation, mail authenticated
        ("jefe@andina.com.co", Trust.CLAIMED, ("created", "TL-000002")),  # only its domain, From unauthenticated
        ("ana@andina.com.co", Trust.ANONYMOUS, ("created", "TL-000002")),  # typed into the web form by anyone
        ("intruso@otra.com", Trust.VERIFIED, ("created", "TL-000002")),  # a stranger quoting the number
        ("ti@norte.co", Trust.VERIFIED, ("created", "TL-000002")),  # another client quoting the number
    ],
)
async def test_only_the_requester_or_the_organisation_may_add_to_a_ticket(
    desk: Desk, second_sender: str, trust: Trust, expected: tuple[str, str]
) -> None:
    await desk.receive("ana@andina.com.co")
    assert await desk.receive(second_sender, "Re: [TL-000001] Servidor caído", ref="TL-000001", trust=trust) == expected
    async with desk.store.transaction() as tx:
        first = await tx.get_ticket("TL-000001")
        assert first is not None and first.id is not None
        messages = await tx.messages(first.id)
        created = await tx.get_ticket("TL-000002")
        events = await tx.events(created.id) if created and created.id else []
    incoming = [m.sender for m in messages if m.direction is Direction.IN]
    if expected[0] == "added":
        assert incoming == ["ana@andina.com.co", second_sender]
    else:
        assert incoming == ["ana@andina.com.co"]
        assert events[0].data["referenced"] == "TL-000001"


async def test_a_reply_threads_by_in_reply_to_our_message(desk: Desk) -> None:
    await desk.receive("ana@andina.com.co")
    async with desk.store.transaction() as tx:
        [ack] = await tx.list_outbox()
    hints = ("m1@client", f"{ack.reply.message_key}@tecnolinux.com", ack.reply.message_key)
    assert await desk.receive("ana@andina.com.co", "Re: Servidor caído", hints=hints) == ("added", "TL-000001")
    # A stranger replying in the same thread still gets a ticket of their own.
    assert await desk.receive("otro@gmail.com", "Re: Servidor caído", hints=hints) == ("created", "TL-000002")


async def test_a_client_answer_resumes_a_paused_clock(desk: Desk) -> None:
    await desk.receive("ana@andina.com.co", priority=Priority.MEDIUM)  # due 11:00 / 13:00 Bogota
    async with desk.store.transaction() as tx:
        ticket = await tx.get_ticket("TL-000001")
        assert ticket is not None
        ticket.status, ticket.paused_since = Status.WAITING_ON_CLIENT, MONDAY_9 + timedelta(minutes=30)
        await tx.update_ticket(ticket, desk.now)
    desk.now = MONDAY_9 + timedelta(hours=1, minutes=30)  # the client answers an hour later
    assert await desk.receive("ana@andina.com.co", ref="TL-000001") == ("added", "TL-000001")
    async with desk.store.transaction() as tx:
        ticket = await tx.get_ticket("TL-000001")
        assert ticket is not None and ticket.id is not None
        events = await tx.events(ticket.id)
    assert ticket.status is Status.OPEN and ticket.paused_since is None
    assert ticket.pauses == [(MONDAY_9 + timedelta(minutes=30), MONDAY_9 + timedelta(hours=1, minutes=30))]
    assert ticket.response_due == MONDAY_9 + timedelta(hours=3)  # 2 h target + 1 h paused
    assert [e.kind for e in events] == ["created", "client_message", "status"]


async def test_auto_replies_never_open_tickets_or_get_answers(desk: Desk) -> None:
    assert await desk.receive("robot@andina.com.co", "Fuera de la oficina", auto_reply=True) == ("ignored", None)
    await desk.receive("ana@andina.com.co")
    assert await desk.receive("ana@andina.com.co", "Respuesta automática", ref="TL-000001", auto_reply=True) == (
        "added",
        "TL-000001",
    )
    async with desk.store.transaction() as tx:
        outbox = await tx.list_outbox()
        ignored = await tx.inbox_items("ignored")
        ticket = await tx.get_ticket("TL-000001")
        assert ticket is not None and ticket.id is not None
        messages = await tx.messages(ticket.id)
    assert len(outbox) == 1  # only the acknowledgement of the real request
    assert [i.error for i in ignored] == ["auto_reply that matches no open ticket"]
    assert [m.direction for m in messages] == [Direction.IN, Direction.OUT, Direction.NOTE]


async def test_a_closed_ticket_is_not_reopened_by_a_new_message(desk: Desk) -> None:
    await desk.receive("ana@andina.com.co")
    async with desk.store.transaction() as tx:
        ticket = await tx.get_ticket("TL-000001")
        assert ticket is not None
        ticket.status = Status.CLOSED
        await tx.update_ticket(ticket, desk.now)
    assert await desk.receive("ana@andina.com.co", ref="TL-000001") == ("created", "TL-000002")


@pytest.mark.parametrize(
    ("sender", "language", "priority", "expected_language", "expected_priority"),
    [
        ("ana@andina.com.co", None, None, "es", Priority.MEDIUM),  # organisation's language, default priority
        ("bob@northwind.example", None, Priority.LOW, "en", Priority.LOW),
        ("bob@northwind.example", "es", None, "es", Priority.MEDIUM),  # the client wrote in Spanish
        ("ti@norte.co", "es", Priority.CRITICAL, "es", Priority.CRITICAL),
    ],
)
async def test_language_and_priority(
    desk: Desk,
    sender: str,
    language: str | None,
    priority: Priority | None,
    expected_language: str,
    expected_priority: Priority,
) -> None:
    await desk.receive(sender, language=language, priority=priority)
    async with desk.store.transaction() as tx:
        ticket = await tx.get_ticket("TL-000001")
    assert ticket is not None
    assert (ticket.language, ticket.priority) == (expected_language, expected_priority)


async def test_received_at_night_says_when_the_clock_starts(desk: Desk) -> None:
    desk.now = at("2026-11-24T03:00:00")  # Monday 22:00 in Bogota
    await desk.receive("ana@andina.com.co", priority=Priority.HIGH)
    context = desk.composer.calls[0][2]
    assert context["outside_hours"] is True
    assert context["clock_starts"] == datetime(2026, 11, 24, 8, 0, tzinfo=BOGOTA)


async def test_a_chat_message_continues_the_senders_open_conversation(desk: Desk) -> None:
    phone = "+573105550101"
    assert await desk.receive(phone, "", channel="whatsapp") == ("created", "TL-000001")
    desk.now = MONDAY_9 + timedelta(hours=3)
    assert await desk.receive(phone, "", channel="whatsapp") == ("added", "TL-000001")
    assert await desk.receive("+573009999999", "", channel="whatsapp") == ("created", "TL-000002")  # someone else
    desk.now = MONDAY_9 + timedelta(hours=30)  # more than 24 hours after their last message: a new conversation
    assert await desk.receive(phone, "", channel="whatsapp") == ("created", "TL-000003")
    # Email never continues by sender alone: a new mail without tag or thread is a new request.
    assert await desk.receive("ana@andina.com.co") == ("created", "TL-000004")
    assert await desk.receive("ana@andina.com.co") == ("created", "TL-000005")


async def test_a_client_who_restates_the_priority_changes_it(desk: Desk) -> None:
    """The acknowledgement invites "Prioridad: alta" in a reply: the follow-up changes the priority, the deadlines
    are counted again from the receipt, the client gets a short confirmation."""
    await desk.receive("ana@andina.com.co", priority=Priority.MEDIUM)
    desk.now = MONDAY_9 + timedelta(minutes=20)
    assert await desk.receive("ana@andina.com.co", ref="TL-000001", restated=Priority.CRITICAL) == (
        "added",
        "TL-000001",
    )
    async with desk.store.transaction() as tx:
        ticket = await tx.get_ticket("TL-000001")
        assert ticket is not None and ticket.id is not None
        events = await tx.events(ticket.id)
        replies = [item.reply for item in reversed(await tx.list_outbox())]
    assert ticket.priority is Priority.CRITICAL
    assert ticket.response_due == MONDAY_9 + timedelta(minutes=15)  # "immediate", from the receipt
    change = next(event for event in events if event.kind == "priority")
    assert (change.data["from"], change.data["to"], change.data["by"]) == ("medium", "critical", "client")
    assert [r.kind for r in replies] == ["acknowledgement", "priority_changed"]
    assert replies[1].recipient == "ana@andina.com.co" and desk.composer.calls[-1][0] == "priority_changed"


@pytest.mark.parametrize(
    ("sender", "restated"),
    [
        ("ana@andina.com.co", Priority.MEDIUM),  # the same priority: nothing to change
        ("estudiante@gmail.com", Priority.CRITICAL),  # not covered: no deadlines to change
    ],
)
async def test_a_restated_priority_that_changes_nothing_is_not_confirmed(
    desk: Desk, sender: str, restated: Priority
) -> None:
    await desk.receive(sender, priority=Priority.MEDIUM)
    await desk.receive(sender, ref="TL-000001", restated=restated)
    async with desk.store.transaction() as tx:
        kinds = [item.reply.kind for item in await tx.list_outbox()]
    assert "priority_changed" not in kinds


async def test_a_request_without_a_subject_is_named_by_its_first_line(desk: Desk) -> None:
    await desk.receive("+573001234567", subject="", channel="whatsapp")
    async with desk.store.transaction() as tx:
        ticket = await tx.get_ticket("TL-000001")
    assert ticket is not None and ticket.subject == "texto"  # WhatsApp, a relay: the request's first line


async def test_colleagues_the_client_copied_watch_the_ticket_and_strangers_do_not(desk: Desk) -> None:
    await desk.receive("ana@andina.com.co", cc=("jefe@andina.com.co", "amigo@gmail.com", "soporte.ti@andina.com.co"))
    await desk.agents.reply("TL-000001", "U0AGENT", "Estamos en ello.", "k-1")
    assert await desk.receive("jefe@andina.com.co", ref="TL-000001") == ("added", "TL-000001")  # a watcher may write
    async with desk.store.transaction() as tx:
        ticket = await tx.get_ticket("TL-000001")
        replies = [item.reply for item in reversed(await tx.list_outbox())]
    assert ticket is not None and ticket.watchers == ("jefe@andina.com.co", "soporte.ti@andina.com.co")
    assert [(r.kind, r.cc) for r in replies] == [
        ("acknowledgement", ("jefe@andina.com.co", "soporte.ti@andina.com.co")),
        ("agent_reply", ("jefe@andina.com.co", "soporte.ti@andina.com.co")),
    ]
