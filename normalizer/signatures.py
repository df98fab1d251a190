"""What clients and their mail servers add around a message: signatures, contact blocks, phone footers, legal
notices, banners. The client's closing ("Saludos,") and a lone name under it are the client's and stay.

`drop_footers` removes them from the end of a reply: first a phone footer ("Enviado desde mi iPhone"), which ends the
client's text wherever it stands since what a phone puts below it is the quoted history, and the legal notices that
end the text (`normalizer.notices`); then one block at a time (a `-- ` signature, the contact block under the closing
or at the end, a list footer) until the last block is the client's own text. `drop_banners` removes what goes above
the text: "external sender" warnings and a phone footer some clients put first. A rule that would remove the first
line of the text does not fire: a message that is nothing but a footer is still a message. The patterns are tables
in `normalizer.footer_rules` and `normalizer.contact_rules`.
"""

from __future__ import annotations

import re

from normalizer.contact_block import could_be_in_block, is_contact_line, kept_under_closing, trailing_block
from normalizer.folding import fold, fold_with_positions, line_memo
from normalizer.footer_rules import (
    BANNER,
    DEVICE_FOOTER,
    DEVICE_FOOTER_SENTENCE,
    DEVICE_FOOTER_VERB_LAST,
    DEVICE_FOOTER_WORDS,
    LIST_WORDS,
    SIGN_OFF,
)
from normalizer.notices import notice_cut

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
_MAX_BANNERS = 3
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
    """Short, or a contact line (an address or a row of phones runs longer), and not a question or a postscript."""
    stripped = line.strip()
    short = len(stripped.split()) <= _MAX_SIGNATURE_LINE_WORDS or (
        is_contact_line(stripped) and could_be_in_block(stripped)
    )
    return short and not stripped.endswith(("?", ":")) and not _POSTSCRIPT.match(stripped)


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


@line_memo
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


def _notices(lines: list[str]) -> int | None:
    return notice_cut(lines, is_device_footer, is_sign_off)


@line_memo
def is_sign_off(line: str) -> bool:
    """A closing line ("Saludos,", "Cordialmente", "Best regards, Ann", "Mit freundlichen Grüßen")."""
    if not SIGN_OFF.match(_folded(line)):  # most lines: folded once, without the positions
        return False
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


def _contact_block_under_closing(lines: list[str]) -> int | None:
    """Where the signature under a closing ("Saludos,") starts: the closing and a lone name under it stay."""
    closing = next((i for i in reversed(_tail_indexes(lines, _MAX_SIGNATURE_LINES + 1)) if is_sign_off(lines[i])), None)
    if closing is None:  # the last closing: "Gracias.\n\nSaludos,\nAna" keeps both
        return None
    below = lines[closing + 1 :]
    kept = kept_under_closing(below) if all(map(_looks_like_signature_line, _non_blank(below))) else None
    return None if kept is None else closing + 1 + kept


def _contact_block_at_the_end(lines: list[str]) -> int | None:
    return trailing_block(lines, is_sign_off)


def _list_footer(lines: list[str]) -> int | None:
    """A mailing list's footer: under a long rule of underscores, or a paragraph of "| " lines naming the list."""
    tail = _tail_indexes(lines, _MAX_LIST_FOOTER_LINES + 1)
    for index in tail:
        if index > 0 and _rule(_LIST_FOOTER_RULE, lines[index]):
            return index
    piped = [index for index in tail if lines[index].lstrip().startswith("|")]
    start = piped[0] if len(piped) >= 2 and piped == tail[len(tail) - len(piped) :] else None
    if start and not lines[start - 1].strip() and LIST_WORDS.search(_folded(" ".join(lines[start:]))):
        return start
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
    """`lines` without phone footers, legal notices, trailing signatures and contact blocks; the closing and a lone
    name under it stay.

    A phone footer and a legal notice are cut first, wherever they are: what is below them is not the client's (and a
    number in the client's text above a phone footer is not a contact block with it). Then each pass cuts one block
    from the end; a real mail has a few (signature, contact block, list footer), so the passes are capped: a crafted
    mail of ten thousand "Saludos," lines costs a few passes, not ten thousand."""
    lines = _without_trailing_blanks(lines)
    cuts = [cut for rule in (_device_footer, _notices) if (cut := rule(lines)) is not None]
    if cuts:
        lines = _without_trailing_blanks(lines[: min(cuts)])
    at_the_end = (
        _signature_separator,
        _contact_block_under_closing,
        _contact_block_at_the_end,
        _list_footer,
        _trailing_separator,
    )
    for _ in range(_MAX_FOOTER_BLOCKS):
        cuts = [cut for rule in at_the_end if (cut := rule(lines)) is not None]
        if not cuts:
            break
        lines = _without_trailing_blanks(lines[: min(cuts)])
    return lines


def drop_banners(lines: list[str]) -> list[str]:
    """`lines` without the "external sender" warnings (a server may add two: "CAUTION: …" and Outlook's first-contact
    tip) or a phone footer above the client's text."""
    for _ in range(_MAX_BANNERS):
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
        if not any(line.strip() for line in rest):
            return lines
        lines = rest
    return lines
