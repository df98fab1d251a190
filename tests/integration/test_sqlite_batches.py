"""The SQLite store's shared commits: units of work that wait for the connection join one transaction, each as a
savepoint; each returns only once the COMMIT is on disk; a unit that fails is undone alone; the intake goes first."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import at
from ticketing.store.base import StoreError
from ticketing.store.sqlite import SqliteStore

NOW = at("2026-12-01T14:00:00")


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    opened = SqliteStore(tmp_path / "batches.sqlite3")
    await opened.open()
    yield opened
    await opened.close()


def statements(store: SqliteStore) -> list[str]:
    """Every statement the store's connection runs from now on."""
    seen: list[str] = []
    connection = store._connection  # noqa: SLF001  # the one connection, to watch its COMMITs
    assert connection is not None
    connection.set_trace_callback(seen.append)
    return seen


def flagged_elsewhere(path: Path) -> set[str]:
    """The flagged addresses another connection sees: only what is committed."""
    with sqlite3.connect(path) as other:
        return {row[0] for row in other.execute("SELECT address FROM address_flags")}


async def flag(store: SqliteStore, address: str, fail: bool = False) -> None:
    async with store.transaction() as tx:
        await tx.flag_address(address, "bounced", None, NOW)
        if fail:
            raise ValueError("the caller's own mistake")


async def test_units_waiting_together_share_one_commit_and_each_returns_after_it(
    store: SqliteStore, tmp_path: Path
) -> None:
    seen = statements(store)
    addresses = [f"cliente{n}@andina.com.co" for n in range(50)]

    async def flag_and_look(address: str) -> bool:
        await flag(store, address)
        return address in flagged_elsewhere(tmp_path / "batches.sqlite3")  # durable when the unit returns

    assert all(await asyncio.gather(*(flag_and_look(address) for address in addresses)))
    commits = sum(1 for statement in seen if statement == "COMMIT")
    # without sharing: 50; a batch also ends after 5 ms, so a busy machine may split the 50 in a few
    assert 1 <= commits <= 10, seen
    assert sum(1 for statement in seen if statement == "SAVEPOINT unit") == 50


async def test_a_unit_that_fails_is_undone_alone(store: SqliteStore, tmp_path: Path) -> None:
    results = await asyncio.gather(
        flag(store, "ana@andina.com.co"),
        flag(store, "luis@andina.com.co", fail=True),
        flag(store, "eva@andina.com.co"),
        return_exceptions=True,
    )
    assert [type(result).__name__ for result in results] == ["NoneType", "ValueError", "NoneType"]
    assert flagged_elsewhere(tmp_path / "batches.sqlite3") == {"ana@andina.com.co", "eva@andina.com.co"}


async def test_the_intake_takes_the_connection_before_units_that_came_earlier(store: SqliteStore) -> None:
    order: list[str] = []
    started = asyncio.Event()

    async def holder() -> None:
        async with store.transaction():
            started.set()
            await asyncio.sleep(0.05)  # the others queue up meanwhile

    async def unit(name: str, intake: bool) -> None:
        async with store._intake_transaction() if intake else store.transaction():  # noqa: SLF001
            order.append(name)

    holding = asyncio.create_task(holder())
    await started.wait()
    first, second = asyncio.create_task(unit("ticket 1", False)), asyncio.create_task(unit("ticket 2", False))
    await asyncio.sleep(0.01)
    webhook = asyncio.create_task(unit("webhook", True))
    await asyncio.gather(holding, first, second, webhook)
    assert order == ["webhook", "ticket 1", "ticket 2"]


async def test_when_the_disk_fills_a_unit_is_told_exactly_when_its_work_was_lost(
    store: SqliteStore, tmp_path: Path
) -> None:
    """A unit that fills the disk fails; SQLite may end the whole transaction then, taking the units that joined
    it before: those must hear StoreError, never return as if committed."""
    connection = store._connection  # noqa: SLF001
    assert connection is not None
    [pages] = connection.execute("PRAGMA page_count").fetchone()
    connection.execute(f"PRAGMA max_page_count = {pages + 2}")

    async def big(address: str) -> None:
        async with store.transaction() as tx:
            await tx.flag_address(address, "x" * 200_000, None, NOW)  # more than the pages left

    results = await asyncio.gather(
        flag(store, "ana@andina.com.co"), big("luis@andina.com.co"), flag(store, "eva@andina.com.co"),
        return_exceptions=True,
    )  # fmt: skip
    assert isinstance(results[1], StoreError) and "full" in str(results[1])
    kept = flagged_elsewhere(tmp_path / "batches.sqlite3")
    for address, result in (("ana@andina.com.co", results[0]), ("eva@andina.com.co", results[2])):
        assert (address in kept) == (result is None), (address, result)
    connection.execute("PRAGMA max_page_count = 1073741823")
    await flag(store, "ana@andina.com.co")  # the store goes on
    assert "ana@andina.com.co" in flagged_elsewhere(tmp_path / "batches.sqlite3")
