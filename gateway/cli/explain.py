"""`gateway tickets show NUMBER --explain`: the SLA trace of one ticket, for an admin or a client's question.

How its deadlines are counted now (the plan's calendar, where the clock started, each pause, the closed days: the
same sentences as `gateway sla`), then what happened to its clock in order (the priority changes, the waits on
the client, warnings, breaches and reminders, the resolution), then the SLA monitor's timers: fired, pending or
cancelled.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from gateway.cli.output import iso
from ticketing.sla import SlaPolicy
from ticketing.types import Ticket, TicketEvent, Timer

_CLOCK_EVENTS = frozenset(
    {"created", "accepted", "priority", "status", "responded", "sla_warning", "sla_breached", "client_reminded"}
)


def _event_line(event: TicketEvent) -> str:
    data: Mapping[str, Any] = event.data
    if event.kind == "priority":
        return f"priority {data.get('from')} -> {data.get('to')} by {event.actor}: deadlines counted again"
    if event.kind == "status":
        why = f" ({data['reason']})" if data.get("reason") else " (asked the client)" if data.get("asked") else ""
        level = f", level {data['level']}" if data.get("level") else ""
        return f"status {data.get('from')} -> {data.get('to')} by {event.actor}{why}{level}"
    if event.kind == "sla_warning":
        return f"warning: {data.get('which')} due {data.get('due')}, {data.get('left_minutes')} min left"
    if event.kind == "sla_breached":
        return f"BREACH: {data.get('which')} was due {data.get('due')}"
    if event.kind == "client_reminded":
        return f"client reminded; closes {data.get('closes_at')} without an answer"
    if event.kind == "responded":
        return f"first response by {event.actor} ({'within' if data.get('within_sla') else 'after'} its deadline)"
    if event.kind == "accepted":
        return f"accepted under plan {data.get('plan')} by {event.actor}: deadlines count from here"
    return f"{event.kind} by {event.actor}"


def explanation(
    ticket: Ticket, events: Sequence[TicketEvent], timers: Sequence[Timer], sla: SlaPolicy, tz: ZoneInfo
) -> dict[str, Any]:
    """The trace as data: `deadlines` (sentences), `pauses`, `history` and `timers`."""
    if ticket.plan in sla.plans():
        counted = sla.compute(ticket.priority, ticket.plan, ticket.clock_from, ticket.pauses).explanation
    else:
        counted = [f"Plan {ticket.plan!r} is no longer configured: its deadlines cannot be counted again."]
    pauses = [{"from": iso(begin, tz), "to": iso(end, tz)} for begin, end in ticket.pauses]
    if ticket.paused_since is not None:
        pauses.append({"from": iso(ticket.paused_since, tz), "to": None})
    history = [
        {"at": iso(event.at, tz), "kind": event.kind, "text": _event_line(event)}
        for event in events
        if event.kind in _CLOCK_EVENTS
    ]
    return {
        "deadlines": counted,
        "pauses": pauses,
        "breaches": list(ticket.breaches),
        "history": history,
        "timers": [{"kind": timer.kind, "due_at": iso(timer.due_at, tz), "status": timer.status} for timer in timers],
    }


def explanation_text(ticket: Ticket, trace: Mapping[str, Any], tz: ZoneInfo) -> str:
    lines = [f"{ticket.number}: priority {ticket.priority.value}, plan {ticket.plan}, status {ticket.status.value}"]
    lines += [f"  {sentence}" for sentence in trace["deadlines"]]
    lines.append("Pauses (waiting on the client):" if trace["pauses"] else "Pauses: none")
    lines += [f"  {pause['from']} -> {pause['to'] or 'still waiting'}" for pause in trace["pauses"]]
    if trace["breaches"]:
        lines.append(f"Missed: {', '.join(trace['breaches'])}")
    lines.append("History:")
    lines += [f"  {item['at']}  {item['text']}" for item in trace["history"]]
    lines.append("Timers:" if trace["timers"] else "Timers: none")
    lines += [f"  {item['due_at']}  {item['kind']}  [{item['status']}]" for item in trace["timers"]]
    return "\n".join(lines)
