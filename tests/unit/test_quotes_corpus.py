"""strip_quotes on every case of tests/fixtures/quotes: third-party corpora and our Spanish layouts, judged by hand.

The cases, their loading and the comparison (`normalise`) are those of `bench.quotes_report`, which prints the same
results as a table. A case we decided not to chase is an xfail with its reason; it is strict, so a fix shows up.
"""

from __future__ import annotations

import time

import pytest

from bench.quotes_report import SPANISH, Case, inputs_without_expected, is_right, load_cases, normalise
from normalizer.quotes import strip_quotes

NOT_CHASED: dict[str, str] = {
    "crisp/email_tricky_19_quote_without_header.txt": (
        "quoted runs with no reply header above them stay: pasted shell prompts and logs look the same"
    ),
}
MIN_SHARE = 0.95
MIN_SPANISH_CASES = 30
LONG_INPUT = "github_email_reply_parser/email_long_quote.txt"


def _params() -> list[object]:
    return [
        pytest.param(case, id=case.id, marks=pytest.mark.xfail(strict=True, reason=NOT_CHASED[case.id]))
        if case.id in NOT_CHASED
        else pytest.param(case, id=case.id)
        for case in load_cases()
    ]


@pytest.mark.parametrize("case", _params())
def test_case(case: Case) -> None:
    assert normalise(strip_quotes(case.text)) == normalise(case.expected)


def test_every_fixture_has_an_expected_output() -> None:
    assert inputs_without_expected() == []


def test_share_right_is_at_least_95_percent() -> None:
    cases = load_cases()
    right = sum(is_right(strip_quotes, case) for case in cases)
    assert right / len(cases) >= MIN_SHARE, f"{right}/{len(cases)}"


def test_spanish_cases_are_many_and_none_is_excused() -> None:
    spanish = [case for case in load_cases() if case.source == SPANISH]
    assert len(spanish) >= MIN_SPANISH_CASES
    assert not [name for name in NOT_CHASED if name.startswith(f"{SPANISH}/")]


def test_a_767_kb_input_takes_well_under_a_second() -> None:
    case = next(case for case in load_cases() if case.id == LONG_INPUT)
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        strip_quotes(case.text)
        timings.append(time.perf_counter() - started)
    assert min(timings) < 1.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [("a  \r\nb\r\n\r\n\r\n\r\nc\n\n", "a\nb\n\nc"), ("\n\n x \n", "x"), ("", "")],
    ids=["crlf-trailing-spaces-blank-runs", "outer-blank-lines", "empty"],
)
def test_normalise(text: str, expected: str) -> None:
    assert normalise(text) == expected
