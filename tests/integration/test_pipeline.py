"""The pipeline after the ack: resume after a crash, quarantine what cannot be read, and the outbox's retry policy."""

from __future__ import annotations

import asyncio
import base64
import random
import shutil
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from adapters.channel import PermanentFailure, TemporaryFailure
from adapters.email.parse import mail_keys
from adapters.email.reader import EmailReader, EmailReadOptions
from adapters.process_pool import ReadPool
from gateway.config.loader import load_settings
from gateway.runtime.bootstrap import Gateway, build_gateway, build_normalizer, build_service
from gateway.workers.inbox import InboxProcessor, ReadLimits
from gateway.workers.outbox import OutboxWorker, RetryPolicy
from tests.conftest import PROJECT, at
from ticketing.deliveries import Deliveries
from ticketing.intake import AcceptRequest, AcceptResult
from ticketing.store.base import Store, StoreError
from ticketing.store.sql import StoreTransaction
from ticketing.types import InboxItem, OutboundReply

NOW = at("2026-11-23T14:00:00")  # Monday 09:00 in Bogota
MAIL = (
    b"From: Ana <sistemas@andina.com.co>\r\nTo: soporte@tecnolinux.com\r\nSubject: Impresora\r\n"
    b"Message-ID: <p1@andina.com.co>\r\n\r\nLa impresora no imprime.\r\n"
)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def gateway_in(tmp_path: Path, clock: Clock) -> Gateway:
    shutil.copytree(PROJECT / "config", tmp_path / "config")
    return build_gateway(load_settings(tmp_path / "config" / "gateway.toml", {}), clock)


@pytest.fixture
async def gateway(tmp_path: Path) -> AsyncIterator[Gateway]:
    built = gateway_in(tmp_path, Clock())
    await built.store.open()
    yield built
    for close in built.closers:
        await close()
    await built.store.close()


async def test_a_message_acknowledged_before_a_crash_becomes_a_ticket_on_restart(tmp_path: Path) -> None:
    clock = Clock()
    before = gateway_in(tmp_path, clock)
    await before.store.open()
    await before.accept(AcceptRequest("email", "p1@andina.com.co", MAIL, {"rcpt_tos": ["soporte@tecnolinux.com"]}, NOW))
    await before.store.close()  # the process dies here, after the 250 and before the pipeline ran

    after = build_gateway(before.settings, clock)
    await after.store.open()
    try:
        assert await after.inbox.process_pending() == 1
        async with after.store.transaction() as tx:
            [ticket] = await tx.list_tickets()
            [ack] = await tx.list_outbox()
        assert ticket.number == "TL-000001" and ticket.requester_address == "sistemas@andina.com.co"
        assert ack.reply.kind == "acknowledgement" and ack.status == "pending"
        assert await after.inbox.process_pending() == 0  # done once, not again
    finally:
        for close in after.closers:
            await close()
        await after.store.close()


async def test_the_envelope_sender_stands_in_for_a_missing_from(gateway: Gateway) -> None:
    raw = b"Subject: VPN\r\nMessage-ID: <e1@a>\r\n\r\nLa VPN no conecta.\r\n"
    await gateway.accept(AcceptRequest("email", "e1@a", raw, {"mail_from": "Sistemas@Andina.com.co"}, NOW))
    await gateway.inbox.process_pending()
    async with gateway.store.transaction() as tx:
        [ticket] = await tx.list_tickets()
    assert (ticket.requester_address, ticket.plan) == ("sistemas@andina.com.co", "standard")


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "MailParseError"),
        (b"\x00\x01\x02 not a mail at all", "MailParseError"),
        (b"Subject: who am I\r\n\r\nno From and no envelope sender\r\n", "MailParseError: no sender address"),
    ],
)
async def test_unreadable_mail_is_quarantined_with_its_bytes(gateway: Gateway, raw: bytes, reason: str) -> None:
    await gateway.accept(AcceptRequest("email", "bad@x", raw, {}, NOW))
    assert await gateway.inbox.process_pending() == 1
    async with gateway.store.transaction() as tx:
        [item] = await tx.inbox_items("quarantined")
        assert await tx.list_tickets() == []
    assert item.raw == raw and item.error.startswith(reason)
    assert await gateway.inbox.process_pending() == 0  # not fetched again and again


class ScriptedSender:
    """A sender that fails as told, then succeeds; records every attempt."""

    def __init__(self, failures: list[Exception]) -> None:
        self.failures = failures
        self.attempts: list[str] = []

    async def send(self, reply: OutboundReply) -> None:
        self.attempts.append(reply.idempotency_key)
        if self.failures:
            raise self.failures.pop(0)


async def outbox_after(
    gateway: Gateway, sender: ScriptedSender, clock: Clock, passes: int
) -> list[tuple[str, int, str]]:
    worker = OutboxWorker(
        gateway.store,
        {"email": sender},
        RetryPolicy(3, 5.0, 60.0),
        clock,
        Deliveries(gateway.store, clock),
        random.Random(7),
    )
    async with gateway.store.transaction() as tx:
        await tx.enqueue_reply(
            OutboundReply("TL-000001", "email", "ana@x", "s", "t", "gw-1", "", (), "key-1", "acknowledgement"), clock()
        )
    for _ in range(passes):
        await worker.deliver_due()
        clock.now += timedelta(minutes=2)
    async with gateway.store.transaction() as tx:
        return [(i.status, i.attempts, i.last_error) for i in await tx.list_outbox()]


@pytest.mark.parametrize(
    ("failures", "expected"),
    [
        ([], [("sent", 1, "")]),
        ([TemporaryFailure("421 busy")], [("sent", 2, "")]),
        ([PermanentFailure("550 no such user")], [("dead", 1, "550 no such user")]),
        ([TemporaryFailure("421 busy")] * 5, [("dead", 3, "421 busy")]),  # max_attempts = 3
        ([RuntimeError("bug in a sender")], [("sent", 2, "")]),  # treated as temporary, the worker survives
    ],
)
async def test_outbox_retry_policy(
    gateway: Gateway, failures: list[Exception], expected: list[tuple[str, int, str]]
) -> None:
    clock = Clock()
    assert await outbox_after(gateway, ScriptedSender(failures), clock, passes=4) == expected


async def test_retry_after_is_honoured(gateway: Gateway) -> None:
    clock = Clock()
    sender = ScriptedSender([TemporaryFailure("429 slow down", retry_after=600)])
    await outbox_after(gateway, sender, clock, passes=4)  # 8 minutes pass: too early to try again
    async with gateway.store.transaction() as tx:
        [item] = await tx.list_outbox()
    assert (item.status, item.attempts, item.next_attempt_at) == ("pending", 1, NOW + timedelta(seconds=600))
    assert sender.attempts == ["key-1"]


@pytest.mark.parametrize("attempt", [1, 2, 3, 8, 20])
def test_backoff_grows_with_jitter_and_stays_capped(attempt: int) -> None:
    policy = RetryPolicy(max_attempts=30, base_delay=5.0, max_delay=900.0)
    ceiling = min(900.0, 5.0 * 2 ** (attempt - 1))
    delays = {policy.delay(attempt, None, random.Random(seed)) for seed in range(20)}
    assert all(ceiling / 2 <= d <= ceiling for d in delays) and len(delays) > 1


class FlakyStore:
    """A Store that can be switched off: every new transaction fails as a lost database connection would."""

    def __init__(self, inner: Store) -> None:
        self.inner = inner
        self.down = False

    async def open(self) -> None:
        await self.inner.open()

    async def close(self) -> None:
        await self.inner.close()

    async def accept(self, request: AcceptRequest) -> AcceptResult:
        return await self.inner.accept(request)

    async def ping(self) -> bool:
        return not self.down

    def transaction(self) -> AbstractAsyncContextManager[StoreTransaction]:
        if self.down:
            raise StoreError("connection refused")
        return self.inner.transaction()


def email_reader(gateway: Gateway, pool: ReadPool | None) -> EmailReader:
    """The email channel's reader, as it reads for `gateway`, in this pool's worker processes (or a thread)."""
    options = EmailReadOptions.of(gateway.settings.file.channel("email"), "TL", "es")
    return EmailReader(options, build_normalizer(gateway.settings), pool)


@pytest.mark.parametrize("pipeline_sees_outage", [True, False])  # False: only the ticket transaction fails
async def test_a_store_outage_delays_but_never_quarantines(gateway: Gateway, pipeline_sees_outage: bool) -> None:
    flaky = FlakyStore(gateway.store)
    clock = Clock()
    service = build_service(gateway.settings, flaky, clock)
    readers = {"email": email_reader(gateway, None)}
    pipeline_store = flaky if pipeline_sees_outage else gateway.store
    processor = InboxProcessor(pipeline_store, readers, service, clock, ReadLimits(max_attempts=2, retry_seconds=0.05))
    await gateway.accept(AcceptRequest("email", "p1@andina.com.co", MAIL, {}, NOW))

    flaky.down = True
    running = asyncio.create_task(processor.run())
    await asyncio.sleep(0.3)  # several passes fail while the store is down; max_attempts is only 2
    assert not running.done()
    flaky.down = False
    processor.notify()
    for _ in range(100):
        async with gateway.store.transaction() as tx:
            if await tx.list_tickets():
                break
        await asyncio.sleep(0.02)
    processor.stop()
    await asyncio.wait_for(running, 5)
    async with gateway.store.transaction() as tx:
        [done] = await tx.inbox_items("done")
        assert await tx.inbox_items("quarantined") == []
    assert done.attempts == 0 and done.native_id == "p1@andina.com.co"


async def test_large_mail_is_read_in_a_worker_process_with_the_same_result(gateway: Gateway) -> None:
    attachment = base64.encodebytes(b"\x89PNG" + bytes(range(256)) * 8_000).replace(b"\n", b"\r\n")
    raw = (
        b"From: Ana <sistemas@andina.com.co>\r\nTo: soporte@tecnolinux.com\r\nSubject: Captura del error\r\n"
        b'Message-ID: <big@andina.com.co>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nAdjunto la captura; el sistema no funciona nada.\r\n"
        b'--b\r\nContent-Type: image/png; name="captura.png"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        + attachment
        + b"--b--\r\n"
    )
    item = InboxItem(1, "email", "big@andina.com.co", raw, {}, NOW, "pending", 0, "")
    pool = ReadPool(workers=1, timeout=30)
    try:
        in_process = await email_reader(gateway, pool)(item)
    finally:
        await pool.close()
    in_thread = await email_reader(gateway, None)(item)
    assert pool.health()["calls"] == 1
    assert in_process == in_thread
    assert in_process.priority is not None and in_process.priority.value == "critical"
    [picture] = in_process.message.attachments
    assert (picture.filename, picture.size) == ("captura.png", 4 + 256 * 8_000)


def bounce_of(message_id: str, failed: str) -> bytes:
    """A Postfix-style RFC 3464 report for a message of ours."""
    return (
        "From: MAILER-DAEMON@mail.andina.com.co (Mail Delivery System)\r\nTo: soporte@tecnolinux.com\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn-1@mail.andina.com.co>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="r"\r\n\r\n'
        "--r\r\nContent-Type: text/plain\r\n\r\nI'm sorry to have to inform you that your message could not be delivered.\r\n"
        "--r\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mail.andina.com.co\r\n\r\n"
        f"Final-Recipient: rfc822; {failed}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        f"Diagnostic-Code: smtp; 550 5.1.1 <{failed}>: Recipient address rejected: User unknown\r\n"
        "--r\r\nContent-Type: message/rfc822\r\n\r\n"
        f"From: soporte@tecnolinux.com\r\nTo: {failed}\r\nSubject: [TL-000001] Impresora\r\nMessage-ID: <{message_id}>\r\n"
        "\r\nRecibimos su solicitud.\r\n--r--\r\n"
    ).encode()


async def ingest(gateway: Gateway, native_id: str, raw: bytes) -> None:
    await gateway.accept(AcceptRequest("email", native_id, raw, {"rcpt_tos": ["soporte@tecnolinux.com"]}, NOW))
    await gateway.inbox.process_pending()


async def test_a_bounce_of_our_reply_is_a_note_on_its_ticket_and_flags_the_address(gateway: Gateway) -> None:
    await ingest(gateway, "p1@andina.com.co", MAIL)
    async with gateway.store.transaction() as tx:
        [ack] = await tx.list_outbox()
    await ingest(
        gateway,
        "dsn-1@mail.andina.com.co",
        bounce_of(f"{ack.reply.message_key}@tecnolinux.com", "sistemas@andina.com.co"),
    )
    async with gateway.store.transaction() as tx:
        [ticket] = await tx.list_tickets()
        assert ticket.id is not None
        messages = await tx.messages(ticket.id)
        events = await tx.events(ticket.id)
        flag = await tx.address_flag("sistemas@andina.com.co")
        outbox = await tx.list_outbox()
    assert [m.direction.value for m in messages] == ["in", "out", "note"]
    assert messages[-1].body.startswith("Delivery failed to sistemas@andina.com.co (5.1.1 smtp; 550 5.1.1")
    assert events[-1].kind == "bounce" and events[-1].data["failed"] == ["sistemas@andina.com.co"]
    assert flag is not None and flag["ticket_number"] == "TL-000001" and flag["reason"].startswith("5.1.1")
    assert len(outbox) == 1  # no acknowledgement of the bounce


async def test_a_bounce_of_someone_elses_mail_is_ignored_visibly(gateway: Gateway) -> None:
    await ingest(gateway, "dsn-1@mail.andina.com.co", bounce_of("newsletter-7@example.com", "x@andina.com.co"))
    async with gateway.store.transaction() as tx:
        assert await tx.list_tickets() == [] and await tx.list_outbox() == []
        [ignored] = await tx.inbox_items("ignored")
    assert ignored.error == "bounce that matches none of our replies"


async def test_our_own_mail_coming_back_is_never_ingested(gateway: Gateway) -> None:
    own = (
        b"From: Soporte TecnoLinux <soporte@tecnolinux.com>\r\nTo: soporte@tecnolinux.com\r\n"
        b"Subject: [TL-000001] Impresora\r\nMessage-ID: <gw-0123456789abcdef0123456789abcdef@tecnolinux.com>\r\n"
        b"X-Gateway-Ticket: TL-000001\r\n\r\nRecibimos su solicitud.\r\n"
    )
    await ingest(gateway, "gw-0123456789abcdef0123456789abcdef@tecnolinux.com", own)
    async with gateway.store.transaction() as tx:
        assert await tx.list_tickets() == [] and await tx.list_outbox() == []
        [ignored] = await tx.inbox_items("ignored")
    assert ignored.error == "our own outgoing message, come back"


async def test_acknowledgements_per_sender_are_capped(gateway: Gateway) -> None:
    for n in range(12):  # a loop that slips past every robot check: each mail looks like a new request
        raw = MAIL.replace(b"<p1@andina.com.co>", f"<loop-{n}@andina.com.co>".encode())
        await ingest(gateway, f"loop-{n}@andina.com.co", raw)
    async with gateway.store.transaction() as tx:
        tickets = await tx.list_tickets()
        acks = await tx.list_outbox()
        last = tickets[0]
        assert last.id is not None
        events = [e.kind for e in await tx.events(last.id)]
    assert len(tickets) == 12 and len(acks) == 10  # the example configuration's cap
    assert events == ["created", "acknowledgement_suppressed"]


@pytest.mark.parametrize(
    ("authentication", "joins"),
    [
        ("mx.tecnolinux.com; dkim=pass header.d=andina.com.co; dmarc=pass header.from=andina.com.co", True),
        ("mx.tecnolinux.com; dmarc=fail header.from=andina.com.co", False),
        ("mx.otro.net; dmarc=pass header.from=andina.com.co", False),  # not our MTA: anyone could have written it
        ("", False),
    ],
)
async def test_a_colleague_joins_a_ticket_when_our_mta_authenticated_the_mail(
    tmp_path: Path, authentication: str, joins: bool
) -> None:
    shutil.copytree(PROJECT / "config", tmp_path / "config")
    config = tmp_path / "config" / "gateway.toml"
    config.write_text(
        config.read_text().replace(
            "max_attachment_bytes = ", 'authserv_ids = ["mx.tecnolinux.com"]\nmax_attachment_bytes = ', 1
        )
    )
    gateway = build_gateway(load_settings(config, {}), Clock())
    await gateway.store.open()
    try:
        await ingest(gateway, "p1@andina.com.co", MAIL)
        header = f"Authentication-Results: {authentication}\r\n" if authentication else ""
        colleague = (
            f"{header}From: Jefe <jefe@andina.com.co>\r\nTo: soporte@tecnolinux.com\r\n"
            "Subject: Re: [TL-000001] Servidor caido\r\nMessage-ID: <c2@andina.com.co>\r\n\r\nSigue caido.\r\n"
        ).encode()
        await ingest(gateway, "c2@andina.com.co", colleague)
        async with gateway.store.transaction() as tx:
            numbers = [ticket.number for ticket in await tx.list_tickets()]
    finally:
        await gateway.store.close()
    assert numbers == (["TL-000001"] if joins else ["TL-000002", "TL-000001"])


async def test_a_second_mail_under_a_reused_message_id_gets_its_own_ticket(gateway: Gateway) -> None:
    def mail(date: str, subject: str, body: str) -> bytes:
        return (
            f"From: Escaner <scanner@andina.com.co>\r\nTo: soporte@tecnolinux.com\r\nDate: {date}\r\n"
            f"Subject: {subject}\r\nMessage-ID: <scan@printer.local>\r\n\r\n{body}\r\n"
        ).encode()

    for raw in (
        mail("Mon, 23 Nov 2026 09:00:00 -0500", "Documento escaneado", "Adjunto el documento."),
        mail("Mon, 23 Nov 2026 11:30:00 -0500", "Servidor caido", "El servidor de facturacion esta caido."),
    ):
        native_id, content_key = mail_keys(raw)
        assert not (await gateway.accept(AcceptRequest("email", native_id, raw, {}, NOW, content_key))).duplicate
    assert await gateway.inbox.process_pending() == 2
    async with gateway.store.transaction() as tx:
        tickets = await tx.list_tickets()
    assert sorted(ticket.subject for ticket in tickets) == ["Documento escaneado", "Servidor caido"]


async def test_a_full_disk_is_the_stores_trouble_and_never_counts_against_the_message(gateway: Gateway) -> None:
    log_lines = "".join(f"{n:06d} ERROR kernel: I/O error on /dev/sdb\r\n" for n in range(5_000))
    raw = MAIL.replace(b"La impresora no imprime.", f"No arranca, el log:\r\n{log_lines}".encode())
    await gateway.accept(AcceptRequest("email", "p1@andina.com.co", raw, {}, NOW))  # its ticket needs new pages
    writer = gateway.store._connection  # type: ignore[attr-defined]  # cap the file at its size, as a full disk
    assert writer is not None
    [pages] = writer.execute("PRAGMA page_count").fetchone()
    writer.execute(f"PRAGMA max_page_count = {pages}")
    with capture_logs() as logs:
        assert await gateway.inbox.process_pending() == 0
    async with gateway.store.transaction() as tx:
        [item] = await tx.pending_inbox()
    assert item.attempts == 0 and item.error == ""  # the message is not to blame
    errors = [log for log in logs if log["log_level"] in ("warning", "error")]
    assert any("database or disk is full" in str(log.get("error")) for log in errors), errors
    assert "no transaction is active" not in str(logs)
    writer.execute("PRAGMA max_page_count = 1073741823")  # space again
    assert await gateway.inbox.process_pending() == 1
