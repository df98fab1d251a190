"""The SLA monitor's timers on every store: planning replaces a ticket's pending timers, a fired one stays fired,
and replicas looking for due timers at the same moment take different ones."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from ticketing.store.base import Store
from ticketing.types import Timer

NOW = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)


def timer(kind: str, minutes: int, number: str = "TL-000001") -> Timer:
    return Timer(number, kind, NOW + timedelta(minutes=minutes), {"which": kind.split("_")[0]})


async def pending(store: Store) -> list[tuple[str, str]]:
    async with store.transaction() as tx:
        return [(t.kind, t.status) for t in await tx.list_timers("pending")]


async def test_planning_replaces_the_pending_timers_and_a_fired_one_stays_fired(store: Store) -> None:
    warning, breach = timer("response_warning", 45), timer("response_breach", 60)
    async with store.transaction() as tx:
        await tx.plan_timers("TL-000001", [warning, breach], NOW)
        await tx.plan_timers("TL-000001", [warning, breach], NOW)  # planned again: the same two
    assert await pending(store) == [("response_warning", "pending"), ("response_breach", "pending")]

    later = timer("response_breach", 90)  # the deadline moved
    async with store.transaction() as tx:
        await tx.plan_timers("TL-000001", [later], NOW)
        everything = [(t.kind, t.due_at, t.status) for t in await tx.list_timers(None)]
    assert everything == [
        ("response_warning", warning.due_at, "cancelled"),
        ("response_breach", breach.due_at, "cancelled"),
        ("response_breach", later.due_at, "pending"),
    ]

    async with store.transaction() as tx:
        await tx.plan_timers("TL-000001", [warning, later], NOW)  # the warning's moment came back
        [due] = await tx.due_timers(NOW + timedelta(minutes=50))
        assert due.key == warning.key and due.id is not None
        await tx.finish_timer(due.id, "fired", NOW + timedelta(minutes=50))
        await tx.plan_timers("TL-000001", [warning, later], NOW + timedelta(minutes=50))
        assert await tx.due_timers(NOW + timedelta(minutes=50)) == []  # fired once, never again
        assert await tx.next_timer_due() == later.due_at
        await tx.plan_timers("TL-000001", [], NOW)  # resolved: nothing left to watch
        assert await tx.next_timer_due() is None


async def test_replicas_firing_at_the_same_moment_take_different_timers(store: Store) -> None:
    async with store.transaction() as tx:
        for n in range(6):
            await tx.plan_timers(f"TL-00000{n}", [timer("response_breach", 0, f"TL-00000{n}")], NOW)

    async def fire(replica: str) -> list[str]:
        async with store.transaction() as tx:
            due = await tx.due_timers(NOW)
            for item in due:
                assert item.id is not None
                await tx.finish_timer(item.id, "fired", NOW)
            await asyncio.sleep(0.2)  # still firing when the other replica looks
        return [item.ticket_number for item in due]

    first, second = await asyncio.gather(fire("a"), fire("b"))
    assert sorted(first + second) == [f"TL-00000{n}" for n in range(6)]
