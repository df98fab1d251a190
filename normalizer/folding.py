"""Accent- and case-insensitive matching support: fold text to lowercase without diacritics.

Rules elsewhere in the normalizer (priority cues, auto-reply subjects) are written without accents and matched
against folded text, so "caído", "CAIDO" and "caido" are the same word. `fold_with_positions` also returns, for every
folded character, the index of the original character it came from, so a match can be quoted as the client wrote it.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable
from typing import TypeVar


class _FoldTable(dict[int, str]):
    """A `str.translate` table from each character to its folded form, filled in as characters are first seen:
    translating in C is some 20 times faster than folding character by character in Python."""

    def __missing__(self, code: int) -> str:
        pieces = unicodedata.normalize("NFKD", chr(code))
        folded = "".join(piece.lower() for piece in pieces if not unicodedata.combining(piece))
        self[code] = folded
        return folded


_TABLE = _FoldTable()  # a memo of a pure function, shared as `re` shares its compiled patterns


def fold_with_positions(text: str) -> tuple[str, list[int]]:
    """Lowercase `text` and drop combining marks; return the folded text and each folded char's original index."""
    if text.isascii():  # most lines: nothing to decompose, one char per char
        return text.lower(), list(range(len(text)))
    folded = text.translate(_TABLE)
    if len(folded) == len(text) and all(len(_TABLE[ord(char)]) == 1 for char in set(text)):
        return folded, list(range(len(text)))
    positions: list[int] = []
    for index, char in enumerate(text):
        positions.extend([index] * len(_TABLE[ord(char)]))
    return folded, positions


def fold(text: str) -> str:
    """Lowercase `text` and drop combining marks ("Crítico" -> "critico")."""
    return text.lower() if text.isascii() else text.translate(_TABLE)


def original_span(text: str, positions: list[int], start: int, end: int) -> str:
    """The part of the original `text` that produced folded characters `start:end`."""
    if start >= end or not positions:
        return ""
    return text[positions[start] : positions[end - 1] + 1]


T = TypeVar("T")
MEMO_LINES = 4096
MEMO_LINE_CHARS = 300


def line_memo(function: Callable[[str], T]) -> Callable[[str], T]:
    """`function` (a pure reading of one line) with its answers for lines up to `MEMO_LINE_CHARS` kept, the last
    `MEMO_LINES` of them: the footer rules ask about the same lines pass after pass, and closings repeat from mail
    to mail. A longer line is tested each time, so no kept key holds a large string."""
    kept = functools.lru_cache(maxsize=MEMO_LINES)(function)

    @functools.wraps(function)
    def test(line: str) -> T:
        return kept(line) if len(line) <= MEMO_LINE_CHARS else function(line)

    return test
