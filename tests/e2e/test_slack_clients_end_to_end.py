"""End to end: clients on WhatsApp and on Slack itself, worked by agents from the console threads."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from tests.e2e.harness import gateway_process, write_config
from tests.e2e.test_slack_end_to_end import CONSOLE, SECRET, agent_says, post_event, until
from tests.e2e.test_whatsapp_end_to_end import ACCOUNT, CLIENT, TOKEN, inbound, post
from tests.fake_slack import FakeSlack
from tests.fake_twilio import FakeTwilio

CLIENT_ON_SLACK = "U01ANDINA01"  # Distribuidora Andina's Slack user in the example customers.toml
DM = "D0CLIENT"
SHARED = "C01ANDINA01"  # Andina's shared channel in the example customers.toml


@pytest.fixture
async def peers() -> AsyncIterator[tuple[FakeSlack, FakeTwilio]]:
    slack = await FakeSlack(channels={CONSOLE, DM, SHARED}, members={CONSOLE: ["U0AGENT"]}).start()
    twilio = await FakeTwilio(ACCOUNT, TOKEN).start()
    yield slack, twilio
    await twilio.stop()
    await slack.stop()


def client_dm(event_id: str, text: str, ts: str) -> dict[str, object]:
    event = {"type": "message", "channel": DM, "channel_type": "im", "user": CLIENT_ON_SLACK, "text": text, "ts": ts}
    return {"type": "event_callback", "team_id": "T0TEAM", "api_app_id": "A1", "event_id": event_id, "event": event}


async def test_whatsapp_and_slack_clients_answered_from_the_console(
    tmp_path: Path, peers: tuple[FakeSlack, FakeTwilio]
) -> None:
    slack, twilio = peers
    smtp_port, http_port = write_config(tmp_path)
    base = f"http://127.0.0.1:{http_port}"
    extra = (
        f'\n[channels.slack]\nagents_channel = "{CONSOLE}"\nteam_id = "T0TEAM"\napi_base_url = "{slack.base_url}/api/"\n'
        'reply_mode = "direct"\nreply_grace_seconds = 0\n'
        f'\n[channels.whatsapp]\nfrom_number = "+57 310 493 4656"\npublic_base_url = "{base}"\n'
        f'api_base_url = "{twilio.base_url}"\n'
    )
    config = tmp_path / "config" / "gateway.toml"
    config.write_text(config.read_text() + extra)
    secrets = {
        "SLACK_BOT_TOKEN": slack.token,
        "SLACK_SIGNING_SECRET": SECRET,
        "TWILIO_ACCOUNT_SID": ACCOUNT,
        "TWILIO_AUTH_TOKEN": TOKEN,
    }
    with gateway_process(tmp_path, smtp_port, http_port, env=secrets) as gateway:
        events = f"{base}/slack/events"
        async with aiohttp.ClientSession() as session:
            # WhatsApp: the client's message opens a ticket with its summary in the console.
            assert await post(session, base, "whatsapp", inbound("SM" + "d" * 32, "La impresora no imprime.")) == 200
            [summary] = await until(lambda: [m for m in slack.messages if m.thread_ts is None], "the WhatsApp ticket")
            await until(lambda: len(twilio.messages) == 1, "the WhatsApp acknowledgement")
            assert (
                await post_event(session, events, agent_says("EvW1", "Revise que tenga papel, por favor.", summary.ts))
                == 200
            )
            answer = await until(lambda: len(twilio.messages) == 2 and twilio.messages[1], "the agent's WhatsApp reply")
            assert (
                answer.form["To"] == f"whatsapp:{CLIENT}"
                and answer.form["Body"] == "Revise que tenga papel, por favor."
            )

            # Slack: a client writes to the app directly; the acknowledgement and the agent's reply go to their thread.
            ts = f"{time.time():.6f}"
            assert await post_event(session, events, client_dm("EvS1", "No puedo entrar al ERP.", ts)) == 200
            ack = await until(lambda: [m for m in slack.messages if m.channel == DM], "the acknowledgement in the DM")
            assert ack[0].thread_ts == ts and "TL-000002" in ack[0].text
            summaries = await until(
                lambda: len(s := [m for m in slack.messages if m.thread_ts is None]) == 2 and s, "2nd summary"
            )
            reply = agent_says("EvS2", "Ya le restablecimos la contraseña.", summaries[1].ts)
            assert await post_event(session, events, reply) == 200
            await until(
                lambda: any(
                    m.channel == DM and "restablecimos" in m.text and m.thread_ts == ts for m in slack.messages
                ),
                "the agent's reply in the client's thread",
            )

            # A shared (Slack Connect) channel of the client's organisation: answered in the channel's thread.
            shared_ts = f"{time.time():.6f}"
            message = {
                "type": "message",
                "channel": SHARED,
                "channel_type": "channel",
                "user": "U0EXTERNAL",
                "text": "¿Pueden revisar el backup de anoche?",
                "ts": shared_ts,
            }
            body = {
                "type": "event_callback",
                "team_id": "T0TEAM",
                "api_app_id": "A1",
                "event_id": "EvC9",
                "event": message,
            }
            assert await post_event(session, events, body) == 200
            [ack] = await until(
                lambda: [m for m in slack.messages if m.channel == SHARED], "the acknowledgement in the channel"
            )
            assert ack.thread_ts == shared_ts and "TL-000003" in ack.text
            shown = gateway.cli_json("tickets", "show", "TL-000003")
            assert (shown["organisation"], shown["plan"], shown["requester"]) == ("andina", "standard", SHARED)
