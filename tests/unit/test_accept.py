"""Accepting a request first not covered (a free or unknown sender): the agent picks a covered plan, the deadlines
count from the acceptance, the client is told them, and the SLA monitor watches the ticket from then on."""

from __future__ import annotations

import pytest

from tests.conftest import at
from tests.unit.test_sla_monitor import ANDINA, Walk, bogota, receive
from tests.unit.test_sla_monitor import walk as walk  # the same desk, monitor and console
from ticketing.types import Priority, Status

FREE = "estudiante@gmail.com"  # the "free" plan: not covered


async def test_an_accepted_request_gets_deadlines_from_the_acceptance_and_the_client_is_told(walk: Walk) -> None:
    number = await receive(walk, "2026-11-30T20:00:00", FREE, Priority.MEDIUM)  # Monday night
    assert await walk.fire("2026-12-01T12:00:00") == []  # not covered: nothing is watched
    walk.desk.now = at(bogota("2026-12-01T09:00:00"))
    ticket = await walk.desk.agents.accept(number, "standard", "U1AGENT")
    assert (ticket.status, ticket.plan) == (Status.NEW, "standard")
    assert ticket.response_due == at(bogota("2026-12-01T11:00:00"))  # 2 h from the acceptance, not the receipt
    assert [kind for kind, _, _ in walk.composer.calls] == ["accepted"]
    assert await walk.fire("2026-12-01T10:30:00") == [(number, "response_warning")]
    async with walk.desk.store.transaction() as tx:
        assert ticket.id is not None
        [accepted] = [e for e in await tx.events(ticket.id) if e.kind == "accepted"]
    assert accepted.actor == "U1AGENT" and accepted.data["plan"] == "standard"


async def test_only_a_not_covered_request_is_accepted_and_only_under_a_covered_plan(walk: Walk) -> None:
    covered = await receive(walk, "2026-12-01T09:00:00", ANDINA, Priority.LOW)
    unchanged = await walk.desk.agents.accept(covered, "7x24", "U1AGENT")
    assert (unchanged.plan, unchanged.status) == ("standard", Status.NEW)
    free = await receive(walk, "2026-12-01T09:00:00", FREE, Priority.LOW)
    with pytest.raises(ValueError, match="not covered"):
        await walk.desk.agents.accept(free, "free", "U1AGENT")
    assert walk.composer.calls == []
