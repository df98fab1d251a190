"""strip_quotes on every case of tests/fixtures/quotes: third-party corpora and our Spanish layouts, judged by hand.

The cases, their loading and the comparison (`normalise`) are those of `bench.quotes_report`, which prints the same
results as a table. A case we decided not to chase is an xfail with its reason; it is strict, so a fix shows up.
"""

from __future__ import annotations

import time

import pytest

from bench.quotes_report import (
    HELD_OUT,
    SPANISH,
    Case,
    inputs_without_expected,
    is_right,
    load_cases,
    lost_lines,
    normalise,
)
from normalizer.quotes import strip_quotes

_OUTLOOK_FORWARD = (
    "an Outlook forward has no forward line, only its subject (RV:, FW:) says so, and a corpus case is text without a"
    " subject: read as a reply (test_quotes_families.py has the forward with its subject)"
)
_UNDER_THE_NAME = (
    "a short line under the closing and the name, with no contact line or delimiter, stays: it may be the client's"
    " own, and a lost line is worse than a left one"
)
NOT_CHASED: dict[str, str] = {
    "crisp/email_tricky_19_quote_without_header.txt": (
        "quoted runs with no reply header above them stay: pasted shell prompts and logs look the same"
    ),
    "quotequail/outlook_forward.html": _OUTLOOK_FORWARD,
    "edgetier/best_example.txt": _UNDER_THE_NAME,
    "edgetier/sincerely_message.txt": _UNDER_THE_NAME,
}
MIN_SHARE = 0.95
MIN_SPANISH_CASES = 30
MIN_HELD_OUT_CASES = 60
# The goal: 95% right and no line of the client's lost (on 2026-12-01: 79/82 right, none lost).
MIN_HELD_OUT_SHARE = 0.95
MAX_HELD_OUT_LOST_LINES = 0
LONG_INPUT = "github_email_reply_parser/email_long_quote.txt"


def _params() -> list[object]:
    return [
        pytest.param(case, id=case.id, marks=pytest.mark.xfail(strict=True, reason=NOT_CHASED[case.id]))
        if case.id in NOT_CHASED
        else pytest.param(case, id=case.id)
        for case in load_cases()
        if case.source not in HELD_OUT  # judged only as a whole (below): a case's failure shown is a case tuned on
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


def test_the_held_out_cases_as_a_whole() -> None:
    """The held-out split (written blind to the rules, never tuned on) is judged only in aggregate: at least
    `MIN_HELD_OUT_SHARE` right and at most `MAX_HELD_OUT_LOST_LINES` of the client's lines lost."""
    held_out = [case for case in load_cases() if case.source in HELD_OUT]
    right = sum(is_right(strip_quotes, case) for case in held_out)
    lost = sum(lost_lines(strip_quotes(case.text), case) for case in held_out)
    assert len(held_out) >= MIN_HELD_OUT_CASES
    assert right / len(held_out) >= MIN_HELD_OUT_SHARE, f"{right}/{len(held_out)}"
    assert lost <= MAX_HELD_OUT_LOST_LINES, f"{lost} of the client's lines lost"


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
