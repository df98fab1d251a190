"""End to end for the signed relay: a bridge posts a chat message, the client gets the acknowledgement back on the
bridge's callback, signed; a replay changes nothing, an unsigned post is refused."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from adapters.relay.signing import sign, verify
from tests.e2e.harness import gateway_process, wait_for, write_config
from tests.e2e.test_slack_end_to_end import CONSOLE, agent_says, post_event
from tests.e2e.test_slack_end_to_end import SECRET as SLACK_SECRET
from tests.fake_slack import FakeSlack

SECRET, OLD_SECRET = "relay-secret-2026", "relay-secret-2025"


class Bridge:
    """The bridge's callback endpoint on loopback: keeps what the gateway posts, if correctly signed."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.refused = 0
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def _callback(self, request: web.Request) -> web.Response:
        raw = await request.read()
        problem = verify(
            [SECRET],
            request.headers.get("X-Relay-Id", ""),
            request.headers.get("X-Relay-Timestamp", ""),
            raw,
            request.headers.get("X-Relay-Signature", ""),
            time.time(),
        )
        if problem:
            self.refused += 1
            return web.Response(status=401, text=problem)
        self.received.append(json.loads(raw))
        return web.json_response({"ok": True})

    async def start(self) -> Bridge:
        app = web.Application()
        app.router.add_post("/desk", self._callback)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/desk"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


@pytest.fixture
async def bridge() -> AsyncIterator[Bridge]:
    started = await Bridge().start()
    yield started
    await started.stop()


async def relay_post(session: aiohttp.ClientSession, url: str, body: dict[str, Any], secret: str | None) -> int:
    raw = json.dumps(body).encode()
    timestamp = int(time.time())
    headers = {"Content-Type": "application/json", "X-Relay-Id": body["id"], "X-Relay-Timestamp": str(timestamp)}
    if secret:
        headers["X-Relay-Signature"] = sign(secret, body["id"], timestamp, raw)
    async with session.post(url, data=raw, headers=headers) as response:
        return response.status


async def until(check: Any, what: str) -> Any:
    return await asyncio.to_thread(wait_for, check, 20.0, what)


async def test_a_relayed_chat_message_is_answered_on_the_bridge(tmp_path: Path, bridge: Bridge) -> None:
    extra = (
        '\n[channels.relay.teams]\nsecret_env = "RELAY_TEAMS_SECRET"\nprevious_secret_env = "RELAY_TEAMS_OLD_SECRET"\n'
        f'callback_url = "{bridge.url}"\n'
    )
    ports = write_config(tmp_path, extra=extra)
    secrets = {"RELAY_TEAMS_SECRET": SECRET, "RELAY_TEAMS_OLD_SECRET": OLD_SECRET}
    with gateway_process(tmp_path, *ports, env=secrets) as gateway:
        url = f"http://127.0.0.1:{gateway.http_port}/webhooks/relay/teams"
        message = {
            "id": "teams-msg-1",
            "sender": {"id": "29:ana", "name": "Ana Gómez", "email": "sistemas@andina.com.co"},
            "text": "El Teams no deja compartir pantalla. Prioridad: baja",
            "conversation_id": "19:abc",
        }
        async with aiohttp.ClientSession() as session:
            assert await relay_post(session, url, message, SECRET) == 200
            [ack] = await until(lambda: bridge.received, "the acknowledgement on the bridge")
            assert ack["ticket"] == "TL-000001" and ack["conversation_id"] == "19:abc" and "TL-000001" in ack["text"]
            assert "correo" not in ack["text"] and "asunto" not in ack["text"]  # chat wording, not email's
            assert await relay_post(session, url, message, SECRET) == 200  # replayed: nothing new
            assert await relay_post(session, url, dict(message, id="teams-msg-2"), None) == 401
            rotated = dict(message, id="teams-msg-3", text="Sigue igual.")
            assert await relay_post(session, url, rotated, OLD_SECRET) == 200  # the bridge has not rotated yet
            shown = await until(
                lambda: (
                    (t := gateway.cli_json("tickets", "show", "TL-000001"))
                    and sum(m["direction"] == "in" for m in t["messages"]) == 2
                    and t
                ),
                "the second message on the same ticket",
            )
        assert (shown["channel"], shown["plan"], shown["priority"]) == ("relay:teams", "standard", "low")
        assert len(gateway.cli_json("tickets", "list")) == 1 and bridge.refused == 0


async def test_an_agents_reply_reaches_the_clients_conversation_on_the_bridge(tmp_path: Path, bridge: Bridge) -> None:
    slack = await FakeSlack(members={CONSOLE: ["U0AGENT"]}).start()
    extra = (
        f'\n[channels.relay.teams]\nsecret_env = "RELAY_TEAMS_SECRET"\ncallback_url = "{bridge.url}"\n'
        f'\n[channels.slack]\nagents_channel = "{CONSOLE}"\nteam_id = "T0TEAM"\nreply_mode = "direct"\n'
        "reply_grace_seconds = 0\n"
        f'api_base_url = "{slack.base_url}/api/"\n'
    )
    ports = write_config(tmp_path, extra=extra)
    secrets = {"RELAY_TEAMS_SECRET": SECRET, "SLACK_BOT_TOKEN": slack.token, "SLACK_SIGNING_SECRET": SLACK_SECRET}
    try:
        with gateway_process(tmp_path, *ports, env=secrets) as gateway:
            base = f"http://127.0.0.1:{gateway.http_port}"
            message = {
                "id": "teams-msg-1",
                "sender": {"id": "29:ana", "name": "Ana Gómez", "email": "sistemas@andina.com.co"},
                "text": "No puedo compartir pantalla en Teams.",
                "conversation_id": "19:abc",
                "thread_id": "1700000000001",
            }
            async with aiohttp.ClientSession() as session:
                assert await relay_post(session, f"{base}/webhooks/relay/teams", message, SECRET) == 200
                [parent] = await until(lambda: [m for m in slack.messages if m.thread_ts is None], "the summary")
                answer = agent_says("EvR1", "Hola Ana, ¿qué versión de Teams usa?", parent.ts)
                assert await post_event(session, f"{base}/slack/events", answer) == 200
                ack, reply = await until(lambda: len(bridge.received) == 2 and bridge.received, "the agent's reply")
    finally:
        await slack.stop()
    assert (ack["kind"], reply["kind"]) == ("acknowledgement", "agent_reply")
    for posted in (ack, reply):
        assert (posted["conversation_id"], posted["thread_id"]) == ("19:abc", "1700000000001")
    assert reply["text"] == "Hola Ana, ¿qué versión de Teams usa?"
