"""`gateway run` on PostgreSQL, and PostgreSQL goes away (a proxy in between cuts every connection and refuses new
ones): webhooks answer 503 and SMTP 451, so their senders retry, and /healthz says so; when the database is back
the gateway takes requests again by itself, and every request acknowledged before or after is on a ticket."""

from __future__ import annotations

import asyncio
import smtplib
import urllib.error
import urllib.request
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import aiohttp
import pytest

from tests.e2e.harness import gateway_process, wait_for, write_config
from tests.e2e.test_relay_end_to_end import SECRET, relay_post
from tests.pg_proxy import PostgresProxy, fresh_schema

RELAY = '\n[channels.relay.teams]\nsecret_env = "RELAY_TEAMS_SECRET"\ncallback_url = "http://127.0.0.1:9/desk"\n'
STORE = 'backend = "postgresql"\nurl_env = "GATEWAY_DATABASE_URL"\nconnect_timeout_seconds = 2'


@pytest.fixture
def database() -> Iterator[tuple[PostgresProxy, str]]:
    with fresh_schema("outage") as schema:
        proxy = PostgresProxy().start()
        try:
            yield proxy, f"postgresql://postgres@127.0.0.1:{proxy.port}/test?search_path={schema}"
        finally:
            proxy.stop()


def health(port: int) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def smtp_code(port: int, number: int) -> int:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "sistemas@andina.com.co", "soporte@tecnolinux.com", "VPN"
    message["Message-ID"] = f"<outage-{number}@andina.com.co>"
    message.set_content(f"La VPN no conecta ({number}).")
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
            client.send_message(message)
    except smtplib.SMTPResponseException as error:
        return int(error.smtp_code)
    return 250


def relay_code(port: int, number: int) -> int:
    message = {"id": f"teams-{number}", "sender": {"id": "29:ana", "email": "sistemas@andina.com.co"},
               "text": f"Teams no comparte pantalla ({number}).", "conversation_id": "19:abc"}  # fmt: skip

    async def post() -> int:
        async with aiohttp.ClientSession() as session:
            return await relay_post(session, f"http://127.0.0.1:{port}/webhooks/relay/teams", message, SECRET)

    return asyncio.run(post())


def test_an_unreachable_database_is_answered_503_and_451_and_the_gateway_recovers_by_itself(
    tmp_path: Path, database: tuple[PostgresProxy, str]
) -> None:
    proxy, dsn = database
    smtp_port, http_port = write_config(tmp_path, extra=RELAY)
    config = tmp_path / "config" / "gateway.toml"
    text = config.read_text(encoding="utf-8")
    assert 'backend = "sqlite"' in text
    config.write_text(text.replace('backend = "sqlite"', STORE, 1), encoding="utf-8")
    env = {"GATEWAY_DATABASE_URL": dsn, "RELAY_TEAMS_SECRET": SECRET}
    with gateway_process(tmp_path, smtp_port, http_port, env=env) as gateway:
        assert (relay_code(http_port, 1), smtp_code(smtp_port, 1), health(http_port)) == (200, 250, 200)

        proxy.cut()
        assert relay_code(http_port, 2) == 503  # the bridge will retry
        assert smtp_code(smtp_port, 2) == 451  # the sending server will retry
        assert health(http_port) == 503
        assert gateway.process.poll() is None  # still running

        proxy.restore()
        wait_for(lambda: health(http_port) == 200, timeout=30, what="/healthz healthy again")
        assert (relay_code(http_port, 2), smtp_code(smtp_port, 2)) == (200, 250)  # the senders' retries
        tickets = wait_for(lambda: len(gateway.cli_json("tickets", "list")) == 3 and gateway.cli_json("tickets", "list"),
                           timeout=30, what="the tickets of the four requests")  # fmt: skip
        chat = next(ticket for ticket in tickets if ticket["channel"] != "email")
        shown = gateway.cli_json("tickets", "show", chat["number"])
    assert sorted(ticket["channel"] for ticket in tickets) == ["email", "email", "relay:teams"]
    said = [message["body"] for message in shown["messages"] if message["direction"] == "in"]
    assert said == ["Teams no comparte pantalla (1).", "Teams no comparte pantalla (2)."]  # the chat continues
