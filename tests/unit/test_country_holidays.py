"""The calendar's public holidays, loaded one country at a time, are the holidays package's own."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

import holidays
import pytest

from ticketing.country_holidays import country_entry, public_holidays


@pytest.mark.parametrize("code", ["CO", "COL", "MX", "US", "ES", "GB", "UK"])
@pytest.mark.parametrize("year", [2025, 2026, 2027])
def test_the_same_days_and_names_as_the_library_gives(code: str, year: int) -> None:
    assert public_holidays(code, year) == dict(holidays.country_holidays(code, years=year).items())


def test_colombias_holidays_move_to_the_next_monday() -> None:
    days = public_holidays("co", 2026)
    assert date(2026, 1, 12) in days and date(2026, 1, 6) not in days  # Epiphany, a Tuesday, is kept on Monday the 12th
    assert date(2026, 12, 25) in days


def test_an_unknown_code_has_no_calendar() -> None:
    assert country_entry("XX") is None
    with pytest.raises(ValueError, match="no calendar for 'XX'"):
        public_holidays("XX", 2026)


def test_one_country_is_loaded_without_the_others() -> None:
    """The point of loading one module: the library's ~250 other countries stay out of the gateway's memory."""
    code = (
        "import sys; from ticketing.country_holidays import public_holidays; public_holidays('CO', 2026); "
        "print(sum(name.startswith('holidays.countries.') for name in sys.modules), 'holidays.countries' in sys.modules)"
    )
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert shown == ["1", "False"]
