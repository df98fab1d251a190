"""What agents do to a ticket: reply to the client, write internal notes, change status, priority and assignee.

Channel-agnostic: the Slack console (and any other agent tool) calls these. Each action is one transaction with
its event in the audit trail, told to the observer; a public reply goes through the outbox on the ticket's own
channel. A reply may be held back for a grace period (`hold`); until it is due, the agent can take it back
(`withdraw`, optionally keeping it as an internal note) or change its words (`revise`). After that it is too late,
and the trail says so (`reply_too_late`) so the agent is told rather than left believing it was stopped.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from enum import Enum
from typing import NamedTuple

from ticketing.lifecycle import GATEWAY, conversation_reply, queue_reply, set_priority, set_status
from ticketing.notices import ACCEPTED, RESOLVED_NOTICE, ClientNotices
from ticketing.observer import NoObserver, TicketLog, TicketObserver
from ticketing.ports import TicketWork, UnitOfWork
from ticketing.replies import ReplyComposer
from ticketing.sla import SlaPolicy
from ticketing.types import (
    WITHDRAWN,
    Direction,
    OutboundReply,
    OutboxItem,
    Priority,
    Status,
    Ticket,
    TicketMessage,
)

LEVELS = (1, 2, 3)
AGENT_REPLY = "agent_reply"


class TicketNotFound(LookupError):
    pass


class Held(Enum):
    """What became of a change to a held reply."""

    DONE = "done"  # cancelled or rewritten: the client gets nothing, or the new words
    TOO_LATE = "too_late"  # already sent (or on its way): the trail records it, the agent is told
    UNKNOWN = "unknown"  # no such reply (a note, a confirmed prompt, or already withdrawn)


class HeldChange(NamedTuple):
    result: Held
    ticket_number: str | None


class AgentActions:
    def __init__(
        self,
        store: UnitOfWork[TicketWork],
        sla: SlaPolicy,
        clock: Callable[[], datetime],
        fallback_subject: str,
        observer: TicketObserver | None = None,
        composer: ReplyComposer | None = None,
        agent_names: Mapping[str, str] | None = None,
        notices: ClientNotices | None = None,
        reopen_window: timedelta = timedelta(days=7),
    ) -> None:
        self._notices = notices  # the resolution notice to the client (None: not sent)
        self._reopen_window = reopen_window
        self._composer = composer  # words an agent's reply for its channel (an email gets the desk's signature)
        self._agent_names = dict(agent_names or {})
        self._store = store
        self._sla = sla
        self._clock = clock
        self._fallback_subject = fallback_subject
        self._observer = observer or NoObserver()

    @asynccontextmanager
    async def _change(self, number: str, now: datetime) -> AsyncIterator[TicketLog]:
        """One action on one ticket: the ticket is loaded, changed by the caller, saved, and the change told."""
        async with self._store.transaction() as tx:
            ticket = await tx.get_ticket(number)
            if ticket is None or ticket.id is None:
                raise TicketNotFound(number)
            log = TicketLog(tx, ticket)
            yield log
            if log.events:
                await tx.update_ticket(ticket, now)
                await log.tell(self._observer, now)

    async def reply(
        self,
        number: str,
        agent: str,
        text: str,
        idempotency_key: str,
        internal: bool = False,
        hold: timedelta = timedelta(0),
        ask: bool = False,
    ) -> OutboundReply | None:
        """A public reply (queued to the client, `hold` later) or an internal note (never leaves). The first public
        reply records the response time. `ask`: the reply asks the client for information, so the ticket waits on
        the client (its clock stops; the client has the agreement's hours to answer). Any other public reply ends
        such a wait. Returns the queued reply, or None for a note or a repeated key."""
        now = self._clock()
        async with self._change(number, now) as log:
            ticket = log.ticket
            if internal:
                await log.message(TicketMessage(Direction.NOTE, "internal", text, now, agent))
                await log.event(now, "note", agent)
                return None
            worded = self._worded(ticket, agent, text)
            reply = await conversation_reply(log, AGENT_REPLY, worded, idempotency_key, self._fallback_subject)
            if await queue_reply(log, reply, now, sender=agent, not_before=now + hold if hold else None) is None:
                return None
            data = {"channel": reply.channel} | ({"held_until": (now + hold).isoformat()} if hold else {})
            await log.event(now, "agent_reply", agent, data)
            if ticket.responded_at is None:
                ticket.responded_at = now
                late = ticket.response_due is not None and now > ticket.response_due
                await log.event(now, "responded", agent, {"within_sla": not late})
            if ask and ticket.status is not Status.WAITING_ON_CLIENT:
                await self._set_status(log, Status.WAITING_ON_CLIENT, agent, now, {"asked": True})
            elif not ask and ticket.status is Status.WAITING_ON_CLIENT:
                await self._set_status(log, Status.OPEN, agent, now, {})
            elif ticket.status is Status.NEW:
                set_status(ticket, Status.OPEN, now, self._sla)
            return reply

    async def _set_status(
        self, log: TicketLog, status: Status, agent: str, now: datetime, data: dict[str, object]
    ) -> None:
        previous = log.ticket.status
        set_status(log.ticket, status, now, self._sla)
        await log.event(now, "status", agent, {"from": previous, "to": status} | data)

    async def withdraw(self, key: str, agent: str, note: str | None = None) -> HeldChange:
        """Take back a held reply (the agent deleted it); with `note`, what it said stays as an internal note."""
        return await self._held(key, agent, "deleted", None, note)

    async def revise(self, key: str, agent: str, text: str) -> HeldChange:
        """The held reply goes out with the agent's new words."""
        return await self._held(key, agent, "edited", text, None)

    async def _held(self, key: str, agent: str, change: str, text: str | None, note: str | None) -> HeldChange:
        async with self._store.transaction() as tx:
            item = await tx.outbox_by_key(key)
        if item is None or item.status == WITHDRAWN:
            return HeldChange(Held.UNKNOWN, None)
        now = self._clock()
        reply = item.reply
        data: dict[str, object] = {"channel": reply.channel, "recipient": reply.recipient}
        async with self._change(reply.ticket_number, now) as log:
            if text is not None:
                revised = dataclasses.replace(reply, text=self._worded(log.ticket, agent, text))
                if await log.work.revise_outbox(item.id, revised, now):
                    await log.event(now, "reply_revised", agent, data)
                    return HeldChange(Held.DONE, reply.ticket_number)
            elif await log.work.withdraw_outbox(item.id, now):
                await log.event(now, "reply_withdrawn", agent, data | {"kept_as_note": note is not None})
                if note is not None:
                    await log.message(TicketMessage(Direction.NOTE, "internal", note, now, agent))
                    await log.event(now, "note", agent)
                await self._unanswered(log, item)
                return HeldChange(Held.DONE, reply.ticket_number)
            await log.event(now, "reply_too_late", agent, data | {"change": change})
            return HeldChange(Held.TOO_LATE, reply.ticket_number)

    async def _unanswered(self, log: TicketLog, withdrawn: OutboxItem) -> None:
        """A withdrawn reply that recorded the response time no longer does: the first agent reply left does."""
        ticket = log.ticket
        if ticket.responded_at != withdrawn.created_at:
            return
        messages = await log.work.messages(log.ticket_id)
        replies = [m.at for m in messages if m.direction is Direction.OUT and m.sender != GATEWAY and not m.withdrawn]
        ticket.responded_at = min(replies, default=None)

    def _worded(self, ticket: Ticket, agent: str, text: str) -> str:
        """What the agent wrote, as its channel's template words it (e.g. with the desk's signature in an email)."""
        if self._composer is None:
            return text
        context = {"channel": ticket.answered_on, "number": ticket.number, "text": text}
        context["agent"] = self._agent_names.get(agent, "")
        return self._composer.render(AGENT_REPLY, ticket.language, context).rstrip()

    async def change_status(self, number: str, status: Status, agent: str, level: int | None = None) -> Ticket:
        """Waiting on the client stops the clock; resolving needs the level (1, 2 or 3) the agreement defines."""
        if status is Status.RESOLVED and level not in LEVELS:
            raise ValueError("resolving a ticket needs its level: 1, 2 or 3")
        now = self._clock()
        async with self._change(number, now) as log:
            ticket = log.ticket
            data: dict[str, object] = {}
            if status is Status.RESOLVED:
                ticket.level = level
                data = {"level": level, "within_sla": ticket.resolution_due is None or now <= ticket.resolution_due}
            await self._set_status(log, status, agent, now, data)
            if status is Status.RESOLVED and self._notices is not None:
                reopen_until = now + self._reopen_window
                extra = {"level": level, "reopen_until": reopen_until}
                await self._notices.send(
                    log, RESOLVED_NOTICE, f"{RESOLVED_NOTICE}:{number}:{now.isoformat()}", now, extra
                )
        return ticket

    async def accept(self, number: str, plan: str, agent: str) -> Ticket:
        """Take on a request first not covered (a free or unknown sender) under `plan`: its deadlines count from
        now, and the client is told them. A ticket that is not `not_covered` is left as it is."""
        if not self._sla.is_covered(plan):  # ValueError for a plan not configured
            raise ValueError(f"plan {plan!r} is not covered by the agreement: choose a covered plan to accept it")
        now = self._clock()
        async with self._change(number, now) as log:
            ticket = log.ticket
            if ticket.status is not Status.NOT_COVERED:
                return ticket
            ticket.plan, ticket.accepted_at = plan, now
            await self._set_status(log, Status.NEW, agent, now, {})
            deadlines = {"response_due": ticket.response_due, "resolution_due": ticket.resolution_due}
            await log.event(now, "accepted", agent, {"plan": plan} | deadlines)
            if self._notices is not None:
                await self._notices.send(log, ACCEPTED, f"{ACCEPTED}:{number}", now, {})
        return ticket

    async def change_priority(self, number: str, priority: Priority, agent: str) -> Ticket:
        """Deadlines are recomputed from the receipt time, as the agreement's priority table says."""
        now = self._clock()
        async with self._change(number, now) as log:
            ticket = log.ticket
            previous = ticket.priority
            set_priority(ticket, priority, self._sla)
            data = {
                "from": previous,
                "to": priority,
                "response_due": ticket.response_due,
                "resolution_due": ticket.resolution_due,
            }
            await log.event(now, "priority", agent, data)
        return ticket

    async def escalate(self, number: str, agent: str, reason: str = "") -> Ticket:
        """One level up, as the agreement defines them (1 → 2 → 3: the third for cases that need more than 8
        business hours, the vendor or the committee of experts), recording who escalated and why. ValueError at the
        third level already."""
        now = self._clock()
        async with self._change(number, now) as log:
            ticket = log.ticket
            current = ticket.level or LEVELS[0]
            if current >= LEVELS[-1]:
                raise ValueError(f"{number} is already at level {LEVELS[-1]}, the highest")
            await log.event(now, "escalated", agent, {"from": current, "to": current + 1, "reason": reason.strip()})
            ticket.level = current + 1
        return ticket

    async def assign(self, number: str, assignee: str, agent: str) -> Ticket:
        now = self._clock()
        async with self._change(number, now) as log:
            ticket = log.ticket
            await log.event(now, "assigned", agent, {"from": ticket.assignee, "to": assignee})
            ticket.assignee = assignee
        return ticket
