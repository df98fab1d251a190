"""What clients and their mail servers add around a message: signatures, phone footers, legal notices, banners.

`drop_footers` removes them from the end of a reply, one block at a time, until the last block is the client's
own text; a phone footer ("Enviado desde mi iPhone") ends the client's text wherever it stands, since what a phone
puts below it is the quoted history. `drop_banners` removes what goes above the text: an "external sender" warning and
a phone footer some clients put first. A rule that would remove the first line of the text does not fire: a message
that is nothing but a footer is still a message. The patterns are tables in `normalizer.footer_rules`.
"""

from __future__ import annotations

import re

from normalizer.folding import fold, fold_with_positions
from normalizer.footer_rules import (
    BANNER,
    DEVICE_FOOTER,
    DEVICE_FOOTER_SENTENCE,
    DEVICE_FOOTER_VERB_LAST,
    DEVICE_FOOTER_WORDS,
    DISCLAIMER,
    SIGN_OFF,
)

_FOLD_LIMIT = 300  # footers are short lines: never fold more of a (possibly huge) line than this
# "-- " is the standard separator; some clients and HTML conversions drop the trailing space or use a dash.
_SIGNATURE_SEPARATOR = "-- "
_BARE_SEPARATORS = ("--", "__", "—", "–")
_MAX_LINES_AFTER_BARE_SEPARATOR = 10
# Matched on the stripped line, and only on a short one (`_rule`): with the line's own spaces around them, these
# patterns backtrack for seconds over a line of 20,000 tabs.
_SEPARATOR_LINE = re.compile(r"(?:[_\-=*~—]{5,}|\**(?:\s*[.·•*]){5,}\s*\**)$")
_DECORATION = re.compile(r"\**(?:\s*[.·•*]){5,}\s*\**$")  # "**. . . . . . . . . .**" above a footer
_LIST_FOOTER_RULE = re.compile(r"_{20,}$")  # Outlook and Mailman draw underscores above their footers
_MAX_RULE_CHARS = 200
_MAX_LIST_FOOTER_LINES = 6
_MAX_SIGNATURE_LINES = 8
_MAX_FOOTER_BLOCKS = 12
_MAX_SIGNATURE_LINE_WORDS = 8
_MAX_NAME_WORDS = 4
_SYMBOLS_ONLY = re.compile(r"^[\W_]*$")
# "P.D.: también falla el correo" under a signature is the client's text.
_POSTSCRIPT = re.compile(r"^(?:p\.\s?[ds]\.|pd\b|ps\b)", re.IGNORECASE)


def _folded(line: str) -> str:
    return fold(line[:_FOLD_LIMIT])


def _rule(pattern: re.Pattern[str], line: str) -> bool:
    """Whether the line, stripped, is a short drawn rule of this kind."""
    stripped = line.strip()
    return len(stripped) <= _MAX_RULE_CHARS and bool(pattern.match(stripped))


def _non_blank(lines: list[str]) -> list[str]:
    return [line for line in lines if line.strip()]


def _tail_indexes(lines: list[str], count: int) -> list[int]:
    """The indexes of the last `count` non-blank lines, in order (read from the end: footers are short)."""
    found: list[int] = []
    for index in range(len(lines) - 1, -1, -1):
        if len(found) == count:
            break
        if lines[index].strip():
            found.append(index)
    return found[::-1]


def _looks_like_signature_line(line: str) -> bool:
    stripped = line.strip()
    short = len(stripped.split()) <= _MAX_SIGNATURE_LINE_WORDS and not stripped.endswith(("?", ":"))
    return short and not _POSTSCRIPT.match(stripped)


def _signature_separator(lines: list[str]) -> int | None:
    # A bare separator has at most ten lines under it, so only the last eleven non-blank lines can be one.
    tail = _tail_indexes(lines, _MAX_LINES_AFTER_BARE_SEPARATOR + 1)
    earliest_bare = tail[0] if tail else len(lines)
    for index, line in enumerate(lines):
        if index == 0:
            continue
        if line == _SIGNATURE_SEPARATOR:
            return index
        if index < earliest_bare or (line.strip() not in _BARE_SEPARATORS and not _rule(_DECORATION, line)):
            continue
        if all(map(_looks_like_signature_line, _non_blank(lines[index + 1 :]))):
            return index
    return None


def is_device_footer(line: str) -> bool:
    """A phone or webmail footer line: "Enviado desde mi iPhone", "Get Outlook for iOS<https://…>"."""
    folded = _folded(line.strip().strip("\u202a\u202b\u202c\u200e\u200f"))
    found = DEVICE_FOOTER.match(folded)
    if found:
        rest = found.group("rest")
        return len(rest.split()) <= DEVICE_FOOTER_WORDS and not DEVICE_FOOTER_SENTENCE.search(rest)
    return bool(DEVICE_FOOTER_VERB_LAST.match(folded))


def _device_footer(lines: list[str]) -> int | None:
    first = next((index for index, line in enumerate(lines) if line.strip()), len(lines))
    return next((index for index in range(first + 1, len(lines)) if is_device_footer(lines[index])), None)


def _starts_paragraph(lines: list[str], index: int) -> bool:
    previous = lines[index - 1]
    return not previous.strip() or _rule(_SEPARATOR_LINE, previous)


def _disclaimer(lines: list[str]) -> int | None:
    for index, line in enumerate(lines):
        if index > 0 and line.strip() and _starts_paragraph(lines, index) and DISCLAIMER.match(_folded(line)):
            return index
    return None


def is_sign_off(line: str) -> bool:
    """A closing line ("Saludos,", "Cordialmente", "Best regards, Ann", "Mit freundlichen Grüßen")."""
    folded, positions = fold_with_positions(line[:_FOLD_LIMIT])
    found = SIGN_OFF.match(folded)
    if not found:
        return False
    start = found.start("rest")
    rest = line[positions[start] :] if start < len(positions) else ""
    if _SYMBOLS_ONLY.match(rest):
        return True  # nothing, punctuation or an emoji
    words = rest.strip().rstrip(",.").split()
    return len(words) <= _MAX_NAME_WORDS and all(word[:1].isupper() for word in words)


def _sign_off(lines: list[str]) -> int | None:
    for index in _tail_indexes(lines, _MAX_SIGNATURE_LINES + 1):
        if index == 0 or not is_sign_off(lines[index]):
            continue
        if all(_looks_like_signature_line(rest) for rest in _non_blank(lines[index + 1 :])):
            return index
    return None


def _list_footer(lines: list[str]) -> int | None:
    for index in _tail_indexes(lines, _MAX_LIST_FOOTER_LINES + 1):
        if index > 0 and _rule(_LIST_FOOTER_RULE, lines[index]):
            return index
    return None


def _trailing_separator(lines: list[str]) -> int | None:
    tail = _tail_indexes(lines, 1)
    if tail and tail[0] > 0 and _rule(_SEPARATOR_LINE, lines[tail[0]]):
        return tail[0]
    return None


def _without_trailing_blanks(lines: list[str]) -> list[str]:
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    return lines[:end]


def drop_footers(lines: list[str]) -> list[str]:
    """`lines` without trailing signatures, phone footers, legal notices and closings.

    Each pass cuts one block; a real mail has a few (closing, signature, legal notice, list footer), so the passes
    are capped: a crafted mail of ten thousand "Saludos," lines costs a few passes, not ten thousand."""
    # A phone footer and a legal notice are found as the first in the text: once cut there or above, none is left,
    # so they are looked for in the first pass only (each is a scan of every line).
    first_only = (_device_footer, _disclaimer)
    at_the_end = (_signature_separator, _sign_off, _list_footer, _trailing_separator)
    lines = _without_trailing_blanks(lines)
    for rules in [first_only + at_the_end] + [at_the_end] * (_MAX_FOOTER_BLOCKS - 1):
        cuts = [cut for rule in rules if (cut := rule(lines)) is not None]
        if not cuts:
            break
        lines = _without_trailing_blanks(lines[: min(cuts)])
    return lines


def drop_banners(lines: list[str]) -> list[str]:
    """`lines` without an "external sender" warning paragraph or a phone footer above the client's text."""
    start = next((index for index, line in enumerate(lines) if line.strip()), len(lines))
    if start == len(lines):
        return lines
    end = start + 1
    if BANNER.match(_folded(lines[start].strip())):
        while end < len(lines) and lines[end].strip():
            end += 1
    elif not is_device_footer(lines[start]):
        return lines
    rest = lines[end:]
    return rest if any(line.strip() for line in rest) else lines
