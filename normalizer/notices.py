"""Legal, confidentiality, data-protection and environmental notices: cut from the end of a text, or taken out of its
middle when the client's text goes on under one.

A notice starts a paragraph (or comes glued under a contact line, "Tel. 601 …\\nEste mensaje …") and reads as one, by
the tables in `normalizer.footer_rules`: a heading ("AVISO DE CONFIDENCIALIDAD"), "This message … is confidential",
or a privacy heading or a law in a sentence addressed to the reader ("le informamos que sus datos …"). A paragraph
under a line ending in ":" is the client quoting ("… el texto de abajo:"), never a notice.

- `notice_cut`: where the notices that end the text start: only when nothing but other notices, contact lines and
  phone footers follow (a closing or a sentence under it means the client's text goes on);
- `without_inner_notices`: the text without the notice paragraphs the client's text follows (a forwarded mail's
  notice, with the client's comment under it). Only notices addressed to the reader are taken out there.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from normalizer.contact_block import is_contact_line, is_name_line
from normalizer.folding import fold, line_memo
from normalizer.footer_rules import LAW_MENTION, NOTICE_HEADING, NOTICE_START, NOTICE_VOICE

_FOLD_LIMIT = 300
_RULE_OR_SYMBOLS = re.compile(r"^[\W_]*$")  # a drawn rule, a dingbat, an emoji


def _folded(line: str) -> str:
    return fold(line.strip()[:_FOLD_LIMIT])


def is_notice_line(line: str) -> bool:
    """Whether a paragraph starting with `line` is a notice (read from its first characters only)."""
    return _is_notice_head(line.strip()[:_FOLD_LIMIT])


@line_memo
def _is_notice_head(head: str) -> bool:
    folded = fold(head)
    if NOTICE_HEADING.match(folded):
        return True
    return bool((NOTICE_START.match(folded) or LAW_MENTION.search(folded)) and NOTICE_VOICE.search(folded))


def _starts_notice(lines: list[str], index: int) -> bool:
    if index == 0 or not lines[index].strip() or not is_notice_line(lines[index]):
        return False
    above = lines[index - 1]
    if above.strip() and not (_RULE_OR_SYMBOLS.match(above.strip()) or is_contact_line(above)):
        return False  # inside a paragraph of the client's text
    previous = index - 1
    while previous > 0 and not lines[previous].strip():
        previous -= 1
    return not lines[previous].rstrip().endswith(":")  # "… el texto de abajo:" introduces the client's quote


def _segments(lines: list[str]) -> list[tuple[int, int]]:
    """(start, end) of each paragraph, a notice glued under other lines starting one of its own."""
    found: list[tuple[int, int]] = []
    start: int | None = None
    for index, line in enumerate(lines):
        if not line.strip() or (start is not None and _starts_notice(lines, index)):
            if start is not None:
                found.append((start, index))
            start = index if line.strip() else None
        elif start is None:
            start = index
    if start is not None:
        found.append((start, len(lines)))
    return found


def notice_cut(lines: list[str], is_footer: Callable[[str], bool], is_closing: Callable[[str], bool]) -> int | None:
    """The first line of the notices that end `lines`, with only footers after them: contact and name lines, drawn
    rules, phone footers (`is_footer`). A closing under a notice (`is_closing`) is the client's: nothing is cut."""

    def footer_like(line: str) -> bool:
        if is_closing(line):
            return False
        stripped = line.strip()
        return is_contact_line(line) or is_name_line(line) or is_footer(line) or bool(_RULE_OR_SYMBOLS.match(stripped))

    cut = None
    for start, end in reversed(_segments(lines)):  # from the end: notices, and footer lines between and under them
        if _starts_notice(lines, start):
            cut = start
        elif not all(map(footer_like, lines[start:end])):
            break
    return cut


def without_inner_notices(lines: list[str]) -> list[str]:
    """`lines` without the notice paragraphs addressed to the reader: run after `notice_cut`, those left are the ones
    the client's text goes on under."""
    dropped = {
        index
        for start, end in _segments(lines)
        if _starts_notice(lines, start) and NOTICE_VOICE.search(_folded(lines[start]))
        for index in range(start, end)
    }
    return [line for index, line in enumerate(lines) if index not in dropped] if dropped else lines
