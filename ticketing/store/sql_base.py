"""The shared base of the store's queries: the three calls a backend supplies, and the `?` placeholder helper."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from ticketing.store import codec


class SqlRunner(Protocol):
    # Appended to a SELECT that claims rows: PostgreSQL's "FOR UPDATE SKIP LOCKED", so replicas claim different
    # rows; nothing on SQLite, whose one writer runs transactions one at a time.
    row_lock: str

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> None: ...

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> codec.Row | None: ...

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[codec.Row]: ...


def placeholders(count: int) -> str:
    return ", ".join("?" for _ in range(count))


class Queries:
    """Holds the runner of the open transaction; the query mixins build on it."""

    def __init__(self, runner: SqlRunner) -> None:
        self._db = runner

    async def _insert(self, table: str, values: dict[str, Any]) -> int:
        columns = ", ".join(values)
        sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders(len(values))}) RETURNING id"
        row = await self._db.fetchone(sql, list(values.values()))
        assert row is not None
        return int(row["id"])
