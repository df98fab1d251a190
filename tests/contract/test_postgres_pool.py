"""The PostgreSQL store's pool after its server connections were cut while idle (an administrator's
pg_terminate_backend, a failover): the next transaction runs on new connections instead of failing once per
dead connection."""

from __future__ import annotations

import asyncio
import threading
import time

import asyncpg

from tests.contract.conftest import POSTGRES_DSN
from ticketing.store.postgres import PostgresStore


async def _terminate(application: str) -> int:
    """End every backend of `application` and wait until the server has let them go; how many there were."""
    connection = await asyncpg.connect(POSTGRES_DSN)
    try:
        rows = await connection.fetch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", application
        )
        deadline = time.monotonic() + 10
        while await connection.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", application
        ):
            assert time.monotonic() < deadline, "the terminated backends did not end"
            await asyncio.sleep(0.02)
    finally:
        await connection.close()
    return len(rows)


def terminate_unseen(application: str) -> int:
    """`_terminate` on a thread of its own while this event loop is blocked, so the store's pool cannot notice
    the closed sockets before its next transaction, as under load."""
    ended: list[int] = []
    thread = threading.Thread(target=lambda: ended.append(asyncio.run(_terminate(application))))
    thread.start()
    thread.join()
    return ended[0]


async def test_the_first_transaction_after_the_pools_connections_were_cut_succeeds(postgres_schema: str) -> None:
    application = f"pool_{postgres_schema}"
    store = PostgresStore(f"{POSTGRES_DSN}?application_name={application}", schema=postgres_schema)
    await store.open()
    try:

        async def count() -> dict[str, int]:
            async with store.transaction() as tx:
                counts = await tx.counts(("inbox_pending",))
                await asyncio.sleep(0.05)  # held a moment, so the three take three connections
                return counts

        await asyncio.gather(count(), count(), count())
        assert terminate_unseen(application) >= 3

        assert await count() == {}  # no queue holds anything: the point is that it answered
        assert await asyncio.gather(count(), count()) == [{}, {}]  # the rest were replaced too
    finally:
        await store.close()
