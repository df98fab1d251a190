"""The SQLite store: WAL, synchronous=FULL, one writer connection, migrations, group-committed accepts.

Statements run on the event loop's thread, on a plain `sqlite3` connection: a statement on the one writer's own
connection takes microseconds, much less than handing it to a thread and back (a ticket's transaction is dozens
of statements). What can take long runs in a thread instead: a COMMIT that wrote something (its fsync), a
statement carrying a large value (a 25 MB mail), and a read of the tables that hold raw bytes (the inbox and the
attachments: its rows may be such a mail). Taking the write lock never blocks the loop either: `BEGIN
IMMEDIATE` does not wait (busy_timeout 0) and is tried again after a pause while another process (a CLI command)
holds the lock, for up to `busy_seconds`.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar, cast

from ticketing.store.base import GroupCommitStore, StoreError
from ticketing.store.codec import Row
from ticketing.store.schema import apply_migrations
from ticketing.store.sql import StoreTransaction

T = TypeVar("T")
LARGE = 256 * 1024  # a statement with a value this long runs in a thread: copying it would stall the loop
BYTES_READ = re.compile(r"^\s*SELECT\b.*\bFROM\s+(inbox|attachments)\b", re.I | re.S)  # rows of raw bytes
PRAGMAS = ("journal_mode = WAL", "synchronous = FULL", "foreign_keys = ON", "busy_timeout = 0")


class _Runner:
    """The three calls `StoreTransaction` needs, on the store's connection."""

    row_lock = ""  # one writer: a claim's transaction runs alone

    def __init__(self, connection: sqlite3.Connection, threaded: dict[str, bool]) -> None:
        self._connection = connection
        self._threaded = threaded  # per statement: whether it reads raw bytes (decided once per SQL text)

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        await self._run(sql, params, lambda cursor: None)

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        return await self._run(sql, params, _first)

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return await self._run(sql, params, lambda cursor: cast(list[Row], cursor.fetchall()))

    async def _run(self, sql: str, params: Sequence[Any], read: Callable[[sqlite3.Cursor], T]) -> T:
        values = tuple(params)
        reads_bytes = self._threaded.get(sql)
        if reads_bytes is None:
            reads_bytes = self._threaded[sql] = BYTES_READ.match(sql) is not None
        if reads_bytes or any(isinstance(value, bytes | str) and len(value) > LARGE for value in values):
            return await asyncio.to_thread(_statement, self._connection, sql, values, read)
        return _statement(self._connection, sql, values, read)


def _statement(
    connection: sqlite3.Connection, sql: str, values: tuple[Any, ...], read: Callable[[sqlite3.Cursor], T]
) -> T:
    cursor = connection.execute(sql, values)
    try:
        return read(cursor)
    finally:
        cursor.close()


def _first(cursor: sqlite3.Cursor) -> Row | None:
    row = cursor.fetchone()
    cursor.fetchall()  # drain it, so INSERT ... RETURNING statements complete
    return cast(Row | None, row)


class SqliteStore(GroupCommitStore):
    """A `Store` in one SQLite file. Transactions are serialized on one connection (SQLite has one writer)."""

    dialect = "sqlite"

    def __init__(self, path: Path, busy_seconds: float = 5.0) -> None:
        super().__init__()
        self._path = path
        self._busy_seconds = busy_seconds  # how long to wait for another process's write lock
        self._connection: sqlite3.Connection | None = None
        self._lock = asyncio.Lock()
        self._threaded: dict[str, bool] = {}

    async def open(self) -> None:
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            connection = await asyncio.to_thread(_connect, self._path)
        except (OSError, sqlite3.Error) as error:
            raise StoreError(f"cannot open {self._path}: {error}") from error
        self._connection = connection
        async with self.transaction():
            await apply_migrations(_Runner(connection, self._threaded), self.dialect)
        self._accepts.start()

    async def close(self) -> None:
        await self._accepts.stop()
        if self._connection is not None:
            async with self._lock:
                self._connection.close()
                self._connection = None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[StoreTransaction]:
        async with self._lock:
            connection = self._connection
            if connection is None:
                raise StoreError("the store is not open")
            await self._begin(connection)
            changes = connection.total_changes
            try:
                yield StoreTransaction(_Runner(connection, self._threaded))
            except sqlite3.DatabaseError as error:
                _roll_back(connection)
                if _is_store_trouble(error):  # disk full, I/O error, a damaged file: the store's, not the caller's
                    raise StoreError(f"the store failed: {error}") from error
                raise
            except BaseException:
                _roll_back(connection)
                raise
            try:
                if connection.total_changes == changes:  # read only: nothing to write to disk
                    connection.execute("COMMIT")
                else:
                    await asyncio.to_thread(connection.execute, "COMMIT")
            except sqlite3.Error as error:
                _roll_back(connection)
                raise StoreError(f"commit failed: {error}") from error

    async def _begin(self, connection: sqlite3.Connection) -> None:
        """Take the write lock, waiting (without blocking the loop) while another process holds it."""
        deadline = time.monotonic() + self._busy_seconds
        while True:
            try:
                connection.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                held_elsewhere = "locked" in str(error) or "busy" in str(error)
                if not held_elsewhere or time.monotonic() >= deadline:
                    raise StoreError(f"cannot begin a transaction: {error}") from error
            except sqlite3.Error as error:
                raise StoreError(f"cannot begin a transaction: {error}") from error
            await asyncio.sleep(0.01)


def _connect(path: Path) -> sqlite3.Connection:
    # check_same_thread off: the loop's thread uses it, and a worker thread while the loop waits for a COMMIT.
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    connection.row_factory = sqlite3.Row
    for pragma in PRAGMAS:
        connection.execute(f"PRAGMA {pragma}")
    return connection


def _is_store_trouble(error: sqlite3.DatabaseError) -> bool:
    """SQLITE_FULL, SQLITE_IOERR, SQLITE_BUSY … (OperationalError) and a damaged file (DatabaseError itself), as
    opposed to a constraint or a binding that a caller got wrong."""
    return isinstance(error, sqlite3.OperationalError) or type(error) is sqlite3.DatabaseError


def _roll_back(connection: sqlite3.Connection) -> None:
    """Roll back if a transaction is still open: SQLite ends one by itself on some errors (disk full), and a
    ROLLBACK then would fail with "no transaction is active", hiding the real error."""
    if connection.in_transaction:
        try:
            connection.execute("ROLLBACK")
        except sqlite3.Error:
            pass
