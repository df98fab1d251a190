"""The media worker on a real store: attachments sent as links are fetched after the ack, retried, or noted."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from adapters.channel import PermanentFailure, TemporaryFailure
from adapters.slack.console_events import ConsoleObserver
from gateway.workers.media import MediaWorker
from gateway.workers.outbox import RetryPolicy
from tests.conftest import at, project_texts
from ticketing.attachments import FetchedAttachments
from ticketing.store.sqlite import SqliteStore
from ticketing.types import AttachmentRef, Direction, Priority, Status, Ticket, TicketMessage

NOW = at("2026-11-23T14:00:00")
URL = "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1"


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


class ScriptedFetcher:
    def __init__(self, outcomes: list[Exception | bytes]) -> None:
        self.outcomes = outcomes
        self.urls: list[str] = []

    async def __call__(self, url: str) -> tuple[bytes, str]:
        self.urls.append(url)
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome, "image/jpeg"


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    opened = SqliteStore(tmp_path / "media.sqlite3")
    await opened.open()
    async with opened.transaction() as tx:
        ticket = Ticket(
            "TL-000001",
            "+573105550101",
            "Ana",
            "whatsapp",
            "andina",
            "standard",
            Status.NEW,
            Priority.MEDIUM,
            None,
            "",
            "es",
            NOW,
            None,
            None,
        )
        ticket_id = await tx.insert_ticket(ticket, NOW)
        photo = AttachmentRef("whatsapp-media-1.jpg", "image/jpeg", 0, "", None, "to download", URL)
        text = TicketMessage(Direction.IN, "whatsapp", "La impresora muestra este error", NOW, "+573105550101", "SM1")
        await tx.add_message(ticket_id, text, [photo])
    yield opened
    await opened.close()


async def attachment(store: SqliteStore) -> dict[str, object]:
    async with store.transaction() as tx:
        [row] = await tx.attachments(1)
    return row


@pytest.mark.parametrize(
    ("outcomes", "passes", "size", "note"),
    [
        ([b"\xff\xd8jpeg"], 1, 6, ""),
        ([TemporaryFailure("503 from Twilio"), b"\xff\xd8jpeg"], 2, 6, ""),
        ([PermanentFailure("404 not found")], 1, 0, "download failed: 404 not found"),
        ([TemporaryFailure("timeout")] * 3, 3, 0, "download failed (3 attempts): timeout"),  # max_attempts = 3
    ],
)
async def test_media_is_fetched_retried_or_noted(
    store: SqliteStore, outcomes: list[Exception | bytes], passes: int, size: int, note: str
) -> None:
    clock = Clock()
    fetcher = ScriptedFetcher(outcomes)
    worker = MediaWorker(store, {"whatsapp": fetcher}, RetryPolicy(3, 1.0, 10.0), clock, random.Random(1))
    for _ in range(passes + 1):  # one pass more than needed: nothing is fetched again
        await worker.work_pass()
        clock.now += timedelta(minutes=1)
    stored = await attachment(store)
    assert fetcher.urls == [URL] * passes
    assert (stored["size"], stored["note"]) == (size, note)
    async with store.transaction() as tx:
        messages = await tx.messages(1)
        events = await tx.events(1)
    assert messages[0].body == "La impresora muestra este error"  # the text never depended on the media
    fetched = [event.data for event in events if event.kind == "attachment"]  # what the console follows
    assert fetched == ([{"attachment_id": 1, "filename": "whatsapp-media-1.jpg", "content_type": "image/jpeg",
                         "size": 6}] if size else [])  # fmt: skip


async def test_a_fetched_file_is_told_to_the_console_and_rings_the_outbox(store: SqliteStore) -> None:
    rung: list[bool] = []
    observer = ConsoleObserver("slack_console", "C0AGENTS", project_texts()("es"))
    worker = MediaWorker(
        store,
        {"whatsapp": ScriptedFetcher([b"\xff\xd8jpeg"])},
        RetryPolicy(3, 1.0, 10.0),
        Clock(),
        fetched=FetchedAttachments(Clock(), observer),
        on_stored=lambda: rung.append(True),
    )
    await worker.work_pass()
    async with store.transaction() as tx:
        [item] = await tx.list_outbox()
    assert (item.reply.kind, item.reply.data["filename"], rung) == ("console_file", "whatsapp-media-1.jpg", [True])
