"""Compliance reports: how the desk kept the agreement over a period, computed from the tickets alone (pure code).

A ticket belongs to the period it was received in. For each deadline (response, resolution):
- it is *due* when the ticket is covered, the target is not "planned", and either the deadline was met (answered or
  resolved) or it has passed by the report's `as_of` moment (a ticket still inside its deadline is not counted);
- it is *met* when the answer (`responded_at`) or the resolution (`resolved_at`) came by the deadline;
- compliance is met / due (None when nothing was due).
Times are counted as the deadlines are: in the ticket's plan calendar (24x7 for an immediate target), from the
receipt or the acceptance, minus the waits on the client. The median and the 90th percentile use the nearest-rank
method: p90 is the value at position ceil(0.9 × n) of the sorted times.
"""

from __future__ import annotations

import dataclasses
import math
import statistics
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from ticketing.sla import SlaPolicy
from ticketing.types import Status, Ticket

Which = Literal["response", "resolution"]


@dataclass(frozen=True)
class ReportTicket:
    """A ticket as the report reads it: the ticket, and what the SLA monitor did to it."""

    ticket: Ticket
    reminders: int = 0  # `client_reminded` events
    auto_closed: bool = False  # closed by the monitor: no answer from the client after the reminder


@dataclass(frozen=True)
class Compliance:
    met: int
    due: int

    @property
    def share(self) -> float | None:
        return self.met / self.due if self.due else None


@dataclass(frozen=True)
class Durations:
    """Business minutes (the plan's clock) from the clock's start to the answer or the resolution."""

    count: int
    median: float | None
    p90: float | None


@dataclass(frozen=True)
class Week:
    starts: date  # Monday, in the desk's time zone
    tickets: int
    response: Compliance
    resolution: Compliance


@dataclass
class Report:
    since: datetime
    until: datetime
    as_of: datetime
    organisation: str | None
    tickets: int = 0
    not_covered: int = 0
    by_channel: dict[str, int] = field(default_factory=dict)
    by_priority: dict[str, int] = field(default_factory=dict)
    by_organisation: dict[str, int] = field(default_factory=dict)
    by_level: dict[str, int] = field(default_factory=dict)
    compliance: dict[Which, dict[str, Compliance]] = field(default_factory=dict)  # by priority, "all" included
    compliance_by_organisation: dict[Which, dict[str, Compliance]] = field(default_factory=dict)
    durations: dict[Which, Durations] = field(default_factory=dict)
    breaches_by_priority: dict[str, int] = field(default_factory=dict)
    reminders: int = 0
    auto_closed: int = 0
    weeks: list[Week] = field(default_factory=list)


def percentile(values: Sequence[float], share: float) -> float | None:
    """Nearest rank: the value at position ceil(share × n) of the sorted values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def build_report(
    rows: Iterable[ReportTicket],
    sla: SlaPolicy,
    since: datetime,
    until: datetime,
    as_of: datetime,
    tz: ZoneInfo,
    organisation: str | None = None,
) -> Report:
    """The report of the tickets received in [since, until), as things stood at `as_of`."""
    report = Report(since, until, as_of, organisation)
    chosen = [row for row in rows if since <= row.ticket.received_at < until]
    covered = [row for row in chosen if _covered(row.ticket, sla)]
    report.tickets, report.not_covered = len(chosen), len(chosen) - len(covered)
    report.by_channel = _count(row.ticket.channel for row in chosen)
    report.by_priority = _count(row.ticket.priority.value for row in chosen)
    report.by_organisation = _count(row.ticket.organisation or "(none)" for row in chosen)
    report.by_level = _count(str(row.ticket.level) if row.ticket.level else "-" for row in covered)
    report.reminders = sum(row.reminders for row in chosen)
    report.auto_closed = sum(1 for row in chosen if row.auto_closed)
    report.breaches_by_priority = _count(row.ticket.priority.value for row in covered for _ in row.ticket.breaches)
    for which in ("response", "resolution"):
        outcomes = [(row.ticket, _outcome(row.ticket, which, as_of)) for row in covered]
        counted = [(ticket, met) for ticket, met in outcomes if met is not None]
        report.compliance[which] = _compliance(counted, lambda t: t.priority.value)
        report.compliance_by_organisation[which] = _compliance(counted, lambda t: t.organisation or "(none)")
        minutes = [_minutes(ticket, which, sla) for ticket in (row.ticket for row in covered)]
        done = [value for value in minutes if value is not None]
        median = statistics.median(done) if done else None
        report.durations[which] = Durations(len(done), median, percentile(done, 0.9))
    report.weeks = _weeks(covered, chosen, as_of, tz)
    return report


def _covered(ticket: Ticket, sla: SlaPolicy) -> bool:
    return ticket.status is not Status.NOT_COVERED and ticket.plan in sla.plans() and sla.is_covered(ticket.plan)


def _count(values: Iterable[str]) -> dict[str, int]:
    return dict(sorted(Counter(values).items()))


def _outcome(ticket: Ticket, which: Which, as_of: datetime) -> bool | None:
    """Met (True), missed (False), or not counted (None: no deadline, or still inside it)."""
    due = ticket.response_due if which == "response" else ticket.resolution_due
    done = ticket.responded_at if which == "response" else ticket.resolved_at
    if due is None:
        return None
    if done is not None:
        return done <= due
    return False if due < as_of else None


def _compliance(counted: Sequence[tuple[Ticket, bool]], key: Callable[[Ticket], str]) -> dict[str, Compliance]:
    groups: dict[str, list[bool]] = {"all": [met for _, met in counted]}
    for ticket, met in counted:
        groups.setdefault(key(ticket), []).append(met)
    return {name: Compliance(sum(values), len(values)) for name, values in sorted(groups.items())}


def _minutes(ticket: Ticket, which: Which, sla: SlaPolicy) -> float | None:
    done = ticket.responded_at if which == "response" else ticket.resolved_at
    if done is None:
        return None
    return float(sla.minutes_between(ticket.priority, ticket.plan, which, ticket.clock_from, done, ticket.pauses))


def _weeks(
    covered: Sequence[ReportTicket], chosen: Sequence[ReportTicket], as_of: datetime, tz: ZoneInfo
) -> list[Week]:
    def monday(ticket: Ticket) -> date:
        day = ticket.received_at.astimezone(tz).date()
        return day - timedelta(days=day.weekday())

    weeks = sorted({monday(row.ticket) for row in chosen})
    result = []
    for start in weeks:
        tickets = [row.ticket for row in covered if monday(row.ticket) == start]
        lines = []
        for which in ("response", "resolution"):
            outcomes = [met for met in (_outcome(t, which, as_of) for t in tickets) if met is not None]
            lines.append(Compliance(sum(outcomes), len(outcomes)))
        count = sum(1 for row in chosen if monday(row.ticket) == start)
        result.append(Week(start, count, lines[0], lines[1]))
    return result


def with_names(report: Report, name_of: Callable[[str], str | None]) -> Report:
    """The report with organisations under their display names (for people), ids where none is known."""

    def renamed(counts: Mapping[str, Any]) -> dict[str, Any]:
        return {name_of(key) or key: value for key, value in counts.items()}

    return dataclasses.replace(
        report,
        by_organisation=renamed(report.by_organisation),
        compliance_by_organisation={which: renamed(v) for which, v in report.compliance_by_organisation.items()},
    )


def as_json(report: Report) -> dict[str, object]:
    """The report's public JSON fields (`gateway report --format json`)."""

    def compliance(values: Mapping[str, Compliance]) -> dict[str, object]:
        return {name: {"met": c.met, "due": c.due, "share": c.share} for name, c in values.items()}

    return {
        "from": report.since.isoformat(),
        "to": report.until.isoformat(),
        "as_of": report.as_of.isoformat(),
        "organisation": report.organisation,
        "tickets": report.tickets,
        "not_covered": report.not_covered,
        "by_channel": report.by_channel,
        "by_priority": report.by_priority,
        "by_organisation": report.by_organisation,
        "by_level": report.by_level,
        "compliance": {which: compliance(values) for which, values in report.compliance.items()},
        "compliance_by_organisation": {
            which: compliance(values) for which, values in report.compliance_by_organisation.items()
        },
        "business_minutes": {
            which: {"count": d.count, "median": d.median, "p90": d.p90} for which, d in report.durations.items()
        },
        "breaches_by_priority": report.breaches_by_priority,
        "reminders": report.reminders,
        "auto_closed": report.auto_closed,
        "weeks": [
            {
                "starts": week.starts.isoformat(),
                "tickets": week.tickets,
                "response": week.response.share,
                "resolution": week.resolution.share,
            }
            for week in report.weeks
        ],
    }
