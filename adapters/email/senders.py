"""The two ways replies leave by email: through an SMTP relay (aiosmtplib), or into a local Maildir folder.

The Maildir sender is the embedded default: a new user reads the replies in `var/mail/sent/new/` without any
mail server.
"""

from __future__ import annotations

import asyncio
import mailbox
import time
from collections.abc import Callable
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib

from adapters.channel import PermanentFailure, TemporaryFailure
from adapters.email.compose import compose_reply
from adapters.email.header_classes import reply_policy
from adapters.email.smtp_sessions import SessionRules, SmtpSessions
from ticketing.types import OutboundReply


class MailComposer:
    """Builds the email for a reply from our configured From address."""

    def __init__(
        self, from_address: str, domain: str, clock: Callable[[], datetime], transfer_encoding: str = "quoted-printable"
    ) -> None:
        self._from = from_address
        self._domain = domain
        self._clock = clock
        self._transfer_encoding = transfer_encoding
        self._policy = reply_policy()  # its header classes made once, for every reply

    def __call__(self, reply: OutboundReply) -> EmailMessage:
        """The email; a reply that cannot be written as one (a malformed address) fails for good, not for now."""
        try:
            return compose_reply(reply, self._from, self._domain, self._clock(), self._transfer_encoding, self._policy)
        except (ValueError, TypeError, LookupError) as error:  # email's header errors are ValueErrors
            raise PermanentFailure(f"cannot compose the mail: {error}") from error


class MaildirSender:
    def __init__(self, path: Path, compose: MailComposer) -> None:
        self._path = path
        self._compose = compose

    def _write(self, data: bytes) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)  # Maildir creates only the last folder
        mailbox.Maildir(self._path, create=True).add(data)

    async def send(self, reply: OutboundReply) -> str | None:
        if "@" not in reply.recipient:
            raise PermanentFailure(f"not an email address: {reply.recipient!r}")
        data = self._compose(reply).as_bytes()
        try:
            await asyncio.to_thread(self._write, data)
        except OSError as error:
            raise TemporaryFailure(f"cannot write to {self._path}: {error.strerror or error}") from error
        return None

    async def close(self) -> None:
        """Nothing is held open between replies."""


def _smtp_failure(code: int, message: str) -> Exception:
    reason = f"SMTP {code} {message}".strip()
    return TemporaryFailure(reason) if 400 <= code < 500 or code < 0 else PermanentFailure(reason)


class SmtpRelaySender:
    """Hands each reply to the configured relay, on a session kept open between replies (`SmtpSessions`); 4xx and
    network trouble are temporary, 5xx permanent."""

    def __init__(
        self,
        host: str,
        port: int,
        security: str,
        username: str | None,
        password: str | None,
        timeout: float,
        compose: MailComposer,
        rules: SessionRules | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._host = host
        self._port = port
        self._compose = compose

        def client() -> aiosmtplib.SMTP:
            return aiosmtplib.SMTP(
                hostname=host,
                port=port,
                use_tls=security == "tls",
                start_tls=True if security == "starttls" else False,
                username=username,
                password=password,
                timeout=timeout,
            )

        self.sessions = SmtpSessions(client, rules or SessionRules(), clock)

    async def send(self, reply: OutboundReply) -> str | None:
        message = self._compose(reply)
        try:
            async with self.sessions.session() as client:
                errors, _ = await client.send_message(message)
        except aiosmtplib.SMTPRecipientsRefused as error:
            first = error.recipients[0]
            raise _smtp_failure(first.code, first.message) from error
        except aiosmtplib.SMTPResponseException as error:
            raise _smtp_failure(error.code, error.message) from error
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as error:
            raise TemporaryFailure(f"cannot reach {self._host}:{self._port}: {error}") from error
        if errors:
            code, text = next(iter(errors.values()))
            raise _smtp_failure(code, text)
        return None

    async def close(self) -> None:
        """Ends the sessions kept open (the gateway's stop)."""
        await self.sessions.close()
