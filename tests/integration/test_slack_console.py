"""`SlackConsole` against the fake Slack Web API over loopback, with slack_sdk's AsyncWebClient and a real SQLite store."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from adapters.channel import PermanentFailure, TemporaryFailure
from adapters.slack.console import SlackConsole
from adapters.slack.console_events import ConsoleObserver
from adapters.slack.oncall import OncallPages
from gateway.workers.outbox import OutboxWorker, RetryPolicy
from tests.conftest import at, free_port, project_texts
from tests.fake_slack import FakeSlack
from ticketing.deliveries import Deliveries
from ticketing.observer import TicketChange
from ticketing.store.sqlite import SqliteStore
from ticketing.types import Direction, OutboundReply, Priority, Status, Ticket, TicketEvent, TicketMessage

NOW = at("2026-11-30T14:00:00")
CONSOLE = "C111"
ONCALL = "<!subteam^S0ONCALL>"
ORGANISATIONS = {"andina": "Andina S.A."}


@dataclass
class Desk:
    fake: FakeSlack
    store: SqliteStore
    console: SlackConsole

    async def thread(self, number: str) -> tuple[str, str] | None:
        async with self.store.transaction() as tx:
            return await tx.console_thread(number)

    async def open_ticket(self, priority: Priority = Priority.HIGH, body: str = "El servidor no responde.") -> str:
        async with self.store.transaction() as tx:
            number = await tx.next_ticket_number("TL")
            ticket = Ticket(
                number=number,
                requester_address="ana@andina.com.co",
                requester_name="Ana Gómez",
                channel="email",
                organisation="andina",
                plan="standard",
                status=Status.NEW,
                priority=priority,
                level=None,
                subject="Servidor caído",
                language="es",
                received_at=NOW,
                response_due=NOW + timedelta(hours=1),
                resolution_due=NOW + timedelta(hours=4),
            )
            ticket_id = await tx.insert_ticket(ticket, NOW)
            await tx.add_message(ticket_id, TicketMessage(Direction.OUT, "email", "Recibido", NOW, "gateway", "gw-1"))
            await tx.add_message(
                ticket_id, TicketMessage(Direction.IN, "email", body, NOW, "ana@andina.com.co", "m1@x")
            )
            await tx.add_message(
                ticket_id, TicketMessage(Direction.IN, "email", "Otra cosa", NOW, "ana@andina.com.co", "m2@x")
            )
        return number

    async def summary(self, number: str, recipient: str = CONSOLE) -> OutboundReply:
        """The summary item the console's observer queues for the ticket as it is now (a status change redraws it)."""
        async with self.store.transaction() as tx:
            ticket = await tx.get_ticket(number)
            assert ticket is not None
            change = TicketChange(ticket, (TicketEvent(NOW, "status", "U0AGENT", {}, id=1),))
            await ConsoleObserver("slack_console", recipient, project_texts()("es")).ticket_changed(tx, change, NOW)
            item = (await tx.list_outbox())[0]
        assert item.reply.kind == "console_ticket"
        return item.reply

    async def change(self, number: str, **fields: object) -> None:
        async with self.store.transaction() as tx:
            ticket = await tx.get_ticket(number)
            assert ticket is not None
            for name, value in fields.items():
                setattr(ticket, name, value)
            await tx.update_ticket(ticket, NOW)


def console_reply(number: str, kind: str = "console_ticket", text: str = "", recipient: str = CONSOLE) -> OutboundReply:
    return OutboundReply(number, "slack_console", recipient, "", text, f"k-{kind}", "", (), f"i-{kind}", kind=kind)


def make_client(base_url: str) -> AsyncWebClient:
    return AsyncWebClient(token="xoxb-test", base_url=base_url + "/api/", retry_handlers=[], timeout=5)


def make_console(client: AsyncWebClient, store: SqliteStore) -> SlackConsole:
    return SlackConsole(
        client=client,
        channel_id=CONSOLE,
        store=store,
        tz=ZoneInfo("America/Bogota"),
        texts=project_texts(),
        organisation_name=lambda key: ORGANISATIONS.get(key or ""),
        pages=OncallPages.in_memory(ONCALL, overall_per_hour=4, per_organisation_per_hour=2),
    )


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[Desk]:
    fake = await FakeSlack(channels={CONSOLE}).start()
    store = SqliteStore(tmp_path / "console.sqlite3")
    await store.open()
    yield Desk(fake, store, make_console(make_client(fake.base_url), store))
    await store.close()
    await fake.stop()


async def test_first_console_ticket_posts_the_parent_and_stores_its_thread(desk: Desk) -> None:
    number = await desk.open_ticket()
    ts = await desk.console.send(await desk.summary(number))
    [parent] = desk.fake.messages
    assert (parent.channel, parent.ts, parent.thread_ts) == (CONSOLE, ts, None)
    assert parent.text == f"Ticket {number} (Alto, Nuevo): Servidor caído"
    actions = next(block for block in parent.blocks if block["type"] == "actions")
    assert [element["action_id"] for element in actions["elements"]] == [
        "take",
        "ask",
        "waiting",
        "escalate",
        "priority",
        "resolve",
    ]
    assert actions["block_id"] == f"ticket:{number}"
    request = next(
        block["text"]["text"]
        for block in parent.blocks
        if block.get("text", {}).get("text", "").startswith("*Solicitud*")
    )
    assert request == "*Solicitud*\n> El servidor no responde."  # the first inbound message, not our acknowledgement
    assert "Andina S.A." in str(parent.blocks)
    assert await desk.thread(number) == (CONSOLE, ts)
    [call] = desk.fake.calls_to("chat.postMessage")
    assert call.authorization == "Bearer xoxb-test"


async def test_the_next_console_ticket_updates_the_same_message(desk: Desk) -> None:
    number = await desk.open_ticket()
    ts = await desk.console.send(await desk.summary(number))
    await desk.change(number, priority=Priority.LOW, status=Status.OPEN, assignee="U0AGENT")
    assert await desk.console.send(await desk.summary(number)) == ts
    [update] = desk.fake.calls_to("chat.update")
    assert (update.args["channel"], update.args["ts"]) == (CONSOLE, ts)
    [parent] = desk.fake.messages
    assert parent.text == f"Ticket {number} (Bajo, Abierto): Servidor caído"
    assert "<@U0AGENT>" in str(parent.blocks)
    assert len(desk.fake.calls_to("chat.postMessage")) == 1


async def test_a_deleted_parent_is_posted_again(desk: Desk) -> None:
    number = await desk.open_ticket()
    async with desk.store.transaction() as tx:
        await tx.set_console_thread(number, CONSOLE, "1700000000.000001")  # a message no longer in Slack
    ts = await desk.console.send(await desk.summary(number))
    assert ts != "1700000000.000001"
    assert await desk.thread(number) == (CONSOLE, ts)
    assert [call.method for call in desk.fake.calls] == ["chat.update", "chat.postMessage"]


async def test_console_message_goes_into_the_ticket_thread_escaped(desk: Desk) -> None:
    number = await desk.open_ticket()
    parent_ts = await desk.console.send(await desk.summary(number))
    ts = await desk.console.send(console_reply(number, "console_message", text="Ana escribió: <!channel> a & b"))
    posted = desk.fake.messages[-1]
    assert (posted.channel, posted.ts, posted.thread_ts) == (CONSOLE, ts, parent_ts)
    assert posted.text == "Ana escribió: &lt;!channel&gt; a &amp; b"


async def test_console_message_before_the_parent_waits(desk: Desk) -> None:
    number = await desk.open_ticket()
    with pytest.raises(TemporaryFailure) as failure:
        await desk.console.send(console_reply(number, "console_message", text="hola"))
    assert failure.value.retry_after == 2
    assert "parent message is not posted yet" in failure.value.reason
    assert desk.fake.calls == []


async def test_a_critical_ticket_mentions_the_oncall_group(desk: Desk) -> None:
    number = await desk.open_ticket(priority=Priority.CRITICAL)
    await desk.console.send(await desk.summary(number))
    [parent] = desk.fake.messages
    assert parent.text.startswith(f"{ONCALL} Ticket {number} (Crítico")
    assert parent.blocks[0]["text"]["text"].startswith(ONCALL)


async def test_a_critical_ticket_without_a_contract_pages_nobody(desk: Desk) -> None:
    number = await desk.open_ticket(priority=Priority.CRITICAL)  # "Crítico" chosen on the public form
    await desk.change(number, status=Status.NOT_COVERED, plan="free")
    await desk.console.send(await desk.summary(number))
    [parent] = desk.fake.messages
    assert ONCALL not in parent.text and ONCALL not in str(parent.blocks)


async def test_pages_are_rate_limited_per_organisation_and_in_all(desk: Desk) -> None:
    def paged() -> list[bool]:
        return [ONCALL in message.text for message in desk.fake.messages if message.thread_ts is None]

    for _ in range(3):  # Andina: two pages an hour
        number = await desk.open_ticket(priority=Priority.CRITICAL)
        await desk.console.send(await desk.summary(number))
    assert paged() == [True, True, False]
    await desk.console.send(await desk.summary(number))  # a redraw of the last one: an edit, which notifies nobody
    for organisation in ("b", "c", "d"):  # four pages an hour in all
        number = await desk.open_ticket(priority=Priority.CRITICAL)
        await desk.change(number, organisation=organisation)
        await desk.console.send(await desk.summary(number))
    assert paged() == [True, True, False, True, True, False]


@pytest.mark.parametrize(
    ("error", "status", "headers", "temporary", "retry_after"),
    [
        ("ratelimited", 429, {"Retry-After": "3"}, True, 3),
        ("ratelimited", 429, {}, True, None),
        ("internal_error", 200, {}, True, None),
        ("fatal_error", 200, {}, True, None),
        ("service_unavailable", 503, {}, True, None),
        ("channel_not_found", 200, {}, False, None),
        ("not_in_channel", 200, {}, False, None),
        ("invalid_auth", 200, {}, False, None),
        ("msg_too_long", 200, {}, False, None),
        ("invalid_blocks", 200, {}, False, None),
    ],
)
async def test_slack_errors_become_the_outbox_failures(
    desk: Desk, error: str, status: int, headers: dict[str, str], temporary: bool, retry_after: int | None
) -> None:
    number = await desk.open_ticket()
    desk.fake.fail_next(1, error, status=status, headers=headers)
    expected = TemporaryFailure if temporary else PermanentFailure
    with pytest.raises(expected) as failure:
        await desk.console.send(await desk.summary(number))
    assert error in str(failure.value)
    if isinstance(failure.value, TemporaryFailure):
        assert failure.value.retry_after == retry_after
    assert await desk.thread(number) is None
    assert len(desk.fake.calls_to("chat.postMessage")) == 1  # no retry of its own: the outbox owns retries
    assert await desk.console.send(await desk.summary(number))  # and the next attempt goes through


async def test_a_real_channel_not_found_is_permanent(desk: Desk) -> None:
    number = await desk.open_ticket()
    with pytest.raises(PermanentFailure, match="channel_not_found"):
        await desk.console.send(await desk.summary(number, recipient="C0GONE"))


async def test_a_wrong_token_is_permanent(desk: Desk) -> None:
    number = await desk.open_ticket()
    console = make_console(
        AsyncWebClient(token="xoxb-wrong", base_url=desk.fake.base_url + "/api/", retry_handlers=[]), desk.store
    )
    with pytest.raises(PermanentFailure, match="invalid_auth"):
        await console.send(await desk.summary(number))


async def test_slack_unreachable_is_temporary(desk: Desk) -> None:
    number = await desk.open_ticket()
    console = make_console(make_client(f"http://127.0.0.1:{free_port()}"), desk.store)
    with pytest.raises(TemporaryFailure, match="cannot reach Slack"):
        await console.send(await desk.summary(number))


async def test_a_slack_timeout_is_temporary(desk: Desk) -> None:
    number = await desk.open_ticket()
    desk.fake.delay = 0.5
    client = AsyncWebClient(token="xoxb-test", base_url=desk.fake.base_url + "/api/", retry_handlers=[], timeout=0.1)  # type: ignore[arg-type]  # aiohttp takes float seconds
    with pytest.raises(TemporaryFailure, match="cannot reach Slack: TimeoutError"):
        await make_console(client, desk.store).send(await desk.summary(number))


@pytest.mark.parametrize(
    ("number", "kind", "reason"),
    [
        ("TL-999999", "console_ticket", "carries no ticket snapshot"),
        ("TL-000001", "acknowledgement", "does not send replies of kind"),
    ],
)
async def test_what_the_console_cannot_send_is_permanent(desk: Desk, number: str, kind: str, reason: str) -> None:
    await desk.open_ticket()
    with pytest.raises(PermanentFailure, match=reason):
        await desk.console.send(console_reply(number, kind))


async def test_a_burst_of_2000_new_tickets_reaches_the_console_in_order_per_thread(desk: Desk) -> None:
    """2,000 tickets at once (an outage): every summary is posted, and each ticket's line after its own parent."""
    observer = ConsoleObserver("slack_console", CONSOLE, project_texts()("es"))
    async with desk.store.transaction() as tx:
        for _ in range(2_000):
            number = await tx.next_ticket_number("TL")
            ticket = Ticket(number, "ana@andina.com.co", "Ana", "email", "andina", "standard", Status.NEW,
                            Priority.HIGH, None, "Servidor caído", "es", NOW, NOW + timedelta(hours=1), None)  # fmt: skip
            ticket_id = await tx.insert_ticket(ticket, NOW)
            await tx.add_message(ticket_id, TicketMessage(Direction.IN, "email", "No responde.", NOW, "ana@x", "m"))
            created = TicketChange(ticket, (TicketEvent(NOW, "created", "ana@x", {}, id=1),))
            await observer.ticket_changed(tx, created, NOW)
            line = console_reply(number, "console_message", "El cliente escribió otra vez.")
            await tx.enqueue_reply(replace(line, idempotency_key=f"line-{number}", order_scope=number), NOW)
    worker = OutboxWorker(desk.store, {"slack_console": desk.console}, RetryPolicy(3, 1.0, 5.0), lambda: NOW,
                          Deliveries(desk.store, lambda: NOW), concurrency=8)  # fmt: skip
    started = time.monotonic()
    while await worker.deliver_due():
        pass
    seconds = time.monotonic() - started
    parents = {message.ts: message for message in desk.fake.messages if message.thread_ts is None}
    lines = [message for message in desk.fake.messages if message.thread_ts is not None]
    assert (len(parents), len(lines)) == (2_000, 2_000)
    assert all(line.thread_ts in parents for line in lines)  # each line went after its ticket's parent
    assert seconds < 120, f"2,000 tickets took {seconds:.0f} s to reach the console"


async def lapsed_claims(desk: Desk, count: int) -> OutboxWorker:
    """The outbox of the surviving replica, after the claims of the replica that died have lapsed."""
    async with desk.store.transaction() as tx:
        assert len(await tx.claim_outbox(NOW, "replica-a", NOW + timedelta(minutes=2))) == count
        assert await tx.lapse_outbox_claims() == count
    return OutboxWorker(desk.store, {"slack_console": desk.console}, RetryPolicy(3, 1.0, 5.0), lambda: NOW,
                        Deliveries(desk.store, lambda: NOW))  # fmt: skip


async def sent(desk: Desk) -> dict[str, tuple[str, str | None]]:
    async with desk.store.transaction() as tx:
        return {item.reply.idempotency_key: (item.status, item.provider_id) for item in await tx.list_outbox()}


async def test_a_parent_posted_by_a_replica_that_died_is_found_and_becomes_the_thread(
    desk: Desk, tmp_path: Path
) -> None:
    """Replica A posted a ticket's parent and died before storing it as the ticket's thread. Once its claim lapses
    the survivor finds the parent in the channel by the key it carries, keeps it as the thread, posts nothing."""
    number = await desk.open_ticket()
    summary = await desk.summary(number)
    elsewhere = SqliteStore(tmp_path / "never-committed.sqlite3")  # where replica A's record of the thread went
    await elsewhere.open()
    parent_ts = await make_console(make_client(desk.fake.base_url), elsewhere).send(summary)
    await elsewhere.close()
    assert await desk.thread(number) is None

    worker = await lapsed_claims(desk, 1)
    assert await worker.deliver_due() == 1
    assert len(desk.fake.messages) == 1
    assert desk.fake.calls[-1].method == "conversations.history"  # looked for, found, not posted again
    assert await desk.thread(number) == (CONSOLE, parent_ts)
    assert await sent(desk) == {summary.idempotency_key: ("sent", parent_ts)}


async def test_thread_lines_of_unknown_outcome_are_looked_for_before_they_are_sent_again(desk: Desk) -> None:
    """Replica A posted one of two lines and died before recording it: the survivor finds that one in the thread
    (its metadata carries the reply's key) and posts only the other."""
    number = await desk.open_ticket()
    parent_ts = await desk.console.send(await desk.summary(number))
    async with desk.store.transaction() as tx:
        [summary] = await tx.list_outbox()
        await tx.mark_outbox(summary.id, "sent", NOW)
        for key, text in (("line-1", "Ana escribió otra vez."), ("line-2", "Y una tercera.")):
            item = replace(console_reply(number, "console_message", text), idempotency_key=key, order_scope=key)
            await tx.enqueue_reply(item, NOW)  # separate scopes: both claimed in one pass
        [first, _] = await tx.due_outbox(NOW)
    line_ts = await desk.console.send(first.reply)  # then replica A died

    worker = await lapsed_claims(desk, 2)
    assert await worker.deliver_due() == 2
    lines = [message for message in desk.fake.messages if message.thread_ts == parent_ts]
    assert [line.text for line in lines] == ["Ana escribió otra vez.", "Y una tercera."]  # each once
    assert lines[0].metadata == {"event_type": "gateway_reply", "event_payload": {"key": "line-1"}}
    assert len(desk.fake.calls_to("conversations.replies")) == 2  # both looked for, one found
    status = await sent(desk)
    assert (status["line-1"], status["line-2"]) == (("sent", line_ts), ("sent", lines[1].ts))
