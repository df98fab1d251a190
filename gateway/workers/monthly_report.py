"""The monthly compliance report, posted in a Slack channel on the first day of each month.

From `at` (08:00 by default) on the 1st, in the desk's time zone, the worker builds last month's report (as
`gateway report` does), renders it as the self-contained HTML page, and queues one post for the agents' console
sender: a summary line with the HTML file. Queuing and the claim on the month (`desk_jobs`) commit together, so
exactly one replica posts each month's report, once, even across restarts; the outbox delivers it with retries.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from gateway.workers.worker import Worker
from ticketing.ports import ScheduledReports, UnitOfWork
from ticketing.reports import Report, Which, build_report
from ticketing.sla import SlaPolicy
from ticketing.types import OutboundReply

_CHECK_EVERY = 3600.0  # seconds between passes when nothing is due (a clock jump is caught within the hour)


def previous_month(day: date) -> tuple[date, date]:
    """(first day of the month before `day`'s, first day of `day`'s month)."""
    this_month = day.replace(day=1)
    return (this_month - timedelta(days=1)).replace(day=1), this_month


def summary_line(report: Report, month: date) -> str:
    """The post's text: the month's volume and compliance at a glance."""

    def share(which: Which) -> str:
        compliance = report.compliance.get(which, {}).get("all")
        return "—" if compliance is None or compliance.share is None else f"{compliance.share * 100:.1f} %"

    return (
        f":bar_chart: Informe de cumplimiento del SLA de {month:%Y-%m}: {report.tickets} tickets "
        f"({report.not_covered} no cubiertos); respuesta a tiempo {share('response')}, solución a tiempo "
        f"{share('resolution')}; {report.reminders} recordatorios, {report.auto_closed} cerrados sin respuesta."
    )


class MonthlyReports(Worker):
    def __init__(
        self,
        store: UnitOfWork[ScheduledReports],
        sla: SlaPolicy,
        render: Callable[[Report], str],
        clock: Callable[[], datetime],
        tz: ZoneInfo,
        post: tuple[str, str, str],
        at: time = time(8),
    ) -> None:
        self._store = store
        self._sla = sla
        self._render = render  # the report as one HTML page
        self._clock = clock
        self._tz = tz
        self._outbox_channel, self._kind, self._destination = post  # who posts it, as what, where
        self._at = at
        super().__init__("monthly_report", error_wait=60.0)

    async def work_pass(self) -> float:
        now = self._clock()
        local = now.astimezone(self._tz)
        due = datetime.combine(local.date().replace(day=1), self._at, self._tz)
        if now >= due:
            await self.post(local.date())
        next_first = (local.date().replace(day=1) + timedelta(days=32)).replace(day=1)
        following = datetime.combine(next_first, self._at, self._tz)
        return min(_CHECK_EVERY, max(1.0, ((due if now < due else following) - now).total_seconds()))

    async def post(self, today: date) -> bool:
        """Queue the report of the month before `today`'s, unless it was already; whether this call queued it."""
        first, after = previous_month(today)
        key = f"monthly_report:{first:%Y-%m}"
        since, until = (datetime.combine(day, time(), self._tz) for day in (first, after))
        async with self._store.transaction() as tx:
            rows = await tx.report_tickets(since, until)
        report = build_report(rows, self._sla, since, until, min(self._clock(), until), self._tz)
        page = await asyncio.to_thread(self._render, report)  # matplotlib: a fraction of a second, off the loop
        item = OutboundReply(
            ticket_number="",
            channel=self._outbox_channel,
            recipient=self._destination,
            subject="",
            text=summary_line(report, first),
            message_key=key,
            thread_key="",
            references=(),
            idempotency_key=key,
            kind=self._kind,
            data={"filename": f"informe-sla-{first:%Y-%m}.html", "html": page},
            order_scope="monthly_report",
        )
        async with self._store.transaction() as tx:
            if not await tx.claim_desk_job(key, self._clock()):
                return False
            await tx.enqueue_reply(item, self._clock())
        self._log.info("monthly_report.queued", month=f"{first:%Y-%m}", tickets=report.tickets)
        return True
