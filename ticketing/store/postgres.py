"""The PostgreSQL store on asyncpg: the same portable SQL as SQLite, a connection pool, group-committed accepts.

Transactions run at READ COMMITTED; row locks on the counter and the unique constraints make ticket numbers
gapless and deduplication exact under concurrency. Migrations take an advisory lock, so several gateways may
start at once.
"""

from __future__ import annotations

import functools
import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from asyncpg.transaction import Transaction

from ticketing.store.base import GroupCommitStore, StoreError
from ticketing.store.codec import Row
from ticketing.store.schema import apply_migrations
from ticketing.store.sql import StoreTransaction

# A `?` outside quotes, comments and dollar-quoted strings; those are matched whole, so a `?` inside stays text.
_TOKEN = re.compile(r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*|/\*.*?\*/|\$\w*\$.*?\$\w*\$|\?""", re.DOTALL)
# What says the server, not the statement, is the trouble: the caller gets a StoreError (webhooks 503, SMTP 451).
_UNAVAILABLE = (
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.InsufficientResourcesError,  # disk full, out of memory, too many connections
    asyncpg.OperatorInterventionError,  # an administrator's shutdown, a cancelled statement
)
MIGRATION_LOCK = 7_301_554  # any constant: the advisory lock that serializes schema migrations


@functools.lru_cache(maxsize=512)
def numbered(sql: str) -> str:
    """`?` placeholders (the portable form) as PostgreSQL's `$1, $2, ...`; a `?` in a string literal, a quoted
    name or a comment is left alone. The queries are the store's own constants, so conversions are cached."""
    counter = iter(range(1, 10_000))
    return _TOKEN.sub(lambda match: f"${next(counter)}" if match.group() == "?" else match.group(), sql)


class _Runner:
    row_lock = "FOR UPDATE SKIP LOCKED"  # replicas claiming at once take different rows, none waits for another

    def __init__(self, connection: asyncpg.Connection) -> None:
        self._connection = connection

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        await self._connection.execute(numbered(sql), *params)

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        return await self._connection.fetchrow(numbered(sql), *params)

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return list(await self._connection.fetch(numbered(sql), *params))


class PostgresStore(GroupCommitStore):
    """A `Store` in a PostgreSQL database (`dsn`), optionally in its own schema."""

    dialect = "postgresql"

    def __init__(
        self,
        dsn: str,
        schema: str | None = None,
        pool_size: int = 10,
        connect_timeout: float = 5.0,
        statement_timeout: float = 30.0,
    ) -> None:
        super().__init__()
        self._dsn = dsn
        self._schema = schema
        self._pool_size = pool_size
        self._connect_timeout = connect_timeout
        self._statement_timeout = statement_timeout
        self._pool: asyncpg.Pool | None = None

    async def open(self) -> None:
        settings = {"statement_timeout": str(int(self._statement_timeout * 1000))}
        if self._schema:
            settings["search_path"] = self._schema
        try:
            self._pool = await asyncpg.create_pool(
                self._dsn,
                min_size=1,
                max_size=self._pool_size,
                server_settings=settings,
                timeout=self._connect_timeout,
            )
        except (OSError, asyncpg.PostgresError, TimeoutError) as error:
            raise StoreError(f"cannot connect to PostgreSQL: {error or type(error).__name__}") from error
        async with self._raw_transaction() as connection:
            await connection.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
            await apply_migrations(_Runner(connection), self.dialect)
        self._accepts.start()

    async def close(self) -> None:
        await self._accepts.stop()
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    @asynccontextmanager
    async def _raw_transaction(self) -> AsyncIterator[asyncpg.Connection]:
        pool = self._open_pool()
        connection, transaction = await self._begin(pool)
        try:
            try:
                yield connection
            except BaseException:
                await transaction.rollback()
                raise
            await transaction.commit()
        except _UNAVAILABLE as error:
            raise StoreError(f"PostgreSQL unavailable: {error}") from error
        finally:
            await pool.release(connection)

    def _open_pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise StoreError("the store is not open")
        return self._pool

    async def _begin(self, pool: asyncpg.Pool) -> tuple[asyncpg.Connection, Transaction]:
        """A pooled connection in a new transaction. A connection whose BEGIN fails was cut while idle in the pool
        (a terminated backend, a failover) before the event loop heard of it; its siblings were most likely cut
        with it, so all are replaced and BEGIN is tried once more on a new connection. Only BEGIN was sent, so
        trying again is safe."""
        for attempt in (1, 2):
            try:
                connection = await pool.acquire()
            except (*_UNAVAILABLE, TimeoutError) as error:  # no connection within connect_timeout: unreachable
                raise StoreError(f"PostgreSQL unavailable: {error or type(error).__name__}") from error
            transaction = connection.transaction()
            try:
                await transaction.start()
            except _UNAVAILABLE as error:
                await pool.release(connection)
                if attempt == 2:
                    raise StoreError(f"PostgreSQL unavailable: {error}") from error
                await pool.expire_connections()
            except BaseException:  # cancelled while beginning: the connection still goes back
                await pool.release(connection)
                raise
            else:
                return connection, transaction
        raise AssertionError("unreachable")

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[StoreTransaction]:
        async with self._raw_transaction() as connection:
            yield StoreTransaction(_Runner(connection))
