"""Where an open ticket stands against its SLA right now, as the admin pages group tickets.

- `waiting`: waiting on the client; its clock stands still.
- `breached`: it missed a deadline, whether the SLA monitor recorded that already or the deadline has just passed.
- `warned`: a deadline not yet met has used `warn_share` of its time. This is the moment the SLA monitor warns
  the agents (`ticketing.timers`), counted the same way: on the plan's calendar, minus the pauses.
- `on_time`: a deadline is still ahead, and less of its time has been used.
- `not_covered`: no deadline at all. Either the agreement does not cover the plan (or an agent has not accepted the
  request yet), or the request is planned.

Resolved and closed tickets have no standing: they are not open.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from ticketing.sla import SlaPolicy
from ticketing.types import Status, Ticket

Which = Literal["response", "resolution"]
STANDINGS = ("breached", "warned", "on_time", "waiting", "not_covered")  # worst first, as the pages list them
OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.WAITING_ON_CLIENT, Status.NOT_COVERED)


@dataclass(frozen=True)
class Standing:
    """One open ticket's standing, and the deadline it was judged on (the earliest not yet met)."""

    state: str  # one of STANDINGS
    which: Which | None = None
    due: datetime | None = None


def pending_deadlines(ticket: Ticket) -> list[tuple[Which, datetime]]:
    """The ticket's deadlines not yet met, earliest first."""
    pending: list[tuple[Which, datetime]] = []
    if ticket.response_due is not None and ticket.responded_at is None:
        pending.append(("response", ticket.response_due))
    if ticket.resolution_due is not None and ticket.resolved_at is None:
        pending.append(("resolution", ticket.resolution_due))
    return sorted(pending, key=lambda deadline: deadline[1])


def standing(ticket: Ticket, sla: SlaPolicy, warn_share: float, now: datetime) -> Standing:
    """Where `ticket` stands at `now` (see the module docstring)."""
    pending = pending_deadlines(ticket)
    which, due = pending[0] if pending else (None, None)
    if ticket.status is Status.WAITING_ON_CLIENT:
        return Standing("waiting", which, due)
    known = ticket.plan in sla.plans()  # a plan removed since: its deadlines stand, with no calendar to warn on
    uncovered = ticket.status is Status.NOT_COVERED or (known and not sla.is_covered(ticket.plan))
    if uncovered or (not pending and not ticket.breaches):
        return Standing("not_covered", which, due)
    if ticket.breaches or any(at <= now for _, at in pending):
        return Standing("breached", which, due)
    for name, at in pending if known else ():
        mark = sla.checkpoint(ticket.priority, ticket.plan, ticket.clock_from, ticket.pauses, name, warn_share)
        if mark is not None and mark.at <= now:
            return Standing("warned", name, at)
    return Standing("on_time", which, due)
