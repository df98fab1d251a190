"""Read claims on the inbox, on every store: an item one replica is reading (parse + normalize) is not read by
another until the claim lapses; the holder's claims are renewed by its next pass and given back at a clean stop."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta

from adapters.process_pool import WorkerDied
from gateway.config.loader import load_settings
from gateway.runtime.bootstrap import build_service
from gateway.workers.inbox import InboxProcessor, ReadLimits
from tests.conftest import PROJECT
from tests.contract.conftest import StoreFactory
from ticketing.intake import AcceptRequest
from ticketing.store.base import Store
from ticketing.types import InboxItem, WrittenRequest

NOW = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
LEASE = timedelta(seconds=30)


async def accept(store: Store, count: int) -> list[int]:
    results = [await store.accept(AcceptRequest("relay", f"m{n}", b"raw", {}, NOW)) for n in range(count)]
    return [result.inbox_id for result in results]


async def claim(store: Store, owner: str, at: datetime = NOW, limit: int = 50) -> list[int]:
    async with store.transaction() as tx:
        return [item.id for item in await tx.claim_inbox_reads(owner, at, at + LEASE, limit)]


async def test_an_item_being_read_is_left_to_its_reader_until_the_claim_lapses(store: Store) -> None:
    first, second, third = await accept(store, 3)
    assert await claim(store, "replica-a", limit=2) == [first, second]
    assert await claim(store, "replica-b") == [third]  # the two replica-a reads are skipped
    assert await claim(store, "replica-a") == [first, second]  # its own, again (renewed), and not replica-b's

    later = NOW + LEASE - timedelta(seconds=1)
    assert await claim(store, "replica-a", at=later, limit=1) == [first]  # renews both claims
    assert await claim(store, "replica-b", at=NOW + LEASE) == [third]  # renewed: not lapsed at NOW + LEASE
    assert await claim(store, "replica-b", at=later + LEASE) == [first, second, third]  # replica-a died

    async with store.transaction() as tx:
        await tx.finish_inbox(first, "done", NOW)
        await tx.release_inbox_reads("replica-b")  # a clean stop
    assert await claim(store, "replica-c", at=later + LEASE) == [second, third]


async def test_replicas_claiming_at_the_same_moment_share_the_inbox(store: Store) -> None:
    """On PostgreSQL the second transaction skips the rows the first has locked (FOR UPDATE SKIP LOCKED); without
    that it would wait for them and claim them too (their claim is only visible once the first commits)."""
    ids = await accept(store, 6)

    async def claim_and_hold(owner: str) -> list[int]:
        async with store.transaction() as tx:
            claimed = await tx.claim_inbox_reads(owner, NOW, NOW + LEASE)
            await asyncio.sleep(0.2)  # still claiming when the other replica looks
        return [item.id for item in claimed]

    first, second = await asyncio.gather(claim_and_hold("replica-a"), claim_and_hold("replica-b"))
    assert sorted(first + second) == ids
    assert not set(first) & set(second)


async def test_read_claims_end_at_once_when_the_only_gateway_starts_again(store: Store) -> None:
    [item] = await accept(store, 1)
    assert await claim(store, "before-the-crash") == [item]
    assert await claim(store, "after-the-restart") == []
    async with store.transaction() as tx:
        assert await tx.lapse_inbox_reads() == 1
    assert await claim(store, "after-the-restart") == [item]


class CountingReader:
    """A channel's reader that finds every message unreadable, after `pause`, counting its reads per item."""

    def __init__(self, error: Exception, pause: float = 0.01) -> None:
        self.reads: Counter[int] = Counter()
        self._error = error
        self._pause = pause

    async def __call__(self, item: InboxItem) -> WrittenRequest:
        self.reads[item.id] += 1
        await asyncio.sleep(self._pause)
        raise self._error


def processor(store: Store, reader: CountingReader, owner: str, clock: datetime = NOW) -> InboxProcessor:
    settings = load_settings(PROJECT / "config" / "gateway.toml", {})
    service = build_service(settings, store, lambda: clock)
    limits = ReadLimits(max_attempts=3, retry_seconds=0.01)
    return InboxProcessor(store, {"relay": reader}, service, lambda: clock, limits, owner=owner)


async def until_settled(store: Store, count: int) -> list[InboxItem]:
    for _ in range(500):
        async with store.transaction() as tx:
            quarantined = await tx.inbox_items("quarantined", limit=count + 1)
        if len(quarantined) == count:
            return quarantined
        await asyncio.sleep(0.02)
    raise AssertionError(f"{len(quarantined)} of {count} items quarantined")


async def test_two_replicas_read_each_message_once_and_count_each_failure_once(
    store: Store, store_factory: StoreFactory
) -> None:
    """Without the claims both replicas read every pending item: every unreadable mail read twice, and a reader
    failure (a worker process that died) counted twice, so `max_attempts` reached after half the reads."""
    other = store_factory()
    await other.open()
    ids = await accept(store, 30)
    unreadable, dying = CountingReader(ValueError("not a relay message")), CountingReader(WorkerDied("killed"))
    try:
        replicas = [processor(store, unreadable, "replica-a"), processor(other, unreadable, "replica-b")]
        running = [asyncio.create_task(replica.run()) for replica in replicas]
        quarantined = await until_settled(store, 30)
        assert unreadable.reads == Counter({item_id: 1 for item_id in ids})  # 30 reads in all, one per message
        assert {item.attempts for item in quarantined} == {0}

        async with store.transaction() as tx:
            for item_id in ids:
                await tx.requeue_inbox(item_id)
        for replica in replicas:
            replica._readers = {"relay": dying}  # type: ignore[attr-defined]  # the same replicas, a new fault
            replica.notify()
        quarantined = await until_settled(store, 30)
        assert dying.reads == Counter({item_id: 3 for item_id in ids})  # max_attempts reads, no more, no fewer
        assert {item.attempts for item in quarantined} == {3}
    finally:
        for replica in replicas:
            replica.stop()
        await asyncio.gather(*running)
        await other.close()


async def test_the_reads_of_a_replica_that_died_are_taken_over_once_its_claim_lapses(
    store: Store, store_factory: StoreFactory
) -> None:
    other = store_factory()
    await other.open()
    ids = await accept(store, 4)
    hung = CountingReader(ValueError("never reached"), pause=3600)
    unreadable = CountingReader(ValueError("not a relay message"))
    try:
        dead = processor(store, hung, "replica-a")
        reading = asyncio.create_task(dead.process_pending(patience=0.05))
        await asyncio.sleep(0.2)
        assert len(hung.reads) == 2  # replica-a claimed all four and reads two at a time (they hang: it died)
        reading.cancel()
        assert await processor(other, unreadable, "replica-b").process_pending() == 0  # its claims hold
        survivor = processor(other, unreadable, "replica-b", NOW + LEASE)  # ... until they lapse
        assert await survivor.process_pending() == 4
        assert unreadable.reads == Counter({item_id: 1 for item_id in ids})
    finally:
        await other.close()
