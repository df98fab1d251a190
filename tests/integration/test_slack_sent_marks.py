"""Replies to Slack clients carry their key, and a reply of unknown outcome is found by it (`sent_marks`), against
the fake Slack Web API with slack_sdk's own client: in the client's thread, in their direct messages, and what a
refusal to read means (Slack busy: try later; a scope missing: send again)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from adapters.channel import FindsSent, TemporaryFailure
from adapters.slack.client_sender import SlackClientSender, message_id
from tests.fake_slack import FakeSlack
from ticketing.types import OutboundReply

DM = "D0CLIENT"


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    started = await FakeSlack(channels={DM}).start()
    yield started
    await started.stop()


def sender(fake: FakeSlack) -> SlackClientSender:
    client = AsyncWebClient(token=fake.token, base_url=fake.base_url + "/api/", retry_handlers=[], timeout=5)
    return SlackClientSender(client)


def reply(key: str, thread_key: str = "") -> OutboundReply:
    return OutboundReply("TL-000123", "slack", DM, "", "Recibimos su solicitud TL-000123.", "gw-1", thread_key, (), key)


async def test_a_reply_in_the_clients_thread_is_found_by_its_key(fake: FakeSlack) -> None:
    client_message = await sender(fake).send(reply("before"))  # stands for the client's own message
    assert client_message is not None
    thread = message_id(DM, client_message)
    slack = sender(fake)
    assert isinstance(slack, FindsSent)
    assert await slack.find_sent(reply("ack-1", thread)) is None  # not sent yet
    ts = await slack.send(reply("ack-1", thread))
    assert await slack.find_sent(reply("ack-1", thread)) == ts
    assert await slack.find_sent(reply("ack-2", thread)) is None
    assert fake.messages[-1].metadata == {"event_type": "gateway_reply", "event_payload": {"key": "ack-1"}}


async def test_a_reply_in_direct_messages_is_found_in_the_recent_history(fake: FakeSlack) -> None:
    slack = sender(fake)
    for n in range(450):  # found on the third page of 200
        await slack.send(reply(f"later-{n}" if n else "first"))
    assert await slack.find_sent(reply("first")) == fake.messages[0].ts
    assert len(fake.calls_to("conversations.history")) == 3
    assert await slack.find_sent(replace(reply("first"), idempotency_key="")) is None  # no key: nothing to find


async def test_slack_busy_keeps_the_outcome_unknown_and_a_missing_scope_sends_again(fake: FakeSlack) -> None:
    slack = sender(fake)
    ts = await slack.send(reply("ack-1"))
    fake.fail_next(1, "ratelimited", status=429, headers={"Retry-After": "3"}, method="conversations.history")
    with pytest.raises(TemporaryFailure) as busy:
        await slack.find_sent(reply("ack-1"))
    assert busy.value.retry_after == 3
    fake.fail_next(1, "missing_scope", method="conversations.history")
    assert await slack.find_sent(reply("ack-1")) is None  # cannot look: the reply goes out again
    assert await slack.find_sent(reply("ack-1")) == ts
