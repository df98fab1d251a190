"""`gateway report --from DATE --to DATE [--format table|csv|json|html] [--org ID] [--output FILE]`.

The compliance report of the tickets received in those days (both included, in the desk's time zone), as things
stand now: volumes by channel, priority, organisation and level; response and resolution compliance by priority
and organisation; median and 90th percentile times in business minutes; tickets not covered; reminders and
tickets closed for want of an answer (`ticketing.reports` says how each figure is counted). `table` is for people,
`csv` one row per figure for a spreadsheet, `json` the public fields, `html` one self-contained page with charts.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from gateway.cli import output as views
from gateway.cli.errors import CommandError
from gateway.config.loader import Settings
from gateway.config.sla_policy import build_sla_policy
from ticketing.customers import CustomerDirectory
from ticketing.ports import ReportReading, UnitOfWork
from ticketing.reports import Compliance, Report, as_json, build_report, with_names

FORMATS = ("table", "csv", "json", "html")


def parse_day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{option}: not a date: {text!r} (e.g. 2026-11-01)") from None


def period(first: date, last: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """[the first day's start, the day after the last's start) in the desk's time zone."""
    if last < first:
        raise CommandError(f"--to {last} is before --from {first}")
    return datetime.combine(first, time(), tz), datetime.combine(last + timedelta(days=1), time(), tz)


async def make_report(
    store: UnitOfWork[ReportReading],
    settings: Settings,
    since: datetime,
    until: datetime,
    org: str | None,
    now: datetime,
) -> Report:
    if org and org not in {organisation.id for organisation in settings.organisations}:
        raise CommandError(f"--org: no organisation {org!r} in customers.toml")
    async with store.transaction() as tx:
        rows = await tx.report_tickets(since, until, org)
    tz = ZoneInfo(settings.file.sla.timezone)
    return build_report(rows, build_sla_policy(settings), since, until, min(now, until), tz, org)


def render(report: Report, settings: Settings, form: str) -> str:
    """The report in `form`; for people (table, html) organisations go by their names, for programs by their ids."""
    if form in ("table", "html"):
        report = with_names(report, CustomerDirectory(settings.organisations).name_of)
    if form == "json":
        return json.dumps(as_json(report), ensure_ascii=False, indent=2)
    if form == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["section", "group", "figure", "value"])
        writer.writerows(_figures(report))
        return buffer.getvalue()
    if form == "html":
        from gateway.cli.report_html import render_html  # matplotlib: loaded only for this format

        return render_html(report, ZoneInfo(settings.file.sla.timezone), settings.file.gateway.company)
    return _table(report)


def write(text: str, output: str | None) -> None:
    if output is None:
        print(text, end="" if text.endswith("\n") else "\n")
        return
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as error:
        raise CommandError(f"--output: cannot write {output}: {error.strerror or error}") from None
    print(f"report written to {output}")


def _share(compliance: Compliance) -> str:
    return "-" if compliance.share is None else f"{compliance.share * 100:.1f}%"


def _minutes(value: float | None) -> str:
    if value is None:
        return "-"
    hours, minutes = divmod(round(value), 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


def _figures(report: Report) -> Iterator[list[object]]:
    yield ["tickets", "all", "count", report.tickets]
    yield ["tickets", "all", "not_covered", report.not_covered]
    for section, counts in (
        ("by_channel", report.by_channel),
        ("by_priority", report.by_priority),
        ("by_organisation", report.by_organisation),
        ("by_level", report.by_level),
        ("breaches_by_priority", report.breaches_by_priority),
    ):
        for group, count in counts.items():
            yield [section, group, "count", count]
    for section, table in (("priority", report.compliance), ("organisation", report.compliance_by_organisation)):
        for which, groups in table.items():
            for group, compliance in groups.items():
                name = f"{which}_compliance_by_{section}"
                yield [name, group, "met", compliance.met]
                yield [name, group, "due", compliance.due]
                yield [name, group, "share", "" if compliance.share is None else round(compliance.share, 4)]
    for which, durations in report.durations.items():
        yield [f"{which}_business_minutes", "all", "median", durations.median if durations.median is not None else ""]
        yield [f"{which}_business_minutes", "all", "p90", durations.p90 if durations.p90 is not None else ""]
    yield ["client", "all", "reminders", report.reminders]
    yield ["client", "all", "auto_closed", report.auto_closed]


def _table(report: Report) -> str:
    head = (
        f"Tickets received {report.since:%Y-%m-%d} to {report.until - timedelta(days=1):%Y-%m-%d}"
        + (f", organisation {report.organisation}" if report.organisation else "")
        + f": {report.tickets} ({report.not_covered} not covered); reminders {report.reminders}, "
        f"closed unanswered {report.auto_closed}"
    )
    groups = sorted(set(report.compliance.get("response", {})) | set(report.compliance.get("resolution", {})))
    empty = Compliance(0, 0)
    rows = [
        [
            group,
            str(report.by_priority.get(group, report.tickets - report.not_covered if group == "all" else 0)),
            _share(report.compliance.get("response", {}).get(group, empty)),
            _share(report.compliance.get("resolution", {}).get(group, empty)),
        ]
        for group in groups
    ]
    compliance = views.table(["PRIORITY", "TICKETS", "RESPONSE MET", "RESOLUTION MET"], rows)
    times = views.table(
        ["BUSINESS TIME", "MEDIAN", "P90", "COUNTED"],
        [[which, _minutes(d.median), _minutes(d.p90), str(d.count)] for which, d in report.durations.items()],
    )
    volumes = views.table(
        ["BY", "GROUP", "TICKETS"],
        [
            [section, group, str(count)]
            for section, counts in (
                ("channel", report.by_channel),
                ("organisation", report.by_organisation),
                ("level", report.by_level),
            )
            for group, count in counts.items()
        ],
    )
    return "\n\n".join([head, compliance, times, volumes])
