"""Accent- and case-insensitive matching support: fold text to lowercase without diacritics.

Rules elsewhere in the normalizer (priority cues, auto-reply subjects) are written without accents and matched
against folded text, so "caído", "CAIDO" and "caido" are the same word. `fold_with_positions` also returns, for every
folded character, the index of the original character it came from, so a match can be quoted as the client wrote it.
"""

from __future__ import annotations

import unicodedata


def fold_with_positions(text: str) -> tuple[str, list[int]]:
    """Lowercase `text` and drop combining marks; return the folded text and each folded char's original index."""
    if text.isascii():  # most lines: nothing to decompose, one char per char
        return text.lower(), list(range(len(text)))
    folded: list[str] = []
    positions: list[int] = []
    for index, char in enumerate(text):
        if char.isascii():
            folded.append(char.lower())
            positions.append(index)
            continue
        for piece in unicodedata.normalize("NFKD", char):
            if unicodedata.combining(piece):
                continue
            for lowered in piece.lower():
                folded.append(lowered)
                positions.append(index)
    return "".join(folded), positions


def fold(text: str) -> str:
    """Lowercase `text` and drop combining marks ("Crítico" -> "critico")."""
    return text.lower() if text.isascii() else fold_with_positions(text)[0]


def original_span(text: str, positions: list[int], start: int, end: int) -> str:
    """The part of the original `text` that produced folded characters `start:end`."""
    if start >= end or not positions:
        return ""
    return text[positions[start] : positions[end - 1] + 1]
