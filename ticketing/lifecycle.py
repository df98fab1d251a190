"""Rules every ticket change follows, whoever makes it: status changes keep the SLA clock right, replies are queued.

- Entering `waiting_on_client` stops the clock; leaving it records the pause and recomputes both deadlines
  from the receipt time, in the plan's calendar, minus every pause.
- A priority change recomputes the deadlines from the receipt time.
- A reply is written to the outbox and recorded as an outgoing message in the same transaction; a message to the
  client is threaded under their latest one (`conversation_reply`).
- Leaving `resolved` for any status but `closed` (a reopening) clears `resolved_at`.
"""

from __future__ import annotations

from datetime import datetime

from ticketing.observer import TicketLog
from ticketing.replies import build_reply
from ticketing.sla import SlaPolicy
from ticketing.types import Direction, OutboundReply, Priority, Status, Ticket, TicketMessage

GATEWAY = "gateway"  # the sender of the replies the gateway writes itself (acknowledgements, confirmations)


def recompute_deadlines(ticket: Ticket, sla: SlaPolicy) -> None:
    if ticket.status is Status.NOT_COVERED or not sla.is_covered(ticket.plan):
        ticket.response_due = ticket.resolution_due = None
        return
    result = sla.compute(ticket.priority, ticket.plan, ticket.clock_from, ticket.pauses)
    ticket.response_due, ticket.resolution_due = result.response_due, result.resolution_due


def set_status(ticket: Ticket, status: Status, now: datetime, sla: SlaPolicy) -> None:
    """Change status, pausing the clock while the ticket waits on the client and resuming it after."""
    if ticket.status is Status.WAITING_ON_CLIENT and ticket.paused_since is not None:
        ticket.pauses.append((ticket.paused_since, now))
        ticket.paused_since = None
    ticket.status = status
    if status is Status.WAITING_ON_CLIENT:
        ticket.paused_since = now
    if status is Status.RESOLVED:
        ticket.resolved_at = now
    elif status is not Status.CLOSED:
        ticket.resolved_at = None  # reopened: it is resolved again only when an agent says so
    recompute_deadlines(ticket, sla)


def set_priority(ticket: Ticket, priority: Priority, sla: SlaPolicy) -> None:
    ticket.priority = priority
    recompute_deadlines(ticket, sla)


async def queue_reply(
    log: TicketLog, reply: OutboundReply, now: datetime, sender: str, not_before: datetime | None = None
) -> int | None:
    """Queue a reply (held until `not_before` when given) and record it on the ticket; returns the outbox id (None
    if already queued)."""
    outbox_id = await log.work.enqueue_reply(reply, now, not_before)
    if outbox_id is not None:
        outgoing = TicketMessage(Direction.OUT, reply.channel, reply.text, now, sender, reply.message_key)
        await log.message(outgoing, outbox_id=outbox_id)
    return outbox_id


async def conversation_reply(log: TicketLog, kind: str, text: str, key: str, fallback_subject: str) -> OutboundReply:
    """A message to the ticket's client, threaded under their latest message and to where it asked answers to go,
    with the conversation so far (ours included) as its references."""
    messages = await log.work.messages(log.ticket_id)
    conversation = [m for m in messages if m.direction is not Direction.NOTE and not m.withdrawn]
    inbound = [m for m in conversation if m.direction is Direction.IN]
    return build_reply(
        log.ticket,
        kind=kind,
        text=text,
        idempotency_key=key,
        answering=next((m.native_id for m in reversed(inbound) if m.native_id), ""),
        references=[m.native_id for m in conversation if m.native_id],
        fallback_subject=fallback_subject,
        reply_to=inbound[-1].reply_to if inbound else "",
    )
