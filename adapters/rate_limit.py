"""Rate limits: at most N events per key (a visitor's address, a contact, an organisation) in a window.

- `RateLimiter`: the `limits` package, in memory, per instance, moving window (its memory storage forgets a key once
  its window has passed). The agents' console uses it for pages to the on-call group.
- `StoreRateLimiter`: counters in the store, fixed windows, shared by every replica on one store and kept across
  restarts. The help-desk pages use it (submissions, status lookups); `MemoryLimiter` is the in-memory one with
  the same async calls.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

from limits import RateLimitItemPerSecond
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from ticketing.ports import OverLimit, RateCounts, UnitOfWork


class RateLimiter:
    """At most `limit` events per key in any `window` (a moving window, whole seconds), in memory."""

    def __init__(self, limit: int, window: timedelta) -> None:
        self._item = RateLimitItemPerSecond(limit, max(1, int(window.total_seconds())))
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def blocked(self, *keys: str) -> bool:
        """True when any key is at its limit already (nothing is counted)."""
        return not all(self._limiter.test(self._item, key) for key in keys)

    def allow(self, *keys: str) -> bool:
        """Count one event for every key and answer True, unless one of them is at its limit (then count none)."""
        if self.blocked(*keys):
            return False
        return all([self._limiter.hit(self._item, key) for key in keys])


class StoreRateLimiter:
    """At most `limit` events per key in each `window` (fixed windows, counted in the store): every replica on
    one store counts in the same counters, and a restart forgets nothing. `name` keeps limiters apart."""

    def __init__(
        self,
        store: UnitOfWork[RateCounts],
        name: str,
        limit: int,
        window: timedelta,
        clock: Callable[[], datetime],
    ) -> None:
        self._store = store
        self._name = name
        self._limit = limit
        self._window = max(1, int(window.total_seconds()))
        self._clock = clock

    def _buckets(self, keys: tuple[str, ...]) -> tuple[list[str], datetime]:
        now = int(self._clock().timestamp())
        start = now - now % self._window
        ends = datetime.fromtimestamp(start + self._window, UTC)
        return [f"{self._name}:{key}@{start}" for key in keys], ends

    async def blocked(self, *keys: str) -> bool:
        """True when any key is at its limit already (nothing is counted)."""
        buckets, _ = self._buckets(keys)
        async with self._store.transaction() as tx:
            return await tx.buckets_at_limit(buckets, self._limit)

    async def allow(self, *keys: str) -> bool:
        """Count one event for every key and answer True, unless one of them is at its limit (then count none)."""
        buckets, ends = self._buckets(keys)
        try:
            async with self._store.transaction() as tx:
                return await tx.count_hits(buckets, self._limit, self._clock(), ends)
        except OverLimit:
            return False


class MemoryLimiter:
    """A `RateLimiter` behind the same async calls as `StoreRateLimiter` (one process, tests)."""

    def __init__(self, limit: int, window: timedelta) -> None:
        self._limiter = RateLimiter(limit, window)

    async def blocked(self, *keys: str) -> bool:
        return self._limiter.blocked(*keys)

    async def allow(self, *keys: str) -> bool:
        return self._limiter.allow(*keys)


class Limiter(Protocol):
    async def blocked(self, *keys: str) -> bool: ...

    async def allow(self, *keys: str) -> bool: ...
