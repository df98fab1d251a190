"""The Store contract: deduplication, gapless numbering, atomic units of work, the outbox, durability."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

import pytest

from tests.conftest import at
from tests.contract.conftest import StoreFactory, request
from ticketing.store.base import Store
from ticketing.types import (
    AttachmentRef,
    Direction,
    OutboundReply,
    Priority,
    Status,
    StoredFile,
    Ticket,
    TicketEvent,
    TicketMessage,
)

NOW = at("2026-11-24T14:00:00")


def ticket(number: str = "", requester: str = "ana@andina.com.co") -> Ticket:
    return Ticket(
        number=number,
        requester_address=requester,
        requester_name="Ana",
        channel="email",
        organisation="andina",
        plan="standard",
        status=Status.NEW,
        priority=Priority.HIGH,
        level=None,
        subject="Servidor caído",
        language="es",
        received_at=NOW,
        response_due=NOW + timedelta(hours=1),
        resolution_due=None,
    )


def reply(key: str, number: str = "TL-000001") -> OutboundReply:
    return OutboundReply(number, "email", "ana@andina.com.co", "[TL-000001] x", "hola", f"gw-{key}", "m1", ("m1",), key)


async def test_ticket_numbers_have_no_gaps_or_collisions_under_concurrency(store: Store) -> None:
    async def create() -> str:
        async with store.transaction() as tx:
            new = ticket(await tx.next_ticket_number("TL"))
            await tx.insert_ticket(new, NOW)
            return new.number

    numbers = await asyncio.gather(*(create() for _ in range(40)))
    assert sorted(numbers) == [f"TL-{n:06d}" for n in range(1, 41)]


async def test_a_failed_unit_of_work_leaves_nothing_behind(store: Store) -> None:
    with pytest.raises(RuntimeError):
        async with store.transaction() as tx:
            new = ticket(await tx.next_ticket_number("TL"))
            await tx.insert_ticket(new, NOW)
            await tx.enqueue_reply(reply("k1"), NOW)
            raise RuntimeError("crash before commit")
    async with store.transaction() as tx:
        assert await tx.list_tickets() == []
        assert await tx.list_outbox() == []
        assert await tx.next_ticket_number("TL") == "TL-000001"  # the rolled-back number is reused: no gap


async def test_messages_events_and_thread_lookup(store: Store) -> None:
    async with store.transaction() as tx:
        new = ticket(await tx.next_ticket_number("TL"))
        ticket_id = await tx.insert_ticket(new, NOW)
        hello = TicketMessage(Direction.IN, "email", "hola", NOW, "ana@andina.com.co", "c1@x", reply_to="conv-7")
        await tx.add_message(ticket_id, hello)
        outbox_id = await tx.enqueue_reply(replace(reply("ack"), reply_to="conv-7"), NOW)
        await tx.add_message(
            ticket_id, TicketMessage(Direction.OUT, "email", "ok", NOW, "gateway", "gw-ack"), outbox_id=outbox_id
        )
        await tx.add_event(ticket_id, TicketEvent(NOW, "created", "ana@andina.com.co", {"priority": "high"}))
    async with store.transaction() as tx:
        found = await tx.find_ticket_by_message_ids(["unknown@x", "gw-ack"])
        assert found is not None and found.number == "TL-000001"
        assert await tx.find_ticket_by_message_ids(["nothing"]) is None
        messages = await tx.messages(ticket_id)
        assert [(m.direction, m.delivery_state) for m in messages] == [(Direction.IN, ""), (Direction.OUT, "pending")]
        assert [m.reply_to for m in messages] == ["conv-7", ""]  # where answers to the client's message go
        [queued] = await tx.list_outbox()
        assert queued.reply.reply_to == "conv-7"
        events = await tx.events(ticket_id)
        assert [(e.kind, e.data) for e in events] == [("created", {"priority": "high"})]


async def test_ticket_round_trips_with_pauses(store: Store) -> None:
    async with store.transaction() as tx:
        new = ticket(await tx.next_ticket_number("TL"))
        await tx.insert_ticket(new, NOW)
        new.status = Status.WAITING_ON_CLIENT
        new.pauses = [(NOW, NOW + timedelta(minutes=30))]
        new.paused_since = NOW + timedelta(hours=2)
        await tx.update_ticket(new, NOW)
    async with store.transaction() as tx:
        loaded = await tx.get_ticket("TL-000001")
    assert loaded is not None
    assert (loaded.status, loaded.pauses, loaded.paused_since) == (new.status, new.pauses, new.paused_since)
    assert loaded.response_due == NOW + timedelta(hours=1) and loaded.resolution_due is None


async def test_outbox_is_idempotent_and_tracks_attempts(store: Store) -> None:
    async with store.transaction() as tx:
        first = await tx.enqueue_reply(reply("k1"), NOW)
        assert await tx.enqueue_reply(reply("k1"), NOW) is None
        second = await tx.enqueue_reply(reply("k2"), NOW)
    assert first is not None and second is not None
    async with store.transaction() as tx:
        assert [item.id for item in await tx.due_outbox(NOW)] == [first]  # same conversation: one at a time
        await tx.mark_outbox(first, "sent", NOW)
        assert [item.id for item in await tx.due_outbox(NOW)] == [second]
        await tx.mark_outbox(second, "pending", NOW, "421 try later", NOW + timedelta(minutes=5))
        assert await tx.due_outbox(NOW) == []
        assert await tx.next_outbox_due() == NOW + timedelta(minutes=5)
        await tx.mark_outbox(second, "dead", NOW, "550 no such user")
        failed = await tx.list_outbox(failed_only=True)
        assert [(i.id, i.status, i.attempts, i.last_error) for i in failed] == [(second, "dead", 2, "550 no such user")]
        assert await tx.requeue_outbox(second, NOW) is True
        assert await tx.requeue_outbox(first, NOW) is False  # already sent
        assert [i.id for i in await tx.due_outbox(NOW)] == [second]


async def test_inbox_states(store: Store) -> None:
    ids = [(await store.accept(request(f"m{i}"))).inbox_id for i in range(3)]
    async with store.transaction() as tx:
        await tx.finish_inbox(ids[0], "done", NOW, "TL-000001")
        await tx.finish_inbox(ids[1], "quarantined", NOW, error="MailParseError: no body")
        assert await tx.count_inbox_attempt(ids[2], "store busy") == 1
        assert [i.id for i in await tx.pending_inbox()] == [ids[2]]
        quarantined = await tx.inbox_items("quarantined")
        assert [(i.id, i.error, i.raw) for i in quarantined] == [(ids[1], "MailParseError: no body", b"raw")]
        counts = await tx.counts()
        few = await tx.counts(("inbox_pending", "inbox_quarantined", "outbox_dead"))
    assert counts == {"inbox_done": 1, "inbox_quarantined": 1, "inbox_pending": 1}
    assert few == {"inbox_quarantined": 1, "inbox_pending": 1}  # only what was asked (no "done"), none dead


async def test_data_survives_a_restart_and_migrations_run_once(store_factory: StoreFactory) -> None:
    first = store_factory()
    await first.open()
    accepted = await first.accept(request("persist@x"))
    await first.close()
    second = store_factory()
    await second.open()
    try:
        again = await second.accept(request("persist@x"))
        assert again.duplicate and again.inbox_id == accepted.inbox_id
        async with second.transaction() as tx:
            assert (await tx.counts())["inbox_pending"] == 1
    finally:
        await second.close()


async def test_mailbox_state_round_trips_32_bit_values(store: Store) -> None:
    async with store.transaction() as tx:
        assert await tx.get_mailbox_state("soporte/INBOX") is None
        await tx.set_mailbox_state("soporte/INBOX", 4_294_967_295, 12, NOW)
        await tx.set_mailbox_state("soporte/INBOX", 4_294_967_295, 4_000_000_000, NOW)
        await tx.set_mailbox_state("ventas/INBOX", 7, 1, NOW)
    async with store.transaction() as tx:
        assert await tx.get_mailbox_state("soporte/INBOX") == (4_294_967_295, 4_000_000_000)
        assert await tx.get_mailbox_state("ventas/INBOX") == (7, 1)


async def test_address_flags_and_reply_counts(store: Store) -> None:
    async with store.transaction() as tx:
        assert await tx.address_flag("ana@andina.com.co") is None
        await tx.flag_address("Ana@Andina.com.co", "5.1.1 user unknown", "TL-000001", NOW)
        await tx.flag_address("ana@andina.com.co", "5.2.2 mailbox full", "TL-000002", NOW)
        for key, minutes_ago in (("a", 90), ("b", 30), ("c", 5)):
            await tx.enqueue_reply(reply(key), NOW - timedelta(minutes=minutes_ago))
    async with store.transaction() as tx:
        flag = await tx.address_flag("ANA@andina.com.co")
        since = NOW - timedelta(hours=1)
        assert await tx.count_replies_since("ana@andina.com.co", ["reply"], since) == 2
        assert await tx.count_replies_since("ana@andina.com.co", ["acknowledgement"], since) == 0
    assert flag is not None and (flag["reason"], flag["ticket_number"]) == ("5.2.2 mailbox full", "TL-000002")


async def test_chat_continuation_and_the_last_client_message(store: Store) -> None:
    async with store.transaction() as tx:
        chat = ticket(await tx.next_ticket_number("TL"), requester="+573105550101")
        chat.channel = "whatsapp"
        ticket_id = await tx.insert_ticket(chat, NOW)
        hello = TicketMessage(Direction.IN, "whatsapp", "hola", NOW - timedelta(hours=2), "+573105550101", "SM1")
        await tx.add_message(ticket_id, hello)
    async with store.transaction() as tx:
        found = await tx.find_recent_open_ticket("+573105550101", "whatsapp", NOW - timedelta(hours=3))
        assert found is not None and found.number == "TL-000001"
        assert await tx.find_recent_open_ticket("+573105550101", "whatsapp", NOW - timedelta(hours=1)) is None
        assert await tx.find_recent_open_ticket("+573105550101", "email", NOW - timedelta(days=1)) is None
        assert await tx.last_inbound_at("whatsapp", "+573105550101") == NOW - timedelta(hours=2)
        assert await tx.last_inbound_at("whatsapp", "+573100000000") is None
        chat.status = Status.RESOLVED
        await tx.update_ticket(chat, NOW)
        assert await tx.find_recent_open_ticket("+573105550101", "whatsapp", NOW - timedelta(hours=3)) is None


async def test_attachments_fetched_after_the_ack(store: Store) -> None:
    media = AttachmentRef(
        "whatsapp-media-1.jpg", "image/jpeg", 0, "", None, "to download", "https://api.twilio.com/m/1"
    )
    async with store.transaction() as tx:
        ticket_id = await tx.insert_ticket(ticket(await tx.next_ticket_number("TL")), NOW)
        await tx.add_message(ticket_id, TicketMessage(Direction.IN, "whatsapp", "foto", NOW, "+57310", "SM1"), [media])
    async with store.transaction() as tx:
        [due] = await tx.due_downloads(NOW)
        assert (due.ticket_number, due.channel, due.url, due.attempts) == ("TL-000001", "whatsapp", media.url, 0)
        assert due.filename == "whatsapp-media-1.jpg"
        await tx.retry_download(due.attachment_id, "503 from Twilio", NOW + timedelta(minutes=1))
        assert await tx.due_downloads(NOW) == [] and await tx.next_download_due() == NOW + timedelta(minutes=1)
        await tx.finish_download(due.attachment_id, b"\xff\xd8jpeg", "image/jpeg", "abc123")
        assert await tx.due_downloads(NOW + timedelta(hours=1)) == []
        [stored] = await tx.attachments(ticket_id)
        fetched = await tx.attachment_file(due.attachment_id)
    assert (stored["size"], stored["sha256"], stored["note"]) == (6, "abc123", "")
    assert fetched == StoredFile(due.attachment_id, "TL-000001", "whatsapp-media-1.jpg", "image/jpeg", 6,
                                 b"\xff\xd8jpeg", 1)  # fmt: skip


async def test_attachments_are_numbered_within_their_ticket(store: Store) -> None:
    files = [AttachmentRef(f"f{n}.txt", "text/plain", 1, "s", b"x") for n in range(3)]
    async with store.transaction() as tx:
        first = await tx.insert_ticket(ticket(await tx.next_ticket_number("TL")), NOW)
        second = await tx.insert_ticket(ticket(await tx.next_ticket_number("TL")), NOW)
        await tx.add_message(first, TicketMessage(Direction.IN, "email", "a", NOW, "ana@x", "m1"), files[:1])
        message = await tx.add_message(second, TicketMessage(Direction.IN, "email", "b", NOW, "ana@x", "m2"))
        ids = [await tx.add_attachment(message, item, NOW) for item in files[1:]]
        await tx.add_message(first, TicketMessage(Direction.IN, "email", "c", NOW, "ana@x", "m3"), files[2:])
        found = [await tx.attachment_file(attachment_id) for attachment_id in ids]
        listed = await tx.attachments(first)
        assert await tx.attachment_file(999) is None
    assert [(f.ticket_number, f.filename, f.position) for f in found if f] == [
        ("TL-000002", "f1.txt", 1),
        ("TL-000002", "f2.txt", 2),
    ]
    assert [item["filename"] for item in listed] == ["f0.txt", "f2.txt"]


async def test_delivery_reports_reach_the_message(store: Store) -> None:
    async with store.transaction() as tx:
        ticket_id = await tx.insert_ticket(ticket(await tx.next_ticket_number("TL")), NOW)
        outbox_id = await tx.enqueue_reply(reply("k1"), NOW)
        assert outbox_id is not None
        await tx.add_message(
            ticket_id, TicketMessage(Direction.OUT, "email", "ok", NOW, "gateway", "gw-k1"), outbox_id=outbox_id
        )
        await tx.mark_outbox(outbox_id, "sent", NOW)
        await tx.set_provider_id(outbox_id, "SM0001")
        delivered = await tx.record_delivery("SM0001", "delivered", "")
        assert delivered is not None and delivered.reply.ticket_number == "TL-000001"
        found = await tx.find_ticket_by_message_ids(["SM0001"])  # a client quoting our WhatsApp message
        assert found is not None and found.number == "TL-000001"
        assert await tx.record_delivery("SM9999", "delivered", "") is None
        assert await tx.record_delivery("SM0001", "delivered", "") is None  # the same report again changes nothing
        assert [m.delivery_state for m in await tx.messages(ticket_id)] == ["delivered"]
        assert await tx.record_delivery("SM0001", "sent", "") is None  # a replayed earlier report: no step back
        assert await tx.record_delivery("SM0001", "queued", "") is None
        await tx.record_delivery("SM0001", "failed", "63016 outside the allowed window")
        assert [m.delivery_state for m in await tx.messages(ticket_id)] == ["failed: 63016 outside the allowed window"]
        [item] = await tx.list_outbox()
    assert (item.provider_id, item.delivery_state) == ("SM0001", "failed")


async def test_console_threads(store: Store) -> None:
    async with store.transaction() as tx:
        assert await tx.console_thread("TL-000001") is None
        await tx.set_console_thread("TL-000001", "C0AGENTS", "1732460000.000100")
    async with store.transaction() as tx:
        assert await tx.console_thread("TL-000001") == ("C0AGENTS", "1732460000.000100")
        assert await tx.ticket_for_console_thread("C0AGENTS", "1732460000.000100") == "TL-000001"
        assert await tx.ticket_for_console_thread("C0AGENTS", "1732460000.999999") is None


async def test_an_inbox_item_is_claimed_once(store: Store) -> None:
    accepted = await store.accept(request("claim@x"))
    async with store.transaction() as tx:
        assert await tx.claim_inbox(accepted.inbox_id) is True
        assert await tx.claim_inbox(accepted.inbox_id) is False
        await tx.finish_inbox(accepted.inbox_id, "done", NOW, "TL-000001")
    async with store.transaction() as tx:
        assert await tx.claim_inbox(accepted.inbox_id) is False
    other = await store.accept(request("claim2@x"))
    with pytest.raises(RuntimeError):
        async with store.transaction() as tx:
            assert await tx.claim_inbox(other.inbox_id) is True
            raise RuntimeError("rolled back: the claim goes with it")
    async with store.transaction() as tx:
        [pending] = await tx.pending_inbox()
    assert pending.native_id == "claim2@x"


async def test_each_conversation_keeps_its_order(store: Store) -> None:
    def to(recipient: str, key: str) -> OutboundReply:
        return OutboundReply(
            "TL-000001", "slack_console", recipient, "", key, f"gw-{key}", "", (), key, "console_message"
        )

    async with store.transaction() as tx:
        first = await tx.enqueue_reply(to("C0AGENTS", "a1"), NOW)
        await tx.enqueue_reply(to("C0AGENTS", "a2"), NOW)
        other = await tx.enqueue_reply(to("C0OTHER", "b1"), NOW)
        assert first is not None and other is not None
        assert [i.reply.idempotency_key for i in await tx.due_outbox(NOW)] == ["a1", "b1"]
        await tx.mark_outbox(first, "pending", NOW, "ratelimited", NOW + timedelta(seconds=30))  # held back
        await tx.mark_outbox(other, "sent", NOW)
        assert await tx.due_outbox(NOW) == []  # a2 waits behind a1
        assert [i.reply.idempotency_key for i in await tx.due_outbox(NOW + timedelta(seconds=30))] == ["a1"]
        await tx.mark_outbox(first, "sent", NOW)
        assert [i.reply.idempotency_key for i in await tx.due_outbox(NOW)] == ["a2"]


async def test_a_held_reply_can_be_withdrawn_or_revised_until_it_is_due(store: Store) -> None:
    due = NOW + timedelta(seconds=30)
    async with store.transaction() as tx:
        ticket_id = await tx.insert_ticket(ticket(await tx.next_ticket_number("TL")), NOW)
        ids = [await tx.enqueue_reply(reply(key), NOW, not_before=due) for key in ("k1", "k2", "k3")]
        for key, outbox_id in zip(("k1", "k2", "k3"), ids, strict=True):
            message = TicketMessage(Direction.OUT, "email", "hola", NOW, "U1", f"gw-{key}")
            await tx.add_message(ticket_id, message, outbox_id=outbox_id)
    first, second, third = (outbox_id for outbox_id in ids if outbox_id is not None)
    async with store.transaction() as tx:
        assert await tx.due_outbox(NOW) == [] and await tx.next_outbox_due() == due
        assert [m.delivery_state for m in await tx.messages(ticket_id)] == ["held", "held", "held"]
        held = await tx.outbox_by_key("k2")
        assert held is not None and held.id == second
        assert await tx.revise_outbox(second, replace(held.reply, text="hola de nuevo"), NOW) is True
        assert await tx.withdraw_outbox(first, NOW) is True
        assert await tx.withdraw_outbox(first, NOW) is False  # already withdrawn
        assert await tx.withdraw_outbox(third, due) is False  # due: too late
        assert await tx.revise_outbox(third, replace(held.reply, text="x"), due) is False
        revised = await tx.get_outbox(second)
        assert revised is not None and revised.reply.text == "hola de nuevo"
        assert [m.body for m in await tx.messages(ticket_id)] == ["hola", "hola de nuevo", "hola"]
        assert [m.delivery_state for m in await tx.messages(ticket_id)][0] == "withdrawn"
        assert [item.id for item in await tx.due_outbox(due)] == [second]  # a withdrawn reply holds nothing back
        assert await tx.outbox_by_key("nope") is None
