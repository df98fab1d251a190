"""What replicas on one store coordinate through: leases (named work one replica does at a time, taken and renewed
by its holder until it expires) and shared rate-limit counters."""

from __future__ import annotations

from datetime import datetime

from ticketing.ports import OverLimit
from ticketing.store import codec
from ticketing.store.sql_base import Queries, placeholders


class LeaseQueries(Queries):
    async def take_lease(self, name: str, holder: str, now: datetime, until: datetime) -> bool:
        """Take or renew lease `name` for `holder` until `until`; False while another holder's has not expired.
        Concurrent takers serialize on the row, so at most one holds it at a time."""
        row = await self._db.fetchone(
            "INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
            "holder = excluded.holder, expires_at = excluded.expires_at "
            "WHERE leases.holder = excluded.holder OR leases.expires_at <= ? RETURNING holder",
            [name, holder, codec.utc_text(until), codec.utc_text(now)],
        )
        return row is not None

    async def release_lease(self, name: str, holder: str) -> None:
        """Give lease `name` back at once (a clean stop), if `holder` still has it."""
        await self._db.execute("DELETE FROM leases WHERE name = ? AND holder = ?", [name, holder])

    async def lease_holder(self, name: str, now: datetime) -> str | None:
        """Who holds lease `name` now (None when nobody does)."""
        row = await self._db.fetchone(
            "SELECT holder FROM leases WHERE name = ? AND expires_at > ?", [name, codec.utc_text(now)]
        )
        return str(row["holder"]) if row else None

    async def count_hits(self, buckets: list[str], limit: int, now: datetime, expires_at: datetime) -> bool:
        """Count one hit in each bucket (a key in its window); `OverLimit` (the caller's transaction then rolls
        back, counting none) when one of them goes over `limit`. Each count is one atomic upsert, so concurrent
        replicas never both take the last hit."""
        await self._db.execute("DELETE FROM rate_counts WHERE expires_at <= ?", [codec.utc_text(now)])
        for bucket in buckets:
            row = await self._db.fetchone(
                "INSERT INTO rate_counts (bucket, hits, expires_at) VALUES (?, 1, ?) ON CONFLICT (bucket) "
                "DO UPDATE SET hits = rate_counts.hits + 1 RETURNING hits",
                [bucket, codec.utc_text(expires_at)],
            )
            if row is None or int(row["hits"]) > limit:
                raise OverLimit(bucket)
        return True

    async def buckets_at_limit(self, buckets: list[str], limit: int) -> bool:
        """Whether any bucket has `limit` hits already (nothing is counted)."""
        if not buckets:
            return False
        row = await self._db.fetchone(
            f"SELECT MAX(hits) AS top FROM rate_counts WHERE bucket IN ({placeholders(len(buckets))})", buckets
        )
        return bool(row and row["top"] is not None and int(row["top"]) >= limit)
