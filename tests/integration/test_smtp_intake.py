"""SMTP intake against Python's smtplib: 250 only after the commit, 550, 552, 451, duplicates."""

from __future__ import annotations

import asyncio
import email.policy
import smtplib
from collections.abc import AsyncIterator, Awaitable, Callable
from email.message import EmailMessage
from pathlib import Path

import pytest

from adapters.email.parse import native_id_of
from adapters.email.smtp_intake import SmtpIntake, SupportMailHandler
from tests.conftest import at, free_port
from ticketing.intake import AcceptRequest, AcceptResult
from ticketing.store.sqlite import SqliteStore

SUPPORT = "soporte@tecnolinux.com"
Accept = Callable[[AcceptRequest], Awaitable[AcceptResult]]


def mail(message_id: str | None = "<abc@andina.com.co>", body: str = "El servidor no responde.") -> bytes:
    message = EmailMessage()
    message["From"] = "Ana <ana@andina.com.co>"
    message["To"] = SUPPORT
    message["Subject"] = "Servidor caído"
    if message_id:
        message["Message-ID"] = message_id
    message.set_content(body)
    return message.as_bytes(policy=email.policy.SMTP)  # CRLF line endings, as on the wire


async def serve(accept: Accept, max_bytes: int = 100_000) -> SmtpIntake:
    handler = SupportMailHandler(frozenset({SUPPORT}), accept, lambda: at("2026-11-24T14:00:00"))
    intake = SmtpIntake(handler, "127.0.0.1", free_port(), max_bytes)
    await intake.start()
    return intake


def send(port: int, data: bytes, to: str = SUPPORT) -> tuple[int, bytes]:
    """One SMTP conversation; returns the reply to DATA (or to RCPT when refused)."""
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.ehlo()
        client.mail("ana@andina.com.co")
        code, text = client.rcpt(to)
        if code != 250:
            return code, text
        return client.data(data)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    opened = SqliteStore(tmp_path / "smtp.sqlite3")
    await opened.open()
    yield opened
    await opened.close()


async def test_250_comes_after_the_commit_and_duplicates_are_one(store: SqliteStore) -> None:
    committed_before_reply: list[bool] = []

    async def accept(request: AcceptRequest) -> AcceptResult:
        result = await store.accept(request)
        async with store.transaction() as tx:  # what a crash right after this point would leave
            committed_before_reply.append(any(i.id == result.inbox_id for i in await tx.pending_inbox()))
        return result

    intake = await serve(accept)
    port = intake.address[1]
    first = await asyncio.to_thread(send, port, mail())
    second = await asyncio.to_thread(send, port, mail())
    await intake.stop()
    assert first[0] == 250 and b"accepted" in first[1]
    assert second[0] == 250 and b"already received" in second[1]
    assert committed_before_reply == [True, True]
    async with store.transaction() as tx:
        [item] = await tx.pending_inbox()
    assert item.native_id == "abc@andina.com.co" and item.meta["rcpt_tos"] == [SUPPORT]
    assert b"El servidor no responde." in item.raw


async def test_unknown_recipient_gets_550(store: SqliteStore) -> None:
    intake = await serve(store.accept)
    code, text = await asyncio.to_thread(send, intake.address[1], mail(), "ventas@tecnolinux.com")
    await intake.stop()
    assert code == 550 and b"no such mailbox" in text
    async with store.transaction() as tx:
        assert await tx.pending_inbox() == []


async def test_oversized_mail_gets_552(store: SqliteStore) -> None:
    intake = await serve(store.accept, max_bytes=2_000)
    code, text = await asyncio.to_thread(send, intake.address[1], mail(body=("x" * 70 + "\n") * 100))
    await intake.stop()
    assert code == 552 and b"Too much mail data" in text
    async with store.transaction() as tx:
        assert await tx.pending_inbox() == []


async def test_a_store_failure_gets_451_so_the_sender_retries() -> None:
    async def broken(request: AcceptRequest) -> AcceptResult:
        raise OSError("disk full")

    intake = await serve(broken)
    code, text = await asyncio.to_thread(send, intake.address[1], mail())
    await intake.stop()
    assert code == 451 and b"try again later" in text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"Message-ID: <x@y>\r\n\r\nhi", "x@y"),
        (b"Message-ID:   <spaced@y>  \r\n\r\nhi", "spaced@y"),
        (b"Subject: none\r\n\r\nhi", "sha256:"),
        (b"\xff\xfe garbage without headers", "sha256:"),
    ],
)
def test_native_id(raw: bytes, expected: str) -> None:
    assert native_id_of(raw).startswith(expected)


def scan(date: str, subject: str, body: str) -> bytes:
    """A scanner's mail: the same Message-ID every time, as some devices send."""
    message = EmailMessage()
    message["From"] = "Escáner piso 3 <scanner@andina.com.co>"
    message["To"] = SUPPORT
    message["Subject"] = subject
    message["Date"] = date
    message["Message-ID"] = "<scan@printer.local>"
    message.set_content(body)
    return message.as_bytes(policy=email.policy.SMTP)


async def test_a_reused_message_id_with_new_content_is_a_new_message(store: SqliteStore) -> None:
    intake = await serve(store.accept)
    port = intake.address[1]
    first = scan("Mon, 23 Nov 2026 09:00:00 -0500", "Documento escaneado", "Adjunto el documento.")
    down = scan("Mon, 23 Nov 2026 11:30:00 -0500", "URGENTE servidor caído", "El servidor de facturación está caído.")
    resent = first.replace(b"\r\n\r\n", b"\r\nReceived: from relay.andina.com.co\r\n\r\n", 1)  # one more hop
    answers = [await asyncio.to_thread(send, port, data) for data in (first, down, resent, down)]
    await intake.stop()
    assert [code for code, _ in answers] == [250] * 4
    assert [b"already received" in text for _, text in answers] == [False, False, True, True]
    async with store.transaction() as tx:
        items = await tx.pending_inbox()
    assert [item.raw for item in items] == [first, down]
    assert items[0].native_id == "scan@printer.local" and items[1].native_id.startswith("scan@printer.local#")


async def test_a_line_longer_than_1000_bytes_is_accepted(store: SqliteStore) -> None:
    long_line = b"<p>" + b"x" * 20_000 + b"</p>"  # an HTML part on one line, as some clients send it
    raw = b"From: ana@andina.com.co\r\nSubject: Log\r\nContent-Type: text/html\r\n\r\n" + long_line + b"\r\n"
    intake = await serve(store.accept)
    code, _ = await asyncio.to_thread(send, intake.address[1], raw)
    await intake.stop()
    assert code == 250
    async with store.transaction() as tx:
        [item] = await tx.pending_inbox()
    assert long_line in item.raw
