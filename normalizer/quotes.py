"""The text the client wrote now: quoted history, reply headers, signatures and phone footers removed.

mailparser_reply (`EmailReplyParser`, Spanish and English) splits a mail into its replies; we keep the first. Its
splits are checked (an Outlook-style block must name the sender, a "wrote:" line must carry a date or address), and
the rules it lacks are added here:

- Spanish attribution lines ("El lun, 3 feb 2025 a las 10:00, Ana <ana@x.com> escribió:"), also wrapped over two or
  three lines; English ones wrapped over three lines;
- "-----Mensaje original-----" and forward separators, Outlook "De:/Enviado:/Para:/Asunto:" blocks split by blank
  lines (as HTML conversions produce), with a separator line just above them;
- interleaved and bottom-posted replies (the client's lines between or below "> " lines are kept, with the quoted
  lines they answer);
- a trailing run of "> " lines (a short paste right after a line ending in ":" is the client's own);
- footers, see `normalizer.signatures`.

The library strips leading whitespace from every line; we map its split back onto the original lines so pasted
logs and commands keep their indentation. If stripping would leave nothing, the original text is returned, trimmed.
"""

from __future__ import annotations

import re

from mailparser_reply import EmailReplyParser

from normalizer.signatures import drop_footers

LANGUAGES = ("es", "en")
_MAX_ATTRIBUTION_LINES = 3
_MAX_ATTRIBUTION_CHARS = 400
_MAX_PASTE_LINES = 3

_QUOTED = re.compile(r"^\s*>")
_QUOTE_PREFIX = re.compile(r"^[>\s]*")
_ATTRIBUTION_START = re.compile(r"^(?:El|On)\s", re.IGNORECASE)
_ATTRIBUTION = re.compile(r"^(?:El|On)\s.*(?<!\w)(?:escribi[oó]|wrote)\s*:$", re.IGNORECASE)
# Clients in other locales: a date, the quoted sender's address, at most two words ("написал") and ":".
_ADDRESS_ATTRIBUTION = re.compile(r"^.*\d.*<\s?[^<>@\s]+@[^<>\s]+\s?>\)?(?:\s+[^\s<>@]+){0,2}\s*:$")
_ATTRIBUTION_DETAIL = re.compile(r"\d|@")
_SEPARATOR = re.compile(
    r"^[>\s]*(?:-{2,}\s*(?:mensaje original|original message|mensaje reenviado|forwarded message)\s*-{2,}"
    r"|-{2,}\s*(?:El|On)\s.*\d.*(?:escribi[oó]|wrote)\s*:?\s*-{2,}"
    r"|(?:begin forwarded message|inicio del mensaje reenviado)\s*:)\s*$",
    re.IGNORECASE,
)
_RULE_LINE = re.compile(r"^[>\s]*[_\-=]{8,}\s*$")
_FROM_FIELD = re.compile(r"^[>\s*]*(?:de|from)\s*\*?:\s*\S", re.IGNORECASE)
_OTHER_FIELD = re.compile(
    r"^[>\s*]*(?:enviado|enviado el|sent|fecha|date|para|to|asunto|subject|cc|cco)\s*\*?:", re.IGNORECASE
)
_HEADER_FROM_LINE = re.compile(r"(?:^|\n)[>\s*]*(?:de|from)\s*\*?:", re.IGNORECASE)
_HEADER_WROTE = re.compile(r"(?:wrote|escribi[oó])\s*:\s*$", re.IGNORECASE)
_HEADER_ORIGINAL = re.compile(r"original message", re.IGNORECASE)
_BLANK_RUNS = re.compile(r"\n{3,}")


def _attribution_at(lines: list[str], index: int) -> int | None:
    """If an attribution line ("On … wrote:") starts at `index`, the index of its last line."""
    first = _QUOTE_PREFIX.sub("", lines[index])
    if not first.strip():
        return None
    starts_like_attribution = bool(_ATTRIBUTION_START.match(first))
    starts_with_date = bool(re.search(r"\d", first))
    joined = first.strip()
    for last in range(index, min(index + _MAX_ATTRIBUTION_LINES, len(lines))):
        if last > index:
            piece = _QUOTE_PREFIX.sub("", lines[last]).strip()
            if not piece or joined.endswith((".", "!", "?")):
                return None
            joined = f"{joined} {piece}"
        if len(joined) > _MAX_ATTRIBUTION_CHARS:
            return None
        if starts_like_attribution and _ATTRIBUTION.match(joined):
            return last if _ATTRIBUTION_DETAIL.search(joined) else None
        if starts_with_date and _ADDRESS_ATTRIBUTION.match(joined):
            return last
    return None


def _outlook_block_at(lines: list[str], index: int) -> bool:
    """A "De:"/"From:" line followed by at least two more header fields (blank lines between them allowed)."""
    if not _FROM_FIELD.match(lines[index]):
        return False
    following = [line for line in lines[index + 1 : index + 12] if line.strip()][:6]
    return sum(1 for line in following if _OTHER_FIELD.match(line)) >= 2


def _first_reply_header(lines: list[str]) -> tuple[int, int] | None:
    """(first line, last line) of the earliest reply header or separator the library may have missed."""
    for index, line in enumerate(lines):
        if _SEPARATOR.match(line):
            return index, index
        last = _attribution_at(lines, index)
        if last is not None:
            return index, last
        if _outlook_block_at(lines, index):
            above = index - 1
            while above >= 0 and not lines[above].strip():
                above -= 1
            ruled = above >= 0 and bool(_RULE_LINE.match(lines[above]) or _SEPARATOR.match(lines[above]))
            return (above if ruled else index), index
    return None


def _is_broken_wrap(lines: list[str], index: int) -> bool:
    """A lowercase line glued to a quoted line is the tail of a quoted line some client wrapped, not an answer."""
    line = lines[index].lstrip()
    return index > 0 and bool(_QUOTED.match(lines[index - 1])) and line[:1].islower()


def _interleaved(lines: list[str]) -> list[str] | None:
    """The reply without its attribution when the client wrote below or between the quoted lines, else None.

    Bottom-posted (all quotes, then the client's text, nothing above the attribution): the quotes go. Interleaved
    (answers between quoted lines): the quoted lines stay, as the questions the answers refer to; a trailing quote
    run goes later.
    """
    header = _first_reply_header(lines)
    if header is None or _QUOTED.match(lines[header[0]]) or _attribution_at(lines, header[0]) is None:
        return None
    first, last = header
    below = lines[last + 1 :]
    trimmed = drop_footers(below)
    seen_quote = False
    for index, line in enumerate(trimmed):
        if _QUOTED.match(line):
            seen_quote = True
        elif seen_quote and line.strip() and not _is_broken_wrap(trimmed, index):
            if any(_QUOTED.match(rest) for rest in trimmed[index:]):
                return lines[:first] + below
            if any(above.strip() for above in lines[:first]):
                return None  # a top-posted reply; the text under the history is a footer some server added
            return below[index:]
    return None


def _is_real_header(header: str) -> bool:
    """Reject library splits on lines that only look like headers ("Fecha: ayer" / "Para: todos" in a request)."""
    if _HEADER_ORIGINAL.search(header):
        return True
    if _HEADER_WROTE.search(header):
        return bool(_ATTRIBUTION_DETAIL.search(header))
    return bool(_HEADER_FROM_LINE.search(header))


def _library_reply_end(lines: list[str]) -> int:
    """Index of the first line after the latest reply, as mailparser_reply splits the text."""
    replies = EmailReplyParser(languages=list(LANGUAGES)).read("\n".join(lines)).replies
    if len(replies) <= 1:
        return len(lines)
    kept = replies[0].content
    for reply in replies[1:]:
        if _is_real_header(reply.headers):
            break
        kept = f"{kept}\n{reply.content}"
    else:
        return len(lines)
    index = 0
    for wanted in (line.strip() for line in kept.split("\n") if line.strip()):
        while index < len(lines) and lines[index].strip() != wanted:
            index += 1
        if index == len(lines):
            return len(lines)  # the library changed a line in a way we cannot map: keep everything
        index += 1
    return index


def _drop_trailing_quotes(lines: list[str]) -> list[str]:
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    start = end
    while start and (_QUOTED.match(lines[start - 1]) or not lines[start - 1].strip()):
        start -= 1
    while start < end and not lines[start].strip():
        start += 1
    if start == end:
        return lines[:end]
    run = [line for line in lines[start:end] if line.strip()]
    introduced = start > 0 and lines[start - 1].rstrip().endswith(":")
    if introduced and len(run) <= _MAX_PASTE_LINES:
        return lines[:end]  # "Ejecuté:\n> ls -la" is the client's paste, not history
    return lines[:start]


def _tidy(lines: list[str]) -> str:
    text = "\n".join(line.rstrip() for line in lines)
    return _BLANK_RUNS.sub("\n\n", text).strip()


def strip_quotes(text: str) -> str:
    """The part of `text` the client wrote in this message (the original, trimmed, if nothing would remain)."""
    original = text.strip()
    if not original:
        return ""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    reply = _interleaved(lines)
    if reply is None:
        reply = lines[: _library_reply_end(lines)]
        header = _first_reply_header(reply)
        if header is not None:
            reply = reply[: header[0]]
    previous: list[str] | None = None
    while reply != previous:
        previous = reply
        reply = drop_footers(_drop_trailing_quotes(reply))
    return _tidy(reply) or original
