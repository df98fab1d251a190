"""Reading a mail takes time linear in its size: crafted shapes that were quadratic or worse, at n and 4n lines.

One crafted mail must not stall the desk (issue 11). Each shape is read at size n and 4n, best of three runs with
the garbage collector off; linear code takes about 4x as long, quadratic 16x, cubic 64x. The assertion allows 8x, a
wide margin for a shared, noisy machine: it catches a change of growth, not a slow machine.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from adapters.email.parse import MailParseError
from adapters.email.reader import EmailReadOptions, parse_committed_mail
from normalizer import LanguageDetector, Normalizer

N = 1500
MAX_GROWTH = 8.0
FLOOR_SECONDS = 0.002  # below this a time is mostly noise: a 0.3 ms read that once takes 3 ms is not quadratic
OPTIONS = EmailReadOptions("TL", "es", 10_000_000, "soporte@example.com", frozenset({"example.com"}))
AT = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)


def _mail(body: str = "Hola, no funciona la impresora.", headers: str = "", content_type: str = "text/plain") -> bytes:
    return (
        "From: Ana <ana@cliente.co>\r\nTo: soporte@example.com\r\nSubject: ayuda\r\nMessage-ID: <1@cliente.co>\r\n"
        f"{headers}Content-Type: {content_type}; charset=utf-8\r\n\r\n{body}"
    ).encode()


def _body(text: Callable[[int], str]) -> Callable[[int], bytes]:
    return lambda n: _mail("Hola, no funciona la impresora.\n" + text(n))


SHAPES: dict[str, Callable[[int], bytes]] = {
    # reply headers: each line starts a possible header block
    "subject lines": _body(lambda n: "Subject: x\n" * n),
    "header blocks": _body(lambda n: "De: a\nPara: b\nAsunto: c\n\n" * (n // 4)),
    "attributions": _body(lambda n: "On 2020-01-01 10:00 a@b.c wrote:\n> x\n" * (n // 2)),
    "attributions without date": _body(lambda n: "On Monday someone\n" * n),
    "long attribution-like line": _body(lambda n: "On " + "x " * (n * 4)),
    # footers: each pass used to cut one block and fold every line again
    "bare separators": _body(lambda n: "--\n" * n),
    "rule lines": _body(lambda n: "________________\n" * n),
    "closings": _body(lambda n: "Saludos,\nAna\n" * (n // 2)),
    "legal notices": _body(lambda n: "\nAVISO DE CONFIDENCIALIDAD este mensaje\n" * (n // 2)),
    "phone footers": _body(lambda n: "Sent from my iPhone\n" * n),
    "blank lines": _body(lambda n: "\n" * n + "- x"),
    "quoted lines": _body(lambda n: "> line\ntext\n" * (n // 2)),
    "hyphen list": _body(lambda n: "- item\n" * n),
    "a line of tabs": _body(lambda n: "\t" * (n * 10) + "\n"),
    # line length, not count: mail-parser-reply's "On … wrote:" pattern and the inline-field search were quadratic
    '"On" lines, longer': _body(lambda n: ("On average " + "w" * (n // 15) + "\n") * 100),
    "one-word lines, longer": _body(lambda n: ("x" * (n // 15) + "\n") * 100),
    "html paragraphs": lambda n: _mail("<p>hola</p>" * n, content_type="text/html"),
    "html attribution-like": lambda n: _mail("<p>On " + "x " * (n * 4) + "</p>", content_type="text/html"),
    "html table, long cell over many rows": lambda n: _mail(  # laid out, rows x width of spaces
        f"<table><tr><td>{'x' * n}</td></tr>" + "<tr><td>a</td><td>b</td></tr>" * n + "</table>",
        content_type="text/html",
    ),
    # headers: the standard library's parsers are quadratic on huge values
    "huge To": lambda n: _mail(headers="To: " + ", ".join(f"u{i}@d.co" for i in range(n * 4)) + "\r\n"),
    "huge Cc": lambda n: _mail(headers="Cc: " + ", ".join(f'"N{i}" <u{i}@d.co>' for i in range(n * 2)) + "\r\n"),
    "huge References": lambda n: _mail(
        headers="References: " + " ".join(f"<r{i}@d.co>" for i in range(n * 4)) + "\r\n"
    ),
    "encoded-word Subject": lambda n: _mail(headers="Subject: " + " =?utf-8?q?ayuda?=" * (n * 2) + "\r\n"),
    "repeated To headers": lambda n: _mail(headers="To: Ana <ana@example.com>\r\n" * (n * 4)),
    "huge part Content-Type": lambda n: (
        "From: a@b.co\r\nTo: soporte@example.com\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
        f"Content-Type: text/plain; {'x' * (n * 40)}\r\n\r\nHola\r\n--b--\r\n"
    ).encode(),
    # the parser checks every line against every boundary open around it: lines x depth
    "nested multiparts": lambda n: (
        "From: a@b.co\r\nTo: soporte@example.com\r\n"
        + "".join(f"Content-Type: multipart/mixed; boundary=b{i}\r\n\r\n--b{i}\r\n" for i in range(n // 10))
        + "Content-Type: text/plain\r\n\r\n"
        + "hola\r\n" * n
    ).encode(),
}


@pytest.fixture(scope="module")
def normalizer() -> Normalizer:
    normalizer = Normalizer("TL", LanguageDetector("es"), frozenset({"example.com"}))
    normalizer.normalize(parse_committed_mail(_mail(), AT, {}, OPTIONS))  # lingua loads its models on first use
    return normalizer


def _best_time(read: Callable[[], object]) -> float:
    best = float("inf")
    gc.disable()
    try:
        for _ in range(3):
            started = time.perf_counter()
            read()
            best = min(best, time.perf_counter() - started)
    finally:
        gc.enable()
    return best


@pytest.mark.parametrize("shape", SHAPES)
def test_reading_time_grows_linearly(shape: str, normalizer: Normalizer) -> None:
    small, large = SHAPES[shape](N), SHAPES[shape](4 * N)

    def read(raw: bytes) -> Callable[[], object]:
        def once() -> object:
            try:
                return normalizer.normalize(parse_committed_mail(raw, AT, {}, OPTIONS))
            except MailParseError:  # quarantined: how soon it is refused is what counts
                return None

        return once

    growth = _best_time(read(large)) / max(_best_time(read(small)), FLOOR_SECONDS)
    assert growth < MAX_GROWTH, f"{shape}: 4x the input took {growth:.1f}x the time"
