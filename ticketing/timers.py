"""The SLA monitor: a warning when a share of a deadline's time is used, and the breach when it passes.

Timers are planned from the ticket alone (`planned_timers`), in the transaction of every change to it
(`TimerPlanner`, an observer): a new ticket gets its four, a priority change moves them, a pause cancels them and
the resumption plans them again from the recomputed deadlines; an answered response or a resolved ticket needs
none. Time is counted as the deadline is, on the plan's calendar minus the pauses, so a standard-plan ticket is
warned in business hours and a 7x24 one at any hour.

`SlaMonitor.fire_due` fires each timer due in the transaction that appends its event (`sla_warning`,
`sla_breached`) and marks it fired: a timer fires once, whatever restarts, and on PostgreSQL replicas firing at
the same moment skip each other's timers (`due_timers` locks them). The events reach the agents' console through
the observer, as every ticket change does.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Literal

from ticketing.lifecycle import GATEWAY
from ticketing.observer import ObserverWork, TicketChange, TicketLog, TicketObserver
from ticketing.ports import TimerWork, UnitOfWork
from ticketing.sla import SlaPolicy
from ticketing.types import Status, Ticket, Timer

WARNING, BREACH = "warning", "breach"
DEADLINES: tuple[Literal["response", "resolution"], ...] = ("response", "resolution")
_NOT_WATCHED = frozenset({Status.NOT_COVERED, Status.WAITING_ON_CLIENT, Status.RESOLVED, Status.CLOSED})
_BATCH = 20


def planned_timers(ticket: Ticket, sla: SlaPolicy, warn_share: float) -> list[Timer]:
    """The timers `ticket` needs now: for each deadline not yet met, a warning at `warn_share` of its time and the
    breach at the deadline. None while the clock stands (waiting on the client) or once the ticket is done."""
    if ticket.status in _NOT_WATCHED or ticket.paused_since is not None:
        return []
    if ticket.plan not in sla.plans() or not sla.is_covered(ticket.plan):  # a plan since removed: not watched
        return []
    timers: list[Timer] = []
    for which in DEADLINES:
        due = ticket.response_due if which == "response" else ticket.resolution_due
        met = ticket.responded_at if which == "response" else ticket.resolved_at
        if due is None or met is not None:
            continue
        deadline = {"which": which, "due": due.isoformat()}
        warning = sla.checkpoint(ticket.priority, ticket.plan, ticket.received_at, ticket.pauses, which, warn_share)
        if warning is not None and warning.at < due:
            left = {"left_minutes": warning.minutes_left, "around_the_clock": warning.around_the_clock}
            timers.append(Timer(ticket.number, f"{which}_{WARNING}", warning.at, deadline | left))
        timers.append(Timer(ticket.number, f"{which}_{BREACH}", due, deadline))
    return timers


def which_of(timer: Timer) -> Literal["response", "resolution"]:
    return "resolution" if timer.kind.startswith("resolution") else "response"


class TimerPlanner:
    """The observer that keeps each ticket's timers in step with it (see the module docstring)."""

    def __init__(self, sla: SlaPolicy, warn_share: float) -> None:
        self._sla = sla
        self._warn_share = warn_share

    async def ticket_changed(self, work: ObserverWork, change: TicketChange, now: datetime) -> None:
        ticket = change.ticket
        await work.plan_timers(ticket.number, planned_timers(ticket, self._sla, self._warn_share), now)


class SlaMonitor:
    """Fires the timers that are due: each one's event on its ticket, told to the observer, in one transaction."""

    def __init__(
        self,
        store: UnitOfWork[TimerWork],
        sla: SlaPolicy,
        warn_share: float,
        clock: Callable[[], datetime],
        observer: TicketObserver,
    ) -> None:
        self._store = store
        self._sla = sla
        self._warn_share = warn_share
        self._clock = clock
        self._observer = observer  # every observer, the planner included: a breach is a change like any other

    async def fire_due(self, now: datetime | None = None) -> list[Timer]:
        """Fire every timer due at `now` (the clock's time by default); returns those that fired."""
        moment = now or self._clock()
        fired: list[Timer] = []
        while True:
            async with self._store.transaction() as tx:
                due = await tx.due_timers(moment, limit=_BATCH)
                for timer in due:
                    if await self._fire(tx, timer, moment):
                        fired.append(timer)
            if len(due) < _BATCH:
                return fired

    async def next_due(self) -> datetime | None:
        async with self._store.transaction() as tx:
            return await tx.next_timer_due()

    def _planned(self, ticket: Ticket) -> list[Timer]:
        return planned_timers(ticket, self._sla, self._warn_share)

    async def _fire(self, tx: TimerWork, timer: Timer, now: datetime) -> bool:
        """The timer's event, when its ticket still needs it (else it is cancelled); whether it fired."""
        assert timer.id is not None
        ticket = await tx.get_ticket(timer.ticket_number)
        wanted = ticket is not None and timer.key in {t.key for t in self._planned(ticket)}
        moot = timer.kind.endswith(WARNING) and now >= datetime.fromisoformat(str(timer.data.get("due")))
        if ticket is None or not wanted or moot:  # moot: a warning that comes with its breach says nothing more
            await tx.finish_timer(timer.id, "cancelled", now)
            return False
        which = which_of(timer)
        log = TicketLog(tx, ticket)
        if timer.kind.endswith(BREACH):
            ticket.breaches = (*ticket.breaches, which) if which not in ticket.breaches else ticket.breaches
            await log.event(now, "sla_breached", GATEWAY, timer.data)
        else:  # what is really left: a warning planned for a moment already past goes out late
            due = datetime.fromisoformat(str(timer.data["due"]))
            left = self._sla.minutes_between(ticket.priority, ticket.plan, which_of(timer), now, due)
            await log.event(now, "sla_warning", GATEWAY, timer.data | {"left_minutes": left})
        await tx.update_ticket(ticket, now)
        await tx.finish_timer(timer.id, "fired", now)
        await log.tell(self._observer, now)
        return True
