"""Compliance reports over a generated month of tickets (November 2026), each figure computed by hand below.

Standard plan: Monday to Friday 08:00-16:30 in Bogota, Colombian holidays closed; high = 1 h / 4 h, low = 4 h / 8 h,
critical = 15 min on the 24x7 clock. The report is taken at Monday 30 November 16:10, when T9's deadlines have not
come yet.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import at
from tests.unit.desk import policy
from ticketing.reports import ReportTicket, as_json, build_report, percentile
from ticketing.types import Priority, Status, Ticket

BOGOTA = ZoneInfo("America/Bogota")
SINCE, UNTIL = at("2026-11-01T05:00:00"), at("2026-12-01T05:00:00")  # November, in Bogota
AS_OF = at("2026-11-30T21:10:00")  # Monday 30 November 16:10 in Bogota


def local(text: str) -> datetime:
    return at(text + "-05:00")


def ticket(
    number: int,
    received: str,
    priority: Priority,
    channel: str,
    *,
    plan: str = "standard",
    organisation: str | None = "andina",
    responded: str | None = None,
    resolved: str | None = None,
    status: Status = Status.OPEN,
) -> Ticket:
    received_at = local(received)
    covered = status is not Status.NOT_COVERED
    deadlines = policy().compute(priority, plan, received_at) if covered else None
    return Ticket(
        number=f"TL-{number:06d}",
        requester_address=f"t{number}@example.com",
        requester_name="",
        channel=channel,
        organisation=organisation,
        plan=plan,
        status=Status.RESOLVED if resolved else status,
        priority=priority,
        level=1 if resolved else None,
        subject="x",
        language="es",
        received_at=received_at,
        response_due=deadlines.response_due if deadlines else None,
        resolution_due=deadlines.resolution_due if deadlines else None,
        responded_at=local(responded) if responded else None,
        resolved_at=local(resolved) if resolved else None,
        id=number,
    )


MONTH = [
    # T1: answered after 30 min (met), resolved at 12:00 after 180 min (met: due 13:00)
    ReportTicket(ticket(1, "2026-11-03T09:00:00", Priority.HIGH, "email", responded="2026-11-03T09:30:00",
                        resolved="2026-11-03T12:00:00")),
    # T2: 45 min (met); resolved Wednesday 09:00: 450 min on Tuesday + 60 = 510 (missed)
    ReportTicket(ticket(2, "2026-11-10T09:00:00", Priority.HIGH, "email", responded="2026-11-10T09:45:00",
                        resolved="2026-11-11T09:00:00")),
    # T3: 90 min (missed); never resolved (missed); asked for information, reminded, closed unanswered
    ReportTicket(ticket(3, "2026-11-17T09:00:00", Priority.HIGH, "whatsapp", responded="2026-11-17T10:30:00"),
                 reminders=1, auto_closed=True),
    # T4: 120 min (missed), unresolved (missed)
    ReportTicket(ticket(4, "2026-11-24T09:00:00", Priority.HIGH, "slack", responded="2026-11-24T11:00:00",
                        organisation="norte")),
    # T5: low, 120 min (met: due 13:00), unresolved (missed)
    ReportTicket(ticket(5, "2026-11-04T09:00:00", Priority.LOW, "web", responded="2026-11-04T11:00:00")),
    # T6: low, never answered: due Wednesday 13:00, long past (missed both)
    ReportTicket(ticket(6, "2026-11-04T09:00:00", Priority.LOW, "email"), reminders=1),
    # T7: 7x24 critical on a Saturday night, answered after 10 min (met), unresolved (missed)
    ReportTicket(ticket(7, "2026-11-07T22:00:00", Priority.CRITICAL, "whatsapp", plan="7x24",
                        responded="2026-11-07T22:10:00", organisation="norte")),
    # T8: a sender without a contract: counted, never in compliance
    ReportTicket(ticket(8, "2026-11-05T10:00:00", Priority.HIGH, "web", plan="free", organisation=None,
                        status=Status.NOT_COVERED)),
    # T9: received Monday 30 at 16:00: response due Tuesday 08:30, after the report's moment (not counted)
    ReportTicket(ticket(9, "2026-11-30T16:00:00", Priority.HIGH, "email")),
    # T10: received in December: not in the report
    ReportTicket(ticket(10, "2026-12-01T09:00:00", Priority.HIGH, "email")),
]  # fmt: skip


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    return as_json(build_report(MONTH, policy(), SINCE, UNTIL, AS_OF, BOGOTA))


def test_volumes(report: dict[str, Any]) -> None:
    assert (report["tickets"], report["not_covered"]) == (9, 1)
    assert report["by_channel"] == {"email": 4, "slack": 1, "web": 2, "whatsapp": 2}
    assert report["by_priority"] == {"critical": 1, "high": 6, "low": 2}
    assert report["by_organisation"] == {"(none)": 1, "andina": 6, "norte": 2}
    assert report["by_level"] == {"-": 6, "1": 2}
    assert (report["reminders"], report["auto_closed"]) == (2, 1)


def test_compliance_by_priority_and_organisation(report: dict[str, Any]) -> None:
    response, resolution = report["compliance"]["response"], report["compliance"]["resolution"]
    # Response due: T1-T7 (T8 not covered, T9 not yet due). Met: T1, T2, T5, T7.
    assert response["all"] == {"met": 4, "due": 7, "share": 4 / 7}
    assert (response["high"]["met"], response["high"]["due"]) == (2, 4)
    assert (response["low"]["met"], response["low"]["due"]) == (1, 2)
    assert (response["critical"]["met"], response["critical"]["due"]) == (1, 1)
    # Resolution due: T1-T7 again (all past their deadlines by the 30th). Met: T1 only.
    assert resolution["all"] == {"met": 1, "due": 7, "share": 1 / 7}
    by_org = report["compliance_by_organisation"]["response"]
    assert (by_org["andina"]["met"], by_org["andina"]["due"]) == (3, 5)  # T1, T2, T5 of T1, T2, T3, T5, T6
    assert (by_org["norte"]["met"], by_org["norte"]["due"]) == (1, 2)  # T7 of T4, T7


def test_business_times_median_and_p90(report: dict[str, Any]) -> None:
    # Responses: 30, 45, 90, 120, 120 business minutes and T7's 10 on the 24x7 clock.
    # Sorted 10, 30, 45, 90, 120, 120: median (45 + 90) / 2 = 67.5; p90 = rank ceil(5.4) = 6 -> 120.
    assert report["business_minutes"]["response"] == {"count": 6, "median": 67.5, "p90": 120.0}
    # Resolutions: T1 180, T2 510 (450 on Tuesday, 60 on Wednesday): median 345, p90 = rank 2 -> 510.
    assert report["business_minutes"]["resolution"] == {"count": 2, "median": 345.0, "p90": 510.0}


def test_weeks_and_breaches(report: dict[str, Any]) -> None:
    weeks = {week["starts"]: week for week in report["weeks"]}
    assert list(weeks) == ["2026-11-02", "2026-11-09", "2026-11-16", "2026-11-23", "2026-11-30"]
    assert weeks["2026-11-02"]["tickets"] == 5  # T1, T5, T6, T7 and the uncovered T8
    assert weeks["2026-11-02"]["response"] == 3 / 4  # T1, T5, T7 met; T6 missed
    assert weeks["2026-11-16"]["response"] == 0.0 and weeks["2026-11-30"]["response"] is None
    assert report["breaches_by_priority"] == {}  # no ticket here recorded a breach


def test_one_organisation_and_the_nearest_rank_percentile() -> None:
    norte = [row for row in MONTH if row.ticket.organisation == "norte"]
    only = as_json(build_report(norte, policy(), SINCE, UNTIL, AS_OF, BOGOTA, organisation="norte"))
    assert (only["tickets"], only["organisation"]) == (2, "norte")
    assert percentile([], 0.9) is None and percentile([5.0], 0.9) == 5.0
    assert percentile([float(n) for n in range(1, 11)], 0.9) == 9.0  # rank ceil(9.0) = 9
