"""Where an open ticket stands against its SLA (`ticketing.standing`), as the admin pages group tickets: on the
plan's calendar (a weekend does not warn), at the moment the SLA monitor warns the agents, with the clock stopped
while the client is asked, and with no deadline for what the agreement does not cover."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import pytest

from tests.conftest import at
from tests.unit.desk import policy
from ticketing.standing import standing
from ticketing.types import Priority, Status, Ticket

WARN = 0.75


def bogota(text: str) -> datetime:
    return at(text + "-05:00")


def ticket(received: str, priority: Priority = Priority.HIGH, plan: str = "standard", **changes: object) -> Ticket:
    """A ticket with the deadlines the agreement gives it (`policy()`: high is 1 h to respond, 4 h to resolve)."""
    received_at = bogota(received)
    sla = policy().compute(priority, plan if plan in policy().plans() else "standard", received_at)
    made = Ticket(
        "TL-000001",
        "soporte.ti@andina.com.co",
        "Ana",
        "email",
        "andina",
        plan,
        Status.OPEN,
        priority,
        None,
        "No abre el ERP",
        "es",
        received_at,
        sla.response_due,
        sla.resolution_due,
    )
    return dataclasses.replace(made, **changes)  # type: ignore[arg-type]


MONDAY_9 = "2026-11-23T09:00:00"  # high: response due 10:00, warned at 09:45; resolution due 13:00, warned 12:00
CASES = [
    ("a fresh ticket", ticket(MONDAY_9), "2026-11-23T09:30:00", "on_time", "response"),
    ("three quarters of the hour used", ticket(MONDAY_9), "2026-11-23T09:46:00", "warned", "response"),
    ("the response deadline passed", ticket(MONDAY_9), "2026-11-23T10:01:00", "breached", "response"),
    (
        "answered: judged on the resolution",
        ticket(MONDAY_9, responded_at=bogota("2026-11-23T09:20:00")),
        "2026-11-23T11:30:00",
        "on_time",
        "resolution",
    ),
    (
        "answered, three of four hours to resolve used",
        ticket(MONDAY_9, responded_at=bogota("2026-11-23T09:20:00")),
        "2026-11-23T12:10:00",
        "warned",
        "resolution",
    ),
    (
        "answered late: the monitor recorded the breach",
        ticket(MONDAY_9, responded_at=bogota("2026-11-23T10:20:00"), breaches=("response",)),
        "2026-11-23T10:30:00",
        "breached",
        "resolution",
    ),
    # Friday 16:00: 30 minutes that day, 30 on Monday from 08:00; 45 minutes used at Monday 08:15.
    ("a weekend counts nothing", ticket("2026-11-27T16:00:00"), "2026-11-28T12:00:00", "on_time", "response"),
    ("warned on Monday morning", ticket("2026-11-27T16:00:00"), "2026-11-30T08:16:00", "warned", "response"),
    (
        "waiting on the client, even past the deadline",
        ticket(MONDAY_9, status=Status.WAITING_ON_CLIENT, paused_since=bogota("2026-11-23T09:10:00")),
        "2026-11-23T15:00:00",
        "waiting",
        "response",
    ),
    (
        "a free plan",
        ticket(MONDAY_9, plan="free", response_due=None, resolution_due=None),
        MONDAY_9,
        "not_covered",
        None,
    ),
    ("a request not accepted yet", ticket(MONDAY_9, status=Status.NOT_COVERED), MONDAY_9, "not_covered", "response"),
    ("a planned request", ticket(MONDAY_9, Priority.PLANNED), "2026-12-20T09:00:00", "not_covered", None),
    # A plan removed from the configuration since: its deadlines stand, with no calendar to warn on.
    ("a plan removed, deadline ahead", ticket(MONDAY_9, plan="gold"), "2026-11-23T09:50:00", "on_time", "response"),
    ("a plan removed, deadline passed", ticket(MONDAY_9, plan="gold"), "2026-11-23T10:01:00", "breached", "response"),
]


@pytest.mark.parametrize(("what", "made", "now", "state", "which"), CASES, ids=[case[0] for case in CASES])
def test_where_a_ticket_stands(what: str, made: Ticket, now: str, state: str, which: str | None) -> None:
    found = standing(made, policy(), WARN, bogota(now))
    assert (found.state, found.which) == (state, which)
    if which is not None:
        due = made.response_due if which == "response" else made.resolution_due
        assert found.due == due
