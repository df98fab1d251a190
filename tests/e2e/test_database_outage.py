"""`gateway run` on PostgreSQL, and PostgreSQL goes away (a proxy in between cuts every connection and refuses new
ones): webhooks answer 503 and SMTP 451, so their senders retry, and /healthz says so; when the database is back
the gateway takes requests again by itself, and every request acknowledged before or after is on a ticket. And its
connections terminated over and over under load (`pg_terminate_backend`): the requests caught answered 503/451 and
retried, every message on exactly one ticket."""

from __future__ import annotations

import asyncio
import smtplib
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from functools import partial
from pathlib import Path

import aiohttp
import asyncpg
import pytest

from tests.contract.conftest import POSTGRES_DSN
from tests.e2e.harness import gateway_process, wait_for, write_config
from tests.e2e.test_relay_end_to_end import SECRET, relay_post
from tests.pg_proxy import PostgresProxy, fresh_schema, ticket_numbers

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


@pytest.fixture
def schema() -> Iterator[str]:
    with fresh_schema("terminated") as name:
        yield name


def health(port: int) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        print(f"/healthz {error.code}: {error.read()[:300]!r}")  # shown when the test fails
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


def relay_code(port: int, number: int, conversation: str = "abc") -> int:
    """Post one chat message; all in one conversation (one ticket) unless `conversation` says otherwise."""
    sender = (
        {"id": "29:ana", "email": "sistemas@andina.com.co"} if conversation == "abc" else {"id": f"29:{conversation}"}
    )
    message = {"id": f"teams-{number}", "sender": sender,
               "text": f"Teams no comparte pantalla ({number}).", "conversation_id": f"19:{conversation}"}  # fmt: skip

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


async def terminate_backends(application: str, times: int, pause: float) -> int:
    """Terminate every PostgreSQL backend of the gateway (by its application_name) `times` times; how many ended."""
    connection = await asyncpg.connect(POSTGRES_DSN)
    ended = 0
    try:
        for _ in range(times):
            await asyncio.sleep(pause)
            rows = await connection.fetch(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", application
            )
            ended += sum(1 for row in rows if row[0])
    finally:
        await connection.close()
    return ended


def test_backends_terminated_mid_load_lose_nothing_acknowledged(tmp_path: Path, schema: str) -> None:
    """An administrator (or a failover) terminates the gateway's connections over and over while 200 chat messages
    and 40 mails arrive. A request caught by it is answered 503 or 451 and sent again, as bridges and mail
    servers do; the pool reconnects by itself; every message ends on exactly one ticket."""
    application = f"gw_{schema}"
    smtp_port, http_port = write_config(tmp_path, extra=RELAY)
    config = tmp_path / "config" / "gateway.toml"
    config.write_text(config.read_text(encoding="utf-8").replace('backend = "sqlite"', STORE, 1), encoding="utf-8")
    dsn = f"{POSTGRES_DSN}?search_path={schema}&application_name={application}"
    env = {"GATEWAY_DATABASE_URL": dsn, "RELAY_TEAMS_SECRET": SECRET}
    refused: Counter[int] = Counter()

    def until_accepted(send: Callable[[], int], accepted: int) -> None:
        for _ in range(200):
            code = send()
            if code == accepted:
                return
            refused[code] += 1
            time.sleep(0.1)
        raise AssertionError(f"never accepted (last answer {code})")

    async def load() -> int:
        chats = [asyncio.to_thread(until_accepted, partial(relay_code, http_port, n, f"c{n}"), 200) for n in range(200)]
        mails = [asyncio.to_thread(until_accepted, partial(smtp_code, smtp_port, n), 250) for n in range(40)]
        ended, *_ = await asyncio.gather(terminate_backends(application, 8, 0.25), *chats, *mails)
        return ended

    with gateway_process(tmp_path, smtp_port, http_port, env=env) as gateway:
        ended = asyncio.run(load())
        assert gateway.process.poll() is None and health(http_port) == 200  # recovered by itself
        numbers = wait_for(lambda: len(asyncio.run(ticket_numbers(schema))) >= 240 and asyncio.run(ticket_numbers(schema)),
                           timeout=60, what="a ticket for each of the 240 messages")  # fmt: skip
    print(f"\nterminated: {ended} backends; answers while they were gone: {dict(refused)}")
    assert ended >= 8  # the gateway's connections really were cut
    assert set(refused) <= {503, 451}  # a refusal the sender retries, never an error of another kind
    assert len(numbers) == len(set(numbers)) == 240
