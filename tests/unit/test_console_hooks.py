"""What the core queues for the agents' console, in the same transaction as each change."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from adapters.channel import PermanentFailure
from adapters.slack.console_events import ConsoleObserver
from gateway.workers.outbox import OutboxWorker, RetryPolicy
from tests.conftest import project_texts
from tests.unit.desk import MONDAY_9, Desk, RecordingComposer
from ticketing.store.sqlite import SqliteStore
from ticketing.types import OutboundReply, Priority, Status

CONSOLE = ConsoleObserver("slack_console", "C0AGENTS", project_texts()("es"))


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[Desk]:
    store = SqliteStore(tmp_path / "console.sqlite3")
    await store.open()
    yield Desk(store, RecordingComposer(), CONSOLE)
    await store.close()


async def queued(desk: Desk) -> list[tuple[str, str, str]]:
    async with desk.store.transaction() as tx:
        return [(i.reply.channel, i.reply.kind, i.reply.text) for i in reversed(await tx.list_outbox())]


async def test_each_change_reaches_the_console(desk: Desk) -> None:
    await desk.receive("ana@andina.com.co", priority=Priority.HIGH)
    assert [(c, k) for c, k, _ in await queued(desk)] == [
        ("email", "acknowledgement"),
        ("slack_console", "console_ticket"),
    ]

    await desk.receive("ana@andina.com.co", ref="TL-000001")  # the client writes again
    line = (await queued(desk))[-1]
    assert (
        line[:2] == ("slack_console", "console_message") and line[2] == "*Ana* (Correo):\ntexto"
    )  # the channel by its label

    await desk.agents.assign("TL-000001", "U0AGENT", "U0AGENT")
    await desk.agents.change_status("TL-000001", Status.WAITING_ON_CLIENT, "U0AGENT")
    await desk.agents.reply("TL-000001", "U0AGENT", "Una nota", "k-note", internal=True)
    kinds = [k for c, k, _ in await queued(desk) if c == "slack_console"]
    assert kinds == ["console_ticket", "console_message", "console_ticket", "console_ticket"]  # a note changes nothing


class Refusing:
    async def send(self, reply: OutboundReply) -> str | None:
        if reply.channel == "email":
            raise PermanentFailure("550 5.1.1 user unknown")
        return None


class Accepting:
    async def send(self, reply: OutboundReply) -> str | None:
        return "ok"


@pytest.mark.parametrize(
    ("email_sender", "expected"),
    [
        (Accepting(), ":white_check_mark: Enviado a ana@andina.com.co por Correo."),
        (Refusing(), ":x: No se pudo entregar a ana@andina.com.co por Correo: 550 5.1.1 user unknown"),
    ],
)
async def test_agent_replies_are_confirmed_in_the_thread(desk: Desk, email_sender: object, expected: str) -> None:
    await desk.receive("ana@andina.com.co")
    await desk.agents.reply("TL-000001", "U0AGENT", "Ya quedó.", "k-1")
    senders = {"email": email_sender, "slack_console": Accepting()}
    worker = OutboxWorker(desk.store, senders, RetryPolicy(3), lambda: desk.now, desk.deliveries, random.Random(1))  # type: ignore[dict-item]
    desk.now = MONDAY_9 + timedelta(minutes=5)
    await worker.deliver_due()
    await worker.deliver_due()
    lines = [text for channel, kind, text in await queued(desk) if kind == "console_message"]
    assert lines == [expected]
