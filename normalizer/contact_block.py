"""Contact blocks: the name, title, company, phones and address a client's mail program puts under the text.

A block of two or more such lines is not what the client wrote now and goes, name included; a lone name under the
closing ("Saludos,\\nAna") is how agents know who wrote and stays (`tests/fixtures/quotes/CONVENTION.md`). What marks
a contact line is the table in `normalizer.contact_rules`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from normalizer.contact_rules import CONTACT
from normalizer.folding import fold, line_memo

_FOLD_LIMIT = 200
MAX_BLOCK_LINES = 12
_MAX_LINE_WORDS = 10
_MAX_CONTACT_LINE_WORDS = 20
_MAX_NAME_WORDS = 4

RULE = re.compile(
    r"^(?:--\s?|[_\-=*~—]{3,}|(?:[*·•.]\s*){3,})$"
)  # a delimiter or a drawn rule ends a paragraph of the block
_NAME_WORD = re.compile(r"^(?:[^\W\d_][\w'’.-]*|[^\W\d_]\.)$")
_PARTICLES = frozenset({"de", "del", "la", "las", "los", "y", "e", "da", "das", "do", "dos", "van", "von", "der"})
_SENTENCE_END = re.compile(r"[.!?]\s*$")
_MAX_SENTENCE_WORDS = 4  # "Av. Siempre Viva 123." ends with a dot; a line of more words ending so is a sentence


def _folded(line: str) -> str:
    return fold(line.strip()[:_FOLD_LIMIT])


@line_memo
def is_contact_line(line: str) -> bool:
    """A line that names a phone, an address, a site, a title, a company form or a logo."""
    return bool(CONTACT.search(_folded(line)))


@line_memo
def is_name_line(line: str) -> bool:
    """One to four words, each starting with a capital ("Ana", "Manuel Pineda", "J. Miller"), no digits; particles
    inside a name do not count ("María de los Ángeles Ruiz")."""
    words = [word.strip("\"'“”()") for word in line.strip().rstrip(",.").split() if word not in _PARTICLES]
    if not 1 <= len(words) <= _MAX_NAME_WORDS or line.strip().split()[0] in _PARTICLES:
        return False
    return all(word[:1].isupper() and _NAME_WORD.match(word) for word in words)


@line_memo
def could_be_in_block(line: str) -> bool:
    """Short (a contact line may be longer: an address, a row of phones) and not a sentence or a question: a line a
    contact block can hold."""
    stripped = line.strip()
    words = stripped.split()
    if not words or stripped.endswith(("?", ":")):
        return False
    if len(words) > _MAX_LINE_WORDS and (len(words) > _MAX_CONTACT_LINE_WORDS or not is_contact_line(stripped)):
        return False
    return not (_SENTENCE_END.search(stripped) and len(words) > _MAX_SENTENCE_WORDS and not is_contact_line(line))


def _paragraph_at(lines: list[str], start: int, limit: int | None = None, rules_end_it: bool = True) -> tuple[int, int]:
    """(first, end) of the paragraph at or after line `start`: blank lines skipped, then the run of lines up to a
    blank one (or a drawn rule, with `rules_end_it`), at most `limit` + 1 lines read (enough to tell a run is longer
    than `limit`)."""
    while start < len(lines) and not lines[start].strip():
        start += 1
    end = start
    while end < len(lines) and lines[end].strip() and not (rules_end_it and RULE.match(lines[end].strip())):
        if limit is not None and end - start > limit:
            break
        end += 1
    return start, end


def _is_block(lines: list[str]) -> bool:
    """A name or a contact line first, and a contact line among them: two names are no contact block."""
    return (is_name_line(lines[0]) or is_contact_line(lines[0])) and any(map(is_contact_line, lines))


def kept_under_closing(below: list[str]) -> int | None:
    """How many of the lines `below` a closing stay, when they are all short signature lines.

    A lone name (one line in its paragraph) stays, and what is under it goes when it is a contact block or follows a
    delimiter. When the first paragraph is a contact block (a name or a contact line first, a contact line in it),
    none stay. None when the lines are something else: the client's text, left alone."""
    start, end = _paragraph_at(below, 0)
    paragraph = below[start:end]
    if not paragraph:
        return None
    if len(paragraph) == 1 and is_name_line(paragraph[0]):  # a lone name: a block or a delimited block under it goes
        rest = [line.strip() for line in below[end:] if line.strip()]
        return end if rest and (RULE.match(rest[0]) or any(map(is_contact_line, rest))) else None
    return 0 if _is_block(paragraph) else None


def trailing_block(lines: list[str], is_closing: Callable[[str], bool]) -> int | None:
    """The first line of a contact block ending the text with no closing above it: the last lines of its last
    paragraph that a block can hold, two or more, starting with a name or a contact line, a contact line among the
    others. Closings (`is_closing`), delimiters and the text's first line are never taken."""
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    start = end
    while start > 1 and lines[start - 1].strip() and could_be_in_block(lines[start - 1]):
        if is_closing(lines[start - 1]) or RULE.match(lines[start - 1].strip()):
            break  # a closing stays, and a delimiter's own rule (`signatures`) takes what is under it
        start -= 1
    while start < end and not (is_name_line(lines[start]) or is_contact_line(lines[start])):
        start += 1  # the block starts at its name, or at its first contact line
    block = lines[start:end]
    if not 2 <= len(block) <= MAX_BLOCK_LINES or not any(map(is_contact_line, block[1:])):
        return None
    return start


def without_inner_blocks(lines: list[str], is_closing: Callable[[str], bool]) -> list[str]:
    """`lines` without a contact block under a closing that the client's text goes on under ("Thanks,\\nMark Ellis\\n
    IT Coordinator\\n+1 305 …\\n\\nP.S. …"): the paragraph under the closing, two to `MAX_BLOCK_LINES` lines a block
    can hold, a name or a contact line first and a contact line in it."""
    last_text = max((index for index, line in enumerate(lines) if line.strip()), default=-1)
    dropped: set[int] = set()
    for index, line in enumerate(lines):
        if not line.strip() or not is_closing(line):
            continue
        start, end = _paragraph_at(lines, index + 1, MAX_BLOCK_LINES, rules_end_it=False)
        block = lines[start:end]
        fits = 2 <= len(block) <= MAX_BLOCK_LINES and all(map(could_be_in_block, block)) and end <= last_text
        if fits and _is_block(block):
            dropped.update(range(start, end))
    return [line for index, line in enumerate(lines) if index not in dropped] if dropped else lines
