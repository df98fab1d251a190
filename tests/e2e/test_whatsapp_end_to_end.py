"""End to end, as Twilio and a client would see it: `gateway run` in a subprocess, signed webhooks in, replies out
to a fake Twilio API on loopback, delivery reports back."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from twilio.request_validator import RequestValidator

from tests.e2e.harness import gateway_process, wait_for, write_config
from tests.fake_twilio import FakeTwilio

ACCOUNT, TOKEN = "AC" + "0" * 32, "test-auth-token"
CLIENT = "+573105550101"  # Distribuidora Andina's WhatsApp number in the example customers.toml


@pytest.fixture
async def twilio() -> AsyncIterator[FakeTwilio]:
    fake = await FakeTwilio(ACCOUNT, TOKEN).start()
    yield fake
    await fake.stop()


def inbound(sid: str, body: str) -> dict[str, str]:
    return {
        "MessageSid": sid,
        "SmsMessageSid": sid,
        "AccountSid": ACCOUNT,
        "MessageType": "text",
        "From": f"whatsapp:{CLIENT}",
        "To": "whatsapp:+573104934656",
        "WaId": CLIENT[1:],
        "ProfileName": "Ana Gómez",
        "Body": body,
        "NumMedia": "0",
        "NumSegments": "1",
    }


async def post(session: aiohttp.ClientSession, base: str, path: str, form: dict[str, str], sign: bool = True) -> int:
    url = f"{base}/webhooks/twilio/{path}"
    headers = {"X-Twilio-Signature": RequestValidator(TOKEN).compute_signature(url, form)} if sign else {}
    async with session.post(url, data=form, headers=headers) as response:
        return response.status


async def until(check: Any, what: str) -> Any:
    return await asyncio.to_thread(wait_for, check, 20.0, what)


async def test_whatsapp_message_to_ticket_acknowledgement_and_delivery_report(
    tmp_path: Path, twilio: FakeTwilio
) -> None:
    channel = (
        '\n[channels.whatsapp]\nfrom_number = "+57 310 493 4656"\npublic_base_url = "http://127.0.0.1:{http}"\n'
        f'api_base_url = "{twilio.base_url}"\n'
    )
    smtp_port, http_port = write_config(tmp_path)
    config = tmp_path / "config" / "gateway.toml"
    config.write_text(config.read_text() + channel.replace("{http}", str(http_port)))
    secrets = {"TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_AUTH_TOKEN": TOKEN}
    base = f"http://127.0.0.1:{http_port}"
    with gateway_process(tmp_path, smtp_port, http_port, env=secrets) as gateway:
        async with aiohttp.ClientSession() as session:
            first = inbound("SM" + "a" * 32, "Buenos días, el servidor de facturación está caído desde las 8.")
            assert await post(session, base, "whatsapp", first) == 200
            [ack] = await until(lambda: twilio.messages, "the acknowledgement at Twilio")
            assert (ack.form["To"], ack.form["From"]) == (f"whatsapp:{CLIENT}", "whatsapp:+573104934656")
            body = ack.form["Body"]
            assert "TL-000001" in body and body.count("(GMT-5)") >= 2 and "Prioridad: Crítico" in body
            assert ack.form["StatusCallback"] == f"{base}/webhooks/twilio/status"

            assert await post(session, base, "whatsapp", first) == 200  # Twilio's retry: nothing new
            assert await post(session, base, "whatsapp", inbound("SM" + "b" * 32, "hola"), sign=False) == 403
            second = inbound("SM" + "c" * 32, "Ya reiniciamos el equipo y sigue igual.")
            assert await post(session, base, "whatsapp", second) == 200  # continues the open conversation
            shown = await until(
                lambda: (
                    (t := gateway.cli_json("tickets", "show", "TL-000001"))
                    and sum(m["direction"] == "in" for m in t["messages"]) == 2
                    and t
                ),
                "the second message on TL-000001",
            )
            assert len(gateway.cli_json("tickets", "list")) == 1 and len(twilio.messages) == 1
            assert shown["requester"] == CLIENT and shown["channel"] == "whatsapp" and shown["priority"] == "critical"

            sid = await until(lambda: gateway.cli_json("outbox", "list")[0]["provider_id"], "Twilio's id for the reply")
            report = {"MessageSid": sid, "MessageStatus": "delivered", "AccountSid": ACCOUNT}
            assert await post(session, base, "status", report) == 200
            states = await until(
                lambda: (
                    [
                        m["delivery_state"]
                        for m in gateway.cli_json("tickets", "show", "TL-000001")["messages"]
                        if m["direction"] == "out"
                    ]
                    == ["delivered"]
                ),
                "the delivery report on the message",
            )
            assert states


async def test_a_web_request_with_a_phone_contact_is_acknowledged_by_the_approved_template(
    tmp_path: Path, twilio: FakeTwilio
) -> None:
    """The visitor never wrote to us on WhatsApp: free-form text would be refused (63016) and the client would get
    nothing. The request's channel is the web; the acknowledgement to the number is the approved template."""
    twilio.closed_windows.add(CLIENT)
    channel = (
        '\n[channels.whatsapp]\nfrom_number = "+57 310 493 4656"\npublic_base_url = "http://127.0.0.1:{http}"\n'
        f'api_base_url = "{twilio.base_url}"\ntemplate_content_sid = "HX{"a" * 32}"\n'
        'template_variables = { "1" = "{ticket}", "2" = "{text}" }\n'
    )
    smtp_port, http_port = write_config(tmp_path)
    config = tmp_path / "config" / "gateway.toml"
    config.write_text(config.read_text() + channel.replace("{http}", str(http_port)))
    secrets = {"TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_AUTH_TOKEN": TOKEN}
    with gateway_process(tmp_path, smtp_port, http_port, env=secrets) as gateway:
        form = f"http://127.0.0.1:{http_port}/soporte"
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:  # 127.0.0.1's
            async with session.get(form) as page:
                token = re.search(r'name="csrf_token" value="([^"]+)"', await page.text())
            assert token is not None
            fields = {
                "csrf_token": token.group(1),
                "name": "Ana Gómez",
                "contact": "310 555 0101",
                "subject": "No imprime la factura",
                "description": "La impresora fiscal no imprime desde esta mañana.",
                "priority": "high",
            }
            async with session.post(form, data=fields) as response:
                assert response.status in (200, 201)
        [ack] = await until(lambda: twilio.messages, "the acknowledgement at Twilio")
        assert ack.form["To"] == f"whatsapp:{CLIENT}" and ack.form["ContentSid"] == "HX" + "a" * 32
        assert "Body" not in ack.form and "TL-000001" in ack.form["ContentVariables"]
        shown = gateway.cli_json("tickets", "show", "TL-000001")
        assert (shown["channel"], shown["reply_channel"]) == ("web", "whatsapp")
        sent = await until(lambda: gateway.cli_json("outbox", "list")[0]["status"] == "sent", "the ack sent")
        assert sent
