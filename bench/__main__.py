"""`make bench`: intake throughput of the stores, group-committed vs one commit per message.

SQLite always; PostgreSQL too when a server answers at `GATEWAY_BENCH_POSTGRES_DSN` (default: the local trust-auth
database `test`), in a schema of its own dropped afterwards. Prints the rates and their ratio, measured in the same
run (the machines are shared and noisy).
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

from bench.report import save
from tests.contract.conftest import scratch_schema
from ticketing.intake import AcceptRequest
from ticketing.store.base import GroupCommitStore
from ticketing.store.postgres import PostgresStore
from ticketing.store.sqlite import SqliteStore

MESSAGES = 2000
POSTGRES_DSN = os.environ.get("GATEWAY_BENCH_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test")
RAW = b"From: ana@andina.com.co\r\nSubject: x\r\n\r\n" + b"texto " * 300


def request(i: int) -> AcceptRequest:
    return AcceptRequest("email", f"bench-{i}@x", RAW, {}, datetime.now(UTC))


async def concurrent(store: GroupCommitStore) -> float:
    start = time.perf_counter()
    await asyncio.gather(*(store.accept(request(i)) for i in range(MESSAGES)))
    return MESSAGES / (time.perf_counter() - start)


async def sequential(store: GroupCommitStore) -> float:
    start = time.perf_counter()
    for i in range(MESSAGES, MESSAGES + MESSAGES // 4):
        await store.accept(request(i))
    return (MESSAGES // 4) / (time.perf_counter() - start)


async def postgres_reachable() -> bool:
    try:
        connection = await asyncpg.connect(POSTGRES_DSN, timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError) as error:
        print(f"bench: PostgreSQL skipped, no server at {POSTGRES_DSN}: {error}")
        return False
    await connection.close()
    return True


async def rates(store: SqliteStore | PostgresStore) -> dict[str, float]:
    await store.open()
    try:
        return {"group_commit_per_second": await concurrent(store), "one_by_one_per_second": await sequential(store)}
    finally:
        await store.close()


def lines(name: str, measured: dict[str, float]) -> list[str]:
    burst, one_by_one = measured["group_commit_per_second"], measured["one_by_one_per_second"]
    return [
        f"- {name}, {MESSAGES} concurrent accepts (group commit): **{burst:,.0f} msg/s**; one at a time (a commit "
        f"each): {one_by_one:,.0f} msg/s (ratio {burst / one_by_one:.1f}×)",
    ]


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        results: dict[str, Any] = dict(await rates(SqliteStore(Path(folder) / "bench.sqlite3")))
    text = ["### Store intake (SQLite `synchronous=FULL`; PostgreSQL on this machine)", "", *lines("SQLite", results)]
    if await postgres_reachable():
        async with scratch_schema(POSTGRES_DSN, "bench") as schema:
            results["postgresql"] = await rates(PostgresStore(POSTGRES_DSN, schema=schema))
        text += lines("PostgreSQL", results["postgresql"])
    print("\n".join(text))
    save("store", results, "\n".join(text))


if __name__ == "__main__":
    asyncio.run(main())
