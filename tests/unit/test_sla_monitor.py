"""The SLA monitor on a frozen clock: which warnings and breaches fire, and when, across a night, a weekend and a
Colombian holiday (Tuesday 2026-12-08, the Immaculate Conception); a pause, a priority raised mid-way, an agent's
reply; and a restart in the middle, after which nothing fires twice and nothing is missed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.slack.console_events import SLA_ALERT, ConsoleObserver
from tests.conftest import at, project_texts
from tests.unit.desk import ORGS, Desk, RecordingComposer, policy
from ticketing.agent_actions import AgentActions
from ticketing.customers import CustomerDirectory
from ticketing.notices import ClientNotices
from ticketing.observer import ObserverGroup
from ticketing.sla_monitor import SlaMonitor
from ticketing.store.sqlite import SqliteStore
from ticketing.timers import MonitorRules, TimerPlanner
from ticketing.types import Priority, Status

ANDINA = "soporte.ti@andina.com.co"  # standard plan: business hours, Monday to Friday 08:00-16:30
NORTE = "ti@norte.co"  # 7x24


def bogota(text: str) -> str:
    """A Bogota wall-clock time (GMT-5) as the UTC instant `at` takes."""
    return text + "-05:00"


class Walk:
    """A desk whose every change plans timers, its monitor, and the console items the monitor's events queued."""

    def __init__(self, store: SqliteStore) -> None:
        rules = MonitorRules()
        observer = ObserverGroup(
            [TimerPlanner(policy(), rules), ConsoleObserver("slack_console", "C0AGENTS", project_texts()("es"))]
        )
        self.desk = Desk(store, RecordingComposer(), observer)
        self.composer = RecordingComposer()  # the desk's own notices to clients
        notices = ClientNotices(
            self.composer, policy(), CustomerDirectory(ORGS).name_of, {"es": "Solicitud de soporte"}, "es"
        )
        clock = lambda: self.desk.now  # noqa: E731
        self.desk.agents = AgentActions(store, policy(), clock, "Solicitud de soporte", observer, notices=notices)
        self.monitor = SlaMonitor(store, policy(), rules, clock, observer, notices)

    async def fire(self, moment: str) -> list[tuple[str, str]]:
        """Fire what is due at `moment` (Bogota time); (ticket, timer kind) of each timer that fired."""
        self.desk.now = at(bogota(moment))
        return [(timer.ticket_number, timer.kind) for timer in await self.monitor.fire_due()]

    async def alerts(self) -> list[tuple[str, str, str]]:
        """(ticket, event, deadline) of every SLA alert queued for the console, in order."""
        async with self.desk.store.transaction() as tx:
            items = await tx.list_outbox(limit=1000)
        return [
            (i.reply.ticket_number, str(i.reply.data["event"]), str(i.reply.data.get("which", "")))
            for i in sorted(items, key=lambda i: i.id)
            if i.reply.kind == SLA_ALERT
        ]


@pytest.fixture
async def walk(tmp_path: Path) -> AsyncIterator[Walk]:
    store = SqliteStore(tmp_path / "desk.sqlite3")
    await store.open()
    yield Walk(store)
    await store.close()


async def receive(walk: Walk, moment: str, sender: str, priority: Priority) -> str:
    walk.desk.now = at(bogota(moment))
    _, number = await walk.desk.receive(sender, priority=priority)
    assert number is not None
    return number


async def test_a_high_ticket_across_a_holiday_is_warned_and_breached_in_business_hours(walk: Walk) -> None:
    """Monday 15:00, high (1 h / 4 h): the response is due 16:00; the resolution counts 90 min on Monday, none on
    the holiday, and 150 on Wednesday: due Wednesday 10:30, warned at 75% (Wednesday 09:30, 1 h left)."""
    number = await receive(walk, "2026-12-07T15:00:00", ANDINA, Priority.HIGH)
    assert await walk.fire("2026-12-07T15:44:59") == []
    assert await walk.fire("2026-12-07T15:45:00") == [(number, "response_warning")]
    assert await walk.fire("2026-12-07T16:00:00") == [(number, "response_breach")]
    assert await walk.fire("2026-12-08T12:00:00") == []  # the holiday: the desk is closed, nothing is counted
    assert await walk.fire("2026-12-09T09:29:00") == []
    assert await walk.fire("2026-12-09T09:30:00") == [(number, "resolution_warning")]
    assert await walk.fire("2026-12-09T10:30:00") == [(number, "resolution_breach")]
    assert await walk.alerts() == [
        (number, "sla_warning", "response"),
        (number, "sla_breached", "response"),
        (number, "sla_warning", "resolution"),
        (number, "sla_breached", "resolution"),
    ]
    async with walk.desk.store.transaction() as tx:
        ticket = await tx.get_ticket(number)
        items = await tx.list_outbox(limit=100)
    [warning] = [
        i for i in items if i.reply.data.get("event") == "sla_warning" and i.reply.data["which"] == "resolution"
    ]
    assert ticket is not None and ticket.breaches == ("response", "resolution")
    assert warning.reply.data["left_minutes"] == 60 and warning.reply.data["around_the_clock"] is False


async def test_critical_at_night_on_a_standard_plan_is_watched_around_the_clock(walk: Walk) -> None:
    """ "Inmediata" is 15 minutes on the 24x7 clock whatever the plan: warned at 22:11, breached at 22:15."""
    number = await receive(walk, "2026-12-01T22:00:00", ANDINA, Priority.CRITICAL)
    assert await walk.fire("2026-12-01T22:10:59") == []
    assert sorted(await walk.fire("2026-12-01T22:11:00")) == [
        (number, "resolution_warning"),
        (number, "response_warning"),
    ]
    assert sorted(await walk.fire("2026-12-01T22:15:00")) == [
        (number, "resolution_breach"),
        (number, "response_breach"),
    ]


async def test_a_7x24_ticket_on_a_holiday_and_an_answered_one_that_is_not_warned(walk: Walk) -> None:
    norte = await receive(walk, "2026-12-08T10:00:00", NORTE, Priority.HIGH)
    andina = await receive(walk, "2026-12-09T08:00:00", ANDINA, Priority.HIGH)
    walk.desk.now = at(bogota("2026-12-09T08:30:00"))
    await walk.desk.agents.reply(andina, "U1AGENT", "Lo revisamos ya.", "reply-1")  # the response is met
    assert await walk.fire("2026-12-08T10:45:00") == [(norte, "response_warning")]
    assert await walk.fire("2026-12-08T11:00:00") == [(norte, "response_breach")]
    assert await walk.fire("2026-12-08T13:00:00") == [(norte, "resolution_warning")]  # 4 h on the 24x7 clock
    assert await walk.fire("2026-12-08T14:00:00") == [(norte, "resolution_breach")]
    assert await walk.fire("2026-12-09T09:00:00") == []  # andina's response was answered at 08:30
    assert await walk.fire("2026-12-09T11:00:00") == [(andina, "resolution_warning")]


async def test_a_pause_over_the_weekend_moves_the_timers_and_none_fires_while_it_lasts(walk: Walk) -> None:
    """Medium (2 h response), Friday 14:00; waiting on the client from 14:30 to Monday 10:00: 30 minutes were used,
    so the response is warned at Monday 11:00 (90 of 120 minutes) and breached at 11:30."""
    number = await receive(walk, "2026-12-04T14:00:00", ANDINA, Priority.MEDIUM)
    walk.desk.now = at(bogota("2026-12-04T14:30:00"))
    await walk.desk.agents.change_status(number, Status.WAITING_ON_CLIENT, "U1AGENT")
    assert await walk.fire("2026-12-04T15:30:00") == []  # the warning's time without the pause
    assert await walk.fire("2026-12-07T09:59:00") == []
    walk.desk.now = at(bogota("2026-12-07T10:00:00"))
    await walk.desk.agents.change_status(number, Status.OPEN, "U1AGENT")
    assert await walk.fire("2026-12-07T10:59:00") == []
    assert await walk.fire("2026-12-07T11:00:00") == [(number, "response_warning")]
    assert await walk.fire("2026-12-07T11:30:00") == [(number, "response_breach")]


async def test_a_priority_raised_mid_way_moves_the_timers_and_a_late_warning_says_what_is_left(walk: Walk) -> None:
    """Low (4 h) at 09:00, to be warned at 12:00; raised to high at 09:50: due 10:00. The new warning's moment
    (09:45) has passed, so it goes out at the next pass, with the 5 minutes really left."""
    number = await receive(walk, "2026-12-02T09:00:00", ANDINA, Priority.LOW)
    walk.desk.now = at(bogota("2026-12-02T09:50:00"))
    await walk.desk.agents.change_priority(number, Priority.HIGH, "U1AGENT")
    assert await walk.fire("2026-12-02T09:55:00") == [(number, "response_warning")]
    assert await walk.fire("2026-12-02T10:00:00") == [(number, "response_breach")]
    # 12:00: the high resolution's warning (3 of 4 h); the low response's, planned for 12:00 too, was cancelled
    assert await walk.fire("2026-12-02T12:00:00") == [(number, "resolution_warning")]
    async with walk.desk.store.transaction() as tx:
        ticket = await tx.get_ticket(number)
        assert ticket is not None and ticket.id is not None
        [warning, _] = [e for e in await tx.events(ticket.id) if e.kind == "sla_warning"]
    assert warning.data["left_minutes"] == 5


async def test_a_restart_in_the_middle_sends_nothing_twice_and_misses_nothing(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "desk.sqlite3")
    await store.open()
    first = Walk(store)
    number = await receive(first, "2026-12-07T15:00:00", ANDINA, Priority.HIGH)
    assert await first.fire("2026-12-07T15:50:00") == [(number, "response_warning")]
    await store.close()

    reopened = SqliteStore(tmp_path / "desk.sqlite3")
    await reopened.open()
    try:
        again = Walk(reopened)
        assert await again.fire("2026-12-07T15:50:00") == []  # fired before the restart: not again
        assert await again.fire("2026-12-09T11:00:00") == [
            (number, "response_breach"),
            (number, "resolution_breach"),
        ]  # the warning for the resolution (09:30) came with its breach: moot, not sent
        assert [event for _, event, _ in await again.alerts()] == ["sla_warning", "sla_breached", "sla_breached"]
    finally:
        await reopened.close()
