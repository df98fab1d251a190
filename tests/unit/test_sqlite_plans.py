"""What the pipeline runs on the event loop for every pass and every message finds its rows through an index, not
by walking a table: with a backlog of tens of thousands of pending messages, or a chat ticket of hundreds of
messages, a walk holds the loop for milliseconds, and webhooks wait behind it. Checked on the store's own SQL
(recorded as it runs), with SQLite's query planner."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ticketing.store.schema import MIGRATIONS, migration_statements
from ticketing.store.sql import StoreTransaction

NOW = datetime(2026, 12, 1, 13, 0, tzinfo=UTC)


class PlanningRunner:
    """Runs each statement on a real SQLite database and keeps SQLite's plan for it."""

    row_lock = ""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection
        self.plans: list[tuple[str, str]] = []

    def _plan(self, sql: str, params: Sequence[Any]) -> None:
        steps = self._connection.execute(f"EXPLAIN QUERY PLAN {sql}", tuple(params)).fetchall()
        self.plans.append((sql, " / ".join(str(step[3]) for step in steps)))

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._plan(sql, params)
        self._connection.execute(sql, tuple(params))

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Any:
        self._plan(sql, params)
        return self._connection.execute(sql, tuple(params)).fetchone()

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        self._plan(sql, params)
        return self._connection.execute(sql, tuple(params)).fetchall()


def planning(path: Path) -> tuple[PlanningRunner, StoreTransaction]:
    """A store's queries on a new database at `path`, every plan kept."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.row_factory = sqlite3.Row
    for index in range(len(MIGRATIONS)):
        for statement in migration_statements(index, "sqlite"):
            connection.execute(statement)
    runner = PlanningRunner(connection)
    return runner, StoreTransaction(runner)


async def test_renewing_and_giving_back_read_claims_does_not_walk_the_pending_inbox(tmp_path: Path) -> None:
    runner, tx = planning(tmp_path / "plans.sqlite3")
    await tx.claim_inbox_reads("gateway-a", NOW, NOW + timedelta(seconds=20))
    await tx.release_inbox_reads("gateway-a")
    renewals = [plan for sql, plan in runner.plans if sql.startswith("UPDATE inbox") and "WHERE read_by = ?" in sql]
    assert len(renewals) == 2, runner.plans
    assert all("USING INDEX inbox_reading" in plan for plan in renewals), renewals


async def test_a_chat_clients_open_ticket_is_found_without_reading_all_its_messages(tmp_path: Path) -> None:
    runner, tx = planning(tmp_path / "plans.sqlite3")
    await tx.find_recent_open_ticket("+573001234567", "whatsapp", NOW - timedelta(hours=24))
    [(_, plan)] = runner.plans
    assert "USING COVERING INDEX messages_ticket_in (ticket_id=? AND direction=? AND at>?)" in plan, plan
