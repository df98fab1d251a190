"""RelaySender against a loopback aiohttp bridge that verifies the signature with `verify` and records requests."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from adapters.channel import PermanentFailure, TemporaryFailure
from adapters.relay.read import reply_to
from adapters.relay.sender import RelaySender
from adapters.relay.signing import ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from tests.conftest import free_port
from ticketing.types import OutboundReply

SECRET = "bridge-secret"


def reply(thread_key: str = "relay:teams:c-9", references: tuple[str, ...] = ()) -> OutboundReply:
    return OutboundReply(
        ticket_number="TL-000123",
        channel="relay:teams",
        recipient="ana@andina.com.co",
        subject="",
        text="Recibimos su solicitud TL-000123.",
        message_key="k1",
        thread_key=thread_key,
        references=references,
        idempotency_key="idem-1",
        kind="acknowledgement",
    )


@dataclass
class Bridge:
    """A bridge's callback endpoint: answers `status` (with `headers`) and records what it verified."""

    server: TestServer
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    received: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        reason = verify(
            [SECRET],
            request.headers.get(ID_HEADER, ""),
            request.headers.get(TIMESTAMP_HEADER, ""),
            raw,
            request.headers.get(SIGNATURE_HEADER, ""),
            now=time.time(),
        )
        if reason:
            self.refusals.append(reason)
            return web.Response(status=401, text=reason)
        self.received.append((request.headers[ID_HEADER], json.loads(raw)))
        return web.Response(status=self.status, headers=self.headers)

    def url(self) -> str:
        return str(self.server.make_url("/relay/callback"))


@pytest.fixture
async def bridge() -> AsyncIterator[Bridge]:
    app = web.Application()
    holder: list[Bridge] = []

    async def handle(request: web.Request) -> web.Response:
        return await holder[0].handle(request)

    app.router.add_post("/relay/callback", handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    holder.append(Bridge(server))
    yield holder[0]
    await server.close()


@pytest.fixture
async def make_sender() -> AsyncIterator[Any]:
    senders: list[RelaySender] = []

    def make(url: str, secret: str = SECRET) -> RelaySender:
        senders.append(RelaySender(relay="teams", callback_url=url, secret=secret, timeout=5))
        return senders[-1]

    yield make
    for sender in senders:
        await sender.close()


async def test_a_signed_reply_is_delivered(bridge: Bridge, make_sender: Any) -> None:
    assert await make_sender(bridge.url()).send(reply()) == "idem-1"
    assert bridge.received == [
        (
            "idem-1",
            {
                "id": "idem-1",
                "ticket": "TL-000123",
                "recipient": "ana@andina.com.co",
                "conversation_id": "c-9",
                "thread_id": None,
                "text": "Recibimos su solicitud TL-000123.",
                "kind": "acknowledgement",
            },
        )
    ]


async def test_another_relays_thread_is_not_a_conversation(bridge: Bridge, make_sender: Any) -> None:
    await make_sender(bridge.url()).send(reply(thread_key="relay:matrix:c-9"))
    assert bridge.received[0][1]["conversation_id"] is None


async def test_the_conversation_is_found_in_the_references_as_the_core_builds_replies(
    bridge: Bridge, make_sender: Any
) -> None:
    await make_sender(bridge.url()).send(reply(thread_key="m-1", references=("relay:teams:19:abc", "m-1")))
    assert bridge.received[0][1]["conversation_id"] == "19:abc"


async def test_retries_carry_the_same_id(bridge: Bridge, make_sender: Any) -> None:
    sender = make_sender(bridge.url())
    await sender.send(reply())
    await sender.send(reply())
    assert [item[0] for item in bridge.received] == ["idem-1", "idem-1"]


async def test_503_with_retry_after_is_temporary(bridge: Bridge, make_sender: Any) -> None:
    bridge.status, bridge.headers = 503, {"Retry-After": "9"}
    with pytest.raises(TemporaryFailure) as error:
        await make_sender(bridge.url()).send(reply())
    assert error.value.retry_after == 9
    assert "503" in error.value.reason


async def test_429_is_temporary(bridge: Bridge, make_sender: Any) -> None:
    bridge.status = 429
    with pytest.raises(TemporaryFailure) as error:
        await make_sender(bridge.url()).send(reply())
    assert error.value.retry_after is None


async def test_400_is_permanent(bridge: Bridge, make_sender: Any) -> None:
    bridge.status = 400
    with pytest.raises(PermanentFailure, match="HTTP 400"):
        await make_sender(bridge.url()).send(reply())


async def test_a_wrong_secret_is_refused_by_the_bridge_for_good(bridge: Bridge, make_sender: Any) -> None:
    with pytest.raises(PermanentFailure, match="HTTP 401"):
        await make_sender(bridge.url(), secret="wrong").send(reply())
    assert bridge.refusals == ["bad signature"]


async def test_bridge_down_is_temporary(make_sender: Any) -> None:
    with pytest.raises(TemporaryFailure, match="cannot reach relay teams"):
        await make_sender(f"http://127.0.0.1:{free_port()}/relay/callback").send(reply())


async def test_the_conversation_and_thread_of_the_clients_latest_message_go_with_every_reply(
    bridge: Bridge, make_sender: Any
) -> None:
    kept = reply_to("19:abc", "thread-7")
    agent_reply = replace(reply(thread_key="teams-msg-9"), kind="agent_reply", reply_to=kept, idempotency_key="k2")
    await make_sender(bridge.url()).send(agent_reply)
    assert bridge.received[0][1] | {"text": ""} == {
        "id": "k2",
        "ticket": "TL-000123",
        "recipient": "ana@andina.com.co",
        "conversation_id": "19:abc",
        "thread_id": "thread-7",
        "text": "",
        "kind": "agent_reply",
    }
