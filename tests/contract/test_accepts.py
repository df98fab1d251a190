"""The Store contract for accepting raw messages: deduplication, reused ids, bursts that share a commit."""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import replace

from tests.contract.conftest import request
from ticketing.store.base import Store


async def test_accept_deduplicates_on_channel_and_native_id(store: Store) -> None:
    first = await store.accept(request("a@x"))
    again = await store.accept(request("a@x", raw=b"other bytes"))
    other_channel = await store.accept(request("a@x", channel="whatsapp"))
    assert (first.duplicate, again.duplicate, other_channel.duplicate) == (False, True, False)
    assert again.inbox_id == first.inbox_id != other_channel.inbox_id
    async with store.transaction() as tx:
        pending = await tx.pending_inbox()
    assert [(item.channel, item.raw) for item in pending] == [("email", b"raw"), ("whatsapp", b"raw")]


async def test_a_reused_id_with_other_content_is_a_new_message_and_its_copies_duplicates(store: Store) -> None:
    first = await store.accept(dataclasses.replace(request("scan@printer"), content_key="a" * 64))
    copy = await store.accept(dataclasses.replace(request("scan@printer", raw=b"resent"), content_key="a" * 64))
    reused = await store.accept(dataclasses.replace(request("scan@printer", raw=b"new scan"), content_key="b" * 64))
    reused_copy = await store.accept(dataclasses.replace(request("scan@printer", raw=b"x"), content_key="b" * 64))
    unkeyed = await store.accept(request("scan@printer", raw=b"a channel without content keys"))
    assert (first.duplicate, copy.duplicate, reused.duplicate, reused_copy.duplicate) == (False, True, False, True)
    assert (reused.reused_id, reused_copy.reused_id, first.reused_id) == (True, True, False)
    assert copy.inbox_id == first.inbox_id and reused_copy.inbox_id == reused.inbox_id != first.inbox_id
    assert unkeyed.duplicate and unkeyed.inbox_id == first.inbox_id
    async with store.transaction() as tx:
        pending = await tx.pending_inbox()
    assert [(item.native_id, item.raw) for item in pending] == [
        ("scan@printer", b"raw"),
        ("scan@printer#" + "b" * 16, b"new scan"),
    ]


async def test_one_burst_of_retries_copies_and_reused_ids_is_told_apart_as_one_at_a_time(store: Store) -> None:
    """Accepts that arrive together share one INSERT; what it could not insert (a retry of an earlier message, a
    second copy in the same burst, a device's reused id) is told apart exactly as when they come one by one."""
    earlier = await store.accept(request("old@x"))
    burst = [
        request("old@x", raw=b"retry"),
        request("new@x"),
        request("new@x", raw=b"copy"),
        replace(request("scan@printer"), content_key="a" * 64),
        replace(request("scan@printer", raw=b"next scan"), content_key="b" * 64),
        request("new@x", channel="whatsapp"),
    ]
    results = await asyncio.gather(*(store.accept(item) for item in burst))
    assert [(result.duplicate, result.reused_id) for result in results] == [
        (True, False),
        (False, False),
        (True, False),
        (False, False),
        (False, True),
        (False, False),
    ]
    assert results[0].inbox_id == earlier.inbox_id and results[2].inbox_id == results[1].inbox_id
    assert len({result.inbox_id for result in results}) == 5
    async with store.transaction() as tx:
        pending = await tx.pending_inbox()
    assert sorted((item.channel, item.native_id, item.raw) for item in pending) == [
        ("email", "new@x", b"raw"),
        ("email", "old@x", b"raw"),
        ("email", "scan@printer", b"raw"),
        ("email", "scan@printer#" + "b" * 16, b"next scan"),
        ("whatsapp", "new@x", b"raw"),
    ]


async def test_concurrent_accepts_all_commit_once(store: Store) -> None:
    ids = [f"m{i}@x" for i in range(120)] * 2  # every message arrives twice, concurrently
    results = await asyncio.gather(*(store.accept(request(native_id)) for native_id in ids))
    assert sum(not r.duplicate for r in results) == 120
    async with store.transaction() as tx:
        assert len(await tx.pending_inbox(limit=500)) == 120
