"""The Slack sub-app (bolt's AsyncApp behind aiohttp) on a real server, signed by slack_sdk, over a real SQLite store,
with the fake Slack Web API answering bolt's and our calls."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.ask_modal import InformationRequest, ask_modal
from adapters.slack.events import REFUSAL, slack_events_app
from adapters.slack.read import ConsoleAction, ThreadReply, read_slack_payload
from tests.conftest import at
from tests.fake_slack import FakeSlack
from ticketing.intake import AcceptRequest, AcceptResult
from ticketing.store.sqlite import SqliteStore
from ticketing.types import InboxItem

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
CONSOLE, TEAM, PARENT = "C111", "T111", "1633663824.000500"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "webhooks"
RECEIVED = at("2026-11-30T14:00:00")


@dataclass
class Desk:
    client: TestClient[web.Request, web.Application]
    fake: FakeSlack
    store: SqliteStore
    store_down: bool = False
    accepted: list[AcceptRequest] = field(default_factory=list)

    async def rows(self) -> list[InboxItem]:
        async with self.store.transaction() as tx:
            return await tx.pending_inbox()

    async def post(
        self,
        body: bytes,
        content_type: str,
        *,
        age: int = 0,
        secret: str = SECRET,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, str]:
        timestamp = str(int(time.time()) - age)
        signature = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)
        assert signature is not None
        sent = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": signature,
            **(headers or {}),
        }
        response = await self.client.post("/slack/events", data=body, headers=sent)
        return response.status, await response.text()

    async def event(self, body: dict[str, Any], **kwargs: Any) -> tuple[int, str]:
        return await self.post(json.dumps(body).encode(), "application/json", **kwargs)

    async def action(self, payload: dict[str, Any], **kwargs: Any) -> tuple[int, str]:
        return await self.post(
            urlencode({"payload": json.dumps(payload)}).encode(), "application/x-www-form-urlencoded", **kwargs
        )


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[Desk]:
    fake = await FakeSlack(channels={CONSOLE}, team_id=TEAM, members={CONSOLE: ["U0AGENT", "U0LEAD"]}).start()
    store = SqliteStore(tmp_path / "slack.sqlite3")
    await store.open()
    holder: list[Desk] = []

    async def accept(request: AcceptRequest) -> AcceptResult:
        holder[0].accepted.append(request)
        if holder[0].store_down:
            raise OSError("disk full")
        return await store.accept(request)

    slack = AsyncWebClient(token=fake.token, base_url=fake.base_url + "/api/", retry_handlers=[])
    app = web.Application()
    app.add_subapp(
        "/slack",
        slack_events_app(
            signing_secret=SECRET,
            client=slack,
            accept=accept,
            clock=lambda: RECEIVED,
            console_channel_id=CONSOLE,
            team_id=TEAM,
        ),
    )
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    holder.append(Desk(client, fake, store))
    yield holder[0]
    await client.close()
    await store.close()
    await fake.stop()


def event_body(event_id: str = "Ev0THREAD", team_id: str = TEAM, **fields: Any) -> dict[str, Any]:
    message = {
        "type": "message",
        "channel": CONSOLE,
        "user": "U0AGENT",
        "text": "Reiniciamos el servicio, &lt;@cliente&gt; ¿ya funciona?",
        "ts": "1633670813.007500",
        "thread_ts": PARENT,
        "channel_type": "channel",
        "event_ts": "1633670813.007500",
    }
    message.update(fields)
    message = {key: value for key, value in message.items() if value is not None}
    return {
        "token": "t",
        "team_id": team_id,
        "api_app_id": "A111",
        "type": "event_callback",
        "event_id": event_id,
        "event_time": 1633670813,
        "event": message,
    }


def action_payload(
    action_id: str = "take", user: str = "U0AGENT", channel: str = CONSOLE, **extra: Any
) -> dict[str, Any]:
    action: dict[str, Any] = {"action_id": action_id, "block_id": "ticket:TL-000001", "action_ts": "1633670900.111111"}
    if action_id == "priority":
        action.update(
            type="static_select",
            selected_option={"text": {"type": "plain_text", "text": "Crítico"}, "value": "critical"},
        )
    else:
        action.update(type="button", text={"type": "plain_text", "text": "Tomar"}, value="TL-000001")
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM, "domain": "tecnolinux"},
        "user": {"id": user, "username": "carlos", "team_id": TEAM},
        "api_app_id": "A111",
        "token": "t",
        "container": {"type": "message", "message_ts": PARENT, "channel_id": channel, "is_ephemeral": False},
        "trigger_id": "1.2.3",
        "channel": {"id": channel, "name": "soporte"},
        "message": {"type": "message", "ts": PARENT, "text": "Ticket TL-000001", "user": "U0BOT", "bot_id": "B0BOT"},
        "response_url": "https://hooks.slack.com/actions/T111/1/abc",
        "actions": [action],
    }
    payload.update(extra)
    return payload


def fixture(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((FIXTURES / "slack" / name).read_text(encoding="utf-8"))
    return loaded


async def test_url_verification_is_answered_with_the_challenge(desk: Desk) -> None:
    body = fixture("url_verification.json")
    status, text = await desk.event(body)
    assert (status, json.loads(text)) == (200, {"challenge": body["challenge"]})
    assert await desk.rows() == []
    assert desk.fake.calls == []  # no auth.test for a url_verification


async def test_an_agents_thread_reply_is_committed_once(desk: Desk) -> None:
    body = event_body()
    raw = json.dumps(body).encode()
    assert await desk.post(raw, "application/json") == (200, "")
    assert await desk.post(
        raw, "application/json", headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    ) == (200, "")
    [row] = await desk.rows()
    assert (row.channel, row.native_id, row.raw, row.meta, row.received_at) == (
        "slack",
        "Ev0THREAD",
        raw,
        {"kind": "event"},
        RECEIVED,
    )
    assert len(desk.accepted) == 2  # the retry reached the store, which deduplicated it
    reply = read_slack_payload(row.raw, row.meta["kind"])
    assert reply == ThreadReply(
        "Ev0THREAD",
        CONSOLE,
        PARENT,
        "1633670813.007500",
        "U0AGENT",
        "Reiniciamos el servicio, <@cliente> ¿ya funciona?",
        False,
    )
    assert [call.method for call in desk.fake.calls] == ["auth.test"]


async def test_bolts_thread_broadcast_fixture_is_committed(desk: Desk) -> None:
    status, _ = await desk.event(fixture("message_thread_broadcast.json"))
    assert status == 200
    [row] = await desk.rows()
    assert row.native_id == "Ev111"


async def test_a_direct_message_to_the_app_is_committed(desk: Desk) -> None:
    body = event_body(
        "Ev0DM", channel="D0ANA", channel_type="im", user="U0ANA", thread_ts=None, text="Mi VPN no conecta"
    )
    assert await desk.event(body) == (200, "")
    [row] = await desk.rows()
    assert (row.native_id, row.meta) == ("Ev0DM", {"kind": "event"})


REPLY_TS = "1633670813.007500"


def change_body(subtype: str, channel: str = CONSOLE, edited: bool = True, **previous: Any) -> dict[str, Any]:
    """An agent's deletion or edit of their thread reply, as Slack sends it (the message nested)."""
    before = {"type": "message", "user": "U0AGENT", "text": "Hola", "ts": REPLY_TS, "thread_ts": PARENT, **previous}
    fields: dict[str, Any] = {"subtype": subtype, "hidden": True, "user": None, "ts": "1633670900.000100"}
    fields.update(channel=channel, previous_message={key: value for key, value in before.items() if value})
    if subtype == "message_deleted":
        fields["deleted_ts"] = REPLY_TS
    else:
        fields["message"] = {**fields["previous_message"], "text": "Hola de nuevo"}
        if edited:
            fields["message"]["edited"] = {"user": "U0AGENT", "ts": "1633670900.000100"}
    return event_body("Ev0CHANGE", thread_ts=None, **fields)


@pytest.mark.parametrize("subtype", ["message_deleted", "message_changed"])
async def test_an_agent_deleting_or_editing_a_thread_reply_is_committed(desk: Desk, subtype: str) -> None:
    assert await desk.event(change_body(subtype)) == (200, "")
    [row] = await desk.rows()
    native_id = f"deleted:{CONSOLE}:{REPLY_TS}" if subtype == "message_deleted" else "Ev0CHANGE"
    assert (row.native_id, row.meta) == (native_id, {"kind": "event"})  # a deletion is found by the reply it names
    change = read_slack_payload(row.raw, "event")
    assert (type(change).__name__, getattr(change, "ts", None)) == (
        "ReplyWithdrawn" if subtype == "message_deleted" else "ReplyEdited",
        REPLY_TS,
    )


def with_thread(body: dict[str, Any]) -> dict[str, Any]:
    body["event"] = {**body["event"], "thread_ts": PARENT}
    return body


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(with_thread(fixture("message_with_bot_id.json")), id="another bot, bolt's fixture"),
        pytest.param(
            with_thread(fixture("message_bot_message_subtype.json")), id="bot_message subtype, bolt's fixture"
        ),
        pytest.param(event_body(bot_id="B0BOT", user="U0BOT"), id="our own bot (bolt ignores self events)"),
        pytest.param(event_body(subtype="message_changed", user=None, hidden=True, message={"text": "x"}), id="edit"),
        pytest.param(event_body(subtype="message_deleted", user=None, hidden=True, deleted_ts=PARENT), id="delete"),
        pytest.param(change_body("message_changed", bot_id="B0BOT"), id="our console line updated"),
        pytest.param(change_body("message_deleted", thread_ts=None, ts=PARENT), id="a top-level message deleted"),
        pytest.param(change_body("message_changed", thread_ts=REPLY_TS), id="a parent's reply count changed"),
        pytest.param(change_body("message_changed", edited=False), id="an unfurl, not an edit"),
        pytest.param(change_body("message_deleted", channel="C0OTHER"), id="a deletion in another channel"),
        pytest.param(event_body(subtype="channel_join", text="<@U0NEW> se unió"), id="other subtype"),
        pytest.param(event_body(thread_ts=None), id="top-level message in the console"),
        pytest.param(event_body(channel="C0OTHER"), id="thread in another channel"),
        pytest.param(event_body(team_id="T0OTHER"), id="another workspace"),
        pytest.param(
            event_body(type="reaction_added", reaction="eyes", item={"type": "message"}), id="another event type"
        ),
    ],
)
async def test_what_is_not_a_request_is_acked_and_not_stored(desk: Desk, body: dict[str, Any]) -> None:
    assert await desk.event(body) == (200, "")
    assert await desk.rows() == []


@pytest.mark.parametrize(
    ("kwargs", "why"),
    [
        ({"secret": "not-the-secret"}, "wrong secret"),
        ({"age": 301}, "older than five minutes"),
        ({"age": -302}, "from the future"),  # 302: still over five minutes if a second ticks before bolt reads it
    ],
)
async def test_a_bad_signature_is_401_and_stores_nothing(desk: Desk, kwargs: dict[str, Any], why: str) -> None:
    status, _ = await desk.event(event_body(), **kwargs)
    assert status == 401, why
    assert await desk.rows() == [] and desk.accepted == []


async def test_missing_signature_headers_are_401(desk: Desk) -> None:
    response = await desk.client.post(
        "/slack/events", data=json.dumps(event_body()).encode(), headers={"Content-Type": "application/json"}
    )
    assert response.status == 401
    assert await desk.rows() == []


async def test_an_unreadable_body_is_400(desk: Desk) -> None:
    status, _ = await desk.post(b"{not json", "application/json")
    assert status == 400
    response = await desk.client.post("/slack/events", data=b"\xff\xfe{}", headers={"Content-Type": "application/json"})
    assert response.status == 400  # not UTF-8: refused before anything else
    assert await desk.rows() == []


async def test_a_store_failure_is_500_so_slack_retries(desk: Desk) -> None:
    desk.store_down = True
    status, _ = await desk.event(event_body())
    assert status == 500
    desk.store_down = False
    assert await desk.event(event_body(), headers={"X-Slack-Retry-Num": "1"}) == (200, "")
    assert [row.native_id for row in await desk.rows()] == ["Ev0THREAD"]


async def test_a_failing_auth_test_is_500_not_an_ack(desk: Desk) -> None:
    desk.fake.fail_next(1, "internal_error", status=500, method="auth.test")
    status, _ = await desk.event(event_body())
    assert status == 500 and await desk.rows() == []
    assert await desk.event(event_body()) == (200, "")
    assert len(await desk.rows()) == 1


async def test_a_members_click_is_committed(desk: Desk) -> None:
    payload = action_payload("priority")
    assert await desk.action(payload) == (200, "")
    [row] = await desk.rows()
    assert (row.native_id, row.meta) == (f"action:{PARENT}:priority:1633670900.111111", {"kind": "action"})
    assert json.loads(row.raw) == payload
    action = read_slack_payload(row.raw, "action")
    assert action == ConsoleAction(row.native_id, CONSOLE, PARENT, "U0AGENT", "priority", "critical", "TL-000001")
    [members] = desk.fake.calls_to("conversations.members")
    assert members.args["channel"] == CONSOLE


async def test_the_member_list_is_cached_and_paginated(desk: Desk) -> None:
    desk.fake.members[CONSOLE] = [f"U{index:04d}" for index in range(1500)] + ["U0AGENT"]
    for action_id in ("take", "escalate", "waiting"):
        assert await desk.action(action_payload(action_id)) == (200, "")
    assert len(await desk.rows()) == 3
    assert [call.args.get("cursor") for call in desk.fake.calls_to("conversations.members")] == [None, "1000"]


async def test_a_non_member_is_refused_with_an_ephemeral_and_nothing_is_stored(desk: Desk) -> None:
    assert await desk.action(action_payload("take", user="U0STRANGER")) == (200, "")
    assert await desk.rows() == [] and desk.accepted == []
    [ephemeral] = desk.fake.ephemerals
    assert (ephemeral["channel"], ephemeral["user"], ephemeral["text"]) == (CONSOLE, "U0STRANGER", REFUSAL)


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(action_payload("vote"), id="not a console action"),
        pytest.param(action_payload("take", channel="C0OTHER"), id="a message in another channel"),
        pytest.param(action_payload("take", team={"id": "T0OTHER"}), id="another workspace"),
    ],
)
async def test_other_clicks_are_acked_and_not_stored(desk: Desk, payload: dict[str, Any]) -> None:
    assert await desk.action(payload) == (200, "")
    assert await desk.rows() == [] and desk.fake.ephemerals == []


async def test_a_click_whose_member_check_fails_is_500(desk: Desk) -> None:
    desk.fake.fail_next(1, "ratelimited", status=429, headers={"Retry-After": "1"}, method="conversations.members")
    status, _ = await desk.action(action_payload())
    assert status == 500 and await desk.rows() == []
    assert await desk.action(action_payload()) == (200, "")  # the agent clicks again
    assert len(await desk.rows()) == 1


async def test_a_click_the_store_cannot_commit_is_500(desk: Desk) -> None:
    desk.store_down = True
    status, _ = await desk.action(action_payload())
    assert status == 500 and await desk.rows() == []


def test_slacks_published_signature_vector_validates() -> None:
    vector = json.loads((FIXTURES / "signature_vectors" / "vectors.json").read_text(encoding="utf-8"))[
        "slack_x_slack_signature"
    ]

    class At:
        def now(self) -> float:
            return float(vector["timestamp"]) + 10

    verifier = SignatureVerifier(vector["signing_secret"], clock=At())  # type: ignore[arg-type]
    assert verifier.generate_signature(timestamp=vector["timestamp"], body=vector["body"]) == vector["signature"]
    assert verifier.is_valid(vector["body"], vector["timestamp"], vector["signature"])
    assert not verifier.is_valid(vector["body"] + "x", vector["timestamp"], vector["signature"])
    late = SignatureVerifier(vector["signing_secret"])  # today's clock: years after the vector's timestamp
    assert not late.is_valid(vector["body"], vector["timestamp"], vector["signature"])


def test_starting_the_events_app_says_nothing_about_its_token(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """bolt warns at every start that the token will be unused; it is not (authorize hands it back)."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-from-the-environment")  # as `gateway run` has it: bolt reads it too

    async def accept(request: AcceptRequest) -> AcceptResult:
        raise AssertionError("nothing is posted")

    with caplog.at_level(logging.DEBUG):
        slack_events_app(
            signing_secret=SECRET,
            client=AsyncWebClient(token="xoxb-test"),
            accept=accept,
            clock=lambda: at("2026-11-30T14:00:00"),
            console_channel_id="C0CONSOLE",
        )
    assert [record.getMessage() for record in caplog.records if "token" in record.getMessage()] == []


def question_submission(text: str, number: str = "TL-000001", user: str = "U0AGENT") -> dict[str, Any]:
    """The view_submission of the "Solicitar información" modal, as Slack sends it."""
    view = ask_modal(number) | {"id": "V0QUESTION", "state": {"values": {"question": {"text": {"value": text}}}}}
    return {
        "type": "view_submission",
        "team": {"id": TEAM, "domain": "tecnolinux"},
        "user": {"id": user, "username": "carlos", "team_id": TEAM},
        "api_app_id": "A111",
        "token": "t",
        "trigger_id": "1.2.4",
        "view": view,
    }


async def test_solicitar_informacion_opens_a_modal_and_commits_the_question(desk: Desk) -> None:
    assert await desk.action(action_payload("ask")) == (200, "")
    [opened] = desk.fake.calls_to("views.open")
    view = opened.args["view"] if isinstance(opened.args["view"], dict) else json.loads(opened.args["view"])
    assert (opened.args["trigger_id"], view["callback_id"], view["private_metadata"]) == (
        "1.2.3",
        "ask_information",
        "TL-000001",
    )
    assert await desk.rows() == []  # the click itself changes nothing

    status, answer = await desk.action(question_submission("   "))
    assert status == 200 and json.loads(answer)["errors"] == {"question": "Escriba la pregunta para el cliente."}
    assert await desk.action(question_submission("¿Nos envía el log del servidor?")) == (200, "")
    [row] = await desk.rows()
    assert (row.native_id, row.meta) == ("ask:V0QUESTION", {"kind": "ask"})
    asked = read_slack_payload(row.raw, "ask")
    assert asked == InformationRequest("V0QUESTION", "TL-000001", "U0AGENT", "¿Nos envía el log del servidor?")
    status, answer = await desk.action(question_submission("¿Y el otro?", user="U0STRANGER"))
    assert status == 200 and "errors" in json.loads(answer) and len(await desk.rows()) == 1
