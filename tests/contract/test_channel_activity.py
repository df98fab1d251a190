"""What the admin pages read of each channel, the same on every store: its latest message in, its inbox and
outbox queues, and the newest reply that failed and is not sent."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from tests.contract.conftest import ACCEPTED_AT, request
from tests.contract.test_store import reply
from ticketing.store.base import Store
from ticketing.types import ChannelActivity


async def test_each_channels_activity(store: Store) -> None:
    later = ACCEPTED_AT + timedelta(minutes=5)
    first = (await store.accept(request("m1"))).inbox_id
    await store.accept(replace(request("m2"), received_at=later))
    quarantined = (await store.accept(request("w1", channel="whatsapp"))).inbox_id
    async with store.transaction() as tx:
        await tx.finish_inbox(first, "done", later, "TL-000001")
        await tx.finish_inbox(quarantined, "quarantined", later, error="unreadable")
        sent = await tx.enqueue_reply(reply("k1"), later)
        retrying = await tx.enqueue_reply(replace(reply("k2"), recipient="luis@andina.com.co"), later)
        dead = await tx.enqueue_reply(replace(reply("k3"), recipient="eva@andina.com.co"), later)
        waiting = await tx.enqueue_reply(replace(reply("k4"), recipient="ivan@andina.com.co"), later)
        assert None not in (sent, retrying, dead, waiting)
        await tx.mark_outbox(sent, "sent", later)  # type: ignore[arg-type]
        await tx.mark_outbox(dead, "dead", later, "550 no such user")  # type: ignore[arg-type]
        await tx.mark_outbox(retrying, "pending", later, "421 try later", later + timedelta(minutes=5))  # type: ignore[arg-type]
        found = await tx.channel_activity(["email", "whatsapp", "slack"])
    assert found["email"] == ChannelActivity("email", later, 1, 0, 2, 1, "550 no such user", dead)  # the newest
    assert found["whatsapp"] == ChannelActivity("whatsapp", ACCEPTED_AT, 0, 1, 0, 0, "", None)
    assert found["slack"] == ChannelActivity("slack")  # nothing yet
    async with store.transaction() as tx:
        assert await tx.channel_activity([]) == {}
