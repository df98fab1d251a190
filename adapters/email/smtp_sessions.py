"""Sessions with the SMTP relay kept open between replies, as MTAs keep them (Postfix's connection cache).

A reply leaves on a session that is already connected, greeted, secured and logged in, instead of paying TCP,
EHLO, STARTTLS, AUTH and QUIT for every mail: an acknowledgement is three commands (MAIL, RCPT, DATA), not eight.

The limits are `SessionRules`:
- A session carries at most `max_messages` mails, then it is closed with QUIT (relays cap a session's mails).
- One that waited longer than `check_after` seconds is checked with NOOP before use; one that waited longer than
  `idle_limit` is not used at all (relays drop idle sessions: Postfix after 300 s), and a fresh one is opened.
- A session on which anything failed (a refusal, a timeout, a dropped line) is closed, never reused.
- At most `keep` idle sessions are kept (4; the outbox sends up to 8 at once: in a burst the others open and QUIT
  their own); `close()` ends them at the gateway's stop.
"""

from __future__ import annotations

import contextlib
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import aiosmtplib


@dataclass(frozen=True)
class SessionRules:
    keep: int = 4  # idle sessions kept at most
    max_messages: int = 100  # mails a session carries before QUIT
    check_after: float = 5.0  # seconds idle after which a session is checked with NOOP before use
    idle_limit: float = 120.0  # seconds idle after which a session is not used any more


@dataclass
class _Session:
    client: aiosmtplib.SMTP
    mails: int = 0
    idle_since: float = 0.0


class SmtpSessions:
    def __init__(
        self,
        connect: Callable[[], aiosmtplib.SMTP],
        rules: SessionRules = SessionRules(),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._connect = connect  # a client not yet connected, with the relay's address, security and login
        self._rules = rules
        self._clock = clock
        self._idle: deque[_Session] = deque()
        self.opened = 0  # sessions opened so far (for tests and /healthz)

    @contextlib.asynccontextmanager
    async def session(self) -> AsyncIterator[aiosmtplib.SMTP]:
        """A ready session for one mail; it goes back to the idle ones only if the block ended without an error."""
        session = await self._take()
        try:
            yield session.client
        except BaseException:
            session.client.close()
            raise
        session.mails += 1
        await self._give_back(session)

    async def close(self) -> None:
        while self._idle:
            await _quit(self._idle.pop().client)

    async def _take(self) -> _Session:
        while self._idle:
            session = self._idle.pop()  # the most recently used: the likeliest to be alive
            waited = self._clock() - session.idle_since
            if session.client.is_connected and waited <= self._rules.idle_limit:
                if waited <= self._rules.check_after or await _answers(session.client):
                    return session
            session.client.close()
        client = self._connect()
        try:
            await client.connect()
        except BaseException:  # refused, a failed login, cancelled: nothing half-open is left behind
            client.close()
            raise
        self.opened += 1
        return _Session(client)

    async def _give_back(self, session: _Session) -> None:
        if session.mails >= self._rules.max_messages or len(self._idle) >= self._rules.keep:
            await _quit(session.client)
            return
        session.idle_since = self._clock()
        self._idle.append(session)


async def _answers(client: aiosmtplib.SMTP) -> bool:
    try:
        await client.noop()
    except (aiosmtplib.SMTPException, OSError, TimeoutError):
        return False
    return True


async def _quit(client: aiosmtplib.SMTP) -> None:
    try:
        await client.quit()
    except (aiosmtplib.SMTPException, OSError, TimeoutError):
        client.close()
