"""The CLI's commands that read or change the store: tickets list/show/attachment, outbox list/retry, inbox."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

from gateway.cli import output as views
from gateway.cli.errors import CommandError
from gateway.cli.explain import explanation, explanation_text
from gateway.config.loader import Settings
from gateway.config.sla_policy import build_sla_policy
from ticketing.ports import ReadModel, Requeueing, UnitOfWork

Item = TypeVar("Item")


def _tz(settings: Settings) -> ZoneInfo:
    return ZoneInfo(settings.file.sla.timezone)


def _dump(value: object) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def print_listing(
    items: Sequence[Item], as_json: bool, one: Callable[[Item], object], table: Callable[[Sequence[Item]], str]
) -> int:
    """Print a list as JSON (one object per item) or as a table for people."""
    if as_json:
        _dump([one(item) for item in items])
    else:
        print(table(items))
    return 0


async def list_tickets(store: UnitOfWork[ReadModel], settings: Settings, status: str | None, as_json: bool) -> int:
    async with store.transaction() as tx:
        tickets = await tx.list_tickets(limit=1000, status=status)
    tz = _tz(settings)
    return print_listing(
        tickets, as_json, lambda t: views.ticket_json(t, tz), lambda ts: views.tickets_table(ts, tz, status)
    )


async def show_ticket(
    store: UnitOfWork[ReadModel], settings: Settings, number: str, as_json: bool, explain: bool = False
) -> int:
    async with store.transaction() as tx:
        ticket = await tx.get_ticket(number.strip().upper())
        if ticket is None or ticket.id is None:
            raise CommandError(f"no ticket {number}")
        messages = await tx.messages(ticket.id)
        events = await tx.events(ticket.id)
        attachments = await tx.attachments(ticket.id)
        flag = await tx.address_flag(ticket.requester_address)
        timers = await tx.ticket_timers(ticket.number) if explain else []
    tz = _tz(settings)
    if explain:
        trace = explanation(ticket, events, timers, build_sla_policy(settings), tz)
        if as_json:
            _dump(trace)
        else:
            print(explanation_text(ticket, trace, tz))
        return 0
    names = settings.agent_names()
    if as_json:
        data = views.ticket_json(ticket, tz)
        data["messages"] = [views.message_json(message, tz, names) for message in messages]
        data["events"] = [views.event_json(event, tz) for event in events]
        data["attachments"] = attachments
        data["requester_bounced"] = flag and {"reason": flag["reason"], "at": flag["flagged_at"]}
        _dump(data)
    else:
        if flag:
            print(f"!! mail to {ticket.requester_address} bounced: {flag['reason']}")
        print(views.ticket_text(ticket, messages, tz, names, attachments))
    return 0


async def write_attachment(store: UnitOfWork[ReadModel], number: str, position: int) -> int:
    """The ticket's attachment `position` (from 1, as `tickets show` lists them), its bytes to stdout."""
    async with store.transaction() as tx:
        ticket = await tx.get_ticket(number.strip().upper())
        if ticket is None or ticket.id is None:
            raise CommandError(f"no ticket {number}")
        attachments = await tx.attachments(ticket.id)
        if not 1 <= position <= len(attachments):
            raise CommandError(f"{ticket.number} has {len(attachments) or 'no'} attachments; there is no {position}")
        listed = attachments[position - 1]
        stored = await tx.attachment_file(int(listed["id"]))
    if stored is None or stored.content is None:
        why = listed.get("note") or "kept as a reference only"
        raise CommandError(f"attachment {position} of {ticket.number} ({listed['filename']}) is not stored: {why}")
    if sys.stdout.isatty():
        example = f"gateway tickets attachment {ticket.number} {position} > {stored.filename}"
        raise CommandError(f"{stored.filename} is a file: redirect it, e.g. {example}")
    sys.stdout.buffer.write(stored.content)
    sys.stdout.flush()
    return 0


async def list_outbox(store: UnitOfWork[ReadModel], settings: Settings, failed_only: bool, as_json: bool) -> int:
    async with store.transaction() as tx:
        items = await tx.list_outbox(failed_only=failed_only)
    tz = _tz(settings)
    return print_listing(
        items, as_json, lambda i: views.outbox_json(i, tz), lambda its: views.outbox_table(its, tz, failed_only)
    )


async def retry_outbox(store: UnitOfWork[Requeueing], outbox_id: int, now: datetime) -> int:
    async with store.transaction() as tx:
        item = await tx.get_outbox(outbox_id)
        if item is None:
            raise CommandError(f"no outbox item {outbox_id}")
        if item.status == "sent":
            raise CommandError(f"outbox item {outbox_id} was already sent")
        await tx.requeue_outbox(outbox_id, now)
    print(f"Outbox item {outbox_id} ({item.reply.ticket_number}) queued again; the running gateway sends it shortly.")
    return 0


async def list_inbox(store: UnitOfWork[ReadModel], settings: Settings, status: str, as_json: bool) -> int:
    async with store.transaction() as tx:
        items = await tx.inbox_items(status, limit=1000)
    tz = _tz(settings)
    return print_listing(
        items, as_json, lambda i: views.inbox_json(i, tz), lambda its: views.inbox_table(its, status, tz)
    )


async def show_inbox(store: UnitOfWork[ReadModel], inbox_id: int, raw: bool) -> int:
    async with store.transaction() as tx:
        item = await tx.get_inbox(inbox_id)
    if item is None:
        raise CommandError(f"no inbox item {inbox_id}")
    if raw:
        sys.stdout.buffer.write(item.raw)
        sys.stdout.flush()
    else:
        _dump(views.inbox_json(item, ZoneInfo("UTC")))
    return 0


async def retry_inbox(store: UnitOfWork[Requeueing], inbox_id: int) -> int:
    async with store.transaction() as tx:
        if not await tx.requeue_inbox(inbox_id):
            raise CommandError(f"inbox item {inbox_id} is not quarantined or ignored")
    print(f"Inbox item {inbox_id} queued again; the running gateway processes it shortly.")
    return 0
