"""For channels whose sender waits for the ticket number (the web form, a phone call recorded in Slack).

The raw request is committed to the inbox first, then made into a ticket at once in the claim-protected ingest,
so the sender sees the number; if that second step fails, the pipeline finishes it from the inbox, and a retry
of the same request finds the ticket the first one made.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from ticketing.intake import AcceptRequest
from ticketing.service import TicketService
from ticketing.store.base import Store
from ticketing.types import WrittenRequest


class ImmediateIntake:
    def __init__(
        self, store: Store, service: TicketService, clock: Callable[[], datetime], on_ingested: Callable[[], None]
    ) -> None:
        self._store = store
        self._service = service
        self._clock = clock
        self._on_ingested = on_ingested

    async def record(
        self, channel: str, native_id: str, raw: bytes, kind: str, request: Callable[[datetime], WrittenRequest]
    ) -> str:
        """Commit `raw`, make (or add to) its ticket with `request(received_at)`, and return the ticket number."""
        received = self._clock()
        accepted = await self._store.accept(AcceptRequest(channel, native_id, raw, {"kind": kind}, received))
        outcome = await self._service.ingest(accepted.inbox_id, request(received))
        self._on_ingested()  # the acknowledgement leaves at once
        number = outcome.ticket_number
        if number is None:  # a retry of a request already made into a ticket
            async with self._store.transaction() as tx:
                number = await tx.inbox_ticket_number(accepted.inbox_id)
        if number is None:
            raise RuntimeError("the request is recorded but its ticket is not made yet; it will be shortly")
        return number
