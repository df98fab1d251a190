"""`RateLimiter`: at most N events per key (a visitor's address, a contact, an organisation) in a moving window.

The `limits` package, in memory, per instance (its memory storage forgets a key once its window has passed). Used by
the help-desk pages (submissions, status lookups) and the agents' console (pages to the on-call group).
"""

from __future__ import annotations

from datetime import timedelta

from limits import RateLimitItemPerSecond
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter


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
