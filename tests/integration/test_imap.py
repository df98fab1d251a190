"""The IMAP mailbox receiver against a real Dovecot on loopback and a real SQLite store.

Mail is delivered by IMAP APPEND from a second connection, as a delivery agent would. Each test gets its own
Dovecot (about 0.1 s to start) and store; backoffs are short so reconnection is quick.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.policy
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import replace
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from adapters.email.imap import ImapMailbox, ImapMailboxConfig
from adapters.email.parse import mail_keys
from tests.conftest import at, free_port
from tests.dovecot import DovecotServer
from ticketing.intake import AcceptRequest, AcceptResult
from ticketing.store.base import Store
from ticketing.store.sql import StoreTransaction
from ticketing.store.sqlite import SqliteStore
from ticketing.types import InboxItem

SUPPORT = "soporte@tecnolinux.com"
SEEN = b"\\Seen"
Accept = Callable[[AcceptRequest], Awaitable[AcceptResult]]


def mail(number: int) -> bytes:
    message = EmailMessage()
    message["From"] = "Ana <ana@andina.com.co>"
    message["To"] = SUPPORT
    message["Subject"] = f"Solicitud {number}"
    message["Message-ID"] = f"<m{number}@andina.com.co>"
    message.set_content(f"Mensaje número {number}.")
    return message.as_bytes(policy=email.policy.SMTP)


def config_for(server: DovecotServer, **changes: Any) -> ImapMailboxConfig:
    base = ImapMailboxConfig("soporte", "127.0.0.1", server.port, "none", server.user, server.password, address=SUPPORT)
    return replace(base, **changes)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    opened = SqliteStore(tmp_path / "x.sqlite3")
    await opened.open()
    yield opened
    await opened.close()


class RecordingAccept:
    """The store's `accept`, recording the native id of each call."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.calls: list[str] = []

    async def __call__(self, request: AcceptRequest) -> AcceptResult:
        self.calls.append(request.native_id)
        return await self.store.accept(request)


class FlakyStore:
    """A store whose `accept` fails while `broken`; everything else is the real store's."""

    def __init__(self, real: Store) -> None:
        self.real = real
        self.broken = True

    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def accept(self, request: AcceptRequest) -> AcceptResult:
        if self.broken:
            raise OSError("database is locked")
        return await self.real.accept(request)

    def transaction(self) -> AbstractAsyncContextManager[StoreTransaction]:
        return self.real.transaction()

    async def ping(self) -> bool:
        return not self.broken


def mailbox_for(config: ImapMailboxConfig, store: Store, accept: Accept | None = None, **options: Any) -> ImapMailbox:
    options = {"backoff_base": 0.05, "backoff_max": 0.3} | options  # short backoffs: quick reconnection
    return ImapMailbox(config, store, accept or store.accept, lambda: at("2026-11-24T14:00:00"), **options)


@contextlib.asynccontextmanager
async def running(
    config: ImapMailboxConfig, store: Store, accept: Accept | None = None, **options: Any
) -> AsyncIterator[ImapMailbox]:
    mailbox = mailbox_for(config, store, accept, **options)
    task = asyncio.create_task(mailbox.run())
    try:
        yield mailbox
    finally:
        mailbox.stop()
        await asyncio.wait_for(task, timeout=5)


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 5.0) -> float:
    """Seconds until `check()` holds; fails the test after `timeout`."""
    started = time.monotonic()
    while not await check():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"not within {timeout} s")
        await asyncio.sleep(0.02)
    return time.monotonic() - started


async def in_state(mailbox: ImapMailbox, *states: str) -> bool:
    return mailbox.status()["state"] in states


async def inbox(store: Store) -> list[InboxItem]:
    async with store.transaction() as tx:
        return await tx.pending_inbox(limit=1000)


async def saved_state(store: Store) -> tuple[int, int] | None:
    async with store.transaction() as tx:
        return await tx.get_mailbox_state("soporte")


async def deliver(server: DovecotServer, *messages: bytes, folder: str = "INBOX") -> None:
    await asyncio.to_thread(server.deliver, *messages, folder=folder)


async def flags(server: DovecotServer, folder: str = "INBOX") -> dict[int, tuple[bytes, ...]]:
    return await asyncio.to_thread(server.flags, folder)


async def count_is(store: Store, expected: int) -> bool:
    return len(await inbox(store)) == expected


async def saved_state_is(store: Store, last_uid: int) -> bool:
    state = await saved_state(store)
    return state is not None and state[1] == last_uid


async def test_new_mail_while_idle_is_accepted_within_two_seconds_then_marked(
    dovecot: DovecotServer, store: SqliteStore
) -> None:
    async with running(config_for(dovecot), store) as mailbox:
        await eventually(lambda: in_state(mailbox, "idle"))
        await deliver(dovecot, mail(1))
        assert await eventually(lambda: count_is(store, 1)) < 2.0
        await eventually(lambda: saved_state_is(store, 1))
        status = mailbox.status()
    [item] = await inbox(store)
    assert item.native_id == "m1@andina.com.co" and b"Mensaje n" in item.raw
    content_key = mail_keys(item.raw)[1]  # From, Date, Subject, Content-Type: reused Message-IDs stay apart
    assert item.meta == {
        "mailbox": "soporte",
        "uid": 1,
        "rcpt_tos": [SUPPORT],
        "mail_from": "",
        "content_key": content_key,
    }
    assert SEEN in (await flags(dovecot))[1]
    assert status["last_uid"] == 1 and status["uidvalidity"] == await asyncio.to_thread(dovecot.uidvalidity)
    assert status["last_message_at"] == "2026-11-24T14:00:00+00:00" and status["last_error"] is None
    assert mailbox.status()["state"] == "stopped"


async def test_mail_that_came_while_stopped_is_accepted_once_in_uid_order(
    dovecot: DovecotServer, store: SqliteStore
) -> None:
    async with running(config_for(dovecot, batch_size=2), store) as mailbox:
        await eventually(lambda: in_state(mailbox, "idle"))
    await deliver(dovecot, *(mail(n) for n in range(1, 6)))
    accept = RecordingAccept(store)
    async with running(config_for(dovecot, batch_size=2), store, accept) as mailbox:
        await eventually(lambda: count_is(store, 5))
        await eventually(lambda: in_state(mailbox, "idle"))
    items = await inbox(store)
    assert [item.meta["uid"] for item in items] == [1, 2, 3, 4, 5]
    assert [item.native_id for item in items] == [f"m{n}@andina.com.co" for n in range(1, 6)]
    assert accept.calls == [f"m{n}@andina.com.co" for n in range(1, 6)]
    assert all(SEEN in found for found in (await flags(dovecot)).values())
    assert (await saved_state(store) or (0, 0))[1] == 5


async def restart_the_server(server: DovecotServer, mailbox: ImapMailbox) -> None:
    await asyncio.to_thread(server.stop)
    await eventually(lambda: in_state(mailbox, "backoff", "connecting"))
    await asyncio.sleep(0.3)  # a few refused connection attempts
    await asyncio.to_thread(server.start)


async def cut_the_connection(server: DovecotServer, mailbox: ImapMailbox) -> None:
    assert await asyncio.to_thread(server.kill_sessions) == 1  # no BYE, just the end of the stream


@pytest.mark.parametrize("trouble", [restart_the_server, cut_the_connection])
async def test_the_mailbox_reconnects_after_trouble(
    dovecot: DovecotServer, store: SqliteStore, trouble: Callable[[DovecotServer, ImapMailbox], Awaitable[None]]
) -> None:
    async with running(config_for(dovecot), store) as mailbox:
        await eventually(lambda: in_state(mailbox, "idle"))
        await trouble(dovecot, mailbox)
        await eventually(lambda: reconnected(mailbox))
        await deliver(dovecot, mail(1))
        await eventually(lambda: count_is(store, 1), timeout=3)
        status = mailbox.status()
    assert status["reconnects"] >= 1 and status["last_error"] is None


async def reconnected(mailbox: ImapMailbox) -> bool:
    return mailbox.status()["reconnects"] >= 1 and mailbox.status()["state"] == "idle"


async def renumber_while_stopped(server: DovecotServer, store: Store) -> None:
    await asyncio.to_thread(server.renumber_inbox)
    await asyncio.to_thread(server.start)
    await deliver(server, mail(3))  # after mail 1 and 2, which now have new UIDs


async def recreate_while_idling(server: DovecotServer, store: Store) -> None:
    async with running(config_for(server, folder="Soporte"), store) as mailbox:
        await eventually(lambda: in_state(mailbox, "idle"))
        await asyncio.to_thread(server.recreate_folder, "Soporte")
        await deliver(server, mail(1), mail(2), mail(3), folder="Soporte")
        await eventually(lambda: saved_state_is(store, 3))


@pytest.mark.parametrize("renumber", [renumber_while_stopped, recreate_while_idling])
async def test_a_new_uidvalidity_rescans_without_duplicates(
    dovecot: DovecotServer, store: SqliteStore, renumber: Callable[[DovecotServer, Store], Awaitable[None]]
) -> None:
    folder = "INBOX" if renumber is renumber_while_stopped else "Soporte"
    await deliver(dovecot, mail(1), mail(2), folder=folder)
    async with running(config_for(dovecot, folder=folder), store):
        await eventually(lambda: saved_state_is(store, 2))
    old = await saved_state(store)
    await renumber(dovecot, store)
    accept = RecordingAccept(store)
    async with running(config_for(dovecot, folder=folder), store, accept) as mailbox:
        await eventually(lambda: saved_state_is(store, 3))
        await eventually(lambda: in_state(mailbox, "idle"))
        status = mailbox.status()
    new_uidvalidity = await asyncio.to_thread(dovecot.uidvalidity, folder)
    assert old is not None and old[0] != new_uidvalidity
    assert await saved_state(store) == (new_uidvalidity, 3) and status["uidvalidity"] == new_uidvalidity
    assert sorted(item.native_id for item in await inbox(store)) == [f"m{n}@andina.com.co" for n in (1, 2, 3)]
    assert all(SEEN in found for found in (await flags(dovecot, folder)).values())


async def test_a_message_that_cannot_be_parsed_is_committed_once_and_not_refetched(
    dovecot: DovecotServer, store: SqliteStore
) -> None:
    await deliver(dovecot, b"\x00\x01 garbage")
    async with running(config_for(dovecot), store) as mailbox:
        await eventually(lambda: saved_state_is(store, 1))
        await eventually(lambda: in_state(mailbox, "idle"))
    accept = RecordingAccept(store)
    async with running(config_for(dovecot), store, accept) as mailbox:
        await eventually(lambda: in_state(mailbox, "idle"))
    [item] = await inbox(store)
    assert item.native_id.startswith("sha256:") and b"garbage" in item.raw
    assert SEEN in (await flags(dovecot))[1]
    assert accept.calls == []


async def test_after_commit_move_puts_the_message_in_the_target_folder(
    dovecot: DovecotServer, store: SqliteStore
) -> None:
    async with running(config_for(dovecot, after_commit="move", move_to="Procesados"), store) as mailbox:
        await eventually(lambda: in_state(mailbox, "idle"))
        await deliver(dovecot, mail(1))
        await eventually(lambda: saved_state_is(store, 1))
    assert await flags(dovecot) == {}
    assert list((await flags(dovecot, "Procesados")).keys()) == [1]
    assert len(await inbox(store)) == 1


async def test_a_store_failure_leaves_the_message_unmarked_until_the_store_works(
    dovecot: DovecotServer, store: SqliteStore
) -> None:
    flaky = FlakyStore(store)
    await deliver(dovecot, mail(1))
    async with running(config_for(dovecot), flaky, flaky.accept) as mailbox:
        await eventually(lambda: in_state(mailbox, "backoff"))
        assert "database is locked" in (mailbox.status()["last_error"] or "")
        await asyncio.sleep(0.3)  # a few more failed attempts
        assert SEEN not in (await flags(dovecot))[1]
        assert (await saved_state(store) or (0, 0))[1] == 0  # not advanced past the message
        flaky.broken = False
        await eventually(lambda: count_is(store, 1))
        await eventually(lambda: saved_state_is(store, 1))
    assert SEEN in (await flags(dovecot))[1]


async def test_a_dead_mailbox_does_not_hold_up_a_good_one(dovecot: DovecotServer, store: SqliteStore) -> None:
    dead = config_for(dovecot, name="ventas", port=free_port(), connect_timeout=1.0)  # nothing listens there
    async with running(dead, store) as bad, running(config_for(dovecot), store) as good:
        await eventually(lambda: in_state(good, "idle"))
        await deliver(dovecot, mail(1))
        await eventually(lambda: count_is(store, 1), timeout=2)
        assert bad.status()["state"] in ("backoff", "connecting") and bad.status()["last_error"]
        assert bad.status()["reconnects"] >= 1


@pytest.mark.parametrize("how", ["stop", "cancel"])
async def test_stop_or_cancel_leaves_idle_promptly(dovecot: DovecotServer, store: SqliteStore, how: str) -> None:
    mailbox = mailbox_for(config_for(dovecot), store)
    task = asyncio.create_task(mailbox.run())
    await eventually(lambda: in_state(mailbox, "idle"))
    started = time.monotonic()
    if how == "stop":
        mailbox.stop()
    else:
        task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.wait_for(task, timeout=3)
    assert time.monotonic() - started < 1.0 and mailbox.status()["state"] == "stopped"
    assert task.cancelled() == (how == "cancel")


async def test_a_failed_login_backs_off_and_stop_does_not_wait_for_the_next_one(
    dovecot: DovecotServer, store: SqliteStore
) -> None:
    config = config_for(dovecot, password="wrong", name="buzon")
    mailbox = mailbox_for(config, store, backoff_max=0.01)
    with capture_logs() as logs:
        task = asyncio.create_task(mailbox.run())
        await eventually(lambda: login_failed(mailbox))  # Dovecot answers a wrong password after 2 s
    assert any(log["event"] == "imap.login_failed" for log in logs)
    assert config.username not in str(logs) and config.password not in str(logs)  # nothing to guess with
    await eventually(lambda: in_state(mailbox, "connecting"))  # the next attempt waits out the auth penalty
    started = time.monotonic()
    mailbox.stop()
    await asyncio.wait_for(task, timeout=3)
    assert time.monotonic() - started < 0.5


async def login_failed(mailbox: ImapMailbox) -> bool:
    return (mailbox.status()["last_error"] or "").startswith("login failed: ")


async def test_a_tls_client_on_a_plain_port_backs_off(dovecot: DovecotServer, store: SqliteStore) -> None:
    async with running(config_for(dovecot, security="tls"), store) as mailbox:
        await eventually(lambda: in_state(mailbox, "backoff"))
        assert "SSL" in (mailbox.status()["last_error"] or "")


@pytest.mark.parametrize(
    ("changes", "waiting_state"),
    [
        ({"idle_renew_seconds": 0.2}, "idle"),  # IDLE re-issued several times before the mail comes
        ({"idle": False, "poll_seconds": 0.2}, "polling"),
    ],
)
async def test_new_mail_arrives_through_renewed_idle_and_polling(
    dovecot: DovecotServer, store: SqliteStore, changes: dict[str, Any], waiting_state: str
) -> None:
    async with running(config_for(dovecot, **changes), store) as mailbox:
        await eventually(lambda: in_state(mailbox, waiting_state))
        await asyncio.sleep(0.5)
        await deliver(dovecot, mail(1))
        await eventually(lambda: saved_state_is(store, 1), timeout=2)


@pytest.mark.parametrize("security", ["tls", "starttls"])
async def test_tls_and_starttls(security: str, store: SqliteStore) -> None:
    server = DovecotServer.create(tls=True)
    try:
        await asyncio.to_thread(server.start)
        port = server.tls_port if security == "tls" else server.port
        trust = ssl.create_default_context(cafile=str(server.certificate))
        config = config_for(server, security=security, port=port, host="localhost")
        async with running(config, store, ssl_context=trust) as mailbox:
            await eventually(lambda: in_state(mailbox, "idle"))
            await deliver(server, mail(1))
            await eventually(lambda: saved_state_is(store, 1))
    finally:
        await asyncio.to_thread(server.remove)


@pytest.mark.parametrize(
    "changes", [{"security": "ssl"}, {"after_commit": "delete"}, {"batch_size": 0}, {"poll_seconds": 0}]
)
def test_a_bad_setting_is_refused(changes: dict[str, Any]) -> None:
    base = ImapMailboxConfig(name="soporte", host="127.0.0.1", port=143, security="none", username="u", password="p")
    with pytest.raises(ValueError, match="mailbox soporte"):
        replace(base, **changes)
