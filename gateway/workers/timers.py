"""The SLA monitor's worker: fires the timers that are due (`ticketing.sla_monitor.SlaMonitor`), then sleeps until the
next one, or `idle_seconds` at most: a timer planned for a moment already past (a priority raised late) fires
within that. `gateway timers run --at` fires the same way from the command line."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from gateway.workers.worker import Wakeup, Worker
from ticketing.sla_monitor import SlaMonitor


class TimerWorker(Worker):
    def __init__(
        self,
        monitor: SlaMonitor,
        clock: Callable[[], datetime],
        idle_seconds: float = 30.0,
        wakeup: Wakeup | None = None,
    ) -> None:
        self._monitor = monitor
        self._clock = clock
        self._idle = idle_seconds
        super().__init__("timers", error_wait=5.0, wakeup=wakeup)

    async def work_pass(self) -> float:
        fired = await self._monitor.fire_due(self._clock())
        for timer in fired:
            self._log.info("timers.fired", ticket=timer.ticket_number, kind=timer.kind, due=timer.due_at.isoformat())
        return self.wait_for_due(await self._monitor.next_due(), self._clock(), self._idle)
