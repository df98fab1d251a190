"""The compliance report as one self-contained HTML page (`gateway.cli.report_html`): the figures a manager reads,
the data escaped, nothing fetched from anywhere; and the same page in a real headless Chromium, its three charts
drawn (screenshot: test-output/report.png)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from gateway.cli.report_html import render_html
from tests.browser import SHOTS
from tests.browser import browser as browser  # a headless Chromium
from ticketing.reports import Compliance, Durations, Report, Week

BOGOTA = ZoneInfo("America/Bogota")
EVIL = "<b>Evil</b> & Co"


def month() -> Report:
    """October 2026 in Bogotá: four weeks, one with nothing due yet for the response."""
    c = Compliance
    return Report(
        since=datetime(2026, 10, 1, tzinfo=BOGOTA),
        until=datetime(2026, 11, 1, tzinfo=BOGOTA),
        as_of=datetime(2026, 10, 28, 17, 0, tzinfo=BOGOTA),
        organisation=None,
        tickets=12,
        not_covered=1,
        by_channel={"email": 5, "slack": 2, "web": 1, "whatsapp": 4},
        by_priority={"critical": 1, "high": 3, "low": 2, "medium": 6},
        by_organisation={"(none)": 1, EVIL: 4, "Clínica del Norte": 7},
        by_level={"1": 8, "2": 3},
        compliance={
            "response": {"all": c(7, 8), "critical": c(1, 1), "high": c(2, 3), "medium": c(4, 4), "low": c(0, 0)},
            "resolution": {"all": c(2, 3), "high": c(1, 2), "medium": c(1, 1)},
        },
        compliance_by_organisation={
            "response": {"all": c(7, 8), EVIL: c(3, 4), "Clínica del Norte": c(4, 4)},
            "resolution": {"all": c(2, 3), EVIL: c(0, 1), "Clínica del Norte": c(2, 2)},
        },
        durations={"response": Durations(8, 90.0, 45.0), "resolution": Durations(3, 600.0, None)},
        breaches_by_priority={"high": 2, "critical": 0},
        reminders=3,
        auto_closed=1,
        weeks=[
            Week(date(2026, 9, 28), 3, c(2, 2), c(1, 1)),
            Week(date(2026, 10, 5), 4, c(0, 0), c(1, 2)),  # no response due that week: no point on that line
            Week(date(2026, 10, 12), 3, c(3, 4), c(0, 0)),
            Week(date(2026, 10, 19), 2, c(2, 2), c(0, 0)),
        ],
    )


def assert_self_contained(page: str) -> None:
    assert "http://" not in page and "https://" not in page and "src=" not in page
    assert "<link" not in page and "@import" not in page and "<script" not in page
    assert re.findall(r"url\((?!#)", page) == []  # only references inside the page's own SVG
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids))  # three charts in one page: no id collides
    assert set(re.findall(r'(?:href="#|url\(#)([^")]+)', page)) <= set(ids)  # every reference resolves


def test_the_page_shows_the_figures_escapes_the_data_and_loads_nothing() -> None:
    page = render_html(month(), BOGOTA, "TecnoLinux")

    assert page.startswith("<!DOCTYPE html>") and '<html lang="es">' in page and '<meta charset="utf-8">' in page
    assert page.count("<svg") == 3 and "<?xml" not in page and "<!DOCTYPE svg" not in page
    assert_self_contained(page)
    assert "Informe de cumplimiento del SLA — TecnoLinux" in page
    assert "del 1 de octubre de 2026 al 31 de octubre de 2026" in page  # `until` (1 November) is excluded
    assert "miércoles 28 de octubre de 2026, 17:00 (GMT-5)" in page
    assert "87,5 %" in page and "66,7 %" in page  # response 7/8, resolution 2/3, overall
    assert "7 de 8 plazos" in page and "2 de 3 plazos" in page
    assert "1 h 30 min" in page and "45 min" in page and "10 h" in page  # medians and p90
    assert ">Crítico<" in page and ">Medio<" in page and ">Sin organización<" in page and ">Nivel 1<" in page
    low = re.search(r"<tr><td>Bajo</td>(.*?)</tr>", page)
    assert low is not None and low.group(1).count("—") == 2  # nothing due: no share, for response nor resolution
    assert "&lt;b&gt;Evil&lt;/b&gt; &amp; Co" in page and "<b>Evil" not in page
    assert "Organización:" not in page  # no filter
    for day in ("2026-09-28", "2026-10-12", "2026-10-19"):
        assert f'id="c0-response-{day}"' in page
    assert 'id="c0-response-2026-10-05"' not in page  # a week with nothing due is skipped on that line only
    assert 'id="c0-resolution-2026-10-05"' in page and 'id="c0-resolution-2026-10-12"' not in page


def test_a_report_with_nothing_in_it_still_renders_three_empty_charts() -> None:
    empty = Report(
        datetime(2026, 10, 1, tzinfo=BOGOTA),
        datetime(2026, 10, 8, tzinfo=BOGOTA),
        datetime(2026, 10, 8, tzinfo=BOGOTA),
        EVIL,
    )
    page = render_html(empty, BOGOTA, "A & B")

    assert page.count("<svg") == 3 and "Sin datos" in page
    assert_self_contained(page)
    assert "Informe de cumplimiento del SLA — A &amp; B" in page
    assert "Organización: <b>&lt;b&gt;Evil&lt;/b&gt; &amp; Co</b>" in page
    assert page.count(">—<") >= 4  # compliance and times: nothing to show, not 0 %


def test_no_breach_reads_as_none_rather_than_as_missing_data() -> None:
    assert "Sin incumplimientos" not in render_html(month(), BOGOTA, "TecnoLinux")
    page = render_html(replace(month(), breaches_by_priority={}), BOGOTA, "TecnoLinux")
    assert page.count("<svg") == 3 and "Sin incumplimientos" in page


async def test_in_a_browser_the_three_charts_show_and_nothing_is_fetched(tmp_path: Path, browser: object) -> None:
    SHOTS.mkdir(exist_ok=True)
    file = tmp_path / "report.html"
    file.write_text(render_html(month(), BOGOTA, "TecnoLinux"), encoding="utf-8")
    page = await browser.new_page(viewport={"width": 1100, "height": 900})  # type: ignore[attr-defined]
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    await page.goto(file.as_uri())

    charts = page.locator("svg")
    assert await charts.count() == 3
    boxes = [await charts.nth(n).bounding_box() for n in range(3)]
    assert all(box is not None and box["width"] > 300 and box["height"] > 150 for box in boxes), boxes
    assert boxes[0]["width"] > boxes[1]["width"] * 1.5  # the weekly chart spans the page, the other two share a row
    assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scroll
    assert await page.locator("h1").inner_text() == "Informe de cumplimiento del SLA — TecnoLinux"
    assert await page.locator(".card .value").nth(2).inner_text() == "87,5 %"
    await page.screenshot(path=str(SHOTS / "report.png"), full_page=True)
    assert requested == [file.as_uri()]  # the page itself, and nothing else
