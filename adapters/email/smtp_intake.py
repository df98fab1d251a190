"""SMTP intake on aiosmtpd: mail for the support addresses is committed to the inbox before we answer 250.

Answers in SMTP's own terms: 550 for an address that is not ours, 552 for a message over the size limit
(aiosmtpd enforces `data_size_limit`), 451 when the store cannot commit (the sending server retries later).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Any

import structlog
from aiosmtpd.smtp import SMTP, Envelope, Session

from adapters.connection_limit import SMTP_BUSY, ConnectionLimit
from adapters.email import CHANNEL
from adapters.email.parse import mail_keys
from ticketing.intake import Accept, AcceptRequest


class SupportMailHandler:
    """The aiosmtpd handler: RCPT checks the address, DATA commits, then answers."""

    def __init__(self, support_addresses: frozenset[str], accept: Accept, clock: Callable[[], datetime]) -> None:
        self._addresses = support_addresses
        self._accept = accept
        self._clock = clock
        self._log = structlog.get_logger("adapters.email.smtp")
        self.in_flight = 0  # DATA commands being committed: shutdown waits for them

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if address.strip().lower() not in self._addresses:
            self._log.info("smtp.rejected_recipient", recipient=address, peer=str(session.peer))
            return f"550 5.1.1 <{address}>: no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        assert isinstance(raw, bytes)
        native_id, content_key = mail_keys(raw)
        meta: dict[str, Any] = {
            "mail_from": envelope.mail_from or "",
            "rcpt_tos": list(envelope.rcpt_tos),
            "peer": str(session.peer[0]) if session.peer else "",
        }
        self.in_flight += 1
        try:
            result = await self._accept(AcceptRequest(CHANNEL, native_id, raw, meta, self._clock(), content_key))
        except Exception as error:  # nothing was committed: the sender must keep the mail and retry
            self._log.error("smtp.store_failed", native_id=native_id, error=str(error))
            return "451 4.3.0 Could not store the message now; please try again later"
        finally:
            self.in_flight -= 1
        self._log.info(
            "smtp.accepted",
            inbox_id=result.inbox_id,
            native_id=native_id,
            duplicate=result.duplicate,
            reused_id=result.reused_id,  # the same Message-ID with other content: a new message
            size=len(raw),
        )
        return "250 2.0.0 Message accepted" + (" (already received)" if result.duplicate else "")


class _CountedSession(SMTP):
    """aiosmtpd's session, counted while its connection is open; lines as long as a whole message (as Postfix
    takes them) instead of a permanent "500 Line too long" at 1,000 bytes."""

    def __init__(self, sessions: list[int], line_limit: int, *args: Any, **kwargs: Any) -> None:
        self.line_length_limit = line_limit  # read by SMTP.__init__ for its stream reader
        super().__init__(*args, **kwargs)
        self._sessions = sessions
        self._counted = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if not self._counted:
            self._counted = True
            self._sessions[0] += 1
        super().connection_made(transport)

    def connection_lost(self, error: Exception | None) -> None:
        if self._counted:
            self._counted = False
            self._sessions[0] -= 1
        super().connection_lost(error)


class SmtpIntake:
    """A receiver: serves SMTP on host:port until stopped, `max_sessions` at a time (421 to one more), closing a
    session idle for `idle_timeout` seconds."""

    def __init__(
        self,
        handler: SupportMailHandler,
        host: str,
        port: int,
        max_message_bytes: int,
        max_sessions: int = 100,
        idle_timeout: float = 60.0,
    ) -> None:
        self.handler = handler
        self._host = host
        self._port = port
        self._max_bytes = max_message_bytes
        self._idle_timeout = idle_timeout
        self._sessions = [0]
        self.limit = ConnectionLimit(self._protocol, max_sessions, SMTP_BUSY, lambda: self._sessions[0])
        self._server: asyncio.Server | None = None

    @property
    def sessions(self) -> int:
        return self._sessions[0]

    @property
    def address(self) -> tuple[str, int]:
        if self._server is None or not self._server.sockets:
            return self._host, self._port
        host, port = self._server.sockets[0].getsockname()[:2]
        return host, port

    def _protocol(self) -> SMTP:
        return _CountedSession(
            self._sessions,
            self._max_bytes + 2,
            self.handler,
            data_size_limit=self._max_bytes,
            enable_SMTPUTF8=True,
            decode_data=False,
            ident="intake-gateway",
            timeout=self._idle_timeout,
        )

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self.limit, self._host, self._port)

    async def stop(self, grace: float = 10.0) -> None:
        """Stop accepting connections, then wait (up to `grace` seconds) for messages being committed."""
        if self._server is not None:
            self._server.close()
            self._server = None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace
        while self.handler.in_flight and loop.time() < deadline:
            await asyncio.sleep(0.05)
