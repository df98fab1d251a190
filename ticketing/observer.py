"""What the core tells the rest of the gateway after each unit of work: the ticket and what was appended to it.

Everything that happens to a ticket is an event in its append-only trail (a new ticket, a client's message, an
agent's action, a delivery result, a bounce). At the end of each unit of work, inside the same transaction, the
core hands the ticket with the events and messages it appended to one injected `TicketObserver`. Whatever the
observer queues (the agents' console derives its summaries and thread lines from these) commits with the change
or not at all, and the core itself carries no console markup or wording.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from ticketing.ports import OutboxQueue, TicketReading, TicketWork, TimerPlanning
from ticketing.types import AttachmentRef, Ticket, TicketEvent, TicketMessage


@dataclass(frozen=True)
class TicketChange:
    """One unit of work on one ticket: its state after the change, and the events and messages appended."""

    ticket: Ticket
    events: tuple[TicketEvent, ...]
    messages: tuple[TicketMessage, ...] = ()

    def message(self, native_id: str) -> TicketMessage | None:
        """The appended message with this native id, if any."""
        return next((m for m in self.messages if native_id and m.native_id == native_id), None)


class ObserverWork(OutboxQueue, TicketReading, TimerPlanning, Protocol):
    """What an observer may do inside the core's transaction: read the ticket's conversation, queue messages, plan
    the ticket's SLA timers."""


class TicketObserver(Protocol):
    async def ticket_changed(self, work: ObserverWork, change: TicketChange, now: datetime) -> None:
        """Called once per unit of work that appended events to a ticket, before it commits."""
        ...


class NoObserver:
    """Nobody is watching (no agents' console is configured)."""

    async def ticket_changed(self, work: ObserverWork, change: TicketChange, now: datetime) -> None:
        return None


class ObserverGroup:
    """Several observers, told in order."""

    def __init__(self, observers: Sequence[TicketObserver]) -> None:
        self._observers = tuple(observers)

    async def ticket_changed(self, work: ObserverWork, change: TicketChange, now: datetime) -> None:
        for observer in self._observers:
            await observer.ticket_changed(work, change, now)


@dataclass
class TicketLog:
    """One unit of work's additions to one ticket: appended through `work`, remembered for the observer."""

    work: TicketWork
    ticket: Ticket
    events: list[TicketEvent] = field(default_factory=list)
    messages: list[TicketMessage] = field(default_factory=list)

    @property
    def ticket_id(self) -> int:
        if self.ticket.id is None:
            raise ValueError(f"ticket {self.ticket.number} is not stored yet")
        return self.ticket.id

    async def event(self, at: datetime, kind: str, actor: str, data: Mapping[str, Any] | None = None) -> None:
        event = TicketEvent(at, kind, actor, dict(data or {}))
        event_id = await self.work.add_event(self.ticket_id, event)
        self.events.append(dataclasses.replace(event, id=event_id))

    async def message(
        self, message: TicketMessage, attachments: Sequence[AttachmentRef] = (), outbox_id: int | None = None
    ) -> int:
        """Append a message; each attachment stored with its content is an `attachment` event (one sent as a link
        becomes one when it is fetched: `ticketing.attachments`)."""
        message_id = await self.work.add_message(self.ticket_id, message, (), outbox_id)
        self.messages.append(message)
        for item in attachments:
            attachment_id = await self.work.add_attachment(message_id, item, message.at)
            if item.content is not None:
                await self.attachment(message.at, message.sender, attachment_id, item)
        return message_id

    async def attachment(self, at: datetime, actor: str, attachment_id: int, item: AttachmentRef) -> None:
        data = {"attachment_id": attachment_id, "filename": item.filename, "content_type": item.content_type}
        await self.event(at, "attachment", actor, data | {"size": item.size})

    async def tell(self, observer: TicketObserver, now: datetime) -> None:
        """Hand what was appended to the observer (nothing to tell when no event was appended)."""
        if self.events:
            change = TicketChange(self.ticket, tuple(self.events), tuple(self.messages))
            await observer.ticket_changed(self.work, change, now)
