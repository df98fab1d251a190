"""Builds the SLA policy (targets and each plan's calendar) from the settings."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from gateway.config.loader import Settings
from ticketing.sla import AlwaysOpenCalendar, BusinessCalendar, Calendar, PriorityTargets, SlaPolicy, parse_target


def build_sla_policy(settings: Settings) -> SlaPolicy:
    sla = settings.file.sla
    tz = ZoneInfo(sla.timezone)
    hours = sla.business_hours
    calendars: dict[str, Calendar] = {
        "business": BusinessCalendar(
            tz,
            hours.weekday_numbers(),
            hours.opens,
            hours.closes,
            holiday_country=sla.holiday_country,
            extra_closed=frozenset(sla.extra_closed_dates),
        ),
        "always": AlwaysOpenCalendar(tz),
    }
    targets = {
        priority: PriorityTargets(parse_target(pair.response), parse_target(pair.resolution))
        for priority, pair in sla.priorities.items()
    }
    plan_calendars = {
        name: calendars[plan.calendar] if plan.covered else None for name, plan in settings.file.plans.items()
    }
    return SlaPolicy(targets, plan_calendars, sla.immediate_minutes)
