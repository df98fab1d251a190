"""Time as people read it, in their language (babel): a moment with the GMT offset the agreement uses, and the
desk's opening hours as the configured calendar has them.

"lunes 30 de noviembre de 2026, 09:00 (GMT-5)" in a reply, "lun 30 nov 09:00 (GMT-5)" in the agents' console,
"lunes a viernes de 8:00 a 16:30, GMT-5" wherever the opening hours are shown: change `[sla.business_hours]` and
every text follows.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Literal
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime, format_time, get_day_names
from babel.lists import format_list

DATE_FORMATS = {
    "es": "EEEE d 'de' MMMM 'de' y, HH:mm",
    "en": "EEEE, MMMM d, y, h:mm a",
}
SHORT_FORMAT = "EEE d MMM HH:mm"
HOURS = {  # days, opening, closing, zone
    "es": ("{days} de {opens} a {closes}, {zone}", "{first} a {last}"),
    "en": ("{days}, {opens} to {closes}, {zone}", "{first} to {last}"),
}


def gmt_label(moment: datetime) -> str:
    """ "GMT-5" for Bogota; minutes shown only when the offset has them ("GMT+5:30")."""
    offset = moment.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset else 0
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return f"GMT{sign}{hours}" + (f":{rest:02d}" if rest else "")


def format_moment(moment: datetime | None, language: str, tz: ZoneInfo) -> str:
    """The moment in full, in the desk's time zone: "lunes 30 de noviembre de 2026, 09:00 (GMT-5)"."""
    if moment is None:
        return ""
    local = moment.astimezone(tz)
    text = format_datetime(local, DATE_FORMATS.get(language, DATE_FORMATS["en"]), tzinfo=tz, locale=language)
    return f"{text} ({gmt_label(local)})"


def short_moment(moment: datetime, tz: ZoneInfo, language: str = "es") -> str:
    """The moment in a few characters: "lun 30 nov 09:00 (GMT-5)"."""
    local = moment.astimezone(tz)
    return f"{format_datetime(local, SHORT_FORMAT, tzinfo=tz, locale=language)} ({gmt_label(local)})"


@dataclass(frozen=True)
class OpeningHours:
    """The business calendar's facts: open `days` (0 = Monday) from `opens` to `closes` in `tz`."""

    days: frozenset[int]
    opens: time
    closes: time
    tz: ZoneInfo
    holiday_country: str | None = None  # whose public holidays are closed, e.g. "CO"

    def text(self, language: str, short: bool = False) -> str:
        """ "lunes a viernes de 8:00 a 16:30, GMT-5"; short: "lun–vie 8:00–16:30". Spelled once per language (every
        reply says it); only the zone's offset is read each time, as it may change with daylight saving."""
        language = language if language in HOURS else "en"
        if short:
            return _spelled(self, language, short=True)
        return _spelled(self, language, short=False).replace("{zone}", gmt_label(datetime.now(UTC).astimezone(self.tz)))

    def holidays_in(self, language: str) -> str:
        """The country whose public holidays are closed, named in `language` ("Colombia"); "" when none."""
        return _country(self.holiday_country, language) if self.holiday_country else ""


@functools.cache
def _spelled(hours: OpeningHours, language: str, short: bool) -> str:
    """The opening hours in words, with "{zone}" left for the offset (not short)."""
    opens, closes = _time(hours.opens, language), _time(hours.closes, language)
    if short:
        days = ", ".join(_days(hours.days, language, "abbreviated", "{first}–{last}"))
        return f"{days} {opens}–{closes}"
    pattern, span = HOURS[language]
    days = format_list(_days(hours.days, language, "wide", span), locale=language)
    return pattern.format(days=days, opens=opens, closes=closes, zone="{zone}")


@functools.cache
def _country(code: str, language: str) -> str:
    return str(Locale.parse(language).territories.get(code.upper(), code))


def _days(open_days: frozenset[int], language: str, width: Literal["abbreviated", "wide"], span: str) -> list[str]:
    """The open days in words: three or more in a row as a span ("lunes a viernes"), others one by one."""
    names = get_day_names(width, locale=language)
    words: list[str] = []
    for run in _runs(sorted(open_days)):
        if len(run) > 2:
            words.append(span.format(first=names[run[0]], last=names[run[-1]]))
        else:
            words.extend(names[day] for day in run)
    return words


def _time(moment: time, language: str) -> str:
    return format_time(moment, "H:mm", locale=language)


def _runs(days: list[int]) -> list[list[int]]:
    """Consecutive days together: [0, 1, 2, 4] -> [[0, 1, 2], [4]]."""
    runs: list[list[int]] = []
    for day in days:
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return runs
