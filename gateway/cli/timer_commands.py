"""`gateway timers list` and `gateway timers run --at`: the SLA monitor's timers, and firing them at a chosen moment.

`run` fires what is due at `--at` against the configured store, exactly as the running gateway's worker does: each
timer's event on its ticket and the console's alert queued in the outbox (a running gateway sends it). Admins use
it to see what a change would do; tests and checks use it instead of waiting.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from gateway.cli import output as views
from gateway.cli.store_commands import print_listing
from gateway.config.loader import Settings
from ticketing.ports import TimerWork, UnitOfWork
from ticketing.sla_monitor import SlaMonitor
from ticketing.types import Timer


def _deadline(timer: Timer, tz: ZoneInfo) -> str:
    return views.short(datetime.fromisoformat(timer.data["due"]), tz) if "due" in timer.data else "-"


def timer_json(timer: Timer, tz: ZoneInfo) -> dict[str, Any]:
    return {
        "id": timer.id,
        "ticket": timer.ticket_number,
        "kind": timer.kind,
        "due_at": views.iso(timer.due_at, tz),
        "status": timer.status,
        "deadline": views.iso(datetime.fromisoformat(timer.data["due"]), tz) if "due" in timer.data else None,
    }


def timers_table(timers: Sequence[Timer], tz: ZoneInfo) -> str:
    if not timers:
        return "No timers."
    rows = [
        [views.short(timer.due_at, tz), timer.ticket_number, timer.kind, timer.status, _deadline(timer, tz)]
        for timer in timers
    ]
    return views.table(["DUE", "TICKET", "KIND", "STATUS", "DEADLINE"], rows)


async def list_timers(store: UnitOfWork[TimerWork], settings: Settings, status: str, as_json: bool) -> int:
    async with store.transaction() as tx:
        timers = await tx.list_timers(None if status == "all" else status)
    tz = ZoneInfo(settings.file.sla.timezone)
    return print_listing(timers, as_json, lambda t: timer_json(t, tz), lambda ts: timers_table(ts, tz))


async def run_timers(monitor: SlaMonitor, settings: Settings, at: datetime, as_json: bool) -> int:
    fired = await monitor.fire_due(at)
    tz = ZoneInfo(settings.file.sla.timezone)
    if as_json:
        return print_listing(fired, True, lambda t: timer_json(t, tz), lambda ts: "")
    else:
        print(f"{len(fired)} timer(s) fired at {at.astimezone(tz).isoformat()}")
        for timer in fired:
            print(f"  {timer.ticket_number} {timer.kind} (due {views.short(timer.due_at, tz)})")
    return 0
