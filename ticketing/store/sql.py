"""One unit of work over the store, in portable SQL shared by every backend.

A backend supplies a `SqlRunner` (three async calls with `?` placeholders) bound to an open transaction;
`StoreTransaction` holds all the queries, so SQLite and PostgreSQL behave the same by construction. The queries
live in one mixin per area: intake (`sql_intake`), tickets (`sql_tickets`), outbox (`sql_outbox`), the SLA
monitor's timers (`sql_timers`), compliance reports (`sql_reports`), leases (`sql_leases`), the admin pages
(`sql_admin`).
"""

from __future__ import annotations

from ticketing.store.sql_admin import AdminQueries
from ticketing.store.sql_base import SqlRunner
from ticketing.store.sql_intake import IntakeQueries
from ticketing.store.sql_leases import LeaseQueries
from ticketing.store.sql_outbox import OutboxQueries
from ticketing.store.sql_reports import ReportQueries
from ticketing.store.sql_tickets import TicketQueries
from ticketing.store.sql_timers import TimerQueries

__all__ = ["SqlRunner", "StoreTransaction"]


class StoreTransaction(
    IntakeQueries, TicketQueries, OutboxQueries, TimerQueries, ReportQueries, LeaseQueries, AdminQueries
):
    """Every query the core needs, run inside the transaction the backend opened."""
