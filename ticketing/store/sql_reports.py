"""Queries for compliance reports: the tickets received in a period, what the SLA monitor did to them, and the
claim on a desk-wide job (the monthly report) that one replica does once."""

from __future__ import annotations

from datetime import datetime

from ticketing.reports import ReportTicket
from ticketing.store import codec
from ticketing.store.sql_base import Queries, placeholders

_CHUNK = 500  # ticket ids per query for their events


class ReportQueries(Queries):
    async def report_tickets(
        self, since: datetime, until: datetime, organisation: str | None = None
    ) -> list[ReportTicket]:
        """The tickets received in [since, until) (of one organisation), with their reminders and automatic closes."""
        where, params = "received_at >= ? AND received_at < ?", [codec.utc_text(since), codec.utc_text(until)]
        if organisation:
            where, params = f"{where} AND organisation = ?", [*params, organisation]
        rows = await self._db.fetchall(f"SELECT * FROM tickets WHERE {where} ORDER BY id", params)
        tickets = [codec.ticket_from_row(row) for row in rows]
        reminders: dict[int, int] = {}
        closed: set[int] = set()
        ids = [ticket.id for ticket in tickets if ticket.id is not None]
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            events = await self._db.fetchall(
                f"SELECT ticket_id, kind, data FROM events WHERE ticket_id IN ({placeholders(len(chunk))}) "
                "AND kind IN ('client_reminded', 'status')",
                chunk,
            )
            for row in events:
                ticket_id = int(row["ticket_id"])
                if row["kind"] == "client_reminded":
                    reminders[ticket_id] = reminders.get(ticket_id, 0) + 1
                elif '"no_answer"' in row["data"]:
                    closed.add(ticket_id)
        return [
            ReportTicket(ticket, reminders.get(ticket.id or 0, 0), (ticket.id or 0) in closed) for ticket in tickets
        ]

    async def claim_desk_job(self, job_key: str, now: datetime) -> bool:
        """Whether this transaction takes the desk-wide job `job_key` (False: done, or being done, elsewhere)."""
        row = await self._db.fetchone(
            "INSERT INTO desk_jobs (job_key, done_at) VALUES (?, ?) ON CONFLICT (job_key) DO NOTHING RETURNING job_key",
            [job_key, codec.utc_text(now)],
        )
        return row is not None
