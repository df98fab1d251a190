"""The outbox worker driving the real WhatsApp sender against the fake Twilio API: retries and the dead letter."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from gateway.workers.outbox import OutboxWorker, RetryPolicy
from tests.fake_twilio import FakeTwilio
from tests.integration.test_whatsapp_sender import ACCOUNT, NOW, TOKEN, reply, sender
from ticketing.deliveries import Deliveries
from ticketing.store.sqlite import SqliteStore


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def fake() -> AsyncIterator[FakeTwilio]:
    server = await FakeTwilio(ACCOUNT, TOKEN).start()
    yield server
    await server.stop()


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    opened = SqliteStore(tmp_path / "wa.sqlite3")
    await opened.open()
    yield opened
    await opened.close()


@pytest.mark.parametrize(
    ("failures", "minutes", "expected"),
    [
        ([(429, {"Retry-After": "120"})], [1, 2, 3], [("pending", 1), ("pending", 1), ("sent", 2)]),  # waits 2 minutes
        ([(500, {})] * 3, [1, 2, 4, 8], [("pending", 1), ("pending", 2), ("dead", 3), ("dead", 3)]),
        ([(400, {})], [1], [("dead", 1)]),  # Twilio refused the message: permanent, no retry
    ],
)
async def test_retries_and_dead_letters_for_real(
    fake: FakeTwilio,
    store: SqliteStore,
    failures: list[tuple[int, dict[str, str]]],
    minutes: list[int],
    expected: list[tuple[str, int]],
) -> None:
    for status, headers in failures:
        fake.fail_next(1, status, code=21211 if status == 400 else None, message="scripted", headers=headers)
    clock = Clock()
    whatsapp = sender(fake.base_url, last_seen=NOW - timedelta(hours=1))
    worker = OutboxWorker(
        store, {"whatsapp": whatsapp}, RetryPolicy(3, 30.0, 90.0), clock, Deliveries(store, clock), random.Random(3)
    )
    async with store.transaction() as tx:
        await tx.enqueue_reply(reply(), clock())
    seen = []
    for minute in minutes:
        clock.now = NOW + timedelta(minutes=minute)
        await worker.deliver_due()
        async with store.transaction() as tx:
            [item] = await tx.list_outbox()
        seen.append((item.status, item.attempts))
    await whatsapp.close()
    assert seen == expected
    assert len(fake.messages) == expected[-1][1]  # Twilio was called once per attempt, never after the dead letter
    if expected[-1][0] == "sent":
        assert item.provider_id is not None and item.provider_id.startswith("SM")
