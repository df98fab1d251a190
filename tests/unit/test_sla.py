"""SLA calendars and deadlines, against expectations computed by hand.

Business calendar: Mon–Fri 08:00–16:30 America/Bogota (UTC-5, a 510-minute day), Colombian holidays closed.
Colombian holidays relied on (checked against the installed `holidays` package):
2026-01-01 Thu New Year, 2026-01-12 Mon Epiphany (observed), 2026-04-02 Thu / 04-03 Fri Holy Week,
2026-11-02 Mon All Saints (observed), 2026-11-16 Mon Independence of Cartagena (observed); 2025-12-31 is a workday.
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from ticketing.sla import (
    AlwaysOpenCalendar,
    BusinessCalendar,
    PriorityTargets,
    SlaPolicy,
    Target,
    add_working_minutes,
    parse_target,
)
from ticketing.types import Priority

BOGOTA = ZoneInfo("America/Bogota")
MON_FRI = frozenset(range(5))


def at(text: str) -> datetime:
    """An aware datetime: "2026-11-27 15:00" is Bogota local time; ISO text with an offset or Z is taken as is."""
    if "T" in text:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    return datetime.fromisoformat(text).replace(tzinfo=BOGOTA)


def business(extra_closed: frozenset[date] = frozenset(), country: str | None = "CO") -> BusinessCalendar:
    return BusinessCalendar(BOGOTA, MON_FRI, time(8), time(16, 30), country, extra_closed)


def agreement() -> SlaPolicy:
    def targets(response: str, resolution: str) -> PriorityTargets:
        return PriorityTargets(parse_target(response), parse_target(resolution))

    return SlaPolicy(
        {
            Priority.CRITICAL: targets("immediate", "immediate"),
            Priority.HIGH: targets("1h", "4h"),
            Priority.MEDIUM: targets("2h", "4h"),
            Priority.LOW: targets("4h", "8h"),
            Priority.PLANNED: targets("planned", "planned"),
        },
        {"standard": business(), "7x24": AlwaysOpenCalendar(BOGOTA), "free": None},
    )


# (priority, plan, received, clock_starts, response_due, resolution_due) — local Bogota times unless ISO with offset.
DEADLINES = [
    # Fri 15:00 open. Response 60: 15:00-16:00. Resolution 240: Fri 15:00-16:30 = 90, 150 left -> Mon 08:00+2:30.
    ("high", "standard", "2026-11-27 15:00", "2026-11-27 15:00", "2026-11-27 16:00", "2026-11-30 10:30"),
    # 20:00Z = 15:00 Bogota on the same Friday: same answer as above, given back in -05:00.
    ("high", "standard", "2026-11-27T20:00:00Z", "2026-11-27 15:00", "2026-11-27 16:00", "2026-11-30 10:30"),
    # 16:30 sharp is closed: clock starts Mon 08:00. Response 09:00, resolution 08:00+4h = 12:00.
    ("high", "standard", "2026-11-27 16:30", "2026-11-30 08:00", "2026-11-30 09:00", "2026-11-30 12:00"),
    # 16:30 Fri 13 Nov; Mon 16 Nov is a holiday (Cartagena observed): clock starts Tue 17 08:00.
    ("high", "standard", "2026-11-13 16:30", "2026-11-17 08:00", "2026-11-17 09:00", "2026-11-17 12:00"),
    # 16:29 Fri: 1 min Fri. Response 59 left -> Mon 08:59. Resolution 239 left -> Mon 08:00+3:59 = 11:59.
    ("high", "standard", "2026-11-27 16:29", "2026-11-27 16:29", "2026-11-30 08:59", "2026-11-30 11:59"),
    # Fri 9 Jan 15:30: 60 min Fri; Mon 12 Jan Epiphany (observed) closed. Response 60 left -> Tue 13 09:00;
    # resolution 180 left -> Tue 13 11:00.
    ("medium", "standard", "2026-01-09 15:30", "2026-01-09 15:30", "2026-01-13 09:00", "2026-01-13 11:00"),
    # Fri 30 Oct 14:00: 150 min Fri; Mon 2 Nov All Saints (observed) closed. Response 90 left -> Tue 3 09:30;
    # resolution 330 left -> Tue 3 08:00+5:30 = 13:30.
    ("low", "standard", "2026-10-30 14:00", "2026-10-30 14:00", "2026-11-03 09:30", "2026-11-03 13:30"),
    # Holy Week: Wed 1 Apr 16:00, 30 min Wed; Thu 2 and Fri 3 holidays, weekend. Response 30 left -> Mon 6 08:30;
    # resolution 210 left -> Mon 6 11:30.
    ("high", "standard", "2026-04-01 16:00", "2026-04-01 16:00", "2026-04-06 08:30", "2026-04-06 11:30"),
    # Year end: Wed 31 Dec 2025 15:00, 90 min; Thu 1 Jan holiday. Response 30 left -> Fri 2 Jan 08:30;
    # resolution 150 left -> Fri 2 Jan 10:30.
    ("medium", "standard", "2025-12-31 15:00", "2025-12-31 15:00", "2026-01-02 08:30", "2026-01-02 10:30"),
    # 08:00 sharp is open: response 12:00; resolution 480 < 510, same day 16:00.
    ("low", "standard", "2026-11-24 08:00", "2026-11-24 08:00", "2026-11-24 12:00", "2026-11-24 16:00"),
    # Low spanning two days: Tue 09:00, 450 min Tue; resolution 30 left -> Wed 08:30. Response 13:00.
    ("low", "standard", "2026-11-24 09:00", "2026-11-24 09:00", "2026-11-24 13:00", "2026-11-25 08:30"),
    # Resolution ending exactly at closing: Thu 12:30 + 240 = 16:30 the same day (not the next opening).
    ("medium", "standard", "2026-11-26 12:30", "2026-11-26 12:30", "2026-11-26 14:30", "2026-11-26 16:30"),
    # Night: Tue 22:00 -> Wed 08:00. Response 10:00, resolution 12:00.
    ("medium", "standard", "2026-11-24 22:00", "2026-11-25 08:00", "2026-11-25 10:00", "2026-11-25 12:00"),
    # 04:00Z Wed = Tue 23:00 Bogota -> Wed 08:00. Response 09:00, resolution 12:00.
    ("high", "standard", "2026-11-25T04:00:00Z", "2026-11-25 08:00", "2026-11-25 09:00", "2026-11-25 12:00"),
    # Before opening: Wed 06:15 -> 08:00. Response 09:00, resolution 12:00.
    ("high", "standard", "2026-11-25 06:15", "2026-11-25 08:00", "2026-11-25 09:00", "2026-11-25 12:00"),
    # Weekend: Sat 11:00 -> Mon 08:00. Response 12:00; resolution 480 -> 16:00.
    ("low", "standard", "2026-11-28 11:00", "2026-11-30 08:00", "2026-11-30 12:00", "2026-11-30 16:00"),
    # Critical at night on standard: 15 min on the 24x7 clock from 22:00 -> 22:15 (clock_starts is still the
    # business calendar's next opening, Wed 08:00).
    ("critical", "standard", "2026-11-24 22:00", "2026-11-25 08:00", "2026-11-24 22:15", "2026-11-24 22:15"),
    # Critical on a Saturday, given in UTC: 03:50Z Sun = Sat 22:50 Bogota -> 23:05 Sat; next opening Mon 08:00.
    ("critical", "standard", "2026-11-29T03:50:00Z", "2026-11-30 08:00", "2026-11-28 23:05", "2026-11-28 23:05"),
    # Critical on 7x24 across midnight: Fri 23:50 + 15 = Sat 00:05.
    ("critical", "7x24", "2026-11-27 23:50", "2026-11-27 23:50", "2026-11-28 00:05", "2026-11-28 00:05"),
    # 7x24 across midnight on a weekend: Sat 23:30 +1h = Sun 00:30, +4h = Sun 03:30.
    ("high", "7x24", "2026-11-28 23:30", "2026-11-28 23:30", "2026-11-29 00:30", "2026-11-29 03:30"),
    # 7x24: Fri 20:00 +4h = Sat 00:00, +8h = Sat 04:00.
    ("low", "7x24", "2026-11-27 20:00", "2026-11-27 20:00", "2026-11-28 00:00", "2026-11-28 04:00"),
    # 7x24 ignores holidays: Mon 16 Nov 10:00 +2h = 12:00, +4h = 14:00.
    ("medium", "7x24", "2026-11-16 10:00", "2026-11-16 10:00", "2026-11-16 12:00", "2026-11-16 14:00"),
    # Planned: no deadlines; the clock start is still the next opening (Fri 15:00 is open).
    ("planned", "standard", "2026-11-27 15:00", "2026-11-27 15:00", None, None),
    ("planned", "7x24", "2026-11-28 03:00", "2026-11-28 03:00", None, None),
    # Free is not covered: nothing at all.
    ("high", "free", "2026-11-27 15:00", None, None, None),
    ("critical", "free", "2026-11-28 03:00", None, None, None),
]


def optional(text: str | None) -> datetime | None:
    return None if text is None else at(text)


@pytest.mark.parametrize(("priority", "plan", "received", "starts", "response", "resolution"), DEADLINES)
def test_deadlines(
    priority: str, plan: str, received: str, starts: str | None, response: str | None, resolution: str | None
) -> None:
    result = agreement().compute(Priority(priority), plan, at(received))
    assert result.covered is (plan != "free")
    assert result.clock_starts == optional(starts)
    assert result.response_due == optional(response)
    assert result.resolution_due == optional(resolution)
    if result.covered:  # given back in the calendar's zone, whatever zone the receipt came in
        for value in (result.received_at, result.clock_starts, result.response_due, result.resolution_due):
            assert value is None or value.tzinfo == BOGOTA


# (priority, plan, received, pauses, response_due, resolution_due)
PAUSES = [
    # Pause 09:30-10:00 inside hours: response 30 + 30 from 10:00 -> 10:30; resolution 30 + 210 -> 13:30.
    (
        "high",
        "standard",
        "2026-11-24 09:00",
        [("2026-11-24 09:30", "2026-11-24 10:00")],
        "2026-11-24 10:30",
        "2026-11-24 13:30",
    ),
    # Pause Fri 16:00 -> Mon 09:00, partly outside hours: it hides 30 min Fri + 60 min Mon of open time.
    # Response 60 fits 15:00-16:00 -> 16:00 (unchanged). Resolution 60 Fri, 180 left from Mon 09:00 -> 12:00.
    (
        "high",
        "standard",
        "2026-11-27 15:00",
        [("2026-11-27 16:00", "2026-11-30 09:00")],
        "2026-11-27 16:00",
        "2026-11-30 12:00",
    ),
    # Pause wholly on the weekend hides no open time: low from Fri 15:00 is as without pause,
    # response 90 Fri + 150 -> Mon 10:30; resolution 90 + 390 -> Mon 14:30.
    (
        "low",
        "standard",
        "2026-11-27 15:00",
        [("2026-11-28 10:00", "2026-11-29 18:00")],
        "2026-11-30 10:30",
        "2026-11-30 14:30",
    ),
    # Pause already running at receipt (08:30-10:00): counting starts 10:00 -> response 11:00, resolution 14:00.
    (
        "high",
        "standard",
        "2026-11-24 09:00",
        [("2026-11-24 08:30", "2026-11-24 10:00")],
        "2026-11-24 11:00",
        "2026-11-24 14:00",
    ),
    # Overlapping pauses, unsorted: they merge into 09:30-10:30. Response 30 + 30 -> 11:00; resolution 30 + 210
    # from 10:30 -> 14:00.
    (
        "high",
        "standard",
        "2026-11-24 09:00",
        [("2026-11-24 10:00", "2026-11-24 10:30"), ("2026-11-24 09:30", "2026-11-24 10:15")],
        "2026-11-24 11:00",
        "2026-11-24 14:00",
    ),
    # 7x24 pause across midnight, Fri 23:45 - Sat 00:15: response 15 + 45 from 00:15 -> 01:00;
    # resolution 15 + 225 -> 04:00.
    (
        "high",
        "7x24",
        "2026-11-27 23:30",
        [("2026-11-27 23:45", "2026-11-28 00:15")],
        "2026-11-28 01:00",
        "2026-11-28 04:00",
    ),
    # Pauses still apply to "immediate": 22:00-22:05 counted, pause 22:05-22:35, 10 left -> 22:45.
    (
        "critical",
        "standard",
        "2026-11-24 22:00",
        [("2026-11-24 22:05", "2026-11-24 22:35")],
        "2026-11-24 22:45",
        "2026-11-24 22:45",
    ),
    # Pause given in UTC: 14:30Z-15:00Z = 09:30-10:00 Bogota, same as the first case.
    (
        "high",
        "standard",
        "2026-11-24 09:00",
        [("2026-11-24T14:30:00Z", "2026-11-24T15:00:00Z")],
        "2026-11-24 10:30",
        "2026-11-24 13:30",
    ),
]


@pytest.mark.parametrize(("priority", "plan", "received", "pauses", "response", "resolution"), PAUSES)
def test_pauses_move_deadlines_later(
    priority: str, plan: str, received: str, pauses: list[tuple[str, str]], response: str, resolution: str
) -> None:
    result = agreement().compute(Priority(priority), plan, at(received), [(at(a), at(b)) for a, b in pauses])
    assert (result.response_due, result.resolution_due) == (at(response), at(resolution))


# (calendar, start, minutes, pauses, due, counted intervals)
WORKING_MINUTES = [
    # Zero minutes on a Saturday: the next opening, Mon 08:00; nothing counted.
    ("business", "2026-11-28 10:00", 0, [], "2026-11-30 08:00", []),
    # Zero minutes before opening, with a pause over the opening: the clock first runs at 08:20.
    ("business", "2026-11-30 07:00", 0, [("2026-11-30 08:00", "2026-11-30 08:20")], "2026-11-30 08:20", []),
    # Resolution of the Friday case: Fri 15:00-16:30 (90) then Mon 08:00-10:30 (150).
    (
        "business",
        "2026-11-27 15:00",
        240,
        [],
        "2026-11-30 10:30",
        [("2026-11-27 15:00", "2026-11-27 16:30"), ("2026-11-30 08:00", "2026-11-30 10:30")],
    ),
    # Five full days from Mon 08:00 (5 x 510 = 2550): ends Fri 16:30, each day counted whole.
    (
        "business",
        "2026-11-23 08:00",
        2550,
        [],
        "2026-11-27 16:30",
        [(f"2026-11-{d} 08:00", f"2026-11-{d} 16:30") for d in (23, 24, 25, 26, 27)],
    ),
    # 7x24, three days (4320 min) from Fri 12:00 -> Mon 12:00, counted as one span.
    ("always", "2026-11-27 12:00", 3 * 1440, [], "2026-11-30 12:00", [("2026-11-27 12:00", "2026-11-30 12:00")]),
    # 7x24 with a 2-hour pause Sat 10:00-12:00: 60 min -> 1h later; counted split around the pause.
    (
        "always",
        "2026-11-28 09:00",
        120,
        [("2026-11-28 10:00", "2026-11-28 12:00")],
        "2026-11-28 13:00",
        [("2026-11-28 09:00", "2026-11-28 10:00"), ("2026-11-28 12:00", "2026-11-28 13:00")],
    ),
]


@pytest.mark.parametrize(("kind", "start", "minutes", "pauses", "due", "counted"), WORKING_MINUTES)
def test_add_working_minutes(
    kind: str,
    start: str,
    minutes: int,
    pauses: list[tuple[str, str]],
    due: str,
    counted: list[tuple[str, str]],
) -> None:
    calendar = business() if kind == "business" else AlwaysOpenCalendar(BOGOTA)
    got_due, got_counted = add_working_minutes(calendar, at(start), minutes, [(at(a), at(b)) for a, b in pauses])
    assert got_due == at(due)
    assert got_counted == [(at(a), at(b)) for a, b in counted]


def test_always_open_walks_day_sized_chunks() -> None:
    intervals = AlwaysOpenCalendar(BOGOTA).open_intervals(at("2026-11-27T17:00:00Z"))  # 12:00 Bogota
    # First the rest of Friday, then whole days.
    assert [next(intervals) for _ in range(3)] == [
        (at("2026-11-27 12:00"), at("2026-11-28 00:00")),
        (at("2026-11-28 00:00"), at("2026-11-29 00:00")),
        (at("2026-11-29 00:00"), at("2026-11-30 00:00")),
    ]


def test_a_year_of_7x24_minutes_is_cheap() -> None:
    # 365 days from 1 Jan 2026 00:00 on 7x24 -> 1 Jan 2027 00:00; one merged span.
    due, counted = add_working_minutes(AlwaysOpenCalendar(BOGOTA), at("2026-01-01 00:00"), 365 * 1440)
    assert due == at("2027-01-01 00:00")
    assert counted == [(at("2026-01-01 00:00"), at("2027-01-01 00:00"))]


# (calendar, instant, open?)
IS_OPEN = [
    ("co", "2026-11-27 08:00", True),  # opening is included
    ("co", "2026-11-27 07:59:59", False),
    ("co", "2026-11-27 16:29:59", True),
    ("co", "2026-11-27 16:30", False),  # closing is excluded
    ("co", "2026-11-28 10:00", False),  # Saturday
    ("co", "2026-11-16 10:00", False),  # Independence of Cartagena (observed)
    ("co", "2026-04-03 10:00", False),  # Good Friday
    ("co", "2026-11-27T13:00:00Z", True),  # 08:00 Bogota
    ("co", "2026-11-27T21:30:00Z", False),  # 16:30 Bogota
    ("none", "2026-11-16 10:00", True),  # no holiday country: a Monday like any other
    ("extra", "2026-11-30 10:00", False),  # Mon 30 Nov given as an extra closed date
]


@pytest.mark.parametrize(("which", "instant", "expected"), IS_OPEN)
def test_is_open(which: str, instant: str, expected: bool) -> None:
    calendar = {
        "co": business(),
        "none": business(country=None),
        "extra": business(extra_closed=frozenset({date(2026, 11, 30)})),
    }[which]
    assert calendar.is_open(at(instant)) is expected


# (extra closed dates, instant, next opening)
NEXT_OPENING = [
    ((), "2026-11-24 10:00", "2026-11-24 10:00"),  # open: the instant itself
    ((), "2026-11-27 16:30", "2026-11-30 08:00"),  # Fri closing -> Mon
    ((), "2026-11-13 16:30", "2026-11-17 08:00"),  # Mon 16 Nov holiday -> Tue
    ((date(2026, 11, 30),), "2026-11-27 16:30", "2026-12-01 08:00"),  # extra closed Mon 30 -> Tue 1 Dec
    ((), "2025-12-31 16:45", "2026-01-02 08:00"),  # Jan 1 holiday, across the year
]


@pytest.mark.parametrize(("extra", "instant", "expected"), NEXT_OPENING)
def test_next_opening(extra: tuple[date, ...], instant: str, expected: str) -> None:
    assert business(extra_closed=frozenset(extra)).next_opening(at(instant)) == at(expected)


def test_describe() -> None:
    assert business().describe() == "business hours Mon–Fri 08:00–16:30 America/Bogota, CO holidays closed"
    assert business(frozenset({date(2026, 12, 24)})).describe() == (
        "business hours Mon–Fri 08:00–16:30 America/Bogota, CO holidays closed, 1 extra closed date"
    )
    assert AlwaysOpenCalendar(BOGOTA).name == "always" and business().name == "business"


# (text, expected target)
GOOD_TARGETS = [
    ("1h", Target("minutes", 60)),
    ("4h", Target("minutes", 240)),
    ("90m", Target("minutes", 90)),
    ("1h30m", Target("minutes", 90)),
    ("2 h", Target("minutes", 120)),
    (" 8H ", Target("minutes", 480)),
    ("45 min", Target("minutes", 45)),
    ("immediate", Target("immediate")),
    ("Inmediata", Target("immediate")),
    ("planned", Target("planned")),
    ("planificado", Target("planned")),
]


@pytest.mark.parametrize(("text", "expected"), GOOD_TARGETS)
def test_parse_target(text: str, expected: Target) -> None:
    assert parse_target(text) == expected


@pytest.mark.parametrize("text", ["", "soon", "1.5h", "h", "0h", "0m", "-1h", "1d", "30m1h", "4 hours please"])
def test_parse_target_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="invalid SLA target") as error:
        parse_target(text)
    assert repr(text) in str(error.value) and "\n" not in str(error.value)


def test_naive_datetimes_are_rejected() -> None:
    naive = datetime(2026, 11, 27, 15, 0)
    policy = agreement()
    with pytest.raises(ValueError, match="naive"):
        policy.compute(Priority.HIGH, "standard", naive)
    with pytest.raises(ValueError, match="naive"):
        policy.compute(Priority.HIGH, "free", naive)
    with pytest.raises(ValueError, match="naive"):
        policy.compute(Priority.HIGH, "standard", at("2026-11-27 15:00"), [(naive, at("2026-11-27 16:00"))])
    with pytest.raises(ValueError, match="naive"):
        business().is_open(naive)
    with pytest.raises(ValueError, match="naive"):
        add_working_minutes(AlwaysOpenCalendar(BOGOTA), naive, 10)


def test_unknown_plan_and_coverage() -> None:
    policy = agreement()
    assert policy.plans() == ["standard", "7x24", "free"]
    assert policy.is_covered("standard") and policy.is_covered("7x24") and not policy.is_covered("free")
    with pytest.raises(ValueError) as error:
        policy.compute(Priority.HIGH, "x", at("2026-11-27 15:00"))
    assert str(error.value) == "unknown plan 'x' (known: standard, 7x24, free)"


# (priority, plan, received, pauses, phrases the explanation must contain)
EXPLANATIONS = [
    # Outside hours: the clock start is named, and the holiday skipped.
    (
        "high",
        "standard",
        "2026-11-13 16:30",
        [],
        ["clock starts at the next opening, Tue 2026-11-17 08:00", "Independence of Cartagena"],
    ),
    # Inside hours, counted intervals named.
    (
        "high",
        "standard",
        "2026-11-27 15:00",
        [],
        ["clock starts at once", "Fri 2026-11-27 15:00–16:30 and Mon 2026-11-30 08:00–10:30"],
    ),
    ("critical", "standard", "2026-11-24 22:00", [], ["inmediata", "15 minutes on the 24x7 clock"]),
    ("planned", "standard", "2026-11-24 10:00", [], ["a date will be agreed"]),
    ("high", "free", "2026-11-24 10:00", [], ["not covered"]),
    # Pause 09:30-10:00 hides 30 minutes of open time.
    (
        "high",
        "standard",
        "2026-11-24 09:00",
        [("2026-11-24 09:30", "2026-11-24 10:00")],
        ["stood still for 30 min", "waited on the client"],
    ),
]


@pytest.mark.parametrize(("priority", "plan", "received", "pauses", "phrases"), EXPLANATIONS)
def test_explanation(
    priority: str, plan: str, received: str, pauses: list[tuple[str, str]], phrases: list[str]
) -> None:
    result = agreement().compute(Priority(priority), plan, at(received), [(at(a), at(b)) for a, b in pauses])
    text = " ".join(result.explanation)
    for phrase in phrases:
        assert phrase in text


def test_to_json() -> None:
    policy = agreement()
    # Received in UTC (20:00Z = Fri 15:00 Bogota); every instant comes back with the -05:00 offset.
    assert policy.compute(Priority.HIGH, "standard", at("2026-11-27T20:00:00Z")).to_json() == {
        "priority": "high",
        "plan": "standard",
        "covered": True,
        "received_at": "2026-11-27T15:00:00-05:00",
        "clock_starts": "2026-11-27T15:00:00-05:00",
        "response_due": "2026-11-27T16:00:00-05:00",
        "resolution_due": "2026-11-30T10:30:00-05:00",
        "calendar": "business hours Mon–Fri 08:00–16:30 America/Bogota, CO holidays closed",
        "explanation": policy.compute(Priority.HIGH, "standard", at("2026-11-27T20:00:00Z")).explanation,
    }
    planned = policy.compute(Priority.PLANNED, "standard", at("2026-11-28 10:00")).to_json()
    assert (planned["clock_starts"], planned["response_due"], planned["resolution_due"]) == (
        "2026-11-30T08:00:00-05:00",
        None,
        None,
    )
    free = policy.compute(Priority.HIGH, "free", at("2026-11-28 10:00")).to_json()
    assert (free["covered"], free["clock_starts"], free["response_due"], free["resolution_due"]) == (
        False,
        None,
        None,
        None,
    )


def test_configuration_errors() -> None:
    with pytest.raises(ValueError, match="before closing"):
        BusinessCalendar(BOGOTA, MON_FRI, time(17), time(8))
    with pytest.raises(ValueError, match="weekdays"):
        BusinessCalendar(BOGOTA, frozenset(), time(8), time(16, 30))
    with pytest.raises(ValueError, match="unknown holiday country"):
        BusinessCalendar(BOGOTA, MON_FRI, time(8), time(16, 30), "XX")
    with pytest.raises(ValueError, match="missing for priorities: planned"):
        SlaPolicy({p: PriorityTargets(Target("immediate"), Target("immediate")) for p in list(Priority)[:-1]}, {})
