"""PostgreSQL for end-to-end tests: a fresh schema on the machine's server (`fresh_schema`), the ticket numbers in
one (`ticket_numbers`), and a TCP proxy on loopback in front of it that a test can cut (every connection closed, new
ones refused: the database unreachable) and restore, to see what the gateway does while its database is gone."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import uuid
from collections.abc import Iterator

import asyncpg
import pytest

from tests.conftest import free_port
from tests.contract.conftest import POSTGRES_DSN


async def _execute(statement: str) -> str | None:
    try:
        connection = await asyncpg.connect(POSTGRES_DSN, timeout=3)
    except (OSError, asyncpg.PostgresError) as error:
        return f"PostgreSQL not reachable at {POSTGRES_DSN}: {error}"
    await connection.execute(statement)
    await connection.close()
    return None


async def ticket_numbers(schema: str) -> list[str]:
    """Every ticket number in `schema` (the CLI lists 1,000 at most)."""
    connection = await asyncpg.connect(POSTGRES_DSN)
    try:
        return [row["number"] for row in await connection.fetch(f"SELECT number FROM {schema}.tickets")]
    finally:
        await connection.close()


@contextlib.contextmanager
def fresh_schema(prefix: str) -> Iterator[str]:
    """A new schema on the machine's PostgreSQL (the test is skipped, saying why, without one), dropped after."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    problem = asyncio.run(_execute(f"CREATE SCHEMA {schema}"))
    if problem:
        pytest.skip(problem)
    try:
        yield schema
    finally:
        asyncio.run(_execute(f"DROP SCHEMA {schema} CASCADE"))


class PostgresProxy:
    def __init__(self, target_port: int = 5432) -> None:
        self.port = free_port()
        self._target = target_port
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    def start(self) -> PostgresProxy:
        self._thread.start()
        self.restore()
        return self

    def stop(self) -> None:
        self.cut()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)

    def cut(self) -> None:
        """Close every connection and stop listening: connecting is refused until `restore()`."""
        asyncio.run_coroutine_threadsafe(self._cut(), self._loop).result(timeout=5)

    def restore(self) -> None:
        asyncio.run_coroutine_threadsafe(self._listen(), self._loop).result(timeout=5)

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._client, "127.0.0.1", self.port)

    async def _cut(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._writers):
            writer.close()
        self._writers.clear()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", self._target)
        except OSError:
            writer.close()
            return
        self._writers.update({writer, upstream_writer})
        await asyncio.gather(self._pipe(reader, upstream_writer), self._pipe(upstream_reader, writer))

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, ConnectionError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()
        self._writers.discard(writer)
