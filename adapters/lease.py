"""A lease in the store on work one replica does at a time (reading one IMAP mailbox).

The default `ttl` (7.5 s, renewed every 2.5 s) with the mailbox's standby retry (1 s) and a login hands a dead
replica's mailbox to another within 10 s.

`hold()` takes the lease, or renews it when this replica has it; it returns False while another replica's lease
has not expired. The holder renews it every third of its `ttl`, so a replica that dies (and stops renewing) is
replaced within `ttl`; `release()` gives it back at once on a clean stop. On SQLite, with one gateway, the lease
is always this replica's after at most `ttl` (a process killed before its release).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta

from ticketing.ports import Leases, UnitOfWork


class Lease:
    def __init__(
        self, store: UnitOfWork[Leases], name: str, holder: str, clock: Callable[[], datetime], ttl: float = 7.5
    ) -> None:
        self.name = name
        self._store = store
        self._holder = holder
        self._clock = clock
        self._ttl = ttl
        self._renew_at: float | None = None  # monotonic time of the next renewal, while held

    @property
    def held(self) -> bool:
        return self._renew_at is not None

    def renewal_due(self) -> bool:
        return self._renew_at is None or time.monotonic() >= self._renew_at

    async def hold(self) -> bool:
        """Take or renew the lease; whether this replica holds it now."""
        now = self._clock()
        async with self._store.transaction() as tx:
            taken = await tx.take_lease(self.name, self._holder, now, now + timedelta(seconds=self._ttl))
        self._renew_at = time.monotonic() + self._ttl / 3 if taken else None
        return taken

    async def release(self) -> None:
        """Give the lease back (a clean stop), so another replica takes it without waiting for it to expire."""
        if self._renew_at is None:
            return
        self._renew_at = None
        async with self._store.transaction() as tx:
            await tx.release_lease(self.name, self._holder)
