"""Queries for the admin pages: what each channel received last, and its queues, each read off an index."""

from __future__ import annotations

from collections.abc import Sequence

from ticketing.store import codec
from ticketing.store.sql_base import Queries, placeholders
from ticketing.types import ChannelActivity


class AdminQueries(Queries):
    async def channel_activity(self, channels: Sequence[str]) -> dict[str, ChannelActivity]:
        """For each channel (as inbox and outbox name it): its latest message in, the inbox items pending and
        quarantined, the replies pending and dead, and the newest reply that failed and is not sent."""
        if not channels:
            return {}
        names = list(channels)
        counts: dict[tuple[str, str], int] = {}
        for table, states in (("inbox", ("pending", "quarantined")), ("outbox", ("pending", "dead"))):
            rows = await self._db.fetchall(
                f"SELECT channel, status, COUNT(*) AS n FROM {table} WHERE status IN ({placeholders(len(states))}) "
                f"AND channel IN ({placeholders(len(names))}) GROUP BY channel, status",
                [*states, *names],
            )
            counts.update({(f"{table}_{row['status']}", str(row["channel"])): int(row["n"]) for row in rows})
        found: dict[str, ChannelActivity] = {}
        for name in names:
            last = await self._db.fetchone("SELECT MAX(received_at) AS at FROM inbox WHERE channel = ?", [name])
            failed = await self._db.fetchone(
                "SELECT id, last_error FROM outbox WHERE status IN ('pending', 'dead') AND channel = ? "
                "AND attempts > 0 ORDER BY id DESC LIMIT 1",
                [name],
            )
            found[name] = ChannelActivity(
                name,
                codec.parse_utc(last["at"]) if last else None,
                counts.get(("inbox_pending", name), 0),
                counts.get(("inbox_quarantined", name), 0),
                counts.get(("outbox_pending", name), 0),
                counts.get(("outbox_dead", name), 0),
                str(failed["last_error"]) if failed else "",
                int(failed["id"]) if failed else None,
            )
        return found
