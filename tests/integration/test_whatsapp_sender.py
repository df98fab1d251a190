"""WhatsAppSender through the twilio package's async client against a fake Twilio Messages API on loopback."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest

from adapters.channel import PermanentFailure, TemporaryFailure
from adapters.whatsapp.sender import ApprovedTemplate, WhatsAppSender
from tests.conftest import at, free_port
from tests.fake_twilio import FakeTwilio
from ticketing.types import OutboundReply

ACCOUNT = "AC" + "a" * 32
TOKEN = "t" * 32
NOW = at("2026-11-24T15:00:00")
CLIENT = "+573001234567"
OURS = "+14155238886"
CALLBACK = "https://desk.example.com/webhooks/twilio/status"
TEMPLATE = ApprovedTemplate("HX" + "c" * 32, {"1": "{ticket}", "2": "{text}"})


def reply(text: str = "Recibimos su solicitud TL-000123. Prioridad alta.") -> OutboundReply:
    return OutboundReply(
        ticket_number="TL-000123",
        channel="whatsapp",
        recipient=CLIENT,
        subject="",
        text=text,
        message_key="k1",
        thread_key="SM" + "1" * 32,
        references=(),
        idempotency_key="idem-1",
        kind="acknowledgement",
    )


@pytest.fixture
async def fake() -> AsyncIterator[FakeTwilio]:
    server = await FakeTwilio(ACCOUNT, TOKEN).start()
    yield server
    await server.stop()


def sender(base_url: str, last_seen: datetime | None, template: ApprovedTemplate | None = None) -> WhatsAppSender:
    async def last_client_message_at(recipient: str) -> datetime | None:
        assert recipient == CLIENT
        return last_seen

    return WhatsAppSender(
        account_sid=ACCOUNT,
        auth_token=TOKEN,
        from_number=OURS,
        messaging_service_sid=None,
        status_callback_url=CALLBACK,
        last_client_message_at=last_client_message_at,
        clock=lambda: NOW,
        template=template,
        api_base_url=base_url,
        timeout=5.0,
    )


async def send(
    fake_url: str, message: OutboundReply, last_seen: datetime | None, template: ApprovedTemplate | None = None
) -> str | None:
    whatsapp = sender(fake_url, last_seen, template)
    try:
        return await whatsapp.send(message)
    finally:
        await whatsapp.close()


async def test_within_the_window_one_message_with_body_and_status_callback(fake: FakeTwilio) -> None:
    sid = await send(fake.base_url, reply(), NOW - timedelta(hours=2))
    [call] = fake.messages
    assert call.path == f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json"
    assert call.auth == (ACCOUNT, TOKEN)
    assert call.form["From"] == f"whatsapp:{OURS}"
    assert call.form["To"] == f"whatsapp:{CLIENT}"
    assert call.form["Body"] == reply().text
    assert call.form["StatusCallback"] == CALLBACK
    assert "ContentSid" not in call.form
    assert sid is not None and sid.startswith("SM") and len(sid) == 34


async def test_a_long_text_goes_in_parts_cut_at_sentence_ends_in_order(fake: FakeTwilio) -> None:
    sentences = [
        f"Paso {i:03d}: reinicie el servicio y verifique el registro del servidor de facturación." for i in range(42)
    ]
    text = " ".join(sentences)
    assert 3_400 < len(text) < 3_600
    sid = await send(fake.base_url, reply(text), NOW - timedelta(hours=23))
    bodies = [call.form["Body"] for call in fake.messages]
    assert len(bodies) == 3
    assert all(len(body) <= 1600 and body.endswith(".") for body in bodies)
    assert " ".join(bodies) == text
    assert bodies[0].startswith("Paso 000") and bodies[-1].endswith(sentences[-1])
    assert sid is not None and sid.startswith("SM")


@pytest.mark.parametrize("last_seen", [None, NOW - timedelta(hours=24, minutes=1)], ids=["never wrote", "25 hours ago"])
async def test_outside_the_window_the_approved_template_is_sent(fake: FakeTwilio, last_seen: datetime | None) -> None:
    sid = await send(fake.base_url, reply("Hola,\n\nsu caso   avanza."), last_seen, TEMPLATE)
    [call] = fake.messages
    assert call.form["ContentSid"] == TEMPLATE.content_sid
    assert json.loads(call.form["ContentVariables"]) == {"1": "TL-000123", "2": "Hola, su caso avanza."}
    assert "Body" not in call.form
    assert sid is not None


async def test_when_twilio_says_the_window_is_closed_the_template_goes_at_once(fake: FakeTwilio) -> None:
    """Our records said the client wrote recently; WhatsApp says otherwise (63016): the reply is not lost."""
    fake.fail_next(1, 400, code=63016, message="Failed to send freeform message because you are outside the window.")
    sid = await send(fake.base_url, reply(), NOW - timedelta(hours=1), TEMPLATE)
    free_form, template = fake.messages
    assert "Body" in free_form.form and template.form["ContentSid"] == TEMPLATE.content_sid
    assert sid is not None and sid.startswith("SM")


async def test_outside_the_window_without_template_fails_for_good(fake: FakeTwilio) -> None:
    with pytest.raises(PermanentFailure, match="24-hour window"):
        await send(fake.base_url, reply(), None)
    assert fake.messages == []


async def test_429_is_temporary_and_honours_retry_after(fake: FakeTwilio) -> None:
    fake.fail_next(1, 429, code=20429, message="Too Many Requests", headers={"Retry-After": "7"})
    with pytest.raises(TemporaryFailure) as caught:
        await send(fake.base_url, reply(), NOW)
    assert caught.value.retry_after == 7
    assert "20429" in caught.value.reason


async def test_500_is_temporary(fake: FakeTwilio) -> None:
    fake.fail_next(1, 500)
    with pytest.raises(TemporaryFailure) as caught:
        await send(fake.base_url, reply(), NOW)
    assert caught.value.retry_after is None


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (21211, "The 'To' number +573001234567 is not a valid phone number."),
        (63016, "Failed to send freeform message because you are outside the allowed window."),
    ],
)
async def test_other_4xx_fail_for_good_naming_twilio_code(fake: FakeTwilio, code: int, message: str) -> None:
    fake.fail_next(1, 400, code=code, message=message)
    with pytest.raises(PermanentFailure) as caught:
        await send(fake.base_url, reply(), NOW)
    assert str(code) in caught.value.reason and message in caught.value.reason


async def test_wrong_credentials_fail_for_good(fake: FakeTwilio) -> None:
    whatsapp = WhatsAppSender(
        account_sid=ACCOUNT,
        auth_token="wrong",
        from_number=OURS,
        messaging_service_sid="MG" + "d" * 32,
        status_callback_url=None,
        last_client_message_at=lambda _: _at(NOW),
        clock=lambda: NOW,
        api_base_url=fake.base_url,
    )
    try:
        with pytest.raises(PermanentFailure, match="20003"):
            await whatsapp.send(reply())
    finally:
        await whatsapp.close()
    assert fake.messages[0].form["MessagingServiceSid"] == "MG" + "d" * 32


async def _at(moment: datetime) -> datetime:
    return moment


async def test_fake_server_down_is_temporary() -> None:
    with pytest.raises(TemporaryFailure, match="cannot reach Twilio"):
        await send(f"http://127.0.0.1:{free_port()}", reply(), NOW)


async def test_a_recipient_that_is_not_a_phone_number_fails_for_good(fake: FakeTwilio) -> None:
    bad = OutboundReply("TL-1", "whatsapp", "ana@andina.com.co", "", "hola", "k", "", (), "i")
    with pytest.raises(PermanentFailure, match="not a WhatsApp number"):
        await send(fake.base_url, bad, NOW)
    assert fake.messages == []


async def test_one_sender_serves_concurrent_replies_each_with_its_own_retry_after(fake: FakeTwilio) -> None:
    fake.fail_next(1, 429, code=20429, headers={"Retry-After": "3"})
    whatsapp = sender(fake.base_url, NOW)
    try:
        results = await asyncio.gather(whatsapp.send(reply()), whatsapp.send(reply()), return_exceptions=True)
    finally:
        await whatsapp.close()
    failures = [r for r in results if isinstance(r, TemporaryFailure)]
    assert [f.retry_after for f in failures] == [3]
    assert sum(isinstance(r, str) for r in results) == 1
