"""`/healthz` and `/metrics` over a real store, through aiohttp's test server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from gateway.runtime.http import create_app
from tests.conftest import at
from ticketing.intake import AcceptRequest
from ticketing.store.sqlite import SqliteStore

CHANNELS: dict[str, Any] = {"email": {"smtp": "127.0.0.1:2525", "imap": {"soporte": {"state": "idle"}}}}


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[tuple[TestClient, SqliteStore]]:
    store = SqliteStore(tmp_path / "http.sqlite3")
    await store.open()
    async with TestClient(TestServer(create_app(store, lambda: CHANNELS, {}))) as test_client:
        yield test_client, store
    await store.close()


async def test_health_and_metrics(client: tuple[TestClient, SqliteStore]) -> None:
    http, store = client
    for native_id in ("a@x", "b@x"):
        await store.accept(AcceptRequest("email", native_id, b"raw", {}, at("2026-11-24T14:00:00")))
    health = await (await http.get("/healthz")).json()
    assert health["status"] == "ok" and health["queues"]["inbox_pending"] == 2 and health["channels"] == CHANNELS
    response = await http.get("/metrics")
    text = await response.text()
    assert response.status == 200 and response.headers["Content-Type"].startswith("text/plain")
    assert 'gateway_inbox_messages{status="pending"} 2.0' in text
    assert 'gateway_imap_mailbox_connected{mailbox="soporte"} 1.0' in text


async def test_a_store_that_does_not_answer_is_reported(client: tuple[TestClient, SqliteStore]) -> None:
    http, store = client
    await store.close()
    health = await http.get("/healthz")
    metrics = await http.get("/metrics")
    await store.open()
    assert (health.status, metrics.status) == (503, 503)
    assert (await health.json())["status"] == "unavailable"
