"""Rate limits counted in the store, on every store: two replicas' limiters share one count, a refused event
counts for none of its keys, the window resets, and concurrent hits never pass the limit."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from adapters.rate_limit import StoreRateLimiter
from ticketing.store.base import Store

NOW = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)  # on a 10-minute boundary
WINDOW = timedelta(minutes=10)


def limiter(store: Store, clock: list[datetime], limit: int = 3) -> StoreRateLimiter:
    return StoreRateLimiter(store, "web-submissions", limit, WINDOW, lambda: clock[0])


async def test_replicas_share_the_count_and_a_refusal_counts_nothing(store: Store) -> None:
    clock = [NOW]
    first, second = limiter(store, clock), limiter(store, clock)  # two replicas behind a balancer
    assert [await first.allow("10.0.0.1"), await second.allow("10.0.0.1")] == [True, True]
    assert await second.blocked("10.0.0.1") is False
    assert await first.allow("10.0.0.1", "ana@andina.com.co")
    assert await second.blocked("10.0.0.1") is True
    assert await second.allow("10.0.0.1", "luis@andina.com.co") is False  # the address is at its limit
    assert await first.allow("10.0.0.2", "luis@andina.com.co")  # so luis was not counted: 1 of 3
    assert await first.allow("10.0.0.3", "luis@andina.com.co") and await first.allow("10.0.0.4", "luis@andina.com.co")
    assert await first.allow("10.0.0.5", "luis@andina.com.co") is False
    clock[0] = NOW + WINDOW  # the next window
    assert await second.allow("10.0.0.1") and not await second.blocked("10.0.0.1")


async def test_concurrent_hits_never_pass_the_limit(store: Store) -> None:
    clock = [NOW + timedelta(minutes=3)]
    replicas = [limiter(store, clock, limit=5) for _ in range(3)]
    results = await asyncio.gather(*(replicas[n % 3].allow("10.0.0.9") for n in range(12)))
    assert sum(results) == 5
