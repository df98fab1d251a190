"""Conversions between core types and stored rows (timestamps as UTC text, JSON as text)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from ticketing.types import (
    Direction,
    InboxItem,
    OutboundReply,
    OutboxItem,
    Priority,
    Status,
    Ticket,
    TicketEvent,
    TicketMessage,
)

Row = Mapping[str, Any]


def utc_text(moment: datetime) -> str:
    """A timestamp as stored: ISO 8601 in UTC with microseconds, so text order is time order."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime given to the store")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def opt_utc_text(moment: datetime | None) -> str | None:
    return None if moment is None else utc_text(moment)


def parse_utc(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def must_utc(text: str) -> datetime:
    return datetime.fromisoformat(text)


def pauses_text(pauses: list[tuple[datetime, datetime]]) -> str:
    return json.dumps([[utc_text(a), utc_text(b)] for a, b in pauses])


def ticket_values(ticket: Ticket, now: datetime) -> dict[str, Any]:
    """The ticket's columns (without id and created_at) as stored."""
    return {
        "number": ticket.number,
        "requester_address": ticket.requester_address,
        "requester_name": ticket.requester_name,
        "channel": ticket.channel,
        "organisation": ticket.organisation,
        "plan": ticket.plan,
        "status": ticket.status.value,
        "priority": ticket.priority.value,
        "level": ticket.level,
        "subject": ticket.subject,
        "language": ticket.language,
        "received_at": utc_text(ticket.received_at),
        "response_due": opt_utc_text(ticket.response_due),
        "resolution_due": opt_utc_text(ticket.resolution_due),
        "responded_at": opt_utc_text(ticket.responded_at),
        "resolved_at": opt_utc_text(ticket.resolved_at),
        "paused_since": opt_utc_text(ticket.paused_since),
        "pauses": pauses_text(ticket.pauses),
        "assignee": ticket.assignee,
        "reply_channel": ticket.reply_channel,
        "watchers": json.dumps(list(ticket.watchers)),
        "breaches": json.dumps(list(ticket.breaches)),
        "accepted_at": opt_utc_text(ticket.accepted_at),
        "updated_at": utc_text(now),
    }


def ticket_from_row(row: Row) -> Ticket:
    return Ticket(
        id=int(row["id"]),
        number=row["number"],
        requester_address=row["requester_address"],
        requester_name=row["requester_name"],
        channel=row["channel"],
        organisation=row["organisation"],
        plan=row["plan"],
        status=Status(row["status"]),
        priority=Priority(row["priority"]),
        level=row["level"],
        subject=row["subject"],
        language=row["language"],
        received_at=must_utc(row["received_at"]),
        response_due=parse_utc(row["response_due"]),
        resolution_due=parse_utc(row["resolution_due"]),
        responded_at=parse_utc(row["responded_at"]),
        resolved_at=parse_utc(row["resolved_at"]),
        paused_since=parse_utc(row["paused_since"]),
        pauses=[(must_utc(a), must_utc(b)) for a, b in json.loads(row["pauses"])],
        assignee=row["assignee"],
        reply_channel=row["reply_channel"],
        watchers=tuple(json.loads(row["watchers"])),
        breaches=tuple(json.loads(row["breaches"])),
        accepted_at=parse_utc(row["accepted_at"]),
    )


def message_from_row(row: Row) -> TicketMessage:
    return TicketMessage(
        direction=Direction(row["direction"]),
        channel=row["channel"],
        body=row["body"],
        at=must_utc(row["at"]),
        sender=row["sender"],
        native_id=row["native_id"],
        original_body=row["original_body"],
        delivery_state=_delivery(row),
        reply_to=row["reply_to"],
    )


def _delivery(row: Row) -> str:
    """ "sent", "delivered", "read", "pending" ... with the reason when it failed."""
    state = row["delivery_state"] or ""
    reason = row["delivery_error"] or (row["last_error"] if state in ("pending", "dead") else "")
    return f"{state}: {reason}" if state and reason else state


def event_from_row(row: Row) -> TicketEvent:
    return TicketEvent(
        at=must_utc(row["at"]), kind=row["kind"], actor=row["actor"], data=json.loads(row["data"]), id=int(row["id"])
    )


def reply_payload(reply: OutboundReply) -> str:
    return json.dumps(
        {
            "subject": reply.subject,
            "text": reply.text,
            "message_key": reply.message_key,
            "thread_key": reply.thread_key,
            "references": list(reply.references),
            "data": dict(reply.data),
            "reply_to": reply.reply_to,
            "cc": list(reply.cc),
        }
    )


def outbox_from_row(row: Row) -> OutboxItem:
    payload = json.loads(row["payload"])
    reply = OutboundReply(
        ticket_number=row["ticket_number"],
        channel=row["channel"],
        recipient=row["recipient"],
        subject=payload["subject"],
        text=payload["text"],
        message_key=payload["message_key"],
        thread_key=payload["thread_key"],
        references=tuple(payload["references"]),
        idempotency_key=row["idempotency_key"],
        kind=row["kind"],
        data=payload.get("data") or {},
        reply_to=payload.get("reply_to") or "",
        cc=tuple(payload.get("cc") or ()),
        order_scope=row["order_scope"] or "",
    )
    return OutboxItem(
        id=int(row["id"]),
        reply=reply,
        status=row["status"],
        attempts=int(row["attempts"]),
        next_attempt_at=must_utc(row["next_attempt_at"]),
        last_error=row["last_error"],
        created_at=must_utc(row["created_at"]),
        sent_at=parse_utc(row["sent_at"]),
        provider_id=row["provider_id"],
        delivery_state=row["delivery_state"],
        delivery_error=row["delivery_error"],
        outcome_unknown=row["claimed_until"] is not None,
    )


def inbox_from_row(row: Row) -> InboxItem:
    return InboxItem(
        id=int(row["id"]),
        channel=row["channel"],
        native_id=row["native_id"],
        raw=bytes(row["raw"]),
        meta=json.loads(row["meta"]),
        received_at=must_utc(row["received_at"]),
        status=row["status"],
        attempts=int(row["attempts"]),
        error=row["error"],
    )
