"""Links to fetch (WhatsApp media, relay attachments) claimed by one replica at a time, on every store: a claimed
link is not due to another until the claim lapses, concurrent claimers take different links, and bytes stored
twice (a lapsed claim's fetcher finishing late) are recorded once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from tests.contract.test_store import NOW, ticket
from ticketing.store.base import Store
from ticketing.types import AttachmentRef, Direction, TicketMessage

CLAIM = timedelta(minutes=5)


async def links(store: Store, count: int) -> None:
    media = [
        AttachmentRef(f"m{n}.jpg", "image/jpeg", 0, "", None, "to download", f"https://x.co/{n}") for n in range(count)
    ]
    async with store.transaction() as tx:
        ticket_id = await tx.insert_ticket(ticket(await tx.next_ticket_number("TL")), NOW)
        await tx.add_message(ticket_id, TicketMessage(Direction.IN, "whatsapp", "fotos", NOW, "+57310", "SM1"), media)


async def test_a_claimed_link_waits_for_its_claim_and_is_stored_once(store: Store) -> None:
    await links(store, 1)
    async with store.transaction() as tx:
        [claimed] = await tx.claim_downloads(NOW, NOW + CLAIM)
        assert await tx.claim_downloads(NOW + timedelta(minutes=1), NOW + CLAIM) == []  # another replica: not due
    async with store.transaction() as tx:
        [again] = await tx.claim_downloads(NOW + CLAIM, NOW + 2 * CLAIM)  # the first fetcher died: lapsed
        assert again.attachment_id == claimed.attachment_id
        assert await tx.finish_download(again.attachment_id, b"jpeg", "image/jpeg", "abc") is True
        assert await tx.finish_download(claimed.attachment_id, b"jpeg", "image/jpeg", "abc") is False  # late


async def test_replicas_claiming_at_once_take_different_links(store: Store) -> None:
    await links(store, 6)

    async def claim_and_hold() -> list[int]:
        async with store.transaction() as tx:
            claimed = await tx.claim_downloads(NOW, NOW + CLAIM, limit=10)
            await asyncio.sleep(0.2)  # still claiming when the other replica looks
        return [download.attachment_id for download in claimed]

    first, second = await asyncio.gather(claim_and_hold(), claim_and_hold())
    assert len(first + second) == 6 and not set(first) & set(second)
