"""The SLA monitor's timers: which moments a ticket must be acted on at, planned from the ticket alone.

- An open ticket, for each deadline not yet met: a warning when `warn_share` of its time is used, and the breach
  at the deadline. Time is counted as the deadline is (the plan's calendar minus the pauses), so a standard-plan
  ticket is warned in business hours and a 7x24 one at any hour.
- A ticket waiting on the client (the agreement's 8 hours to give the information asked for): the reminder to the
  client after `client_minutes` of the plan's time, and the close after `close_minutes` more.
- A resolved ticket: the close when its reopening window ends.

`TimerPlanner`, an observer, plans them in the transaction of every change to the ticket: a new ticket gets its
four, a priority change moves them, waiting on the client swaps them for the reminder and the close, and so on.
A timer is known by its ticket, kind and moment (`Timer.key`): planned again, it is the same one, and fires once.
`ticketing.sla_monitor` fires them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from ticketing.observer import ObserverWork, TicketChange
from ticketing.sla import SlaPolicy
from ticketing.types import Status, Ticket, Timer

WARNING, BREACH = "warning", "breach"
CLIENT_REMINDER, CLIENT_CLOSE, RESOLVED_CLOSE = "client_reminder", "client_close", "resolved_close"
DEADLINES: tuple[Literal["response", "resolution"], ...] = ("response", "resolution")


@dataclass(frozen=True)
class MonitorRules:
    """What the desk promises beyond the deadlines themselves (`[sla]` in gateway.toml)."""

    warn_share: float = 0.75  # agents are warned when this share of a deadline's time is used
    client_minutes: int = 8 * 60  # the client's time to give the information asked for, on the plan's calendar
    close_minutes: int = 16 * 60  # after the reminder, on the plan's calendar, before the ticket closes unanswered
    reopen_window: timedelta = timedelta(days=7)  # after resolution, an answer from the client reopens the ticket


def planned_timers(ticket: Ticket, sla: SlaPolicy, rules: MonitorRules) -> list[Timer]:
    """The timers `ticket` needs now (see the module docstring); none for a ticket the agreement does not cover."""
    if ticket.plan not in sla.plans() or not sla.is_covered(ticket.plan):  # a plan since removed: not watched
        return []
    if ticket.status is Status.WAITING_ON_CLIENT and ticket.paused_since is not None:
        return _waiting(ticket, ticket.paused_since, sla, rules)
    if ticket.status is Status.RESOLVED and ticket.resolved_at is not None:
        closes = ticket.resolved_at + rules.reopen_window
        return [Timer(ticket.number, RESOLVED_CLOSE, closes, {"resolved_at": ticket.resolved_at.isoformat()})]
    if ticket.status in (Status.NEW, Status.OPEN) and ticket.paused_since is None:
        return [timer for which in DEADLINES for timer in _deadline(ticket, which, sla, rules)]
    return []


def _deadline(
    ticket: Ticket, which: Literal["response", "resolution"], sla: SlaPolicy, rules: MonitorRules
) -> list[Timer]:
    due = ticket.response_due if which == "response" else ticket.resolution_due
    met = ticket.responded_at if which == "response" else ticket.resolved_at
    if due is None or met is not None:
        return []
    deadline = {"which": which, "due": due.isoformat()}
    timers = []
    warning = sla.checkpoint(ticket.priority, ticket.plan, ticket.clock_from, ticket.pauses, which, rules.warn_share)
    if warning is not None and warning.at < due:
        left = {"left_minutes": warning.minutes_left, "around_the_clock": warning.around_the_clock}
        timers.append(Timer(ticket.number, f"{which}_{WARNING}", warning.at, deadline | left))
    timers.append(Timer(ticket.number, f"{which}_{BREACH}", due, deadline))
    return timers


def _waiting(ticket: Ticket, since: datetime, sla: SlaPolicy, rules: MonitorRules) -> list[Timer]:
    remind = sla.open_time_after(ticket.plan, since, rules.client_minutes)
    close = sla.open_time_after(ticket.plan, since, rules.client_minutes + rules.close_minutes)
    data = {"waiting_since": since.isoformat(), "closes_at": close.isoformat()}
    return [Timer(ticket.number, CLIENT_REMINDER, remind, data), Timer(ticket.number, CLIENT_CLOSE, close, data)]


def which_of(timer: Timer) -> Literal["response", "resolution"]:
    return "resolution" if timer.kind.startswith("resolution") else "response"


class TimerPlanner:
    """The observer that keeps each ticket's timers in step with it."""

    def __init__(self, sla: SlaPolicy, rules: MonitorRules) -> None:
        self._sla = sla
        self._rules = rules

    async def ticket_changed(self, work: ObserverWork, change: TicketChange, now: datetime) -> None:
        ticket = change.ticket
        await work.plan_timers(ticket.number, planned_timers(ticket, self._sla, self._rules), now)
