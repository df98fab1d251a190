"""How tickets and outbox items are shown by the CLI: the public JSON field names, and plain-text tables."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ticketing.types import InboxItem, OutboxItem, Ticket, TicketEvent, TicketMessage


def iso(moment: datetime | None, tz: ZoneInfo) -> str | None:
    return None if moment is None else moment.astimezone(tz).isoformat()


def short(moment: datetime | None, tz: ZoneInfo) -> str:
    return "-" if moment is None else moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def ticket_json(ticket: Ticket, tz: ZoneInfo) -> dict[str, Any]:
    return {
        "number": ticket.number,
        "status": ticket.status.value,
        "priority": ticket.priority.value,
        "plan": ticket.plan,
        "level": ticket.level,
        "organisation": ticket.organisation,
        "requester": ticket.requester_address,
        "requester_name": ticket.requester_name,
        "channel": ticket.channel,
        "reply_channel": ticket.answered_on,
        "subject": ticket.subject,
        "language": ticket.language,
        "received_at": iso(ticket.received_at, tz),
        "response_due": iso(ticket.response_due, tz),
        "resolution_due": iso(ticket.resolution_due, tz),
        "responded_at": iso(ticket.responded_at, tz),
        "resolved_at": iso(ticket.resolved_at, tz),
        "sla_paused": ticket.paused_since is not None,
        "assignee": ticket.assignee,
        "watchers": list(ticket.watchers),
        "breaches": list(ticket.breaches),
    }


def message_json(message: TicketMessage, tz: ZoneInfo, names: Mapping[str, str] | None = None) -> dict[str, Any]:
    return {
        "direction": message.direction.value,
        "channel": message.channel,
        "sender": message.sender,
        "sender_name": (names or {}).get(message.sender),  # agents are known by their Slack user id
        "body": message.body,
        "at": iso(message.at, tz),
        "delivery_state": message.delivery_state or None,
    }


def event_json(event: TicketEvent, tz: ZoneInfo) -> dict[str, Any]:
    return {"at": iso(event.at, tz), "kind": event.kind, "actor": event.actor, "data": event.data}


def outbox_json(item: OutboxItem, tz: ZoneInfo) -> dict[str, Any]:
    return {
        "id": item.id,
        "ticket": item.reply.ticket_number,
        "channel": item.reply.channel,
        "recipient": item.reply.recipient,
        "kind": item.reply.kind,
        "status": item.status,
        "attempts": item.attempts,
        "next_attempt_at": iso(item.next_attempt_at, tz),
        "last_error": item.last_error or None,
        "created_at": iso(item.created_at, tz),
        "sent_at": iso(item.sent_at, tz),
        "provider_id": item.provider_id,
        "delivery_state": item.delivery_state,
        "delivery_error": item.delivery_error or None,
    }


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Plain aligned columns (rich), never wrapped or cut, whatever the terminal's width; cells are literal text."""
    grid = Table(box=None, pad_edge=False, show_edge=False, header_style="", padding=(0, 2, 0, 0))
    for header in headers:
        grid.add_column(header, no_wrap=True, overflow="ignore")
    for row in rows:
        grid.add_row(*(Text(str(cell)) for cell in row))
    console = Console(file=io.StringIO(), width=100_000, color_system=None, highlight=False, emoji=False)
    with console.capture() as captured:
        console.print(grid)
    return "\n".join(line.rstrip() for line in captured.get().splitlines())


def tickets_table(tickets: Sequence[Ticket], tz: ZoneInfo, status: str | None = None) -> str:
    if not tickets:
        return f"No tickets with status {status}." if status else "No tickets yet."
    rows = [
        [
            t.number,
            t.status.value,
            t.priority.value,
            t.plan,
            t.requester_address,
            short(t.response_due, tz),
            short(t.resolution_due, tz),
            t.subject[:40],
        ]
        for t in tickets
    ]
    return table(
        ["NUMBER", "STATUS", "PRIORITY", "PLAN", "REQUESTER", "RESPONSE DUE", "RESOLUTION DUE", "SUBJECT"], rows
    )


def ticket_text(
    ticket: Ticket,
    messages: Sequence[TicketMessage],
    tz: ZoneInfo,
    names: Mapping[str, str] | None = None,
    attachments: Sequence[Mapping[str, Any]] = (),
) -> str:
    lines = [
        f"{ticket.number}  {ticket.subject}",
        f"  status {ticket.status.value}, priority {ticket.priority.value}, plan {ticket.plan}, "
        f"level {ticket.level or '-'}",
        f"  requester {ticket.requester_name} <{ticket.requester_address}> "
        f"({ticket.organisation or 'no organisation'})",
        f"  received {short(ticket.received_at, tz)}, response due {short(ticket.response_due, tz)}, "
        f"resolution due {short(ticket.resolution_due, tz)}" + ("  [SLA clock paused]" if ticket.paused_since else ""),
        "",
    ]
    for message in messages:
        state = f" [{message.delivery_state}]" if message.delivery_state else ""
        sender = (names or {}).get(message.sender, message.sender)
        lines.append(f"--- {message.direction.value} {message.channel} {short(message.at, tz)} {sender}{state}")
        lines.append(message.body.rstrip())
        lines.append("")
    if attachments:
        lines.append(f"Attachments (gateway tickets attachment {ticket.number} N > FILE):")
    for position, item in enumerate(attachments, start=1):
        note = f"  [{item['note']}]" if item.get("note") else ""
        lines.append(f"  {position}. {item['filename']} ({item['content_type']}, {item['size']} bytes){note}")
    return "\n".join(lines)


def outbox_table(items: Sequence[OutboxItem], tz: ZoneInfo, failed_only: bool = False) -> str:
    if not items:
        return "No failed or dead replies." if failed_only else "The outbox is empty."
    rows = [
        [
            str(i.id),
            i.reply.ticket_number,
            i.reply.channel,
            i.reply.recipient,
            i.status,
            str(i.attempts),
            i.last_error[:60],
        ]
        for i in items
    ]
    return table(["ID", "TICKET", "CHANNEL", "RECIPIENT", "STATUS", "ATTEMPTS", "LAST ERROR"], rows)


def inbox_json(item: InboxItem, tz: ZoneInfo) -> dict[str, Any]:
    return {
        "id": item.id,
        "channel": item.channel,
        "native_id": item.native_id,
        "received_at": iso(item.received_at, tz),
        "status": item.status,
        "attempts": item.attempts,
        "error": item.error or None,
        "size": len(item.raw),
        "meta": item.meta,
    }


def inbox_table(items: Sequence[InboxItem], status: str, tz: ZoneInfo) -> str:
    if not items:
        return f"No {status} messages."
    rows = [[str(i.id), i.channel, short(i.received_at, tz), i.native_id[:40], i.error[:70]] for i in items]
    return table(["ID", "CHANNEL", "RECEIVED", "NATIVE ID", "REASON"], rows)
