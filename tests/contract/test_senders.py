"""Every sender keeps the same contract with the outbox, each against its real peer or a loopback fake of it.

A delivered reply reaches the peer once. A refusal the peer may lift later (SMTP 4xx, HTTP 429 and 5xx, Slack's
`ratelimited`, a full disk) is a `TemporaryFailure`, with the peer's Retry-After when it gave one; a refusal that
retrying cannot lift (SMTP 5xx, an unknown recipient, a 4xx) is a `PermanentFailure` naming the peer's reason; a peer
that cannot be reached is temporary. A sender never retries by itself: the peer sees exactly one attempt.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from slack_sdk.web.async_client import AsyncWebClient

from adapters.channel import PermanentFailure, Sender, TemporaryFailure
from adapters.email.senders import MailComposer, MaildirSender, SmtpRelaySender
from adapters.relay.sender import RelaySender
from adapters.slack import CONSOLE_CHANNEL
from adapters.slack.client_sender import SlackClientSender
from adapters.slack.console import SlackConsole
from adapters.slack.console_events import SUMMARY, console_item
from adapters.slack.snapshot import ticket_snapshot
from adapters.whatsapp.sender import WhatsAppSender
from tests.conftest import at, free_port, project_texts
from tests.fake_slack import FakeSlack
from tests.fake_twilio import FakeTwilio
from ticketing.store.sqlite import SqliteStore
from ticketing.types import OutboundReply, Priority, Status, Ticket

NOW = at("2026-11-24T15:00:00")
TEXT = "Recibimos su solicitud TL-000123."


def reply(recipient: str, channel: str) -> OutboundReply:
    return OutboundReply("TL-000123", channel, recipient, "[TL-000123] VPN", TEXT, "gw-1", "", (), "idem-1", "ack")


class Peer(Protocol):
    """One sender's peer: scripts its next answer and counts the attempts it saw."""

    recipient: str
    channel: str
    retry_after_given: bool  # whether this peer can say when to come back
    sees_refusals: bool  # whether an attempt the peer refuses reaches it (a network peer) or not (a folder)

    def sender(self) -> Sender: ...

    def reply(self) -> OutboundReply: ...

    def answer(self, outcome: str) -> None:
        """The next attempt's answer: "ok", "temporary", "permanent" or "unreachable"."""
        ...

    def attempts(self) -> int: ...

    async def stop(self) -> None: ...


class ClientReply:
    """A reply to a client on the peer's channel (the console peer sends its own kind of item)."""

    recipient: str
    channel: str

    def reply(self) -> OutboundReply:
        return reply(self.recipient, self.channel)


class MaildirPeer(ClientReply):
    """The local Maildir: a folder that cannot be written is temporary, a recipient that is no address permanent."""

    channel, retry_after_given, sees_refusals = "email", False, False

    def __init__(self, folder: Path) -> None:
        self.folder, self.recipient = folder / "sent", "ana@andina.com.co"

    def sender(self) -> Sender:
        return MaildirSender(self.folder, MailComposer("soporte@tecnolinux.com", "tecnolinux.com", lambda: NOW, "8bit"))

    def answer(self, outcome: str) -> None:
        if outcome in ("temporary", "unreachable"):
            self.folder.parent.mkdir(parents=True, exist_ok=True)
            self.folder.write_text("a file where the Maildir should be")
        elif self.folder.is_file():
            self.folder.unlink()
        self.recipient = "not-an-address" if outcome == "permanent" else "ana@andina.com.co"

    def attempts(self) -> int:
        return len(list((self.folder / "new").iterdir())) if (self.folder / "new").is_dir() else 0

    async def stop(self) -> None:
        return None


class ScriptedSmtp:
    """An SMTP relay on loopback that answers DATA as scripted and counts the attempts."""

    def __init__(self) -> None:
        self.code = "250 2.0.0 OK"
        self.seen = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.seen += 1
        return self.code


class SmtpPeer(ClientReply):
    channel, retry_after_given, sees_refusals, recipient = "email", False, True, "ana@andina.com.co"

    def __init__(self) -> None:
        self.handler = ScriptedSmtp()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        self.target = self.port

    def sender(self) -> Sender:
        compose = MailComposer("soporte@tecnolinux.com", "tecnolinux.com", lambda: NOW)
        return SmtpRelaySender("127.0.0.1", self.target, "none", None, None, 5.0, compose)

    def answer(self, outcome: str) -> None:
        codes = {"temporary": "451 4.3.0 try again later", "permanent": "554 5.7.1 relay refused"}
        self.handler.code = codes.get(outcome, "250 2.0.0 OK")
        self.target = free_port() if outcome == "unreachable" else self.port

    def attempts(self) -> int:
        return self.handler.seen

    async def stop(self) -> None:
        self.controller.stop()


class TwilioPeer(ClientReply):
    channel, retry_after_given, sees_refusals, recipient = "whatsapp", True, True, "+573001234567"

    def __init__(self, fake: FakeTwilio) -> None:
        self.fake, self.base = fake, fake.base_url

    def sender(self) -> Sender:
        async def last_client_message_at(recipient: str) -> Any:
            return NOW  # inside WhatsApp's 24-hour window

        return WhatsAppSender(
            account_sid=self.fake.account_sid,
            auth_token=self.fake.auth_token,
            from_number="+14155238886",
            messaging_service_sid=None,
            status_callback_url=None,
            last_client_message_at=last_client_message_at,
            clock=lambda: NOW,
            api_base_url=self.base,
        )

    def answer(self, outcome: str) -> None:
        if outcome == "temporary":
            self.fake.fail_next(1, 429, code=20429, message="Too Many Requests", headers={"Retry-After": "7"})
        elif outcome == "permanent":
            self.fake.fail_next(1, 400, code=21211, message="Invalid 'To' Phone Number")
        self.base = f"http://127.0.0.1:{free_port()}" if outcome == "unreachable" else self.fake.base_url

    def attempts(self) -> int:
        return len(self.fake.messages)

    async def stop(self) -> None:
        await self.fake.stop()


class SlackPeer(ClientReply):
    channel, retry_after_given, sees_refusals, recipient = "slack", True, True, "D0CLIENT"

    def __init__(self, fake: FakeSlack) -> None:
        self.fake, self.base = fake, fake.base_url

    def sender(self) -> Sender:
        client = AsyncWebClient(token=self.fake.token, base_url=self.base + "/api/", retry_handlers=[], timeout=5)
        return SlackClientSender(client)

    def answer(self, outcome: str) -> None:
        if outcome == "temporary":
            self.fake.fail_next(1, "ratelimited", status=429, headers={"Retry-After": "7"})
        elif outcome == "permanent":
            self.fake.fail_next(1, "channel_not_found")
        self.base = f"http://127.0.0.1:{free_port()}" if outcome == "unreachable" else self.fake.base_url

    def attempts(self) -> int:
        return len(self.fake.calls_to("chat.postMessage"))

    async def stop(self) -> None:
        await self.fake.stop()


@dataclass
class RelayPeer(ClientReply):
    server: TestServer
    status: int = 200
    headers: dict[str, str] | None = None
    seen: int = 0
    url: str = ""
    channel, retry_after_given, sees_refusals, recipient = "relay:teams", True, True, "ana@andina.com.co"

    async def handle(self, request: web.Request) -> web.Response:
        await request.read()
        self.seen += 1
        return web.Response(status=self.status, headers=self.headers or {})

    def sender(self) -> Sender:
        return RelaySender(relay="teams", callback_url=self.url, secret="s3cret")

    def answer(self, outcome: str) -> None:
        self.status, self.headers = {"temporary": (503, {"Retry-After": "7"}), "permanent": (410, {})}.get(
            outcome, (200, {})
        )
        callback = str(self.server.make_url("/callback"))
        self.url = f"http://127.0.0.1:{free_port()}/callback" if outcome == "unreachable" else callback

    def attempts(self) -> int:
        return self.seen

    async def stop(self) -> None:
        await self.server.close()


class SlackConsolePeer(SlackPeer):
    """The agents' console: a ticket's summary drawn from the snapshot its item carries."""

    channel, recipient = CONSOLE_CHANNEL, "C0CONSOLE"

    def __init__(self, fake: FakeSlack, store: SqliteStore) -> None:
        super().__init__(fake)
        self.store = store

    def sender(self) -> Sender:
        client = AsyncWebClient(token=self.fake.token, base_url=self.base + "/api/", retry_handlers=[], timeout=5)
        return SlackConsole(
            client=client,
            channel_id=self.recipient,
            store=self.store,
            tz=ZoneInfo("America/Bogota"),
            texts=project_texts(),
            organisation_name=lambda _id: "Andina S.A.",
        )

    def reply(self) -> OutboundReply:
        ticket = Ticket(
            "TL-000123", "ana@andina.com.co", "Ana", "email", "andina", "standard", Status.NEW, Priority.HIGH, None,
            "VPN", "es", NOW, NOW, NOW,
        )  # fmt: skip
        data = {"ticket": ticket_snapshot(ticket, "La VPN no conecta.")}
        return console_item(CONSOLE_CHANNEL, self.recipient, ticket.number, SUMMARY, "", "k-1", data)

    async def stop(self) -> None:
        await super().stop()
        await self.store.close()


async def console_peer(tmp: Path) -> SlackConsolePeer:
    store = SqliteStore(tmp / "console.sqlite3")
    await store.open()
    return SlackConsolePeer(await FakeSlack(channels={"C0CONSOLE"}).start(), store)


async def relay_peer() -> RelayPeer:
    app = web.Application()
    holder: list[RelayPeer] = []

    async def handle(request: web.Request) -> web.Response:
        return await holder[0].handle(request)

    app.router.add_post("/callback", handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    holder.append(RelayPeer(server, url=str(server.make_url("/callback"))))
    return holder[0]


PeerFactory = Callable[[Path], Any]
PEERS: dict[str, PeerFactory] = {
    "maildir": lambda tmp: MaildirPeer(tmp),
    "smtp relay": lambda tmp: SmtpPeer(),
    "twilio": lambda tmp: FakeTwilio("AC" + "a" * 32, "t" * 32).start(),
    "slack": lambda tmp: FakeSlack(channels={"D0CLIENT"}).start(),
    "relay": lambda tmp: relay_peer(),
    "slack console": lambda tmp: console_peer(tmp),
}
WRAP = {"twilio": TwilioPeer, "slack": SlackPeer}


@pytest.fixture(params=list(PEERS))
async def peer(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Peer]:
    made = PEERS[request.param](tmp_path)
    if hasattr(made, "__await__"):
        made = await made
    built: Peer = WRAP[request.param](made) if request.param in WRAP else made
    yield built
    await built.stop()


async def send(peer: Peer, outcome: str) -> None:
    peer.answer(outcome)
    sender = peer.sender()
    try:
        await sender.send(peer.reply())
    finally:
        close = getattr(sender, "close", None)
        if close is not None:
            await close()


async def test_a_delivered_reply_reaches_the_peer_once(peer: Peer) -> None:
    await send(peer, "ok")
    assert peer.attempts() == 1


async def test_a_refusal_that_may_lift_is_temporary_and_not_retried_by_the_sender(peer: Peer) -> None:
    with pytest.raises(TemporaryFailure) as failure:
        await send(peer, "temporary")
    assert failure.value.reason
    assert failure.value.retry_after == (7 if peer.retry_after_given else None)
    refused = 1 if peer.sees_refusals else 0
    assert peer.attempts() == refused  # one attempt, no retry of its own: the outbox owns retries
    await send(peer, "ok")  # and the next attempt goes through
    assert peer.attempts() == refused + 1


async def test_a_refusal_that_cannot_lift_is_permanent_and_says_why(peer: Peer) -> None:
    with pytest.raises(PermanentFailure) as failure:
        await send(peer, "permanent")
    assert failure.value.reason and peer.attempts() == (1 if peer.sees_refusals else 0)


async def test_an_unreachable_peer_is_temporary(peer: Peer) -> None:
    with pytest.raises(TemporaryFailure):
        await send(peer, "unreachable")
    assert peer.attempts() == 0


async def test_a_reply_that_cannot_be_written_as_mail_fails_for_good(tmp_path: Path) -> None:
    sender = MaildirSender(tmp_path / "sent", MailComposer("soporte@tecnolinux.com", "tecnolinux.com", lambda: NOW))
    with pytest.raises(PermanentFailure, match="cannot compose the mail"):  # the email package's IndexError
        await sender.send(reply('ana@andina.com.co, "', "email"))
    assert not (tmp_path / "sent").exists()
