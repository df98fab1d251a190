"""Two `gateway run` replicas on one PostgreSQL schema, requests spread over both (no balancer: the test picks),
some sent to both as retries, one IMAP mailbox on a real Dovecot that both are configured to read; then one
replica is SIGKILLed mid-stream and the rest go to the other. Exactly one ticket per distinct message, ticket
numbers unique, one acknowledgement each at the fake channel APIs, the mailbox read by one replica at a time and
taken over after the kill. Duplicate acknowledgements are counted, reported, and must each be an unknown-outcome
resend the survivor's /metrics counted (the target is 0). The scale (2,000 relayed messages, 300 mails, 2 x 20 in
the mailbox) is set by RELAYED, MAILED and IMAPED; the run takes some 20 seconds."""

from __future__ import annotations

import asyncio
import contextlib
import email.policy
import smtplib
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import aiohttp
import pytest

from tests.contract.conftest import POSTGRES_DSN
from tests.dovecot import DovecotServer
from tests.e2e.harness import RunningGateway, gateway_process, smtp_sink, wait_for, write_config
from tests.e2e.test_relay_end_to_end import SECRET, Bridge, relay_post
from tests.e2e.test_relay_end_to_end import bridge as bridge  # the bridge's callback on loopback
from tests.pg_proxy import fresh_schema, ticket_numbers

RELAYED, MAILED, IMAPED = 2000, 300, 20
RETRIED_EVERY = 10  # every tenth request is sent to both replicas, as a sender retrying elsewhere would


def relay_config(callback: str, dovecot: DovecotServer) -> str:
    return (
        f'\n[channels.relay.teams]\nsecret_env = "RELAY_TEAMS_SECRET"\ncallback_url = "{callback}"\n'
        '\n[[channels.email.imap]]\nname = "soporte"\nhost = "127.0.0.1"\n'
        f'port = {dovecot.port}\nsecurity = "none"\n'
        'username_env = "GATEWAY_IMAP_USERNAME"\npassword_env = "GATEWAY_IMAP_PASSWORD"\n'
        'address = "soporte@tecnolinux.com"\n'
    )


def mail(number: int, prefix: str) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"] = f"cliente{number}@ejemplo.co", "soporte@tecnolinux.com"
    message["Subject"], message["Message-ID"] = f"Caso {prefix}{number}", f"<{prefix}{number}@ejemplo.co>"
    message.set_content(f"Solicitud número {number}.")
    return message


def smtp_send(port: int, message: EmailMessage) -> int:
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
            client.send_message(message)
    except (OSError, smtplib.SMTPException):
        return 0
    return 250


def unknown_outcomes(port: int) -> float:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        lines = response.read().decode().splitlines()
    return float(next(line.split()[-1] for line in lines if line.startswith("gateway_outbox_unknown_outcomes ")))


def reading(gateway: RunningGateway) -> bool:
    """Whether this replica reads the mailbox now (the lease is its)."""
    state = gateway.healthz()["channels"]["email"]["imap"]["soporte"]["state"]
    return state in ("connected", "idle", "polling")


@pytest.fixture
def schema() -> Iterator[str]:
    with fresh_schema("replicas") as name:
        yield name


@pytest.mark.timeout(400)
async def test_two_replicas_make_one_ticket_per_message_and_survive_a_kill(
    tmp_path: Path, bridge: Bridge, dovecot: DovecotServer, schema: str
) -> None:
    dsn = f"{POSTGRES_DSN}?search_path={schema}"
    env = {
        "GATEWAY_DATABASE_URL": dsn,
        "RELAY_TEAMS_SECRET": SECRET,
        "GATEWAY_IMAP_USERNAME": dovecot.user,
        "GATEWAY_IMAP_PASSWORD": dovecot.password,
    }
    await asyncio.to_thread(
        dovecot.deliver, *(mail(n, "imap-a").as_bytes(policy=email.policy.SMTP) for n in range(IMAPED))
    )
    with smtp_sink() as (sink, sink_port):
        outgoing = f'transport = "smtp"\nhost = "127.0.0.1"\nport = {sink_port}\nsecurity = "none"'
        gateways: list[RunningGateway] = []
        with contextlib.ExitStack() as stack:
            for name in ("a", "b"):
                workdir = tmp_path / name
                workdir.mkdir()
                ports = write_config(workdir, outgoing, relay_config(bridge.url, dovecot))
                config = workdir / "config" / "gateway.toml"
                text = config.read_text(encoding="utf-8").replace(
                    'backend = "sqlite"', 'backend = "postgresql"\nurl_env = "GATEWAY_DATABASE_URL"', 1
                )
                text = text.replace("lease_seconds = 120 ", "lease_seconds = 10 ", 1)  # a quick takeover of the
                config.write_text(text.replace("claim_seconds = 20 ", "claim_seconds = 10 ", 1))  # sends and reads
                gateways.append(stack.enter_context(gateway_process(workdir, *ports, env=env)))
            first = gateways[0]
            urls = [f"http://127.0.0.1:{g.http_port}/webhooks/relay/teams" for g in gateways]
            slots = asyncio.Semaphore(16)

            client: aiohttp.ClientSession  # the load's one session, opened below
            second = gateways[1]

            async def relay(number: int, targets: list[str]) -> None:
                message = {"id": f"teams-{number}", "sender": {"id": f"29:cliente{number}"},
                           "text": f"Solicitud {number}", "conversation_id": f"19:c{number}"}  # fmt: skip
                async with slots:
                    for url in targets:
                        for target in (url, urls[1]):  # refused or unanswered (killed): retried on the survivor
                            try:
                                if await relay_post(client, target, message, SECRET) == 200:
                                    break
                            except aiohttp.ClientError:
                                continue

            def spread(number: int) -> list[str]:
                own = urls[number % 2]
                return [own, urls[(number + 1) % 2]] if number % RETRIED_EVERY == 0 else [own]

            async def send_mail(number: int) -> None:
                ports = [g.smtp_port for g in gateways]
                targets = [ports[number % 2]] + ([ports[(number + 1) % 2]] if number % RETRIED_EVERY == 0 else [])
                async with slots:
                    for port in targets:  # refused (killed): retried on the survivor, as a sending server would
                        if await asyncio.to_thread(smtp_send, port, mail(number, "smtp")) != 250:
                            await asyncio.to_thread(smtp_send, second.smtp_port, mail(number, "smtp"))

            async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=32)) as client:
                load = asyncio.gather(
                    *(relay(n, spread(n)) for n in range(RELAYED)), *(send_mail(n) for n in range(MAILED))
                )
                while len(await ticket_numbers(schema)) < RELAYED // 3:  # a third of the way
                    await asyncio.sleep(0.1)
                first.process.kill()  # SIGKILL mid-stream: requests in flight, claims and the mailbox lease lapse
                killed = time.monotonic()
                await asyncio.to_thread(wait_for, lambda: reading(second), 20.0, "the mailbox read by the survivor")
                took_over = time.monotonic() - killed
                await load
            await asyncio.to_thread(
                dovecot.deliver, *(mail(n, "imap-b").as_bytes(policy=email.policy.SMTP) for n in range(IMAPED))
            )
            expected = RELAYED + MAILED + 2 * IMAPED

            numbers: list[str] = []
            for _ in range(240):  # `gateway tickets list` shows 1,000 at most: count in the database
                numbers = await ticket_numbers(schema)
                if len(numbers) >= expected:
                    break
                await asyncio.sleep(0.5)
            all_in = time.monotonic() - killed
            acked = await asyncio.to_thread(
                wait_for, lambda: len({m["ticket"] for m in bridge.received}) >= RELAYED, 90.0, "every relay ack"
            )
            mailed = await asyncio.to_thread(
                wait_for, lambda: len({m["In-Reply-To"] for m in sink.messages}) >= MAILED + 2 * IMAPED, 90.0,
                "every mail's acknowledgement",
            )  # fmt: skip
            resent = unknown_outcomes(second.http_port)
    assert len(numbers) == expected and len(set(numbers)) == expected  # one ticket each, numbers unique
    relay_copies = Counter(str(m["ticket"]) for m in bridge.received)
    mail_copies = Counter(str(m["In-Reply-To"]) for m in sink.messages)
    relay_twice, mail_twice = sum(n - 1 for n in relay_copies.values()), sum(n - 1 for n in mail_copies.values())
    duplicates = relay_twice + mail_twice
    relay_ids = Counter(str(m["id"]) for m in bridge.received)  # the same id again: a bridge can drop the copy
    print(
        f"\nreplicas: {expected} tickets; duplicate acknowledgements {duplicates} (relay {relay_twice}, of them with "
        f"the same id {sum(n - 1 for n in relay_ids.values())}; mail {mail_twice}); unknown-outcome resends {resent}; "
        f"mailbox read by the survivor {took_over:.1f} s after the kill; every ticket in {all_in:.1f} s after it"
    )
    assert took_over <= 11.0  # the lease (7.5 s), a standby retry (1 s) and a login: 10 s, and 1 s for a busy machine
    assert acked and mailed
    assert duplicates <= resent  # every duplicate the client got is one the gateway knows it may have sent twice
