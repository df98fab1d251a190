"""One crafted mail must not stop the desk: reads have a deadline, a slow one is passed over, a dead reader replaced.

The email channel reads every mail in a worker process (`ReadPool`). These tests run the real pool: a mail that takes
seconds to read (16 MB of HTML: linear, but long) against a deadline of two seconds (room for a cold worker's first
read on a busy machine), and worker processes killed with SIGKILL as an OOM kill would.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import shutil
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.process_pool import ReadPool, WorkerDied
from gateway.config.loader import load_settings
from gateway.runtime.bootstrap import Gateway, build_gateway
from tests.conftest import PROJECT, at
from ticketing.intake import AcceptRequest

NOW = at("2026-11-23T14:00:00")  # Monday 09:00 in Bogota
TIMEOUT = 2.0
PARAGRAPH = "<p>La impresora del <b>piso 3</b> no imprime.</p>\r\n"
SLOW = "Content-Type: text/html; charset=utf-8\r\n\r\n" + PARAGRAPH * 320_000  # 16 MB, some 5 s to read


def mail(number: int, body: str = "\r\nLa impresora del piso 3 no imprime.") -> bytes:
    """Mail number `number`; `body` starts with its own headers (SLOW) or a blank line."""
    return (
        f"From: Ana <sistemas@andina.com.co>\r\nTo: soporte@tecnolinux.com\r\nSubject: Caso {number}\r\n"
        f"Message-ID: <m{number}@andina.com.co>\r\n{body}\r\n"
    ).encode()


@pytest.fixture
async def gateway(tmp_path: Path) -> AsyncIterator[Gateway]:
    shutil.copytree(PROJECT / "config", tmp_path / "config")
    path = tmp_path / "config" / "gateway.toml"
    text = path.read_text()
    assert "read_timeout_seconds = 30 " in text
    path.write_text(text.replace("read_timeout_seconds = 30 ", f"read_timeout_seconds = {TIMEOUT} ", 1))
    built = build_gateway(load_settings(path, {}), lambda: NOW)
    await built.store.open()
    yield built
    for close in built.closers:
        await close()
    await built.store.close()


async def accept(gateway: Gateway, number: int, body: str = "\r\nLa impresora del piso 3 no imprime.") -> None:
    request = AcceptRequest("email", f"m{number}@andina.com.co", mail(number, body), {}, NOW)
    await gateway.accept(request)


async def count(gateway: Gateway, status: str) -> int:
    async with gateway.store.transaction() as tx:
        return len(await tx.inbox_items(status))


def kill_pool_workers() -> list[int]:
    """SIGKILL every worker process of this test's pools (they are this process's only children)."""
    pids = [child.pid for child in multiprocessing.active_children() if child.pid]
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    return pids


async def test_a_slow_mail_is_quarantined_at_the_deadline_while_20_others_get_their_tickets(gateway: Gateway) -> None:
    await accept(gateway, 0, SLOW)  # first in the inbox
    for number in range(1, 21):
        await accept(gateway, number)
    running = asyncio.create_task(gateway.inbox.run())
    try:
        for _ in range(600):
            if await count(gateway, "done") == 20:
                break
            await asyncio.sleep(0.05)
        assert await count(gateway, "done") == 20
        async with gateway.store.transaction() as tx:
            [slow] = await tx.inbox_items("pending") or await tx.inbox_items("quarantined")
        assert slow.native_id == "m0@andina.com.co"  # the 20 behind it did not wait for its deadline
        for _ in range(200):
            if await count(gateway, "quarantined"):
                break
            await asyncio.sleep(0.05)
        async with gateway.store.transaction() as tx:
            [quarantined] = await tx.inbox_items("quarantined")
        assert quarantined.native_id == "m0@andina.com.co"
        assert quarantined.error == "took longer than 2 s to read"
        assert quarantined.raw == mail(0, SLOW)  # kept, to be looked at and requeued
        await accept(gateway, 21)  # the killed reader was replaced: the next mail is read as usual
        gateway.inbox.notify()
        for _ in range(200):
            if await count(gateway, "done") == 21:
                break
            await asyncio.sleep(0.05)
        assert await count(gateway, "done") == 21
        readers = gateway.health()["email"]["readers"]
        assert readers["state"] == "ok" and readers["given_up"] == 1
    finally:
        gateway.inbox.stop()
        await asyncio.wait_for(running, 10)


async def test_a_read_whose_worker_is_killed_is_retried_and_the_pool_keeps_reading(gateway: Gateway) -> None:
    await accept(gateway, 0, SLOW)
    reading = asyncio.create_task(gateway.inbox.process_pending())
    await asyncio.sleep(0.5)  # the worker processes started and one is reading the slow mail
    assert kill_pool_workers()
    assert await reading == 0  # not finished: the item stays pending, one attempt counted
    async with gateway.store.transaction() as tx:
        [item] = await tx.inbox_items("pending")
    assert item.attempts == 1 and "the reading process ended abnormally" in item.error

    await accept(gateway, 1)
    assert await gateway.inbox.process_pending() == 2  # the slow one reaches its deadline, the other its ticket
    assert (await count(gateway, "done"), await count(gateway, "quarantined")) == (1, 1)
    assert gateway.health()["email"]["readers"]["worker_deaths"] == 1


async def test_the_pool_replaces_workers_killed_while_idle_and_kills_a_call_past_its_timeout() -> None:
    pool = ReadPool(workers=1, timeout=1.0)
    try:
        first = await pool.run(os.getpid)
        assert kill_pool_workers() == [first]
        await asyncio.sleep(0.2)
        second = await pool.run(os.getpid)
        assert second != first
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            await pool.run(time.sleep, 30)
        assert time.monotonic() - started < 10  # killed at its timeout, not slept out
        assert await pool.run(os.getpid) not in (first, second)  # the sleeper's process was replaced
        sleeping = asyncio.create_task(pool.run(time.sleep, 30))
        await asyncio.sleep(0.5)
        kill_pool_workers()
        with pytest.raises(WorkerDied):
            await sleeping
        health = pool.health()
        assert (health["state"], health["timeouts"], health["worker_deaths"]) == ("ok", 1, 1)
        assert await pool.run(os.getpid) > 0  # and it still reads
    finally:
        await pool.close()
