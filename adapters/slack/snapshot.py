"""The ticket a console summary shows, as the JSON the queued item carries (`OutboundReply.data["ticket"]`).

The observer takes the snapshot inside the core's transaction; the console sender draws it later without reading
the store, so the summary shows the ticket as it was when the change committed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from adapters.slack.blocks import ConsoleTicket
from ticketing.types import Status, Ticket

EXCERPT_LIMIT = 300


def ticket_snapshot(ticket: Ticket, excerpt: str) -> dict[str, Any]:
    """The ticket's facts as JSON values; `excerpt` is the start of the client's request."""
    return {
        "number": ticket.number,
        "status": ticket.status.value,
        "priority": ticket.priority.value,
        "plan": ticket.plan,
        "channel": ticket.channel,
        "level": ticket.level,
        "assignee": ticket.assignee,
        "requester": ticket.requester_address,
        "requester_name": ticket.requester_name,
        "organisation": ticket.organisation,
        "subject": ticket.subject,
        "excerpt": excerpt.strip()[:EXCERPT_LIMIT],
        "response_due": _iso(ticket.response_due),
        "resolution_due": _iso(ticket.resolution_due),
        "sla_paused": ticket.paused_since is not None or ticket.status is Status.WAITING_ON_CLIENT,
        "breaches": list(ticket.breaches),
    }


def console_ticket(snapshot: Mapping[str, Any], organisation_name: Callable[[str | None], str | None]) -> ConsoleTicket:
    """The summary to draw from a snapshot; raises KeyError or ValueError when the snapshot is not one."""
    return ConsoleTicket(
        number=str(snapshot["number"]),
        status=str(snapshot["status"]),
        priority=str(snapshot["priority"]),
        plan=str(snapshot["plan"]),
        channel=str(snapshot["channel"]),
        level=snapshot["level"],
        assignee=snapshot["assignee"],
        requester=str(snapshot["requester"]),
        requester_name=str(snapshot["requester_name"]),
        organisation=organisation_name(snapshot["organisation"]),
        subject=str(snapshot["subject"]),
        excerpt=str(snapshot["excerpt"]),
        response_due=_moment(snapshot["response_due"]),
        resolution_due=_moment(snapshot["resolution_due"]),
        sla_paused=bool(snapshot["sla_paused"]),
        breaches=tuple(snapshot.get("breaches") or ()),  # snapshots queued before breaches were kept have none
    )


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None
