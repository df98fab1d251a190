"""The relay webhook sub-app on a real aiohttp server, over a real SQLite store, signed with `signing.sign`."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from standardwebhooks.webhooks import Webhook

from adapters.relay.signing import signed_headers
from adapters.relay.webhook import relay_webhooks
from tests.conftest import at
from ticketing.intake import AcceptRequest, AcceptResult
from ticketing.store.sqlite import SqliteStore

NOW = at("2026-11-24T14:00:00")
CURRENT, PREVIOUS = "s3cret-new", "s3cret-old"
URL = "/webhooks/relay/teams"


def message(message_id: str = "m-1", **changes: Any) -> bytes:
    data: dict[str, Any] = {"id": message_id, "sender": {"id": "u-7", "email": "ana@andina.com.co"}, "text": "Hola"}
    data.update(changes)
    return json.dumps(data).encode()


def signed(raw: bytes, message_id: str = "m-1", secret: str = CURRENT, skew: int = 0) -> dict[str, str]:
    """Both spellings, as our own sender signs (a bridge on the Standard Webhooks SDK sends `webhook-*` only)."""
    return {"Content-Type": "application/json", **signed_headers(secret, message_id, int(NOW.timestamp()) + skew, raw)}


def first_spelling(raw: bytes) -> dict[str, str]:
    """The relay's first spelling only (`X-Relay-*`), as bridges written before Standard Webhooks sign."""
    return {name: value for name, value in signed(raw).items() if not name.startswith("webhook-")}


@dataclass
class Desk:
    client: TestClient[web.Request, web.Application]
    store: SqliteStore
    accepted: list[AcceptRequest] = field(default_factory=list)
    store_down: bool = False

    async def rows(self) -> list[tuple[str, str, bytes]]:
        async with self.store.transaction() as tx:
            return [(item.channel, item.native_id, item.raw) for item in await tx.pending_inbox()]

    async def post(self, raw: bytes, headers: dict[str, str], path: str = URL) -> tuple[int, str]:
        response = await self.client.post(path, data=raw, headers=headers)
        return response.status, await response.text()


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[Desk]:
    store = SqliteStore(tmp_path / "r.sqlite3")
    await store.open()
    holder: list[Desk] = []

    async def accept(request: AcceptRequest) -> AcceptResult:
        holder[0].accepted.append(request)
        if holder[0].store_down:
            raise OSError("disk full")
        return await store.accept(request)

    app = web.Application()
    relays = {"teams": [CURRENT, PREVIOUS], "matrix": ["m"]}
    app.add_subapp(
        "/webhooks/relay", relay_webhooks(relays=relays, accept=accept, clock=lambda: NOW, max_body_bytes=2048)
    )
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    holder.append(Desk(client, store))
    yield holder[0]
    await client.close()
    await store.close()


async def test_signed_message_is_committed_raw_then_acknowledged(desk: Desk) -> None:
    raw = message()
    assert await desk.post(raw, signed(raw)) == (200, '{"ok": true}')
    assert await desk.rows() == [("relay:teams", "m-1", raw)]
    request = desk.accepted[0]
    assert (request.meta, request.received_at) == ({"relay": "teams"}, NOW)


async def test_a_replay_is_acknowledged_as_duplicate_and_stores_nothing_new(desk: Desk) -> None:
    raw = message()
    assert (await desk.post(raw, signed(raw)))[0] == 200
    status, text = await desk.post(raw, signed(raw, skew=5))
    assert (status, json.loads(text)) == (200, {"ok": True, "duplicate": True})
    assert len(await desk.rows()) == 1


async def test_ids_are_deduplicated_per_relay(desk: Desk) -> None:
    raw = message()
    assert (await desk.post(raw, signed(raw)))[0] == 200
    status, text = await desk.post(raw, signed(raw, secret="m"), path="/webhooks/relay/matrix")
    assert (status, text) == (200, '{"ok": true}')
    assert [row[:2] for row in await desk.rows()] == [("relay:teams", "m-1"), ("relay:matrix", "m-1")]


async def test_the_previous_secret_is_accepted_during_a_rotation(desk: Desk) -> None:
    raw = message()
    assert (await desk.post(raw, signed(raw, secret=PREVIOUS)))[0] == 200
    assert len(await desk.rows()) == 1


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"Content-Type": "application/json"}, "missing header"),
        (signed(message(), secret="wrong"), "bad signature"),
        (signed(message(text="otra cosa")), "bad signature"),  # body changed after signing
        (signed(message(), skew=-301), "stale timestamp"),
        (signed(message(), skew=301), "stale timestamp"),
        (signed(message(), secret="m"), "bad signature"),  # another relay's secret
    ],
    ids=["unsigned", "wrong secret", "tampered", "stale", "future", "other relay"],
)
async def test_bad_signatures_are_refused_and_nothing_is_stored(
    desk: Desk, headers: dict[str, str], reason: str
) -> None:
    assert await desk.post(message(), headers) == (401, reason)
    assert desk.accepted == [] and await desk.rows() == []


async def test_unknown_relay_is_not_found(desk: Desk) -> None:
    raw = message()
    assert (await desk.post(raw, signed(raw), path="/webhooks/relay/skype"))[0] == 404
    assert desk.accepted == []


async def test_oversized_body_is_refused(desk: Desk) -> None:
    raw = message(text="x" * 4096)
    assert await desk.post(raw, signed(raw)) == (413, "body larger than 2048 bytes")
    assert desk.accepted == []


async def test_oversized_chunked_body_is_refused(desk: Desk) -> None:
    raw = message(text="x" * 4096)

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(raw), 512):
            yield raw[start : start + 512]

    response = await desk.client.post(URL, data=chunks(), headers=signed(raw))
    assert response.status == 413
    assert desk.accepted == []


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (json.dumps({"id": "m-1", "sender": {"id": "u-7"}}).encode(), "text is required"),
        (json.dumps({"id": "m-1", "text": "Hola"}).encode(), "sender is required"),
        (message(sender={"name": "Ana"}), "sender.id is required"),
        (message(message_id="m-2"), "id does not match webhook-id"),
        (b"not json", "body is not UTF-8 JSON"),
    ],
    ids=["no text", "no sender", "no sender id", "id mismatch", "not json"],
)
async def test_bad_bodies_name_the_field_and_store_nothing(desk: Desk, raw: bytes, reason: str) -> None:
    assert await desk.post(raw, signed(raw)) == (400, reason)
    assert desk.accepted == [] and await desk.rows() == []


async def test_the_first_spelling_is_still_read(desk: Desk) -> None:
    mismatched = message(message_id="m-2")
    assert await desk.post(mismatched, first_spelling(mismatched)) == (400, "id does not match X-Relay-Id")
    raw = message()
    assert (await desk.post(raw, first_spelling(raw)))[0] == 200
    assert [native_id for _, native_id, _ in await desk.rows()] == ["m-1"]


async def test_store_down_answers_503_so_the_bridge_retries(desk: Desk) -> None:
    raw = message()
    desk.store_down = True
    assert await desk.post(raw, signed(raw)) == (503, "temporarily unavailable")
    desk.store_down = False
    assert (await desk.post(raw, signed(raw)))[0] == 200
    assert len(await desk.rows()) == 1


async def test_a_bridge_signing_with_the_standard_webhooks_sdk_is_understood(desk: Desk) -> None:
    raw, timestamp = message(), int(NOW.timestamp())
    signature = Webhook(PREVIOUS.encode()).sign("m-1", datetime.fromtimestamp(timestamp, UTC), raw.decode())
    headers = {"webhook-id": "m-1", "webhook-timestamp": str(timestamp), "webhook-signature": signature}
    assert await desk.post(raw, {"Content-Type": "application/json", **headers}) == (200, '{"ok": true}')
    assert [native_id for _, native_id, _ in await desk.rows()] == ["m-1"]
