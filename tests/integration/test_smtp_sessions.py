"""The email sender keeps its sessions with the relay open between replies: a real aiosmtpd relay on loopback
counts the connections, greetings, NOOPs and QUITs it sees."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from adapters.channel import PermanentFailure
from adapters.email.senders import MailComposer, SmtpRelaySender
from adapters.email.smtp_sessions import SessionRules
from tests.conftest import at, free_port
from ticketing.types import OutboundReply

NOW = at("2026-11-24T15:00:00")


class Relay:
    """Takes every mail, except to a refused address; records which session carried it."""

    def __init__(self) -> None:
        self.sessions: list[int] = []  # the session of each mail taken, in order
        self.greetings = self.noops = self.quits = 0

    async def handle_EHLO(self, server: SMTP, session: Session, envelope: Envelope, hostname: str, responses: list[str]) -> list[str]:  # fmt: skip
        self.greetings += 1
        session.host_name = hostname  # a hook of this form must say who greeted
        return responses

    async def handle_NOOP(self, server: SMTP, session: Session, envelope: Envelope, arg: str) -> str:
        self.noops += 1
        return "250 OK"

    async def handle_QUIT(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.quits += 1
        return "221 Bye"

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]) -> str:  # fmt: skip
        if address.startswith("refused@"):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.sessions.append(id(session))
        return "250 2.0.0 OK"


@contextmanager
def relay(port: int) -> Iterator[Relay]:
    handler = Relay()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler
    finally:
        controller.stop()


def reply(n: int, recipient: str = "ana@andina.com.co") -> OutboundReply:
    return OutboundReply(f"TL-{n:06d}", "email", recipient, "[TL] VPN", "Recibido.", f"gw-{n}", "", (), f"k-{n}", "ack")


@pytest.fixture
def port() -> int:
    return free_port()


def relay_sender(port: int, rules: SessionRules | None = None, clock: Callable[[], float] = time.monotonic) -> SmtpRelaySender:  # fmt: skip
    compose = MailComposer("soporte@tecnolinux.com", "tecnolinux.com", lambda: NOW)
    return SmtpRelaySender("127.0.0.1", port, "none", None, None, 5.0, compose, rules, clock)


@pytest.fixture
async def sender(port: int) -> AsyncIterator[SmtpRelaySender]:
    sender = relay_sender(port)
    yield sender
    await sender.close()


async def test_replies_in_a_row_share_one_session_and_the_stop_says_quit(sender: SmtpRelaySender, port: int) -> None:
    with relay(port) as seen:
        for n in range(5):
            await sender.send(reply(n))
        assert len(seen.sessions) == 5 and len(set(seen.sessions)) == 1
        assert (sender.sessions.opened, seen.greetings, seen.noops) == (1, 1, 0)
        await sender.close()
        assert seen.quits == 1


async def test_a_session_the_relay_dropped_is_checked_and_replaced(port: int) -> None:
    sender = relay_sender(port, SessionRules(check_after=0.0))  # every reused session is checked
    with relay(port) as first:
        await sender.send(reply(1))
    with relay(port) as second:  # the relay restarted: the idle session is dead
        await sender.send(reply(2))
        await sender.send(reply(3))
    assert (len(first.sessions), len(second.sessions), sender.sessions.opened) == (1, 2, 2)
    assert second.noops == 1  # the third reply reused the new session after a NOOP
    await sender.close()


async def test_a_refused_mail_fails_for_good_and_its_session_is_not_reused(sender: SmtpRelaySender, port: int) -> None:
    with relay(port) as seen:
        await sender.send(reply(1))
        with pytest.raises(PermanentFailure, match="550"):
            await sender.send(reply(2, "refused@andina.com.co"))
        await sender.send(reply(3))
    assert len(seen.sessions) == 2 and len(set(seen.sessions)) == 2
    assert sender.sessions.opened == 2


async def test_a_session_carries_a_limited_number_of_mails(port: int) -> None:
    sender = relay_sender(port, SessionRules(max_messages=2))
    with relay(port) as seen:
        for n in range(5):
            await sender.send(reply(n))
        await sender.close()
    assert [len([s for s in seen.sessions if s == one]) for one in dict.fromkeys(seen.sessions)] == [2, 2, 1]
    assert seen.quits == 3


async def test_sessions_idle_past_the_limit_are_not_used(port: int) -> None:
    clock = [0.0]
    sender = relay_sender(port, SessionRules(idle_limit=60), lambda: clock[0])
    with relay(port) as seen:
        await sender.send(reply(1))
        clock[0] = 61.0
        await sender.send(reply(2))
        await sender.close()
    assert len(set(seen.sessions)) == 2 and seen.noops == 0
