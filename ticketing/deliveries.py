"""Delivery results as events on the ticket: how each attempt to reach the client ended, and what the channel
reported later (delivered, read, failed...).

Only replies the core itself wrote to the client are recorded (acknowledgements and agents' replies); what goes to
the agents' console is not a message to the client. Each result is told to the observer like any other change.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from ticketing.notices import NOTICE_KINDS
from ticketing.observer import NoObserver, TicketLog, TicketObserver
from ticketing.ports import TicketWork, UnitOfWork
from ticketing.types import OutboxItem

CLIENT_REPLY_KINDS = frozenset({"acknowledgement", "not_covered", "agent_reply", *NOTICE_KINDS})
FINAL_ATTEMPTS = frozenset({"sent", "dead"})  # a "pending" attempt is retried: nothing to record yet


class Deliveries:
    def __init__(
        self, store: UnitOfWork[TicketWork], clock: Callable[[], datetime], observer: TicketObserver | None = None
    ) -> None:
        self._store = store
        self._clock = clock
        self._observer = observer or NoObserver()

    async def attempted(self, work: TicketWork, item: OutboxItem, status: str, error: str) -> None:
        """Record how an attempt ended, inside the outbox worker's transaction that marks the item."""
        if status in FINAL_ATTEMPTS:
            await self._record(work, item, status, error)

    async def reported(self, provider_id: str, state: str, error: str) -> OutboxItem | None:
        """A channel's later report on a sent reply (by the channel's own message id). Returns the reply, or None
        when it is not one of ours or the same report came again (then nothing is recorded)."""
        async with self._store.transaction() as tx:
            item = await tx.record_delivery(provider_id, state, error)
            if item is not None:
                await self._record(tx, item, state, error)
        return item

    async def _record(self, work: TicketWork, item: OutboxItem, state: str, error: str) -> None:
        reply = item.reply
        if reply.kind not in CLIENT_REPLY_KINDS:
            return
        ticket = await work.get_ticket(reply.ticket_number)
        if ticket is None or ticket.id is None:
            return
        now = self._clock()
        log = TicketLog(work, ticket)
        data = {
            "outbox_id": item.id,
            "reply": reply.kind,
            "channel": reply.channel,
            "recipient": reply.recipient,
            "state": state,
            "error": error,
        }
        await log.event(now, "delivery", "gateway", data)
        await log.tell(self._observer, now)
