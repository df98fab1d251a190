"""The agreement's SLA: targets per priority, plans and their calendars, and the deadlines of one request.

`parse_target` reads a target as admins write it ("4h", "90m", "inmediata", "planificado"); `SlaPolicy.compute`
turns (priority, plan, receipt time, pauses) into an `SlaResult` with both deadlines and an English explanation of
how the hours were counted. Calendars live in `ticketing.calendar` and are re-exported here. Pure code: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal, NamedTuple

from ticketing.calendar import (
    AlwaysOpenCalendar,
    BusinessCalendar,
    Calendar,
    Interval,
    add_working_minutes,
    counted_pieces,
    ensure_aware,
)
from ticketing.types import Priority

__all__ = [
    "AlwaysOpenCalendar",
    "Checkpoint",
    "BusinessCalendar",
    "Calendar",
    "PriorityTargets",
    "SlaPolicy",
    "SlaResult",
    "Target",
    "add_working_minutes",
    "parse_target",
]

TargetKind = Literal["minutes", "immediate", "planned"]

_IMMEDIATE_WORDS = frozenset({"immediate", "inmediata", "inmediato"})
_PLANNED_WORDS = frozenset({"planned", "planificado", "planificada"})
_DURATION = re.compile(
    r"(?:(?P<hours>\d+)\s*(?:h|hr|hrs|hour|hours))?\s*(?:(?P<minutes>\d+)\s*(?:m|min|mins|minute|minutes))?"
)
_MAX_LISTED = 6  # counted intervals named in one sentence before eliding the middle ones


@dataclass(frozen=True)
class Target:
    """One SLA target: a number of minutes on the plan's calendar, "immediate", or "planned" (no deadline)."""

    kind: TargetKind
    minutes: int = 0

    def __post_init__(self) -> None:
        if self.kind not in ("minutes", "immediate", "planned"):
            raise ValueError(f"unknown target kind {self.kind!r}")
        if self.kind == "minutes" and self.minutes <= 0:
            raise ValueError(f"a target in minutes must be positive, got {self.minutes}")
        if self.kind != "minutes" and self.minutes != 0:
            raise ValueError(f"a {self.kind!r} target takes no minutes, got {self.minutes}")

    def __str__(self) -> str:
        return _duration_text(timedelta(minutes=self.minutes)) if self.kind == "minutes" else self.kind


def parse_target(text: str) -> Target:
    """ "1h", "4h", "90m", "1h30m", "2 h", "immediate"/"inmediata", "planned"/"planificado" -> Target."""
    word = text.strip().lower()
    if word in _IMMEDIATE_WORDS:
        return Target("immediate")
    if word in _PLANNED_WORDS:
        return Target("planned")
    match = _DURATION.fullmatch(word)
    if word and match is not None:
        minutes = int(match["hours"] or 0) * 60 + int(match["minutes"] or 0)
        if minutes > 0:
            return Target("minutes", minutes)
        raise ValueError(f"invalid SLA target {text!r}: the duration must be more than zero")
    raise ValueError(
        f"invalid SLA target {text!r}: expected a duration like '4h', '90m' or '1h30m', 'immediate' or 'planned'"
    )


@dataclass(frozen=True)
class PriorityTargets:
    response: Target
    resolution: Target


@dataclass(frozen=True)
class SlaResult:
    """Both deadlines of one request, in the plan calendar's time zone, and how they were counted."""

    priority: Priority
    plan: str
    covered: bool
    received_at: datetime
    clock_starts: datetime | None  # next opening of the plan's calendar at receipt (None when not covered)
    response_due: datetime | None  # None when planned or not covered
    resolution_due: datetime | None
    calendar: str  # the calendar's describe(), "" when not covered
    explanation: list[str]

    def to_json(self) -> dict[str, Any]:
        def iso(at: datetime | None) -> str | None:
            return None if at is None else at.isoformat()

        return {
            "priority": self.priority.value,
            "plan": self.plan,
            "covered": self.covered,
            "received_at": iso(self.received_at),
            "clock_starts": iso(self.clock_starts),
            "response_due": iso(self.response_due),
            "resolution_due": iso(self.resolution_due),
            "calendar": self.calendar,
            "explanation": list(self.explanation),
        }


class Checkpoint(NamedTuple):
    """A moment on the way to a deadline: when it comes, the minutes then left, and whether they are counted
    around the clock (else in the plan's business hours)."""

    at: datetime
    minutes_left: int
    around_the_clock: bool


class SlaPolicy:
    """The agreement's targets per priority and each plan's calendar (None: a plan the agreement does not cover)."""

    def __init__(
        self,
        targets: Mapping[Priority, PriorityTargets],
        plan_calendars: Mapping[str, Calendar | None],
        immediate_minutes: int = 15,
    ) -> None:
        missing = [p.value for p in Priority if p not in targets]
        if missing:
            raise ValueError(f"SLA targets missing for priorities: {', '.join(missing)}")
        if immediate_minutes < 0:
            raise ValueError(f"immediate_minutes must be zero or positive, got {immediate_minutes}")
        self._targets = dict(targets)
        self._calendars = dict(plan_calendars)
        self.immediate_minutes = immediate_minutes
        self._immediate_clocks = {
            plan: AlwaysOpenCalendar(cal.tz) for plan, cal in self._calendars.items() if cal is not None
        }

    def adopt(self, other: SlaPolicy) -> None:
        """Take `other`'s targets and calendars (a reloaded configuration): deadlines computed from now on use them;
        those stored on tickets stay as they were promised."""
        self._targets, self._calendars = other._targets, other._calendars
        self.immediate_minutes, self._immediate_clocks = other.immediate_minutes, other._immediate_clocks

    def plans(self) -> list[str]:
        return list(self._calendars)

    def _calendar(self, plan: str) -> Calendar | None:
        if plan not in self._calendars:
            raise ValueError(f"unknown plan {plan!r} (known: {', '.join(self._calendars)})")
        return self._calendars[plan]

    def is_covered(self, plan: str) -> bool:
        """Whether the agreement covers `plan`; ValueError for a plan that is not configured."""
        return self._calendar(plan) is not None

    def targets(self, priority: Priority) -> PriorityTargets:
        return self._targets[Priority(priority)]

    def compute(
        self, priority: Priority, plan: str, received_at: datetime, pauses: Sequence[Interval] = ()
    ) -> SlaResult:
        priority = Priority(priority)
        calendar = self._calendar(plan)
        ensure_aware(received_at, "received_at")
        if calendar is None:
            explanation = [
                f"Received {_when(received_at)} ({_zone(received_at)}).",
                f"Plan '{plan}' is not covered by the service agreement: no response or resolution deadline applies.",
            ]
            return SlaResult(priority, plan, False, received_at, None, None, None, "", explanation)
        received = received_at.astimezone(calendar.tz)
        clock_starts = calendar.next_opening(received)
        targets = self._targets[priority]
        received_text = f"Received {_when(received)} ({calendar.tz.key})."
        if "minutes" in (targets.response.kind, targets.resolution.kind):
            if clock_starts == received:
                received_text += " The calendar is open then, so the clock starts at once."
            else:
                received_text += (
                    f" That is outside open hours, so the clock starts at the next opening, {_when(clock_starts)}."
                )
        explanation = [f"Plan '{plan}': {calendar.describe()}.", received_text]
        dues: list[datetime | None] = []
        counted_until = received  # the latest deadline counted on the plan's own calendar
        for label, target in (("Response", targets.response), ("Resolution", targets.resolution)):
            due, sentence = self._deadline(label, target, plan, calendar, received, pauses)
            dues.append(due)
            explanation.append(sentence)
            if target.kind == "minutes" and due is not None:
                counted_until = max(counted_until, due)
        skipped = _closed_days(calendar, received.date(), counted_until.date()) if counted_until > received else ""
        if skipped:  # only when business hours were counted: a 24x7 or planned target skips no day
            explanation.append(f"Closed days skipped: {skipped}.")
        return SlaResult(
            priority, plan, True, received, clock_starts, dues[0], dues[1], calendar.describe(), explanation
        )

    def checkpoint(
        self,
        priority: Priority,
        plan: str,
        received_at: datetime,
        pauses: Sequence[Interval],
        which: Literal["response", "resolution"],
        share: float,
    ) -> Checkpoint | None:
        """When `share` of the `which` target is used up, counted as the deadline is: on the plan's calendar (24x7
        for an immediate target) minus the pauses. None when there is no deadline."""
        calendar = self._calendar(plan)
        target = getattr(self._targets[Priority(priority)], which)
        if calendar is None or target.kind == "planned":
            return None
        immediate = target.kind == "immediate"
        clock = self._immediate_clocks[plan] if immediate else calendar
        minutes = self.immediate_minutes if immediate else target.minutes
        used = round(minutes * share)
        moment, _ = add_working_minutes(clock, received_at.astimezone(calendar.tz), used, pauses)
        return Checkpoint(moment, minutes - used, immediate or isinstance(calendar, AlwaysOpenCalendar))

    def open_time_after(self, plan: str, start: datetime, minutes: int) -> datetime:
        """When `minutes` of the plan's open time have passed from `start` (clock time for an uncovered plan)."""
        calendar = self._calendar(plan)
        if calendar is None:
            return start + timedelta(minutes=minutes)
        return add_working_minutes(calendar, start.astimezone(calendar.tz), minutes)[0]

    def minutes_between(
        self,
        priority: Priority,
        plan: str,
        which: Literal["response", "resolution"],
        start: datetime,
        end: datetime,
        pauses: Sequence[Interval] = (),
    ) -> int:
        """Minutes of the `which` target's clock from `start` to `end`, minus the pauses (0 when `end` is not
        later): how much of the target a wait used, counted as the deadline is."""
        calendar = self._calendar(plan)
        if calendar is None or end <= start:
            return 0
        immediate = getattr(self._targets[Priority(priority)], which).kind == "immediate"
        clock = self._immediate_clocks[plan] if immediate else calendar
        return int(_open_time(clock, start.astimezone(calendar.tz), end, pauses).total_seconds() // 60)

    def _deadline(
        self, label: str, target: Target, plan: str, calendar: Calendar, received: datetime, pauses: Sequence[Interval]
    ) -> tuple[datetime | None, str]:
        if target.kind == "planned":
            return None, f"{label}: planned, so there is no deadline; a date will be agreed with the client."
        if target.kind == "immediate":
            clock: Calendar = self._immediate_clocks[plan]
            due, counted = add_working_minutes(clock, received, self.immediate_minutes, pauses)
            sentence = (
                f'{label} due {_when(due)}: immediate ("inmediata") means {self.immediate_minutes} minutes on the '
                "24x7 clock from receipt, whatever the plan's hours."
            )
        else:
            clock = calendar
            due, counted = add_working_minutes(clock, received, target.minutes, pauses)
            sentence = f"{label} due {_when(due)}: {target} of open time counted"
            sentence += f", {_spans(counted)}." if counted else "."
        counted_time = sum((end.astimezone(UTC) - begin.astimezone(UTC) for begin, end in counted), timedelta())
        paused = _open_time(clock, received, due) - counted_time
        if paused > timedelta():
            sentence += (
                f" The clock stood still for {_duration_text(paused)} of open time while the ticket waited on the "
                "client, so the deadline moved later by that much."
            )
        return due, sentence


def _open_time(calendar: Calendar, start: datetime, end: datetime, pauses: Sequence[Interval] = ()) -> timedelta:
    """Open time of `calendar` between `start` and `end`, minus the pauses."""
    total = timedelta()
    for begin, finish in counted_pieces(calendar, start, pauses):
        if begin >= end:
            break
        total += min(finish, end) - begin
    return total


def _closed_days(calendar: Calendar, first: date, last: date) -> str:
    """Usual working days between `first` and `last` (inclusive) that were closed, with the reason."""
    days = []
    day = first
    while day <= last:
        reason = calendar.closed_reason(day)
        if reason is not None:
            days.append(f"{day:%a %Y-%m-%d} ({reason})")
        day += timedelta(days=1)
    if len(days) > _MAX_LISTED:
        days = [*days[:3], f"… {len(days) - 5} more …", *days[-2:]]
    return ", ".join(days)


def _when(at: datetime) -> str:
    return f"{at:%a %Y-%m-%d %H:%M}" + (f":{at:%S}" if at.second or at.microsecond else "")


def _zone(at: datetime) -> str:
    return str(getattr(at.tzinfo, "key", None) or at.tzname() or at.strftime("%z"))


def _span(begin: datetime, end: datetime) -> str:
    if begin.date() == end.date():
        return f"{_when(begin)}–{end:%H:%M}" + (f":{end:%S}" if end.second or end.microsecond else "")
    return f"{_when(begin)} – {_when(end)}"


def _spans(counted: list[Interval]) -> str:
    texts = [_span(begin, end) for begin, end in counted]
    if len(texts) > _MAX_LISTED:
        texts = [*texts[:3], f"… {len(texts) - 5} more …", *texts[-2:]]
    return texts[0] if len(texts) == 1 else ", ".join(texts[:-1]) + " and " + texts[-1]


def _duration_text(span: timedelta) -> str:
    total = int(span.total_seconds() // 60)
    hours, minutes = divmod(total, 60)
    if hours and minutes:
        return f"{hours} h {minutes} min"
    return f"{hours} h" if hours else f"{minutes} min"
