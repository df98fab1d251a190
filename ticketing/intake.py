"""Durable intake: what a channel hands over to be committed (`AcceptRequest`), and what it gets back.

A channel acknowledges a message to its peer (SMTP 250, webhook 200, IMAP \\Seen) only after `Accept` has
returned: the raw bytes are committed and deduplicated on (channel, native id) by then. `ImmediateIntake` is the
same commit followed at once by the ticket, for channels whose sender waits for the number.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from ticketing.ports import UnitOfWork
from ticketing.types import IngestOutcome, WrittenRequest


@dataclass(frozen=True)
class AcceptRequest:
    channel: str
    native_id: str
    raw: bytes
    meta: dict[str, Any]
    received_at: datetime
    # What makes two messages with one native id the same message (a mail's From, Date, Subject, boundary), when
    # the channel's ids can be reused: a different key under a known id is a new message, not a duplicate.
    content_key: str = ""


@dataclass(frozen=True)
class AcceptResult:
    inbox_id: int
    duplicate: bool
    reused_id: bool = False  # a known native id with new content: committed as a new message


# Commit one raw message to the inbox (or find it there already); returns only after the commit.
Accept = Callable[[AcceptRequest], Awaitable[AcceptResult]]


class Ingesting(Protocol):
    async def ingest(self, inbox_id: int, request: WrittenRequest) -> IngestOutcome: ...


class InboxTicket(Protocol):
    async def inbox_ticket_number(self, inbox_id: int) -> str | None: ...


class ImmediateIntake:
    """For channels whose sender waits for the ticket number (the web form, a phone call recorded in Slack).

    The raw request is committed to the inbox first, then made into a ticket at once in the claim-protected
    ingest, so the sender sees the number; if that second step fails, the pipeline finishes it from the inbox, and
    a retry of the same request finds the ticket the first one made.
    """

    def __init__(
        self,
        accept: Accept,
        service: Ingesting,
        store: UnitOfWork[InboxTicket],
        clock: Callable[[], datetime],
        on_ingested: Callable[[], None],
    ) -> None:
        self._accept = accept
        self._service = service
        self._store = store
        self._clock = clock
        self._on_ingested = on_ingested

    async def record(
        self, channel: str, native_id: str, raw: bytes, kind: str, request: Callable[[datetime], WrittenRequest]
    ) -> str:
        """Commit `raw`, make (or add to) its ticket with `request(received_at)`, and return the ticket number."""
        received = self._clock()
        accepted = await self._accept(AcceptRequest(channel, native_id, raw, {"kind": kind}, received))
        outcome = await self._service.ingest(accepted.inbox_id, request(received))
        self._on_ingested()  # the acknowledgement leaves at once
        number = outcome.ticket_number
        if number is None:  # a retry of a request already made into a ticket
            async with self._store.transaction() as tx:
                number = await tx.inbox_ticket_number(accepted.inbox_id)
        if number is None:
            raise RuntimeError("the request is recorded but its ticket is not made yet; it will be shortly")
        return number
