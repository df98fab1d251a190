"""The SQLite store: WAL, synchronous=FULL, one writer connection, migrations, group-committed accepts.

Units of work share commits: a unit (`transaction()`) runs as a savepoint inside the transaction that is open,
and the transaction commits when no other unit waits for the connection (or after `MAX_UNITS`, or
`MAX_BATCH_SECONDS`); every unit returns only once that COMMIT is on disk, and a unit that fails is rolled back to
its savepoint alone. Under load, dozens of tickets cost one fsync. The intake's batches take the connection before
the pipeline's units (`turns`), so webhooks are not answered after a run of tickets.

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
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

from ticketing.store.base import GroupCommitStore, StoreError
from ticketing.store.codec import Row
from ticketing.store.schema import apply_migrations
from ticketing.store.sql import StoreTransaction
from ticketing.store.turns import Turns

T = TypeVar("T")
LARGE = 256 * 1024  # a statement with a value this long runs in a thread: copying it would stall the loop
BYTES_READ = re.compile(r"^\s*SELECT\b.*\bFROM\s+(inbox|attachments)\b", re.I | re.S)  # rows of raw bytes
MAX_UNITS = 200  # a batch commits after this many units, or
MAX_BATCH_SECONDS = 0.005  # this long after it began, even while more units wait
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
            running = asyncio.ensure_future(asyncio.to_thread(_statement, self._connection, sql, values, read))
            try:
                return await asyncio.shield(running)
            except asyncio.CancelledError:  # the unit rolls back next: never while the thread still uses the connection
                await asyncio.wait({running})
                raise
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


@dataclass
class _Batch:
    """One SQLite transaction shared by the units of work that ran while it was open."""

    connection: sqlite3.Connection
    written: asyncio.Future[None]  # set when the COMMIT is on disk (or failed)
    changes: int  # the connection's total_changes when it began: unchanged means read only
    opened: float  # monotonic
    units: int = 0


class SqliteStore(GroupCommitStore):
    """A `Store` in one SQLite file. Transactions are serialized on one connection (SQLite has one writer)."""

    dialect = "sqlite"

    def __init__(self, path: Path, busy_seconds: float = 5.0) -> None:
        super().__init__()
        self._path = path
        self._busy_seconds = busy_seconds  # how long to wait for another process's write lock
        self._connection: sqlite3.Connection | None = None
        self._turns = Turns()  # who uses the connection next: intake first
        self._batch: _Batch | None = None  # the transaction units join until it commits
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
            await self._turns.take()
            self._connection.close()
            self._connection = None
            self._turns.give()

    def transaction(self) -> AbstractAsyncContextManager[StoreTransaction]:
        return self._unit(urgent=False)

    def _intake_transaction(self) -> AbstractAsyncContextManager[StoreTransaction]:
        return self._unit(urgent=True)

    @asynccontextmanager
    async def _unit(self, urgent: bool) -> AsyncIterator[StoreTransaction]:
        """One unit of work, as a savepoint in the batch being written (see the module docstring); it returns once
        the batch's COMMIT is on disk, or raises `StoreError` when it failed (nothing of this unit was kept)."""
        await self._turns.take(urgent)
        batch: _Batch | None = None
        try:
            connection = self._connection
            if connection is None:
                raise StoreError("the store is not open")
            batch = self._batch or await self._open_batch(connection)
            connection.execute("SAVEPOINT unit")
            try:
                yield StoreTransaction(_Runner(connection, self._threaded))
            except BaseException as error:
                self._undo(connection, batch)
                if isinstance(error, sqlite3.DatabaseError) and _is_store_trouble(error):
                    raise StoreError(f"the store failed: {error}") from error  # disk full, I/O error, damaged file
                raise
            connection.execute("RELEASE unit")
        finally:
            self._end_turn(urgent)
        await asyncio.shield(batch.written)

    async def _open_batch(self, connection: sqlite3.Connection) -> _Batch:
        await self._begin(connection)
        written: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        written.add_done_callback(lambda done: done.exception())  # a failure no unit waits for is not an error
        self._batch = _Batch(connection, written, connection.total_changes, time.monotonic())
        return self._batch

    def _undo(self, connection: sqlite3.Connection, batch: _Batch) -> None:
        """Undo one unit. If SQLite ended the whole transaction by itself (disk full), the batch is lost."""
        if connection.in_transaction:
            connection.execute("ROLLBACK TO unit")
            connection.execute("RELEASE unit")
        elif self._batch is batch:
            self._batch = None
            batch.written.set_exception(StoreError("the store failed: the transaction was rolled back"))

    def _end_turn(self, urgent: bool) -> None:
        """Give the connection to the next unit, or commit the batch first: when no unit waits, when the batch is
        big or old enough, or after the intake's unit (a webhook waits for it) unless more of the intake waits.
        The connection passes on once the COMMIT is done."""
        batch = self._batch
        if batch is None:
            self._turns.give()
        elif (
            self._turns.waiting == 0
            or (urgent and self._turns.waiting_urgent == 0)
            or batch.units >= MAX_UNITS
            or time.monotonic() - batch.opened >= MAX_BATCH_SECONDS
        ):
            self._batch = None
            asyncio.ensure_future(self._commit(batch))  # not cancelled with the unit that happened to be last
        else:
            batch.units += 1
            self._turns.give()

    async def _commit(self, batch: _Batch) -> None:
        connection = batch.connection
        try:
            if connection.total_changes == batch.changes:  # read only: nothing to write to disk
                connection.execute("COMMIT")
            else:
                await asyncio.to_thread(connection.execute, "COMMIT")
        except sqlite3.Error as error:
            _roll_back(connection)
            batch.written.set_exception(StoreError(f"commit failed: {error}"))
        else:
            batch.written.set_result(None)
        finally:
            self._turns.give()

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
