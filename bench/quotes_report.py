"""Quote-stripping accuracy on the fixture corpus: `.venv/bin/python -m bench.quotes_report`.

Every case is an input under `tests/fixtures/quotes/<source>/` (third-party corpora copied byte for byte, and our
own Spanish cases in `spanish/`) with the clean text a support agent should see, written by hand, in
`tests/fixtures/quotes/expected/<source>/<input name>.expected`. Plain-text inputs are read as they are, `.eml`
files through the email parser and `.html` files through `normalizer.html_text`, as the gateway reads them.

The report prints, per source, how many cases `strip_quotes` gets right after `normalise` (line endings, trailing
spaces, runs of blank lines, outer blank lines), the overall share, and the failing cases by name. The same cases go
through mail-parser-reply alone (the first reply's `body`) and, where they are installed, email-reply-parser
(`EmailReplyParser.parse_reply`) and quotequail (`quote`, the parts it shows expanded); their shares are printed beside
ours. The project does not depend on the last two. `--show NAME` prints one case's input, expected and actual text.
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

from mailparser_reply import EmailReplyParser

from adapters.email.parse import parse_email
from normalizer.html_text import html_to_text
from normalizer.quotes import LANGUAGES, strip_quotes

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "quotes"
EXPECTED = FIXTURES / "expected"
EXPECTED_SUFFIX = ".expected"
SPANISH = "spanish"  # our own cases; the other folders are third-party corpora
_SKIPPED_NAMES = frozenset({"LICENSE", ".gitattributes", "SOURCES.md"})
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
        if path.is_dir() or relative.parts[0] == "expected" or path.name in _SKIPPED_NAMES:
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


def report(cases: list[Case], out: Callable[[str], object] = print) -> float:
    """Print the per-source table, the overall share and the failures; return our share (0..1)."""
    strippers: dict[str, Stripper] = {"ours": strip_quotes, **_library_strippers()}
    results = {name: {case.id: is_right(strip, case) for case in cases} for name, strip in strippers.items()}
    sources = sorted({case.source for case in cases})
    out(f"{'source':<28}{'cases':>6}  " + "  ".join(f"{name:>22}" for name in strippers))
    for source in sources:
        ids = [case.id for case in cases if case.source == source]
        shares = "  ".join(f"{_share(sum(results[n][i] for i in ids), len(ids)):>22}" for n in strippers)
        out(f"{source:<28}{len(ids):>6}  {shares}")
    total = "  ".join(f"{_share(sum(results[n].values()), len(cases)):>22}" for n in strippers)
    out(f"{'all':<28}{len(cases):>6}  {total}")
    failures = [case.id for case in cases if not results["ours"][case.id]]
    out(f"\nours: {len(failures)} wrong" + (":" if failures else ""))
    for failure in failures:
        out(f"  {failure}")
    missing = inputs_without_expected()
    if missing:
        out(f"\ninputs without an expected output: {', '.join(missing)}")
    return sum(results["ours"].values()) / len(cases) if cases else 0.0


def show(cases: list[Case], name: str) -> None:
    for case in cases:
        if case.id == name or case.name == name:
            print(f"=== {case.id} input ===\n{case.text}\n=== expected ===\n{normalise(case.expected)}")
            print(f"=== ours ===\n{normalise(strip_quotes(case.text))}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.quotes_report", description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--show", metavar="NAME", help="print one case (source/name or name)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    cases = load_cases()
    if args.show:
        show(cases, args.show)
        return 0
    share = report(cases)
    spanish = sum(1 for case in cases if case.source == SPANISH)
    print(f"\nshare right: {100 * share:.1f}% of {len(cases)} cases, {spanish} of them our Spanish ones")
    largest = max(cases, key=lambda case: len(case.text))
    took = min(_seconds(largest.text) for _ in range(3))
    print(f"largest input: {largest.id}, {len(largest.text) / 1000:.0f} KB in {took:.2f} s")
    print(f"report: {time.perf_counter() - started:.1f} s")
    return 0


def _seconds(text: str) -> float:
    started = time.perf_counter()
    strip_quotes(text)
    return time.perf_counter() - started


if __name__ == "__main__":
    sys.exit(main())
