"""Queries on leases: named work one replica does at a time, taken and renewed by its holder until it expires."""

from __future__ import annotations

from datetime import datetime

from ticketing.store import codec
from ticketing.store.sql_base import Queries


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
