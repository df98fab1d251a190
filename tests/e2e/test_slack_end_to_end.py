"""End to end across channels: an email ticket is worked from its Slack thread, and the conversation flows both ways.

`gateway run` in a subprocess; Slack is a fake Web API on loopback and signed Events API requests; mail goes in
over SMTP and out to an SMTP sink.
"""

from __future__ import annotations

import asyncio
import json
import re
import smtplib
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from slack_sdk.signature import SignatureVerifier

from tests.e2e.harness import RunningGateway, gateway_process, sink_outgoing, smtp_sink, wait_for, write_config
from tests.fake_slack import FakeSlack

SECRET = "slack-signing-secret"
CONSOLE = "C0CONSOLE"


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    fake = await FakeSlack(members={CONSOLE: ["U0AGENT"]}).start()
    yield fake
    await fake.stop()


def mail(subject: str, body: str, message_id: str, in_reply_to: str | None = None) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Ana Gómez <sistemas@andina.com.co>"
    message["To"] = "soporte@tecnolinux.com"
    message["Subject"] = subject
    message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = message["References"] = in_reply_to
    message.set_content(body)
    return message


def send(port: int, message: EmailMessage) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.send_message(message)


def agent_says(event_id: str, text: str, parent: str) -> dict[str, Any]:
    event = {
        "type": "message",
        "channel": CONSOLE,
        "user": "U0AGENT",
        "text": text,
        "ts": f"{time.time():.6f}",
        "thread_ts": parent,
        "channel_type": "channel",
    }
    return {"type": "event_callback", "team_id": "T0TEAM", "api_app_id": "A1", "event_id": event_id, "event": event}


async def post_event(session: aiohttp.ClientSession, url: str, body: dict[str, Any], retry: bool = False) -> int:
    raw = json.dumps(body).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": SignatureVerifier(SECRET).generate_signature(timestamp=timestamp, body=raw) or "",
    }
    if retry:
        headers["X-Slack-Retry-Num"] = "1"
    async with session.post(url, data=raw, headers=headers) as response:
        return response.status


@contextmanager
def console_gateway(
    tmp_path: Path, slack: FakeSlack, sink_port: int, reply_mode: str, grace: int = 0
) -> Iterator[RunningGateway]:
    """`gateway run` with the agents' console on the fake Slack and replies by mail to the SMTP sink."""
    console = (
        f'\n[channels.slack]\nagents_channel = "{CONSOLE}"\nteam_id = "T0TEAM"\nreply_mode = "{reply_mode}"\n'
        f'api_base_url = "{slack.base_url}/api/"\nreply_grace_seconds = {grace}\n'
    )
    ports = write_config(tmp_path, sink_outgoing(sink_port), extra=console)
    with gateway_process(
        tmp_path, *ports, env={"SLACK_BOT_TOKEN": slack.token, "SLACK_SIGNING_SECRET": SECRET}
    ) as gateway:
        yield gateway


async def until(check: Any, what: str) -> Any:
    return await asyncio.to_thread(wait_for, check, 20.0, what)


async def test_an_email_ticket_is_worked_from_its_slack_thread(tmp_path: Path, slack: FakeSlack) -> None:
    with smtp_sink() as (sink, sink_port), console_gateway(tmp_path, slack, sink_port, "direct") as gateway:
        events = f"http://127.0.0.1:{gateway.http_port}/slack/events"
        await asyncio.to_thread(
            send, gateway.smtp_port, mail("VPN caída", "La VPN no conecta desde esta mañana.", "<c1@andina.com.co>")
        )
        [parent] = await until(
            lambda: [m for m in slack.messages if m.thread_ts is None], "the ticket's summary in Slack"
        )
        assert parent.channel == CONSOLE and "TL-000001" in parent.text
        assert any(block.get("type") == "actions" for block in parent.blocks)
        await until(lambda: len(sink.messages) == 1, "the acknowledgement to the client")

        async with aiohttp.ClientSession() as session:
            reply = agent_says("Ev1", "Hola Ana, reiniciamos el concentrador VPN. ¿Ya conecta?", parent.ts)
            assert await post_event(session, events, reply) == 200
            answer = await until(lambda: len(sink.messages) >= 2 and sink.messages[1], "the agent's reply by email")
            assert answer["Subject"] == "[TL-000001] VPN caída" and answer["In-Reply-To"] == "<c1@andina.com.co>"
            assert "reiniciamos el concentrador" in answer.get_content()
            acknowledgement = sink.messages[0]
            assert acknowledgement["Message-ID"] in answer["References"].split()  # the whole conversation, ours too
            assert "¿Ya conecta?\n\n-- \nMesa de Ayuda TecnoLinux\n" in answer.get_content().replace("\r\n", "\n")
            assert await post_event(session, events, reply, retry=True) == 200  # Slack's retry: nothing new
            note = agent_says("Ev2", "nota: revisar los logs del firewall", parent.ts)
            assert await post_event(session, events, note) == 200
            await until(
                lambda: any(
                    "Enviado a sistemas@andina.com.co" in m.text for m in slack.messages if m.thread_ts == parent.ts
                ),
                "the delivery confirmation in the thread",
            )

        # The client answers the agent's email: it lands in the same Slack thread.
        await asyncio.to_thread(
            send,
            gateway.smtp_port,
            mail(
                "RE: [TL-000001] VPN caída",
                "Sí, ya conecta. Gracias.",
                "<c2@andina.com.co>",
                in_reply_to=answer["Message-ID"],
            ),
        )
        await until(
            lambda: any("Sí, ya conecta" in m.text for m in slack.messages if m.thread_ts == parent.ts),
            "the client's answer in the thread",
        )
        shown = gateway.cli_json("tickets", "show", "TL-000001")
        directions = [m["direction"] for m in shown["messages"]]
        assert directions == ["in", "out", "out", "note", "in"]  # ack, agent reply, internal note, client answer
        assert shown["responded_at"] is not None
        assert len(sink.messages) == 2  # the note never left Slack, the retried event sent nothing twice
        assert slack.calls_to("chat.update")  # the summary followed the ticket's changes


async def click(session: aiohttp.ClientSession, url: str, action_id: str, value: str, number: str, ts: str) -> int:
    action = {
        "action_id": action_id,
        "block_id": f"ticket:{number}",
        "action_ts": f"{time.time():.6f}",
        "type": "button",
        "value": value,
    }
    payload = {
        "type": "block_actions",
        "team": {"id": "T0TEAM"},
        "user": {"id": "U0AGENT", "team_id": "T0TEAM"},
        "api_app_id": "A1",
        "container": {"type": "message", "message_ts": ts, "channel_id": CONSOLE, "is_ephemeral": True},
        "channel": {"id": CONSOLE},
        "trigger_id": "1.2.3",
        "actions": [action],
    }
    raw = urlencode({"payload": json.dumps(payload)}).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": SignatureVerifier(SECRET).generate_signature(timestamp=timestamp, body=raw) or "",
    }
    async with session.post(url, data=raw, headers=headers) as response:
        return response.status


async def test_confirm_mode_asks_the_agent_before_anything_reaches_the_client(tmp_path: Path, slack: FakeSlack) -> None:
    with smtp_sink() as (sink, sink_port), console_gateway(tmp_path, slack, sink_port, "confirm") as gateway:
        events = f"http://127.0.0.1:{gateway.http_port}/slack/events"
        await asyncio.to_thread(
            send, gateway.smtp_port, mail("Correo lento", "El correo tarda mucho.", "<c9@andina.com.co>")
        )
        [parent] = await until(lambda: [m for m in slack.messages if m.thread_ts is None], "the summary")
        await until(lambda: len(sink.messages) == 1, "the acknowledgement")
        async with aiohttp.ClientSession() as session:
            first = agent_says("EvC1", "Estamos revisando el servidor de correo.", parent.ts)
            second = agent_says("EvC2", "Parece un problema del proveedor.", parent.ts)
            assert await post_event(session, events, first) == 200
            assert await post_event(session, events, second) == 200
            prompts = await until(lambda: len(p := slack.calls_to("chat.postEphemeral")) == 2 and p, "two prompts")
            assert {p.args["user"] for p in prompts} == {"U0AGENT"}
            assert len(sink.messages) == 1  # nothing reached the client yet
            third = agent_says("EvC3", "el cliente es insoportable", parent.ts)
            assert await post_event(session, events, third) == 200
            await until(lambda: len(slack.calls_to("chat.postEphemeral")) == 3, "the third prompt")
            assert await post_event(session, events, agent_changes("EvC4", third, None)) == 200  # deleted at once
            await asyncio.sleep(0.5)
            assert await click(session, events, "confirm_send", "EvC3", "TL-000001", "1.3") == 200  # sends nothing
            edit = agent_changes("EvC5", first, "Estamos revisando el servidor de correo y el antispam.")
            assert await post_event(session, events, edit) == 200  # edited before it was confirmed: asked again
            prompts = await until(lambda: len(p := slack.calls_to("chat.postEphemeral")) == 4 and p, "a new prompt")
            assert "el antispam" in json.dumps(prompts[-1].args["blocks"], ensure_ascii=False)
            assert await click(session, events, "confirm_send", "EvC5", "TL-000001", "1.5") == 200
            assert await click(session, events, "confirm_send", "EvC1", "TL-000001", "1.1") == 200  # already decided
            assert await click(session, events, "confirm_note", "EvC2", "TL-000001", "1.2") == 200
            sent = await until(lambda: len(sink.messages) >= 2 and sink.messages[1], "the confirmed reply")
            assert "Estamos revisando el servidor de correo y el antispam." in sent.get_content()
        shown = await until(
            lambda: (
                (t := gateway.cli_json("tickets", "show", "TL-000001"))
                and any(m["direction"] == "note" for m in t["messages"])
                and t
            ),
            "the internal note",
        )
        assert [m["body"] for m in shown["messages"] if m["direction"] == "note"] == [
            "Parece un problema del proveedor."
        ]
        await asyncio.sleep(1)
        assert len(sink.messages) == 2  # the note never left, nor the reply deleted before its confirmation
        assert not any("insoportable" in m["body"] for m in shown["messages"])


def agent_changes(event_id: str, said: dict[str, Any], new_text: str | None) -> dict[str, Any]:
    """The agent deletes (`new_text` None) or edits what they said in the thread, as Slack reports it."""
    before = {key: value for key, value in said["event"].items() if key != "channel_type"}
    event: dict[str, Any] = {"type": "message", "channel": CONSOLE, "hidden": True, "ts": f"{time.time():.6f}"}
    event["previous_message"] = before
    if new_text is None:
        event.update(subtype="message_deleted", deleted_ts=before["ts"])
    else:
        edited = {"user": before["user"], "ts": event["ts"]}
        event.update(subtype="message_changed", message={**before, "text": new_text, "edited": edited})
    return {"type": "event_callback", "team_id": "T0TEAM", "api_app_id": "A1", "event_id": event_id, "event": event}


async def test_in_direct_mode_a_reply_can_be_deleted_or_edited_during_its_grace_period(
    tmp_path: Path, slack: FakeSlack
) -> None:
    grace = 5
    with smtp_sink() as (sink, sink_port), console_gateway(tmp_path, slack, sink_port, "direct", grace) as gateway:
        events = f"http://127.0.0.1:{gateway.http_port}/slack/events"
        await asyncio.to_thread(
            send, gateway.smtp_port, mail("Sin internet", "No hay internet en la sede.", "<g1@andina.com.co>")
        )
        [parent] = await until(lambda: [m for m in slack.messages if m.thread_ts is None], "the summary")
        await until(lambda: len(sink.messages) == 1, "the acknowledgement")

        def thread_says(text: str) -> Any:
            return lambda: any(text in m.text for m in slack.messages if m.thread_ts == parent.ts)

        async with aiohttp.ClientSession() as session:
            forgotten = agent_says("EvG1", "ojo: este cliente debe tres facturas", parent.ts)
            mistyped = agent_says("EvG2", "Reinicie el router.", parent.ts)
            remark = agent_says("EvG3", "el técnico llega a las 3", parent.ts)
            for said in (forgotten, mistyped, remark):
                assert await post_event(session, events, said) == 200
            assert await post_event(session, events, agent_changes("EvG4", forgotten, None)) == 200
            edit = agent_changes("EvG5", mistyped, "Reinicie el router y el módem, por favor.")
            assert await post_event(session, events, edit) == 200
            to_note = agent_changes("EvG6", remark, "nota: el técnico llega a las 3")
            assert await post_event(session, events, to_note) == 200
            await until(thread_says("Respuesta cancelada: no se envió a sistemas@andina.com.co."), "the cancellation")
            await until(thread_says("la versión editada"), "the edit confirmed")
            await until(thread_says("Queda como nota interna"), "the note kept")
            assert len(sink.messages) == 1  # nothing went during the grace period

            sent = await until(lambda: len(sink.messages) >= 2 and sink.messages[1], "the edited reply")
            assert "Reinicie el router y el módem, por favor." in sent.get_content()
            await until(thread_says("Enviado a sistemas@andina.com.co"), "the delivery confirmation")
            late = agent_changes("EvG7", mistyped, None)  # deleted after it went: the agent is told
            assert await post_event(session, events, late) == 200
            await until(thread_says("ya se había enviado"), "the too-late warning")

        await asyncio.sleep(1)
        assert len(sink.messages) == 2  # the deleted reply and the remark never left
        shown = gateway.cli_json("tickets", "show", "TL-000001")
        assert [m["body"] for m in shown["messages"] if m["direction"] == "note"] == ["el técnico llega a las 3"]
        states = [m["delivery_state"] for m in shown["messages"] if m["direction"] == "out"]
        assert states.count("withdrawn") == 2 and "sent" in states


async def test_a_clients_files_reach_the_ticket_thread(tmp_path: Path, slack: FakeSlack) -> None:
    """A small file is uploaded into the thread; one over `upload_max_bytes` is a signed link the gateway serves."""
    small, large = b"\x89PNG\r\n\x1a\n" + b"p" * 500, b"%PDF-1.7\n" + b"d" * 5000
    with smtp_sink() as (sink, sink_port):
        console = (
            f'\n[channels.slack]\nagents_channel = "{CONSOLE}"\nteam_id = "T0TEAM"\n'
            f'api_base_url = "{slack.base_url}/api/"\nupload_max_bytes = 2000\n'
        )
        smtp_port, http_port = write_config(tmp_path, sink_outgoing(sink_port), extra=console)
        config = tmp_path / "config" / "gateway.toml"
        public = f'port = {http_port}\npublic_url = "http://127.0.0.1:{http_port}"\nlink_secret_env = "LINKS"'
        config.write_text(config.read_text().replace(f"port = {http_port}", public, 1))
        secrets = {"SLACK_BOT_TOKEN": slack.token, "SLACK_SIGNING_SECRET": SECRET, "LINKS": "link-secret"}
        with gateway_process(tmp_path, smtp_port, http_port, env=secrets):
            message = mail("Error al imprimir", "Adjunto la captura y el informe.", "<f1@andina.com.co>")
            message.add_attachment(small, maintype="image", subtype="png", filename="captura.png")
            message.add_attachment(large, maintype="application", subtype="pdf", filename="informe.pdf")
            await asyncio.to_thread(send, smtp_port, message)
            [parent] = await until(lambda: [m for m in slack.messages if m.thread_ts is None], "the summary")
            [shared] = await until(lambda: slack.files, "the small file in the thread")
            assert (shared.title, shared.thread_ts, shared.content) == ("captura.png", parent.ts, small)
            [line] = await until(
                lambda: [m for m in slack.messages if m.thread_ts == parent.ts and "informe.pdf" in m.text],
                "the link to the large file",
            )
            assert "es demasiado grande para Slack" in line.text
            [url] = re.findall(r"<(http://[^|>]+)\|descargar>", line.text)
            async with aiohttp.ClientSession() as session, session.get(url) as response:
                assert response.status == 200 and await response.read() == large
                assert response.headers["Content-Type"] == "application/pdf"
