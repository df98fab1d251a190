"""SLA calendars: when the SLA clock runs.

Two calendars serve the agreement: `BusinessCalendar` (working days and hours in one time zone, closed on the
public holidays of a country and on extra dates given by the caller) and `AlwaysOpenCalendar` (7x24: every minute
counts). `add_working_minutes` walks a calendar's open intervals, minus the pauses, to find when a number of
minutes of open time has elapsed. Pure code: no I/O, no globals; holidays are computed lazily, once per year and
per calendar instance.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from ticketing.country_holidays import country_entry, public_holidays

Interval = tuple[datetime, datetime]

_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MAX_CLOSED_DAYS = 3660  # no opening within ten years: the calendar is misconfigured, not merely closed


class Calendar(Protocol):
    """When the SLA clock runs. Every datetime returned is aware and expressed in `tz`."""

    name: str  # "business" or "always"
    tz: ZoneInfo

    def is_open(self, at: datetime) -> bool: ...

    def next_opening(self, at: datetime) -> datetime: ...  # `at` itself (in `tz`) if open

    def open_intervals(self, start: datetime) -> Iterator[Interval]: ...  # from `start`, chronological, forever

    def describe(self) -> str: ...

    def closed_reason(self, day: date) -> str | None: ...  # why a usual working day is closed (a holiday's name)


def ensure_aware(at: datetime, what: str = "datetime") -> datetime:
    """Return `at` unchanged, or raise ValueError if it is naive (without a time zone)."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{what} {at.isoformat()} is naive: give a timezone-aware datetime (e.g. ending in -05:00)")
    return at


class BusinessCalendar:
    """Working days `weekdays` (0 = Monday … 6 = Sunday), open from `opens` (included) to `closes` (excluded)."""

    name = "business"

    def __init__(
        self,
        tz: ZoneInfo,
        weekdays: frozenset[int],
        opens: time,
        closes: time,
        holiday_country: str | None = "CO",
        extra_closed: frozenset[date] = frozenset(),
    ) -> None:
        if not weekdays or not all(isinstance(d, int) and 0 <= d <= 6 for d in weekdays):
            raise ValueError(f"weekdays must be a non-empty set of 0 (Monday) … 6 (Sunday), got {sorted(weekdays)}")
        if opens >= closes:
            raise ValueError(f"opening time {opens:%H:%M} must be before closing time {closes:%H:%M}")
        if holiday_country is not None and country_entry(holiday_country) is None:
            raise ValueError(f"unknown holiday country {holiday_country!r}")
        self.tz = tz
        self.weekdays = frozenset(weekdays)
        self.opens = opens
        self.closes = closes
        self.holiday_country = holiday_country
        self.extra_closed = frozenset(extra_closed)
        self._holidays_by_year: dict[int, dict[date, str]] = {}

    def _holidays(self, year: int) -> dict[date, str]:
        cached = self._holidays_by_year.get(year)
        if cached is None:
            cached = {}
            if self.holiday_country is not None:
                cached = public_holidays(self.holiday_country, year)
            self._holidays_by_year[year] = cached
        return cached

    def closed_reason(self, day: date) -> str | None:
        """The reason a usual working day is closed (holiday name or "extra closed date"); None otherwise."""
        if day.weekday() not in self.weekdays:
            return None
        name = self._holidays(day.year).get(day)
        if name is not None:
            return name
        return "extra closed date" if day in self.extra_closed else None

    def is_open_day(self, day: date) -> bool:
        return day.weekday() in self.weekdays and self.closed_reason(day) is None

    def _hours(self, day: date) -> Interval:
        return datetime.combine(day, self.opens, tzinfo=self.tz), datetime.combine(day, self.closes, tzinfo=self.tz)

    def _next_open_day(self, day: date) -> date:
        """The first open day on or after `day`."""
        for offset in range(_MAX_CLOSED_DAYS):
            candidate = day + timedelta(days=offset)
            if self.is_open_day(candidate):
                return candidate
        raise ValueError(f"{self.describe()}: no open day within {_MAX_CLOSED_DAYS} days of {day}")

    def is_open(self, at: datetime) -> bool:
        local = ensure_aware(at).astimezone(self.tz)
        return self.is_open_day(local.date()) and self.opens <= local.time() < self.closes

    def next_opening(self, at: datetime) -> datetime:
        return next(self.open_intervals(at))[0]

    def open_intervals(self, start: datetime) -> Iterator[Interval]:
        local = ensure_aware(start).astimezone(self.tz)
        day = local.date()
        if local >= self._hours(day)[1]:
            day += timedelta(days=1)
        while True:
            day = self._next_open_day(day)
            opens, closes = self._hours(day)
            yield max(opens, local), closes
            day += timedelta(days=1)

    def describe(self) -> str:
        days = sorted(self.weekdays)
        if len(days) >= 3 and days == list(range(days[0], days[-1] + 1)):
            day_text = f"{_DAY_NAMES[days[0]]}–{_DAY_NAMES[days[-1]]}"
        else:
            day_text = ", ".join(_DAY_NAMES[d] for d in days)
        text = f"business hours {day_text} {self.opens:%H:%M}–{self.closes:%H:%M} {self.tz.key}"
        if self.holiday_country is not None:
            text += f", {self.holiday_country} holidays closed"
        if self.extra_closed:
            count = len(self.extra_closed)
            text += f", {count} extra closed date{'s' if count != 1 else ''}"
        return text


class AlwaysOpenCalendar:
    """7x24: every minute counts. Open intervals are whole local days, so walking them is cheap."""

    name = "always"

    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz

    def is_open(self, at: datetime) -> bool:
        ensure_aware(at)
        return True

    def next_opening(self, at: datetime) -> datetime:
        return ensure_aware(at).astimezone(self.tz)

    def open_intervals(self, start: datetime) -> Iterator[Interval]:
        current = ensure_aware(start).astimezone(self.tz)
        while True:
            midnight = datetime.combine(current.date() + timedelta(days=1), time(0), tzinfo=self.tz)
            yield current, midnight
            current = midnight

    def closed_reason(self, day: date) -> str | None:
        return None

    def describe(self) -> str:
        return f"every minute counts, 24 hours a day, 7 days a week ({self.tz.key})"


def _merge(pauses: Sequence[Interval]) -> list[Interval]:
    """Pauses in UTC, sorted, overlaps merged; empty ones dropped."""
    spans: list[Interval] = []
    for begin, end in pauses:
        ensure_aware(begin, "pause start")
        ensure_aware(end, "pause end")
        if end < begin:
            raise ValueError(f"pause ends ({end.isoformat()}) before it starts ({begin.isoformat()})")
        if end > begin:
            spans.append((begin.astimezone(UTC), end.astimezone(UTC)))
    spans.sort()
    merged: list[Interval] = []
    for begin, end in spans:
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((begin, end))
    return merged


def counted_pieces(calendar: Calendar, start: datetime, pauses: Sequence[Interval] = ()) -> Iterator[Interval]:
    """The calendar's open intervals from `start` minus the pauses, in UTC, chronological, forever."""
    merged = _merge(pauses)
    first = 0
    for open_begin, open_end in calendar.open_intervals(start):
        begin, end = open_begin.astimezone(UTC), open_end.astimezone(UTC)
        while first < len(merged) and merged[first][1] <= begin:
            first += 1  # this pause lies wholly before every interval still to come
        cursor = begin
        for pause_begin, pause_end in merged[first:]:
            if pause_begin >= end:
                break
            if pause_begin > cursor:
                yield cursor, pause_begin
            cursor = max(cursor, pause_end)
            if cursor >= end:
                break
        if cursor < end:
            yield cursor, end


def _append(counted: list[Interval], begin: datetime, end: datetime) -> None:
    """Add one counted interval, joining it to the previous one when they touch (7x24 days become one span)."""
    if counted and counted[-1][1] == begin:
        counted[-1] = (counted[-1][0], end)
    else:
        counted.append((begin, end))


def add_working_minutes(
    calendar: Calendar, start: datetime, minutes: int, pauses: Sequence[Interval] = ()
) -> tuple[datetime, list[Interval]]:
    """When `minutes` of open time, minus the pauses, have elapsed from `start`; and the intervals counted.

    Minutes that run out exactly at a closing time give that closing time. `minutes == 0` gives the first instant the
    clock runs (the next opening, past any pause). Results are in the calendar's time zone.
    """
    ensure_aware(start, "start")
    if minutes < 0:
        raise ValueError(f"minutes must be zero or positive, got {minutes}")
    remaining = timedelta(minutes=minutes)
    counted: list[Interval] = []
    for begin, end in counted_pieces(calendar, start, pauses):
        if remaining <= end - begin:
            due = begin + remaining
            if remaining:
                _append(counted, begin.astimezone(calendar.tz), due.astimezone(calendar.tz))
            return due.astimezone(calendar.tz), counted
        _append(counted, begin.astimezone(calendar.tz), end.astimezone(calendar.tz))
        remaining -= end - begin
    raise AssertionError("open_intervals() must never end")  # pragma: no cover
