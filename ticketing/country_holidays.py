"""One country's public holidays from the `holidays` package, with that country's module loaded alone.

`holidays.country_holidays("CO")` first imports `holidays.countries`, a package that imports all of the library's
country modules (about 250): some 8 MB that would stay in the gateway's memory for the one country it uses. The
library's own registry (`holidays.registry.COUNTRIES`) names the module and class behind each code; here that one
source file is imported directly (the `importlib` recipe "importing a source file directly"), under its own name.
"""

from __future__ import annotations

import importlib.util
import sys
from datetime import date
from pathlib import Path

import holidays
from holidays.registry import COUNTRIES

_COUNTRIES_FOLDER = Path(holidays.__file__).with_name("countries")


def country_entry(code: str) -> tuple[str, str] | None:
    """(module, class) of the calendar for an ISO 3166 code the library knows ("CO", "COL"); None if it has none."""
    wanted = code.strip().upper()
    for module, (class_name, *codes) in COUNTRIES.items():
        if wanted in codes:
            return module, class_name
    return None


def _calendar_class(code: str) -> type[holidays.HolidayBase]:
    entry = country_entry(code)
    if entry is None:
        raise ValueError(f"the holidays package has no calendar for {code!r}")
    module, class_name = entry
    name = f"holidays.countries.{module}"
    loaded = sys.modules.get(name)
    if loaded is None:
        spec = importlib.util.spec_from_file_location(name, _COUNTRIES_FOLDER / f"{module}.py")
        if spec is None or spec.loader is None:
            raise ValueError(f"the holidays package's calendar for {code!r} cannot be loaded")
        loaded = importlib.util.module_from_spec(spec)
        sys.modules[name] = loaded
        try:
            spec.loader.exec_module(loaded)
        except BaseException:
            del sys.modules[name]
            raise
    calendar: type[holidays.HolidayBase] = getattr(loaded, class_name)
    return calendar


def public_holidays(code: str, year: int) -> dict[date, str]:
    """The country's public holidays in `year`, with their names in the country's own language."""
    return dict(_calendar_class(code)(years=year).items())
