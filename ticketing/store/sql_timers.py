"""Queries on the SLA monitor's timers: planned with each ticket change, claimed and fired once each."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from ticketing.store import codec
from ticketing.store.sql_base import Queries, placeholders
from ticketing.types import Timer


def _timer(row: codec.Row) -> Timer:
    return Timer(
        ticket_number=row["ticket_number"],
        kind=row["kind"],
        due_at=codec.must_utc(row["due_at"]),
        data=json.loads(row["data"]),
        id=int(row["id"]),
        status=row["status"],
    )


class TimerQueries(Queries):
    async def plan_timers(self, ticket_number: str, timers: Sequence[Timer], now: datetime) -> None:
        """Make `timers` the ticket's pending ones: others still pending are cancelled, new ones added, and one
        cancelled before becomes pending again (its deadline came back). A timer already fired stays fired."""
        keys = [timer.key for timer in timers]
        others = f"AND timer_key NOT IN ({placeholders(len(keys))})" if keys else ""
        await self._db.execute(
            f"UPDATE timers SET status = 'cancelled', finished_at = ? WHERE ticket_number = ? AND status = 'pending' "
            f"{others}",
            [codec.utc_text(now), ticket_number, *keys],
        )
        for timer in timers:
            await self._db.execute(
                "INSERT INTO timers (ticket_number, kind, due_at, timer_key, data, status, created_at) "
                "VALUES (?, ?, ?, ?, ?, 'pending', ?) ON CONFLICT (timer_key) DO UPDATE SET status = 'pending', "
                "finished_at = NULL, data = excluded.data WHERE timers.status = 'cancelled'",
                [
                    ticket_number,
                    timer.kind,
                    codec.utc_text(timer.due_at),
                    timer.key,
                    json.dumps(timer.data),
                    codec.utc_text(now),
                ],
            )

    async def due_timers(self, now: datetime, limit: int = 20) -> list[Timer]:
        """Pending timers due at `now`, earliest first; on PostgreSQL locked until the transaction ends, and those
        another replica holds are skipped (each timer fires in the transaction that claims it)."""
        rows = await self._db.fetchall(
            f"SELECT * FROM timers WHERE status = 'pending' AND due_at <= ? ORDER BY due_at, id LIMIT ? "
            f"{self._db.row_lock}",
            [codec.utc_text(now), limit],
        )
        return [_timer(row) for row in rows]

    async def finish_timer(self, timer_id: int, status: str, now: datetime) -> None:
        """`fired`, or `cancelled` when the ticket no longer needs it."""
        await self._db.execute(
            "UPDATE timers SET status = ?, finished_at = ? WHERE id = ?", [status, codec.utc_text(now), timer_id]
        )

    async def next_timer_due(self) -> datetime | None:
        row = await self._db.fetchone("SELECT MIN(due_at) AS due FROM timers WHERE status = 'pending'")
        return codec.parse_utc(row["due"]) if row else None

    async def list_timers(self, status: str | None = "pending", limit: int = 1000) -> list[Timer]:
        """Timers by due time (all statuses with `status=None`)."""
        where, params = ("WHERE status = ?", [status]) if status else ("", [])
        rows = await self._db.fetchall(f"SELECT * FROM timers {where} ORDER BY due_at, id LIMIT ?", [*params, limit])
        return [_timer(row) for row in rows]

    async def ticket_timers(self, ticket_number: str) -> list[Timer]:
        """Every timer of one ticket, whatever became of it, by due time."""
        rows = await self._db.fetchall(
            "SELECT * FROM timers WHERE ticket_number = ? ORDER BY due_at, id", [ticket_number]
        )
        return [_timer(row) for row in rows]
