"""Every Store implementation runs the same contract tests: each backend is one entry of `BACKENDS`.

PostgreSQL runs against the machine's server (`GATEWAY_TEST_POSTGRES_DSN`, default the local trust-auth
database `test`), each test in a schema of its own that is dropped afterwards. Without a server the
PostgreSQL cases are skipped, saying so.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import pytest

from tests.conftest import at
from ticketing.intake import AcceptRequest
from ticketing.store.base import Store
from ticketing.store.postgres import PostgresStore
from ticketing.store.sqlite import SqliteStore

StoreFactory = Callable[[], Store]
ACCEPTED_AT = at("2026-11-24T14:00:00")  # when the contract tests' messages arrive
POSTGRES_DSN = os.environ.get("GATEWAY_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test")


async def _postgres_reachable() -> str | None:
    try:
        connection = await asyncpg.connect(POSTGRES_DSN, timeout=3)
    except (OSError, asyncpg.PostgresError) as error:
        return f"PostgreSQL not reachable at {POSTGRES_DSN}: {error}"
    await connection.close()
    return None


@asynccontextmanager
async def scratch_schema(dsn: str, prefix: str) -> AsyncIterator[str]:
    """A new schema on the server at `dsn`, named `prefix_<random>`, dropped with everything in it afterwards."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    connection = await asyncpg.connect(dsn)
    await connection.execute(f"CREATE SCHEMA {schema}")
    try:
        yield schema
    finally:
        await connection.execute(f"DROP SCHEMA {schema} CASCADE")
        await connection.close()


@pytest.fixture
async def postgres_schema() -> AsyncIterator[str]:
    problem = await _postgres_reachable()
    if problem:
        pytest.skip(problem)
    async with scratch_schema(POSTGRES_DSN, "contract") as schema:
        yield schema


@pytest.fixture(params=["sqlite", "postgresql"])
def store_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreFactory]:
    """Makes stores over one database; calling it twice gives two handles on the same data (a restart)."""
    if request.param == "sqlite":
        yield lambda: SqliteStore(tmp_path / "contract.sqlite3")
    else:
        schema = request.getfixturevalue("postgres_schema")
        yield lambda: PostgresStore(POSTGRES_DSN, schema=schema)


@pytest.fixture
async def store(store_factory: StoreFactory) -> AsyncIterator[Store]:
    opened = store_factory()
    await opened.open()
    yield opened
    await opened.close()


def request(native_id: str, channel: str = "email", raw: bytes = b"raw") -> AcceptRequest:
    return AcceptRequest(channel, native_id, raw, {"rcpt_tos": ["soporte@tecnolinux.com"]}, ACCEPTED_AT)
