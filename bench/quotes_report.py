"""Quote-stripping accuracy on the fixture corpus: `.venv/bin/python -m bench.quotes_report`.

Every case is an input under `tests/fixtures/quotes/<source>/` (third-party corpora copied byte for byte, our own
Spanish layouts and family cases, and the held-out set) with the clean text a support agent should see, written by
hand under `tests/fixtures/quotes/CONVENTION.md`, in `tests/fixtures/quotes/expected/<source>/<input name>.expected`.
Plain-text inputs are read as they are, `.eml` files through the email parser and `.html` files through
`normalizer.html_text`, as the gateway reads them.

The report prints, per source, how many cases each stripper gets right after `normalise` (line endings, trailing
spaces, runs of blank lines, outer blank lines); then, for the tuned split and the held-out split (`HELD_OUT`: written
blind to the rules, never tuned on), the share right and the client's lines lost (expected lines missing from the
output: the errors that hide what the client wrote); then the tuned split's failing cases by name. The held-out
failures are not named: looking at them would be tuning on them. The strippers: ours (`strip_quotes`),
mail-parser-reply alone (the first reply's `body`), email-reply-parser (`EmailReplyParser.parse_reply`), quotequail
(`quote`, the parts it shows expanded) and talon (`bench.talon_peer`, in a virtualenv of its own; `--no-talon` leaves
it out). The figures go to `bench/results/latest.json` and `latest.md` (section "quotes"), with strip_quotes' rate on
one core. `--show NAME` prints one case's input, expected and actual text.
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mailparser_reply import EmailReplyParser

from adapters.email.parse import parse_email
from bench.report import save
from bench.talon_peer import strip_all
from normalizer.html_text import html_to_text
from normalizer.quotes import LANGUAGES, strip_quotes

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "quotes"
EXPECTED = FIXTURES / "expected"
EXPECTED_SUFFIX = ".expected"
SPANISH = "spanish"  # our own cases; the other folders are third-party corpora
# Written blind to the rules and never tuned on (tests/fixtures/quotes/heldout/README.md); every other folder is tuned.
HELD_OUT = frozenset({"heldout"})
SPLITS = ("tuned", "held-out")
_SKIPPED_NAMES = frozenset({"LICENSE", ".gitattributes"})  # and every Markdown file (sources, conventions)
_BLANK_RUNS = re.compile(r"\n{3,}")

Stripper = Callable[[str], str]


@dataclass(frozen=True)
class Case:
    """One input and the text the client wrote now, as a person judged it."""

    source: str
    name: str
    text: str
    expected: str

    @property
    def id(self) -> str:
        return f"{self.source}/{self.name}"


def normalise(text: str) -> str:
    """The comparison form: LF line endings, no trailing spaces, at most one blank line in a row, trimmed."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip()


def read_input(path: Path) -> str:
    """The body text the gateway would hand to `strip_quotes` for this fixture file."""
    raw = path.read_bytes()
    if path.suffix == ".eml":
        message = parse_email(raw, received_at=datetime.now(UTC), recipient="support@example.com")
        return message.text if message.text.strip() else html_to_text(message.html)
    text = raw.decode("utf-8", errors="replace")
    return html_to_text(text) if path.suffix == ".html" else text


def load_cases(root: Path = FIXTURES) -> list[Case]:
    """Every fixture that has an expected output, sorted by source and name."""
    cases: list[Case] = []
    for expected in sorted((root / "expected").rglob(f"*{EXPECTED_SUFFIX}")):
        relative = expected.relative_to(root / "expected")
        source_path = root / relative.with_name(relative.name.removesuffix(EXPECTED_SUFFIX))
        cases.append(
            Case(
                source=relative.parts[0],
                name=str(Path(*relative.parts[1:])).removesuffix(EXPECTED_SUFFIX),
                text=read_input(source_path),
                expected=expected.read_text(encoding="utf-8"),
            )
        )
    return cases


def inputs_without_expected(root: Path = FIXTURES) -> list[str]:
    """Fixture inputs nobody wrote an expected output for (the corpus test keeps this empty)."""
    missing: list[str] = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if path.is_dir() or relative.parts[0] == "expected" or path.name in _SKIPPED_NAMES or path.suffix == ".md":
            continue
        if not (root / "expected" / relative.with_name(relative.name + EXPECTED_SUFFIX)).is_file():
            missing.append(str(relative))
    return missing


def is_right(strip: Stripper, case: Case) -> bool:
    """Whether `strip` gives the expected text for `case` (a crash counts as wrong)."""
    try:
        return normalise(strip(case.text)) == normalise(case.expected)
    except Exception:
        return False


def _mail_parser_reply(text: str) -> str:
    """mailparser_reply alone, as the normalizer configures it: the latest reply, signatures and disclaimers out."""
    replies = EmailReplyParser(languages=list(LANGUAGES)).read(text).replies
    return replies[0].body if replies else ""


def _library_strippers() -> dict[str, Stripper]:
    """The compared libraries: mail-parser-reply alone (a dependency), and the others where they are importable."""
    found: dict[str, Stripper] = {"mail-parser-reply": _mail_parser_reply}
    try:
        erp = importlib.import_module("email_reply_parser")
        found["email-reply-parser"] = lambda text: str(erp.EmailReplyParser.parse_reply(text))
    except ImportError:
        pass
    try:
        quotequail = importlib.import_module("quotequail")

        def unquoted(text: str) -> str:
            return "\n".join(part for shown, part in quotequail.quote(text) if shown)

        found["quotequail"] = unquoted
    except ImportError:
        pass
    return found


def _share(right: int, total: int) -> str:
    return f"{right}/{total} ({100 * right / total:.1f}%)" if total else "0/0"


def lost_lines(kept: str, case: Case) -> int:
    """How many of the client's lines (the expected text's non-blank lines) `kept` lacks, as a multiset: the
    errors that hide what the client wrote, counted apart from the ones that only leave clutter in."""
    have: dict[str, int] = {}
    for line in normalise(kept).split("\n"):
        have[line.strip()] = have.get(line.strip(), 0) + 1
    lost = 0
    for line in (line.strip() for line in normalise(case.expected).split("\n") if line.strip()):
        if have.get(line, 0):
            have[line] -= 1
        else:
            lost += 1
    return lost


@dataclass(frozen=True)
class Outcome:
    """One stripper on one case: right or not, and the client's lines it lost (all of them when it crashed)."""

    right: bool
    lost: int


def outcome(kept: str | None, case: Case) -> Outcome:
    if kept is None:
        return Outcome(False, lost_lines("", case))
    return Outcome(normalise(kept) == normalise(case.expected), lost_lines(kept, case))


def _run(strip: Stripper, case: Case) -> str | None:
    try:
        return strip(case.text)
    except Exception:
        return None


def outcomes(cases: list[Case], talon: bool) -> dict[str, dict[str, Outcome]]:
    """Every stripper's outcome on every case, by stripper name then case id; talon's when it installs and runs."""
    found = {
        name: {case.id: outcome(_run(strip, case), case) for case in cases}
        for name, strip in {"ours": strip_quotes, **_library_strippers()}.items()
    }
    if talon:
        try:
            kept = strip_all([case.text for case in cases])
        except (RuntimeError, OSError) as error:
            print(f"talon left out: {str(error).splitlines()[0]}")
        else:
            found["talon"] = {case.id: outcome(text, case) for case, text in zip(cases, kept, strict=True)}
    return found


def split_of(case: Case) -> str:
    return "held-out" if case.source in HELD_OUT else "tuned"


def report(cases: list[Case], out: Callable[[str], object] = print, talon: bool = True) -> dict[str, Any]:
    """Print the per-source table, both splits' shares and lost client lines, and the tuned split's failures (the
    held-out ones only by count: looking at them is tuning on them); return the figures."""
    found = outcomes(cases, talon)
    names = list(found)
    out(f"{'source':<28}{'cases':>6}  " + "  ".join(f"{name:>20}" for name in names))
    for source in sorted({case.source for case in cases}):
        ids = [case.id for case in cases if case.source == source]
        shares = "  ".join(f"{_share(sum(found[n][i].right for i in ids), len(ids)):>20}" for n in names)
        out(f"{source:<28}{len(ids):>6}  {shares}")
    figures: dict[str, Any] = {}
    out("")
    for split in SPLITS:
        ids = [case.id for case in cases if split_of(case) == split]
        figures[split] = {
            name: {
                "cases": len(ids),
                "right": sum(found[name][i].right for i in ids),
                "lost_client_lines": sum(found[name][i].lost for i in ids),
                "cases_losing_lines": sum(found[name][i].lost > 0 for i in ids),
            }
            for name in names
        }
        for name in names:
            figure = figures[split][name]
            out(
                f"{split:<9} {name:<20} {_share(figure['right'], figure['cases']):>16} right, "
                f"{figure['lost_client_lines']} client lines lost in {figure['cases_losing_lines']} cases"
            )
    wrong = [case.id for case in cases if split_of(case) == "tuned" and not found["ours"][case.id].right]
    out(f"\nours, tuned split: {len(wrong)} wrong" + (":" if wrong else ""))
    for failure in wrong:
        out(f"  {failure}" + (f" (loses {found['ours'][failure].lost} lines)" if found["ours"][failure].lost else ""))
    missing = inputs_without_expected()
    if missing:
        out(f"\ninputs without an expected output: {', '.join(missing)}")
    return figures


def show(cases: list[Case], name: str) -> None:
    for case in cases:
        if case.id == name or case.name == name:
            print(f"=== {case.id} input ===\n{case.text}\n=== expected ===\n{normalise(case.expected)}")
            print(f"=== ours ===\n{normalise(strip_quotes(case.text))}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.quotes_report", description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--show", metavar="NAME", help="print one case (source/name or name)")
    parser.add_argument("--no-talon", action="store_true", help="leave talon out (it installs in bench/.cache)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    cases = load_cases()
    if args.show:
        show(cases, args.show)
        return 0
    figures = report(cases, talon=not args.no_talon)
    texts = [case.text for case in cases]
    strip_quotes(texts[0])
    timed = time.perf_counter()
    for text in texts:
        strip_quotes(text)
    figures["cases_per_second"] = len(texts) / (time.perf_counter() - timed)
    largest = max(cases, key=lambda case: len(case.text))
    took = min(_seconds(largest.text) for _ in range(3))
    print(f"\nstrip_quotes: {figures['cases_per_second']:,.0f} cases/s on one core (the {len(texts)} cases in turn)")
    print(f"largest input: {largest.id}, {len(largest.text) / 1000:.0f} KB in {took:.2f} s")
    print(f"report: {time.perf_counter() - started:.1f} s")
    save("quotes", figures, table(figures))
    return 0


def table(figures: dict[str, Any]) -> str:
    """The report's Markdown section: right and lost client lines per split and stripper."""
    rows = [
        "### Quote stripping: the client's words, tuned and held-out cases (`python -m bench.quotes_report`)",
        "",
        "| stripper | tuned: right | held-out: right | client lines lost (tuned / held-out) |",
        "|---|---:|---:|---:|",
    ]
    for name in figures["tuned"]:
        tuned, held = figures["tuned"][name], figures.get("held-out", {}).get(name)
        held_share = _share(held["right"], held["cases"]) if held else "—"
        held_lost = held["lost_client_lines"] if held else "—"
        rows.append(
            f"| {name} | {_share(tuned['right'], tuned['cases'])} | {held_share} | "
            f"{tuned['lost_client_lines']} / {held_lost} |"
        )
    rows += ["", f"strip_quotes alone: {figures['cases_per_second']:,.0f} cases/s on one core"]
    return "\n".join(rows)


def _seconds(text: str) -> float:
    started = time.perf_counter()
    strip_quotes(text)
    return time.perf_counter() - started


if __name__ == "__main__":
    sys.exit(main())
