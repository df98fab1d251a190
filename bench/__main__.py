"""`make bench`: intake throughput of the SQLite store, group-committed vs one commit per message.

Prints both rates and their ratio, measured in the same run (the machines are shared and noisy).
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.report import save
from ticketing.intake import AcceptRequest
from ticketing.store.sqlite import SqliteStore

MESSAGES = 2000
RAW = b"From: ana@andina.com.co\r\nSubject: x\r\n\r\n" + b"texto " * 300


def request(i: int) -> AcceptRequest:
    return AcceptRequest("email", f"bench-{i}@x", RAW, {}, datetime.now(UTC))


async def concurrent(store: SqliteStore) -> float:
    start = time.perf_counter()
    await asyncio.gather(*(store.accept(request(i)) for i in range(MESSAGES)))
    return MESSAGES / (time.perf_counter() - start)


async def sequential(store: SqliteStore) -> float:
    start = time.perf_counter()
    for i in range(MESSAGES, MESSAGES + MESSAGES // 4):
        await store.accept(request(i))
    return (MESSAGES // 4) / (time.perf_counter() - start)


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        store = SqliteStore(Path(folder) / "bench.sqlite3")
        await store.open()
        try:
            burst = await concurrent(store)
            one_by_one = await sequential(store)
        finally:
            await store.close()
    text = "\n".join([
        "### Store intake (SQLite, `synchronous=FULL`)",
        "",
        f"- accept, {MESSAGES} concurrent (group commit): **{burst:,.0f} msg/s**",
        f"- accept, one at a time (a commit each): {one_by_one:,.0f} msg/s (ratio {burst / one_by_one:.1f}×)",
    ])  # fmt: skip
    print(text)
    save("store", {"group_commit_per_second": burst, "one_by_one_per_second": one_by_one}, text)


if __name__ == "__main__":
    asyncio.run(main())
