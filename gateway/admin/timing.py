"""Moments as the admin pages show them: "Tue 1 Dec 09:15" in the desk's zone, and "in 1 h 20 min" or
"3 days ago" beside a deadline or a last message."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo


def when(moment: datetime, tz: ZoneInfo) -> str:
    local = moment.astimezone(tz)
    return f"{local:%a} {local.day} {local:%b %Y %H:%M}"


def span(seconds: float) -> str:
    """A length of time in its two largest units, rounded down: "2 days 3 h", "1 h 05 min", "45 s"."""
    seconds = int(seconds)
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} day{'s' if days != 1 else ''}" + (f" {hours} h" if hours else "")
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min" if minutes else f"{secs} s"


def relative(moment: datetime, now: datetime) -> str:
    """How far `moment` is from `now`: "in 20 min", "20 min ago", "now"."""
    seconds = (moment - now).total_seconds()
    if abs(seconds) < 1:
        return "now"
    return f"in {span(seconds)}" if seconds > 0 else f"{span(-seconds)} ago"
