"""Reads one committed raw mail into a written request, without stalling the event loop or the desk.

Every mail is parsed and normalized in a worker process of a `ReadPool`: the standard library's MIME parser holds
the GIL for tens of milliseconds at a time on big parts (which would stall intake and replies even from a thread),
and a crafted mail that is slow to read is killed at the inbox's deadline instead of holding a thread forever.
Without a pool (the command line, benchmarks) the read runs in a thread. `make bench` has the loop-stall figures.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from adapters.email.parse import MailParseError, parse_email
from adapters.email.settings import EmailSettings
from adapters.process_pool import ReadPool
from normalizer import LanguageDetector, Normalizer
from ticketing.types import InboundMessage, InboxItem, WrittenRequest


@dataclass(frozen=True)
class EmailReadOptions:
    """Plain values only: they travel to the worker process."""

    ticket_prefix: str
    default_language: str
    max_attachment_bytes: int
    fallback_recipient: str
    own_domains: frozenset[str] = frozenset()
    authserv_ids: frozenset[str] = frozenset()  # our MTAs, whose Authentication-Results verify a sender

    @classmethod
    def of(cls, section: EmailSettings | None, ticket_prefix: str, default_language: str) -> EmailReadOptions:
        """The options for the configured email channel (or defaults, to read a file without one)."""
        return cls(
            ticket_prefix=ticket_prefix,
            default_language=default_language,
            max_attachment_bytes=section.max_attachment_bytes if section else 10_000_000,
            fallback_recipient=section.support_addresses[0] if section else "",
            own_domains=section.domains if section else frozenset(),
            authserv_ids=frozenset(section.authserv_ids) if section else frozenset(),
        )


def parse_committed_mail(
    raw: bytes, received_at: datetime, meta: dict[str, Any], options: EmailReadOptions
) -> InboundMessage:
    recipients = meta.get("rcpt_tos") or [options.fallback_recipient]
    message = parse_email(
        raw,
        received_at=received_at,
        recipient=recipients[0],
        max_attachment_bytes=options.max_attachment_bytes,
        authserv_ids=options.authserv_ids,
    )
    if not message.sender_address:  # no usable From/Reply-To/Sender: the SMTP envelope still says who sent it
        envelope_sender = str(meta.get("mail_from") or "").strip().lower()
        if "@" not in envelope_sender:
            raise MailParseError("no sender address in the headers or the SMTP envelope")
        message = dataclasses.replace(message, sender_address=envelope_sender)
    return message


@functools.cache
def worker_normalizer(options: EmailReadOptions) -> Normalizer:
    """The worker process's own normalizer, built at its first mail and kept (nothing is shared across processes;
    building one per mail cost a quarter of a short mail's read)."""
    return Normalizer(options.ticket_prefix, LanguageDetector(options.default_language), options.own_domains)


def read_in_worker(
    raw: bytes, received_at: datetime, meta: dict[str, Any], options: EmailReadOptions
) -> WrittenRequest:
    """The worker process's entry point."""
    return worker_normalizer(options).normalize(parse_committed_mail(raw, received_at, meta, options))


class EmailReader:
    """The inbox pipeline's reader for the email channel."""

    def __init__(
        self,
        options: EmailReadOptions,
        normalizer: Normalizer,
        pool: ReadPool | None,
    ) -> None:
        self._options = options
        self._normalizer = normalizer
        self._pool = pool

    def _read_here(self, item: InboxItem) -> WrittenRequest:
        return self._normalizer.normalize(parse_committed_mail(item.raw, item.received_at, item.meta, self._options))

    async def __call__(self, item: InboxItem) -> WrittenRequest:
        if self._pool is not None:
            return await self._pool.run(read_in_worker, item.raw, item.received_at, item.meta, self._options)
        return await asyncio.to_thread(self._read_here, item)
