"""A bounce of one of our replies (an RFC 3464 delivery report, or a mail server's own format): a note on the
ticket whose reply bounced, an event the agents' console follows, and the failed addresses flagged, so the next
reply to them is known to be at risk."""

from __future__ import annotations

from datetime import datetime

from ticketing.observer import TicketLog, TicketObserver
from ticketing.ports import TicketWork
from ticketing.replies import is_message_key
from ticketing.types import Direction, IngestOutcome, TicketMessage, WrittenRequest


async def record_bounce(
    tx: TicketWork, request: WrittenRequest, now: datetime, observer: TicketObserver
) -> IngestOutcome:
    """A delivery failure of one of our replies: a note on its ticket, and the failed addresses flagged."""
    message = request.message
    our_keys = [hint for hint in message.thread_hints if is_message_key(hint)]
    ticket = await tx.find_ticket_by_message_ids(our_keys)
    if ticket is None or ticket.id is None:
        return IngestOutcome("ignored", None, "bounce that matches none of our replies")
    failed = ", ".join(message.failed_recipients) or "unknown recipient"
    summary = f"Delivery failed to {failed}" + (f" ({message.failure_reason})" if message.failure_reason else "")
    note = TicketMessage(
        Direction.NOTE,
        message.channel,
        summary,
        message.received_at,
        message.sender_address,
        message.native_id,
        request.original_body,
    )
    log = TicketLog(tx, ticket)
    await log.message(note, message.attachments)
    data = {"failed": list(message.failed_recipients), "reason": message.failure_reason}
    await log.event(now, "bounce", message.sender_address, data)
    for address in message.failed_recipients:
        await tx.flag_address(address, message.failure_reason or "delivery failed", ticket.number, now)
    await log.tell(observer, now)
    return IngestOutcome("added", ticket.number, "bounce")
