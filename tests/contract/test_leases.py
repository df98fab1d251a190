"""Leases on every store: one holder at a time, renewed by it, taken by another only once expired or released;
replicas taking it at the same moment: exactly one gets it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from ticketing.store.base import Store

NOW = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
TTL = timedelta(seconds=10)


async def take(store: Store, holder: str, at: datetime = NOW) -> bool:
    async with store.transaction() as tx:
        return await tx.take_lease("imap:soporte", holder, at, at + TTL)


async def test_a_lease_has_one_holder_until_it_expires_or_is_released(store: Store) -> None:
    assert await take(store, "replica-a")
    assert not await take(store, "replica-b", NOW + timedelta(seconds=5))
    assert await take(store, "replica-a", NOW + timedelta(seconds=5))  # renewed: until 15 s
    assert not await take(store, "replica-b", NOW + timedelta(seconds=12))
    assert await take(store, "replica-b", NOW + timedelta(seconds=15))  # replica-a stopped renewing: taken over
    async with store.transaction() as tx:
        assert await tx.lease_holder("imap:soporte", NOW + timedelta(seconds=16)) == "replica-b"
        await tx.release_lease("imap:soporte", "replica-a")  # not the holder any more: changes nothing
        assert await tx.lease_holder("imap:soporte", NOW + timedelta(seconds=16)) == "replica-b"
        await tx.release_lease("imap:soporte", "replica-b")
        assert await tx.lease_holder("imap:soporte", NOW + timedelta(seconds=16)) is None
    assert await take(store, "replica-a", NOW + timedelta(seconds=16))


async def test_replicas_taking_a_free_lease_at_once_get_it_one_only(store: Store) -> None:
    results = await asyncio.gather(*(take(store, f"replica-{n}") for n in range(6)))
    assert sorted(results) == [False] * 5 + [True]
