"""Outbox claims on every store: a reply one worker is sending is not due to another; a claim that lapses without
an outcome (its process died mid-send) makes the next attempt one of unknown outcome, and is counted."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from ticketing.store.base import Store
from ticketing.types import OutboundReply, OutboxItem

NOW = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
LEASE = timedelta(minutes=2)


def reply(key: str, recipient: str = "ana@andina.com.co") -> OutboundReply:
    return OutboundReply("TL-000001", "email", recipient, "[TL-000001] x", "hola", f"gw-{key}", "m1", ("m1",), key)


async def enqueue(store: Store, *replies: OutboundReply) -> list[int]:
    async with store.transaction() as tx:
        ids = [await tx.enqueue_reply(queued, NOW) for queued in replies]
    assert None not in ids
    return [i for i in ids if i is not None]


async def claim(store: Store, owner: str, at: datetime = NOW) -> list[OutboxItem]:
    async with store.transaction() as tx:
        return await tx.claim_outbox(at, owner, at + LEASE)


async def test_a_claimed_reply_waits_for_its_outcome_or_for_its_claim_to_lapse(store: Store) -> None:
    first, other = await enqueue(store, reply("c1"), reply("c2", "luis@andina.com.co"))
    assert [item.id for item in await claim(store, "replica-a")] == [first, other]
    assert await claim(store, "replica-b") == []  # in flight with replica-a
    async with store.transaction() as tx:
        assert await tx.due_outbox(NOW) == []
        await tx.release_outbox([other])  # replica-a stopped before trying it
    [released] = await claim(store, "replica-b")
    assert (released.id, released.outcome_unknown) == (other, False)  # given back untried: nothing unknown
    async with store.transaction() as tx:
        await tx.mark_outbox(other, "pending", NOW, "421 try later", NOW + timedelta(minutes=5))  # ends the claim

    [lapsed] = await claim(store, "replica-b", NOW + LEASE)  # replica-a died sending `first`
    assert (lapsed.id, lapsed.outcome_unknown) == (first, True)
    async with store.transaction() as tx:
        assert await tx.unknown_outcomes() == 1
        await tx.mark_outbox(first, "sent", NOW + LEASE)
        [retry] = await tx.due_outbox(NOW + timedelta(minutes=5))
        assert (retry.id, retry.outcome_unknown) == (other, False)
        assert await tx.unknown_outcomes() == 1


async def test_workers_claiming_at_the_same_moment_share_the_replies_out(store: Store) -> None:
    """On PostgreSQL the second transaction skips the rows the first has locked (FOR UPDATE SKIP LOCKED); without
    that it would wait for them and claim them again, and both replicas would send every reply."""
    ids = await enqueue(store, *(reply(f"k{n}", f"cliente{n}@andina.com.co") for n in range(6)))

    async def claim_and_hold(owner: str) -> list[int]:
        async with store.transaction() as tx:
            claimed = await tx.claim_outbox(NOW, owner, NOW + LEASE)
            await asyncio.sleep(0.2)  # still sending when the other replica looks
        return [item.id for item in claimed]

    first, second = await asyncio.gather(claim_and_hold("replica-a"), claim_and_hold("replica-b"))
    assert sorted(first + second) == ids


async def test_claims_lapse_at_once_when_the_only_sender_starts_again(store: Store) -> None:
    """A gateway on SQLite is the store's only sender: when it starts, a claim it finds was its predecessor's."""
    [queued] = await enqueue(store, reply("r1"))
    assert [item.id for item in await claim(store, "before-the-crash")] == [queued]
    async with store.transaction() as tx:
        assert await tx.lapse_outbox_claims() == 1
    [again] = await claim(store, "after-the-restart")
    assert (again.id, again.outcome_unknown) == (queued, True)
