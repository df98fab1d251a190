"""The SQLite store on aiosqlite: WAL, synchronous=FULL, one writer connection, migrations, group-committed accepts."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, cast

import aiosqlite

from ticketing.store.base import GroupCommitStore, StoreError
from ticketing.store.codec import Row
from ticketing.store.schema import apply_migrations
from ticketing.store.sql import StoreTransaction


class _Runner:
    """The three calls `StoreTransaction` needs, on an aiosqlite connection."""

    row_lock = ""  # one writer: a claim's transaction runs alone

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._connection = connection

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        await self._connection.execute(sql, tuple(params))

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        async with self._connection.execute(sql, tuple(params)) as cursor:
            row = await cursor.fetchone()
            # Drain the cursor so INSERT ... RETURNING statements complete.
            await cursor.fetchall()
        return cast(Row | None, row)

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        async with self._connection.execute(sql, tuple(params)) as cursor:
            return cast(list[Row], list(await cursor.fetchall()))


class SqliteStore(GroupCommitStore):
    """A `Store` in one SQLite file. Transactions are serialized on one connection (SQLite has one writer)."""

    dialect = "sqlite"

    def __init__(self, path: Path) -> None:
        super().__init__()
        self._path = path
        self._connection: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()

    async def open(self) -> None:
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            connection = await aiosqlite.connect(self._path, isolation_level=None)
            connection.row_factory = aiosqlite.Row
            for pragma in ("journal_mode = WAL", "synchronous = FULL", "foreign_keys = ON", "busy_timeout = 5000"):
                await connection.execute(f"PRAGMA {pragma}")
        except (OSError, sqlite3.Error) as error:
            raise StoreError(f"cannot open {self._path}: {error}") from error
        self._connection = connection
        async with self.transaction():
            await apply_migrations(_Runner(connection), self.dialect)
        self._accepts.start()

    async def close(self) -> None:
        await self._accepts.stop()
        if self._connection is not None:
            await self._connection.close()
            self._connection = None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[StoreTransaction]:
        async with self._lock:
            connection = self._connection
            if connection is None:
                raise StoreError("the store is not open")
            try:
                await connection.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as error:
                raise StoreError(f"cannot begin a transaction: {error}") from error
            try:
                yield StoreTransaction(_Runner(connection))
            except sqlite3.DatabaseError as error:
                await _roll_back(connection)
                if _is_store_trouble(error):  # disk full, I/O error, a damaged file: the store's, not the caller's
                    raise StoreError(f"the store failed: {error}") from error
                raise
            except BaseException:
                await _roll_back(connection)
                raise
            try:
                await connection.execute("COMMIT")
            except sqlite3.Error as error:
                await _roll_back(connection)
                raise StoreError(f"commit failed: {error}") from error


def _is_store_trouble(error: sqlite3.DatabaseError) -> bool:
    """SQLITE_FULL, SQLITE_IOERR, SQLITE_BUSY … (OperationalError) and a damaged file (DatabaseError itself), as
    opposed to a constraint or a binding that a caller got wrong."""
    return isinstance(error, sqlite3.OperationalError) or type(error) is sqlite3.DatabaseError


async def _roll_back(connection: aiosqlite.Connection) -> None:
    """Roll back if a transaction is still open: SQLite ends one by itself on some errors (disk full), and a
    ROLLBACK then would fail with "no transaction is active", hiding the real error."""
    if connection.in_transaction:
        try:
            await connection.execute("ROLLBACK")
        except sqlite3.Error:
            pass
