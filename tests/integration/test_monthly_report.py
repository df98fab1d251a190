"""The monthly report posted in Slack: queued once on the 1st from 08:00 (desk time) by whichever replica comes
first, and uploaded by the console sender as an HTML file with its summary, against the fake Slack."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from adapters.slack import CONSOLE_CHANNEL
from adapters.slack.console_events import REPORT
from gateway.workers.monthly_report import MonthlyReports, previous_month
from tests.conftest import at
from tests.fake_slack import FakeSlack
from tests.integration.test_slack_console import make_client, make_console
from tests.unit.desk import policy
from ticketing.reports import Report
from ticketing.store.sqlite import SqliteStore
from ticketing.types import Priority, Status, Ticket

BOGOTA = ZoneInfo("America/Bogota")
REPORTS = "C0REPORTS"


def page(report: Report) -> str:
    return f"<html><body>{report.tickets} tickets</body></html>"


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    opened = SqliteStore(tmp_path / "reports.sqlite3")
    await opened.open()
    async with opened.transaction() as tx:
        for day, number in ((3, "TL-000001"), (20, "TL-000002")):
            received = at(f"2026-11-{day:02d}T14:00:00")
            ticket = Ticket(number, "a@andina.com.co", "", "email", "andina", "standard", Status.OPEN,
                            Priority.HIGH, None, "x", "es", received, received + timedelta(hours=1),
                            received + timedelta(hours=4))  # fmt: skip
            await tx.insert_ticket(ticket, received)
    yield opened
    await opened.close()


def worker(store: SqliteStore, now: list[datetime]) -> MonthlyReports:
    post = (CONSOLE_CHANNEL, REPORT, REPORTS)
    return MonthlyReports(store, policy(), page, lambda: now[0], BOGOTA, post, time(8))


async def queued(store: SqliteStore) -> list[str]:
    async with store.transaction() as tx:
        return [item.reply.idempotency_key for item in await tx.list_outbox() if item.reply.kind == REPORT]


async def test_last_months_report_is_queued_once_from_8_on_the_first(store: SqliteStore) -> None:
    now = [at("2026-12-01T12:59:00")]  # 07:59 in Bogota
    first, second = worker(store, now), worker(store, now)  # two replicas
    assert 59.0 <= await first.work_pass() <= 60.0  # wakes at 08:00
    assert await queued(store) == []
    now[0] = at("2026-12-01T13:00:00")
    await first.work_pass()
    await second.work_pass()
    assert await queued(store) == ["monthly_report:2026-11"]
    async with store.transaction() as tx:
        [item] = await tx.list_outbox()
    assert item.reply.data == {"filename": "informe-sla-2026-11.html", "html": "<html><body>2 tickets</body></html>"}
    assert item.reply.text.startswith(":bar_chart: Informe de cumplimiento del SLA de 2026-11: 2 tickets")
    now[0] = at("2027-01-15T15:00:00")  # a gateway down on the 1st posts December's when it is back
    await first.work_pass()
    assert await queued(store) == ["monthly_report:2026-12", "monthly_report:2026-11"]
    assert previous_month(datetime(2027, 1, 15).date()) == (datetime(2026, 12, 1).date(), datetime(2027, 1, 1).date())


async def test_the_console_uploads_the_report_with_its_summary(store: SqliteStore) -> None:
    fake = await FakeSlack(channels={REPORTS}).start()
    try:
        console = make_console(make_client(fake.base_url), store)
        assert await worker(store, [at("2026-12-01T13:00:00")]).post(datetime(2026, 12, 1).date())
        async with store.transaction() as tx:
            [item] = await tx.list_outbox()
        await console.send(item.reply)
        [shared] = fake.files
        assert (shared.channel, shared.title) == (REPORTS, "informe-sla-2026-11.html")
        assert shared.content == b"<html><body>2 tickets</body></html>"
        [complete] = fake.calls_to("files.completeUploadExternal")
        assert str(complete.args["initial_comment"]).startswith(":bar_chart: Informe de cumplimiento")
    finally:
        await fake.stop()
