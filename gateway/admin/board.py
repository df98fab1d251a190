"""What the admin pages show, read from the running gateway and its store: each channel's state, its queues and
its last failure, the open tickets by SLA standing, the replies that failed, the quarantine."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ticketing.ports import ReadModel, UnitOfWork
from ticketing.sla import SlaPolicy
from ticketing.standing import OPEN_STATUSES, STANDINGS, Standing, standing
from ticketing.types import ChannelActivity, InboxItem, OutboxItem, Ticket

TROUBLE_STATES = frozenset({"backoff", "stopped", "broken"})  # a receiver that is not taking messages in
SHOWN_TICKETS = 500  # per status, newest first: the counts are exact, the lists stop here


@dataclass(frozen=True)
class ChannelView:
    """A running channel as the admin sees it: the inbox and outbox channels it owns, and its health report."""

    name: str
    store_channels: tuple[str, ...]
    health: Callable[[], Mapping[str, Any]] | None = None


@dataclass(frozen=True)
class ChannelRow:
    name: str
    state: str  # "ok", "connecting", or what is wrong ("backoff", "error", "replies_failing")
    errors: list[str]  # the receivers' last errors, and the newest failed reply's
    details: list[tuple[str, str]]  # the health report, flattened ("imap.soporte.state", "idle")
    activity: ChannelActivity


@dataclass(frozen=True)
class TicketRow:
    ticket: Ticket
    standing: Standing


@dataclass
class TicketBoard:
    groups: dict[str, list[TicketRow]] = field(default_factory=lambda: {state: [] for state in STANDINGS})
    by_status: dict[str, int] = field(default_factory=dict)  # every open ticket, counted in the store
    cut: bool = False  # some status had more open tickets than the lists show


def flattened(report: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """A nested health report as (dotted key, value) pairs."""
    for key, value in report.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from flattened(value, f"{name}.")
        else:
            yield name, value


def channel_state(details: Sequence[tuple[str, Any]], errors: Sequence[str], replies_failing: bool) -> str:
    """ "ok", or the worst thing the health report says, or that its replies fail (a refusing mailbox, say)."""
    states = {str(value) for key, value in details if key.rsplit(".", 1)[-1] == "state" and value}
    for word in sorted(state.split(" ", 1)[0] for state in states):  # "broken (rebuilt on the next read)"
        if word in TROUBLE_STATES:
            return word
    if errors:
        return "error"
    if "connecting" in states:
        return "connecting"
    return "replies_failing" if replies_failing else "ok"


def summed(name: str, parts: Sequence[ChannelActivity]) -> ChannelActivity:
    """One channel's activity over the inbox and outbox channels it owns (a relay per chat tool, say)."""
    last_ins = [part.last_in for part in parts if part.last_in is not None]
    failed = max(
        (part for part in parts if part.last_failure_id is not None), key=lambda p: p.last_failure_id or 0, default=None
    )
    return ChannelActivity(
        name,
        max(last_ins, default=None),
        sum(part.inbox_pending for part in parts),
        sum(part.inbox_quarantined for part in parts),
        sum(part.outbox_pending for part in parts),
        sum(part.outbox_dead for part in parts),
        failed.last_failure if failed else "",
        failed.last_failure_id if failed else None,
    )


class Board:
    """Reads what the pages show; each call is one read transaction."""

    def __init__(
        self,
        store: UnitOfWork[ReadModel],
        channels: Sequence[ChannelView],
        sla: SlaPolicy,
        warn_share: float,
        clock: Callable[[], datetime],
        shown: int = SHOWN_TICKETS,
    ) -> None:
        self._store = store
        self._shown = shown
        self._channels = channels
        self._sla = sla  # the running policy: a reload changes it in place
        self.warn_share = warn_share  # the share of a deadline's time used when agents are warned
        self._clock = clock

    async def channels(self) -> list[ChannelRow]:
        names = [name for view in self._channels for name in view.store_channels]
        async with self._store.transaction() as tx:
            activity = await tx.channel_activity(names)
        rows = []
        for view in self._channels:
            details = list(flattened(view.health())) if view.health is not None else []
            errors = [f"{key}: {value}" for key, value in details if key.endswith("last_error") and value]
            total = summed(view.name, [activity[name] for name in view.store_channels if name in activity])
            state = channel_state(details, errors, bool(total.last_failure))
            if total.last_failure:
                errors.append(f"reply {total.last_failure_id}: {total.last_failure}")
            shown = [(key, "" if value is None else str(value)) for key, value in details]
            rows.append(ChannelRow(view.name, state, errors, shown, total))
        return rows

    async def tickets(self) -> TicketBoard:
        board = TicketBoard()
        async with self._store.transaction() as tx:
            counts = await tx.ticket_counts()
            tickets = [t for status in OPEN_STATUSES for t in await tx.list_tickets(self._shown, status.value)]
        now = self._clock()
        board.groups = await asyncio.to_thread(self._grouped, tickets, now)  # 2,000 tickets take tens of ms
        board.by_status = {status.value: counts.get(status.value, 0) for status in OPEN_STATUSES}
        board.cut = any(count > self._shown for count in board.by_status.values())
        return board

    def _grouped(self, tickets: Sequence[Ticket], now: datetime) -> dict[str, list[TicketRow]]:
        """The tickets by standing, each group with the most pressing deadline first."""
        groups: dict[str, list[TicketRow]] = {state: [] for state in STANDINGS}
        for ticket in tickets:
            where = standing(ticket, self._sla, self.warn_share, now)
            groups[where.state].append(TicketRow(ticket, where))
        for rows in groups.values():
            rows.sort(key=lambda row: (row.standing.due is None, row.standing.due or now, row.ticket.received_at))
        return groups

    async def outbox_counts(self) -> tuple[int, int]:
        """How many replies wait to be sent, and how many are dead."""
        async with self._store.transaction() as tx:
            counts = await tx.counts(("outbox_pending", "outbox_dead"))
        return counts.get("outbox_pending", 0), counts.get("outbox_dead", 0)

    async def replies(self, failed_only: bool, limit: int = 200) -> list[OutboxItem]:
        async with self._store.transaction() as tx:
            return await tx.list_outbox(failed_only=failed_only, limit=limit)

    async def quarantine(self, limit: int = 200) -> list[InboxItem]:
        async with self._store.transaction() as tx:
            return await tx.inbox_items("quarantined", limit=limit)

    async def quarantined(self, inbox_id: int) -> InboxItem | None:
        async with self._store.transaction() as tx:
            item = await tx.get_inbox(inbox_id)
        return item if item is not None and item.status == "quarantined" else None
