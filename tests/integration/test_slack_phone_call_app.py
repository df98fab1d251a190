"""`/ticket` and the phone call modal through the Slack sub-app (bolt behind aiohttp) on a real server, with requests
signed by slack_sdk and the fake Slack Web API answering `conversations.members` and `views.open`."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from structlog.testing import capture_logs

from adapters.slack.events import slack_events_app
from adapters.slack.phone_call import (
    COMMAND_REFUSAL,
    NOT_OPENED,
    NOT_RECORDED,
    TOO_SLOW,
    PhoneCall,
    PhoneCallDesk,
    confirmation_view,
    phone_call_modal,
)
from tests.conftest import at, project_texts
from tests.fake_slack import FakeSlack
from tests.unit.test_slack_phone_call import FILLED, submitted_view
from ticketing.intake import AcceptRequest, AcceptResult

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
LABELS_ES = project_texts()("es")
CONSOLE, TEAM, TRIGGER = "C111", "T111", "1764511200.1234567890.abcdef0123456789"


@dataclass
class Recorder:
    """`PhoneCallDesk.record`: records each call with its raw payload; one number per native id (idempotent)."""

    mode: str = "ok"  # ok | fail | slow
    release: asyncio.Event = field(default_factory=asyncio.Event)
    calls: list[tuple[PhoneCall, bytes]] = field(default_factory=list)
    numbers: dict[str, str] = field(default_factory=dict)

    async def __call__(self, call: PhoneCall, raw: bytes) -> str:
        self.calls.append((call, raw))
        if self.mode == "fail":
            raise OSError("disk full")
        if self.mode == "slow":
            await self.release.wait()
        return self.numbers.setdefault(call.native_id, f"TL-{123 + len(self.numbers):06d}")


@dataclass
class Desk:
    client: TestClient[web.Request, web.Application]
    fake: FakeSlack
    recorder: Recorder

    async def post(self, form: dict[str, str], *, secret: str = SECRET) -> tuple[int, Any]:
        body = urlencode(form).encode()
        timestamp = str(int(time.time()))
        signature = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)
        assert signature is not None
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": signature,
        }
        response = await self.client.post("/slack/events", data=body, headers=headers)
        text = await response.text()
        return response.status, json.loads(text) if text.startswith("{") else text

    async def command(self, user: str = "U0AGENT", team: str = TEAM) -> tuple[int, Any]:
        return await self.post(
            {
                "token": "t",
                "team_id": team,
                "team_domain": "tecnolinux",
                "channel_id": "D0AGENT",
                "channel_name": "directmessage",
                "user_id": user,
                "user_name": "carlos",
                "command": "/ticket",
                "text": "",
                "api_app_id": "A111",
                "is_enterprise_install": "false",
                "response_url": "https://hooks.slack.com/commands/T111/1/abc",
                "trigger_id": TRIGGER,
            }
        )

    async def submit(self, view: dict[str, Any], user: str = "U0AGENT", **kwargs: Any) -> tuple[int, Any]:
        return await self.post({"payload": json.dumps(submission(view, user), ensure_ascii=False)}, **kwargs)


def submission(view: dict[str, Any], user: str = "U0AGENT") -> dict[str, Any]:
    """A view_submission payload as Slack sends it."""
    return {
        "type": "view_submission",
        "team": {"id": TEAM, "domain": "tecnolinux"},
        "user": {"id": user, "username": "carlos", "name": "carlos", "team_id": TEAM},
        "api_app_id": "A111",
        "token": "t",
        "trigger_id": "1764511300.1234567890.fedcba9876543210",
        "view": view,
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }


def updated(number: str, contact: str) -> tuple[int, dict[str, Any]]:
    return 200, {"response_action": "update", "view": confirmation_view(number, contact)}


def refused(message: str) -> tuple[int, dict[str, Any]]:
    return 200, {"response_action": "errors", "errors": {"contact": message}}


async def serve(fake: FakeSlack, recorder: Recorder | None) -> TestClient[web.Request, web.Application]:
    async def accept(request: AcceptRequest) -> AcceptResult:
        raise AssertionError("a phone call is committed by PhoneCallDesk.record, not through accept")

    slack = AsyncWebClient(token=fake.token, base_url=fake.base_url + "/api/", retry_handlers=[])
    app = web.Application()
    events = slack_events_app(
        signing_secret=SECRET,
        client=slack,
        accept=accept,
        clock=lambda: at("2026-11-30T14:00:00"),
        console_channel_id=CONSOLE,
        team_id=TEAM,
        phone_calls=PhoneCallDesk(LABELS_ES, recorder) if recorder else None,
    )
    app.add_subapp("/slack", events)
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    return client


@pytest.fixture
async def desk() -> AsyncIterator[Desk]:
    fake = await FakeSlack(channels={CONSOLE}, team_id=TEAM, members={CONSOLE: ["U0AGENT", "U0LEAD"]}).start()
    recorder = Recorder()
    client = await serve(fake, recorder)
    yield Desk(client, fake, recorder)
    recorder.release.set()
    await client.close()
    await fake.stop()


async def test_a_members_ticket_command_opens_the_modal(desk: Desk) -> None:
    assert await desk.command() == (200, "")
    assert [call.args["trigger_id"] for call in desk.fake.calls_to("views.open")] == [TRIGGER]
    assert desk.fake.views == [phone_call_modal(LABELS_ES)]
    assert [call.args["channel"] for call in desk.fake.calls_to("conversations.members")] == [CONSOLE]
    assert desk.recorder.calls == []


@pytest.mark.parametrize(
    ("user", "team"), [("U0STRANGER", TEAM), ("U0AGENT", "T0OTHER")], ids=["non-member", "other team"]
)
async def test_anyone_else_is_refused_and_no_modal_opens(desk: Desk, user: str, team: str) -> None:
    status, answer = await desk.command(user, team)
    assert (status, answer) == (200, {"text": COMMAND_REFUSAL, "response_type": "ephemeral"})
    assert desk.fake.calls_to("views.open") == [] and desk.fake.views == []


@pytest.mark.parametrize("method", ["views.open", "conversations.members"])
async def test_when_the_modal_cannot_open_the_operator_is_told(desk: Desk, method: str) -> None:
    desk.fake.fail_next(1, "expired_trigger_id" if method == "views.open" else "ratelimited", method=method)
    assert await desk.command() == (200, {"text": NOT_OPENED, "response_type": "ephemeral"})
    assert desk.fake.views == []
    assert await desk.command() == (200, "")  # the operator types /ticket again
    assert len(desk.fake.views) == 1


async def test_a_valid_submission_becomes_a_ticket_and_shows_its_number(desk: Desk) -> None:
    view = submitted_view("V0CALL0001", contact="+57 300 555 0101")
    with capture_logs() as logs:
        status, answer = await desk.submit(view)
    assert (status, answer) == updated("TL-000123", "+57 300 555 0101") and "TL-000123" in json.dumps(answer["view"])
    [(call, raw)] = desk.recorder.calls
    assert call == PhoneCall(
        native_id="call:V0CALL0001",
        operator="U0AGENT",
        contact="+57 300 555 0101",
        client_name=FILLED["client_name"],
        organisation=FILLED["organisation"],
        subject=FILLED["subject"],
        description=FILLED["description"],
        priority="high",
    )
    assert raw == json.dumps(submission(view), ensure_ascii=False).encode()  # the payload exactly as Slack sent it
    written = json.dumps(logs, ensure_ascii=False)
    assert FILLED["subject"] not in written and FILLED["description"].splitlines()[0] not in written
    assert any(log["event"] == "phone call recorded" and log["number"] == "TL-000123" for log in logs)


async def test_an_invalid_submission_returns_the_field_errors_and_records_nothing(desk: Desk) -> None:
    status, answer = await desk.submit(submitted_view(contact="ana@cliente", subject="  ", priority=None))
    assert status == 200 and answer["response_action"] == "errors"
    assert set(answer["errors"]) == {"contact", "subject", "priority"}
    assert desk.recorder.calls == []


async def test_a_failing_on_phone_call_asks_to_retry(desk: Desk) -> None:
    desk.recorder.mode = "fail"
    assert await desk.submit(submitted_view()) == refused(NOT_RECORDED)
    desk.recorder.mode = "ok"
    status, answer = await desk.submit(submitted_view())  # the operator submits the same modal again
    assert (status, answer["response_action"]) == (200, "update")
    assert [call.native_id for call, _ in desk.recorder.calls] == [f"call:{submitted_view()['id']}"] * 2


async def test_a_slow_on_phone_call_answers_within_slacks_budget_and_a_retry_is_the_same_ticket(desk: Desk) -> None:
    desk.recorder.mode = "slow"
    started = time.monotonic()
    with capture_logs() as logs:
        assert await desk.submit(submitted_view()) == refused(TOO_SLOW)
        assert 2.4 < time.monotonic() - started < 3.0
        desk.recorder.release.set()  # the call was not cancelled: it finishes after the answer
        async with asyncio.timeout(2):
            while not any(log["event"] == "phone call recorded after its answer" for log in logs):
                await asyncio.sleep(0.01)
    assert desk.recorder.numbers == {"call:V0VIEW0001": "TL-000123"}
    assert await desk.submit(submitted_view()) == updated("TL-000123", "ana.rojas@cliente.com")
    assert len(desk.recorder.calls) == 2


async def test_a_badly_signed_submission_is_401_and_records_nothing(desk: Desk) -> None:
    status, _ = await desk.submit(submitted_view(), secret="not-the-secret")
    assert status == 401 and desk.recorder.calls == []


async def test_without_on_phone_call_there_is_no_ticket_command() -> None:
    fake = await FakeSlack(channels={CONSOLE}, team_id=TEAM, members={CONSOLE: ["U0AGENT"]}).start()
    client = await serve(fake, None)
    try:
        status, _ = await Desk(client, fake, Recorder()).command()
        assert status == 404 and fake.views == []
    finally:
        await client.close()
        await fake.stop()
