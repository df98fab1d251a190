"""The SLA monitor: fires each timer that is due (`ticketing.timers`), in the transaction that records what it did.

- A deadline's warning or breach: the event `sla_warning` (with the time really left) or `sla_breached` (and the
  deadline added to the ticket's `breaches`). A warning whose deadline has passed too is dropped: the breach says it.
- The client's reminder: the event `client_reminded` and the `information_reminder` notice to the client.
- The close of a ticket left waiting: status `closed` (reason `no_answer`) and the `closed_unanswered` notice.
- The end of a resolved ticket's reopening window: status `closed` (reason `reopen_window_ended`).

The timer is marked fired in the same transaction, so it fires once whatever restarts; on PostgreSQL replicas
firing at the same moment skip each other's timers (`due_timers` locks them). Before firing, the ticket is planned
again: a timer it no longer needs (its status or deadline changed meanwhile) is cancelled instead. Every change is
told to the observer (the agents' console; the planner, which plans what comes next).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from ticketing.lifecycle import GATEWAY, set_status
from ticketing.notices import CLOSED_UNANSWERED, REMINDER, ClientNotices
from ticketing.observer import TicketLog, TicketObserver
from ticketing.ports import TimerWork, UnitOfWork
from ticketing.sla import SlaPolicy
from ticketing.timers import (
    BREACH,
    CLIENT_CLOSE,
    CLIENT_REMINDER,
    RESOLVED_CLOSE,
    MonitorRules,
    planned_timers,
    which_of,
)
from ticketing.types import Status, Timer

_BATCH = 20
Action = Callable[[TicketLog, Timer, datetime], Awaitable[None]]


class SlaMonitor:
    def __init__(
        self,
        store: UnitOfWork[TimerWork],
        sla: SlaPolicy,
        rules: MonitorRules,
        clock: Callable[[], datetime],
        observer: TicketObserver,
        notices: ClientNotices | None = None,
    ) -> None:
        self._store = store
        self._sla = sla
        self._rules = rules
        self._clock = clock
        self._observer = observer  # every observer, the planner included: a breach is a change like any other
        self._notices = notices  # None: nothing is sent to clients (agents are still told)
        self._actions: dict[str, Action] = {
            CLIENT_REMINDER: self._remind,
            CLIENT_CLOSE: self._close_unanswered,
            RESOLVED_CLOSE: self._close_resolved,
        }

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

    async def _fire(self, tx: TimerWork, timer: Timer, now: datetime) -> bool:
        """The timer's action, when its ticket still needs it (else it is cancelled); whether it fired."""
        assert timer.id is not None
        ticket = await tx.get_ticket(timer.ticket_number)
        wanted = ticket is not None and timer.key in {t.key for t in planned_timers(ticket, self._sla, self._rules)}
        due = timer.data.get("due")
        moot = timer.kind.endswith("_warning") and due is not None and now >= datetime.fromisoformat(str(due))
        if ticket is None or not wanted or moot:
            await tx.finish_timer(timer.id, "cancelled", now)
            return False
        log = TicketLog(tx, ticket)
        await self._actions.get(timer.kind, self._deadline_alert)(log, timer, now)
        await tx.update_ticket(ticket, now)
        await tx.finish_timer(timer.id, "fired", now)
        await log.tell(self._observer, now)
        return True

    async def _deadline_alert(self, log: TicketLog, timer: Timer, now: datetime) -> None:
        ticket, which = log.ticket, which_of(timer)
        if timer.kind.endswith(BREACH):
            ticket.breaches = ticket.breaches if which in ticket.breaches else (*ticket.breaches, which)
            await log.event(now, "sla_breached", GATEWAY, timer.data)
            return
        # What is really left: a warning planned for a moment already past (a priority raised) goes out late.
        due = datetime.fromisoformat(str(timer.data["due"]))
        left = self._sla.minutes_between(ticket.priority, ticket.plan, which, now, due)
        await log.event(now, "sla_warning", GATEWAY, timer.data | {"left_minutes": left})

    async def _remind(self, log: TicketLog, timer: Timer, now: datetime) -> None:
        await log.event(now, "client_reminded", GATEWAY, timer.data)
        if self._notices is not None:
            closes_at = datetime.fromisoformat(str(timer.data["closes_at"]))
            await self._notices.send(log, REMINDER, f"{REMINDER}:{timer.key}", now, {"closes_at": closes_at})

    async def _close_unanswered(self, log: TicketLog, timer: Timer, now: datetime) -> None:
        await self._close(log, now, "no_answer")
        if self._notices is not None:
            await self._notices.send(log, CLOSED_UNANSWERED, f"{CLOSED_UNANSWERED}:{timer.key}", now, {})

    async def _close_resolved(self, log: TicketLog, timer: Timer, now: datetime) -> None:
        await self._close(log, now, "reopen_window_ended")

    async def _close(self, log: TicketLog, now: datetime, reason: str) -> None:
        previous = log.ticket.status
        set_status(log.ticket, Status.CLOSED, now, self._sla)
        await log.event(now, "status", GATEWAY, {"from": previous, "to": Status.CLOSED, "reason": reason})
