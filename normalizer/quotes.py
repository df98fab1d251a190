"""The text the client wrote now: quoted history, reply headers, contact blocks, legal and phone footers removed; the
closing and a lone name stay (`tests/fixtures/quotes/CONVENTION.md` is the convention).

mailparser_reply (`EmailReplyParser`, Spanish and English) splits a mail into its replies; we keep the first. Its
splits are checked (an Outlook-style block must name the sender, a "wrote:" line must carry a date or address), and
the rules it lacks are added:

- reply headers in the many forms `normalizer.reply_headers` knows: attributions wrapped over up to four lines or
  written in other languages, Outlook blocks split by blank lines or with the fields run together, separators;
- a header block with nothing above it (a bare forward, a reply written under the quoted header): what follows it
  is read as the message;
- a forward (its separator, "RV:" in the subject, or the client saying "les reenvío"): the client's lines and the
  forwarded text under the header block, read the same way;
- invisible characters (zero-width spaces, Gmail's tracking glyph) are removed first;
- interleaved and bottom-posted replies: the client's lines between and below the "> " lines are kept and the quoted
  lines dropped, except a short quoted paste the client introduced with a line ending in ":";
- a trailing run of "> " lines without a header (again unless it is a short paste introduced by ":"); quoted lines
  with no reply header above them otherwise stay, since pasted shell prompts and logs look the same;
- banners, footers and contact blocks, see `normalizer.signatures` and `normalizer.contact_block`.

The library strips leading whitespace from every line; we map its split back onto the original lines so pasted
logs and commands keep their indentation. If stripping would leave nothing, the original text is returned, trimmed
and without its footers.
"""

from __future__ import annotations

import re

from mailparser_reply import EmailMessage

from normalizer.contact_block import without_inner_blocks
from normalizer.notices import without_inner_notices
from normalizer.reply_headers import HeaderKind, first_header, fold_lines, forwarded, is_pasted
from normalizer.signatures import drop_banners, drop_footers, is_sign_off

LANGUAGES = ("es", "en")
_MAX_PASTE_LINES = 3
_MIN_WRAPPED_LENGTH = 60  # a quoted line some client wrapped was a long one
_MAX_FORWARD_DEPTH = 3
_MAX_TRIM_PASSES = 6
_LIBRARY_LINE_LIMIT = 400
_LIBRARY_ON_LINE_LIMIT = 160  # "On <date>, <name> <address> wrote:" fits; its "On" pattern is quadratic per line
_NOT_ATTRIBUTION_LIMIT = 40
_MAX_LIBRARY_ATTRIBUTIONS = 50  # quoted levels in one mail; past these, "On …" lines are cut short too
# Reply headers are looked for in this many lines at most: a client's own text above the quote is never longer,
# and every rule's cost then has a ceiling, however long the mail (the text kept beyond it is what the client sent).
MAX_ANALYSED_LINES = 5_000

_QUOTED = re.compile(r"^\s*>")
_STARTS_ON = re.compile(r"\s*(?:>\s?)*on\s", re.IGNORECASE)
_ATTRIBUTION_DETAIL = re.compile(r"\d|@")
_HEADER_FROM_LINE = re.compile(r"(?:^|\n)[>\s*]*(?:de|from)\s*\*?:", re.IGNORECASE)
_HEADER_WROTE = re.compile(r"(?:wrote|escribi[oó])\s*:\s*$", re.IGNORECASE)
_HEADER_ORIGINAL = re.compile(r"original message", re.IGNORECASE)
_BLANK_RUNS = re.compile(r"\n{3,}")
# Invisible characters mail programs leave in the text: zero-width spaces and joiners (a joiner inside an emoji
# sequence stays), word joiners, byte-order marks.
_INVISIBLE = re.compile("[\u200b\u200c\u2060\ufeff]|\u200d(?![\u2600-\u27bf\U0001f000-\U0010ffff])")
# Lines with nothing visible on them: Gmail's tracking glyph "ᐧ", or "&nbsp;" entities an HTML conversion left.
_EMPTY_LOOKING = re.compile(r"\s*(?:\u1427|(?:&nbsp;?\s*)+)\s*")


def _is_soft_break_tail(lines: list[str], index: int) -> bool:
    """The rest of a quoted line cut at a quoted-printable soft break ("… attachment=" then ",")."""
    return index > 0 and bool(_QUOTED.match(lines[index - 1])) and lines[index - 1].rstrip().endswith("=")


def _is_broken_wrap(lines: list[str], index: int) -> bool:
    """A lowercase line glued to a long quoted line may be its tail, wrapped by some client: no proof of an answer."""
    if index == 0 or not _QUOTED.match(lines[index - 1]) or not lines[index].strip():
        return False
    long_quote = len(lines[index - 1].rstrip()) >= _MIN_WRAPPED_LENGTH
    return _is_soft_break_tail(lines, index) or (long_quote and lines[index].lstrip()[:1].islower())


def _is_introduced_paste(lines: list[str], start: int, end: int) -> bool:
    """A short quoted run right under the client's own line ending in ":" ("Ejecuté:\\n> ls -la")."""
    above = lines[start - 1] if start > 0 else ""
    run = [line for line in lines[start:end] if line.strip()]
    introduced = bool(above.strip()) and not _QUOTED.match(above) and above.rstrip().endswith(":")
    return introduced and len(run) <= _MAX_PASTE_LINES


def _without_quotes(lines: list[str]) -> list[str]:
    """The client's lines of an interleaved reply: quoted runs dropped, pastes kept.

    A lowercase line under a long quoted line may be the quote's wrapped tail or a terse answer; it is kept, since
    losing an answer is worse than showing a fragment of the question.
    """
    kept: list[str] = []
    index = 0
    while index < len(lines):
        if not _QUOTED.match(lines[index]):
            kept.append(lines[index])
            index += 1
            continue
        end = index
        while end < len(lines) and (_QUOTED.match(lines[end]) or _is_soft_break_tail(lines, end)):
            end += 1
        if _is_introduced_paste(lines, index, end):
            kept.extend(lines[index:end])
        index = end
    return kept


def _interleaved(lines: list[str], header: tuple[HeaderKind, int, int] | None) -> list[str] | None:
    """The reply when the client wrote below or between the quoted lines of an attributed quote, else None.

    Bottom-posted (all quotes, then the client's text, nothing above the attribution) and interleaved (answers
    between quoted lines): the client's lines stay and the quoted ones go. Text above the attribution, quotes, and
    text under them with no more quotes is a top-posted reply with a footer some server added: None. `header` is
    the text's first reply header.
    """
    if header is None or header[0] != "attribution" or _QUOTED.match(lines[header[1]]):
        return None
    _, first, last = header
    below = lines[last + 1 :]
    trimmed = drop_footers(below)
    seen_quote = False
    for index, line in enumerate(trimmed):
        if _QUOTED.match(line):
            seen_quote = True
        elif seen_quote and line.strip() and not _is_broken_wrap(trimmed, index):
            if any(_QUOTED.match(rest) for rest in trimmed[index:]):
                return lines[:first] + _without_quotes(below)
            if any(above.strip() for above in lines[:first]):
                return None
            return _without_quotes(below)
    return None


def _is_real_header(header: str) -> bool:
    """Reject library splits on lines that only look like headers ("Fecha: ayer" / "Para: todos" in a request)."""
    if _HEADER_ORIGINAL.search(header):
        return True
    if _HEADER_WROTE.search(header):
        return bool(_ATTRIBUTION_DETAIL.search(header))
    return bool(_HEADER_FROM_LINE.search(header))


class _RepliesOnly(EmailMessage):  # type: ignore[misc]
    """mailparser_reply's split of a mail into replies, without its signature and disclaimer search: we drop those
    with `normalizer.signatures`, and its signature regex takes quadratic time on a long run of blank lines."""

    def _process_signatures_disclaimers(self, text: str) -> tuple[list[str], str]:
        return [], ""


def _library_reply_end(lines: list[str]) -> int:
    """Index of the first line after the latest reply, as mailparser_reply splits the text.

    The library sees each line cut (`_for_library`): reply headers are short, and its header patterns take time
    quadratic in the length of a line that starts like one ("On " and 10 KB of words)."""
    lines = _for_library(lines)
    replies = _RepliesOnly(text="\n".join(lines), languages=list(LANGUAGES)).read().replies
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
    split = next((i for i in range(index, len(lines)) if lines[i].strip()), len(lines))
    if split < len(lines) and is_pasted(fold_lines(lines[: split + 1]), split):
        return len(lines)  # header fields the client pasted under "…:": our own rules look further down
    return index


def _for_library(lines: list[str]) -> list[str]:
    """Each line cut at `_LIBRARY_LINE_LIMIT`, and a line starting with "On" shorter: at `_LIBRARY_ON_LINE_LIMIT`
    when "wrote:" ends it or one of the two lines below (where the library's attribution pattern may end), for the
    first `_MAX_LIBRARY_ATTRIBUTIONS` such lines; at `_NOT_ATTRIBUTION_LIMIT` otherwise. Each of 2,000 lines of
    "On average…" cost that pattern a millisecond at 400 characters, and a matching line 0.3 ms at 160."""
    cut = [line[:_LIBRARY_LINE_LIMIT] for line in lines]
    attributions = 0
    for index, line in enumerate(cut):
        if _STARTS_ON.match(line):
            ends = any(below.rstrip().lower().endswith("wrote:") for below in cut[index : index + 3])
            attributions += ends
            keep = ends and attributions <= _MAX_LIBRARY_ATTRIBUTIONS
            cut[index] = line[: _LIBRARY_ON_LINE_LIMIT if keep else _NOT_ATTRIBUTION_LIMIT]
    return cut


def _reply(lines: list[str], depth: int = 0, forward: bool = False) -> list[str]:
    """The lines above the first reply header; under a header block with nothing above it, the text below it."""
    header = first_header(lines)
    interleaved = _interleaved(lines, header)
    if interleaved is not None:
        return interleaved
    forwarded_text = _forward(lines, header, depth, forward)
    if forwarded_text is not None:
        return forwarded_text
    reply = lines[: _library_reply_end(lines)]
    header = first_header(reply)
    if header is None:
        return reply
    kind, first, last = header
    if kind == "block" and depth < _MAX_FORWARD_DEPTH and not any(line.strip() for line in reply[:first]):
        return _reply(drop_banners(lines[last + 1 :]), depth + 1)
    return reply[:first]


def _forward(
    lines: list[str], header: tuple[HeaderKind, int, int] | None, depth: int, forward: bool
) -> list[str] | None:
    """A forward, when the first reply header is a forward's separator (or any header, when the subject says the
    mail is a forward): the client's lines above it (without their closing's contact block or footers) and the
    forwarded message's text below its header block, read the same way. `header` is the text's first reply header."""
    if header is None or depth >= _MAX_FORWARD_DEPTH:
        return None
    body = forwarded(lines, header, forward)
    first = header[1]
    if body is None or _library_reply_end(lines[:first]) < first:
        return None
    above = drop_footers(lines[:first])
    return [*above, "", *_reply(drop_banners(lines[body:]), depth + 1)] if above else _reply(lines[body:], depth + 1)


def _drop_trailing_quotes(lines: list[str]) -> list[str]:
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    start = end
    while start and (_QUOTED.match(lines[start - 1]) or not lines[start - 1].strip()):
        start -= 1
    while start < end and not lines[start].strip():
        start += 1
    if start == end or _is_introduced_paste(lines, start, end):
        return lines[:end]  # nothing quoted, or "Ejecuté:\n> ls -la": the client's paste, not history
    return lines[:start]


def _tidy(lines: list[str]) -> str:
    text = "\n".join(line.rstrip() for line in lines)
    return _BLANK_RUNS.sub("\n\n", text).strip()


def strip_quotes(text: str, forward: bool = False) -> str:
    """The part of `text` the client wrote in this message (the original, trimmed, if nothing would remain); with
    `forward` (the subject says "RV:" or "Fwd:"), the first quoted header is a forward's, and what it heads stays."""
    text = _INVISIBLE.sub("", text)
    original = text.strip()
    if not original:
        return ""
    lines = [
        "" if _EMPTY_LOOKING.fullmatch(line) else line
        for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    ]
    if len(lines) > MAX_ANALYSED_LINES:  # a pasted log, or a crafted mail: the reply is found near the top or not
        head = lines[:MAX_ANALYSED_LINES]
        if first_header(head) is None and _library_reply_end(head) == len(head):
            return _tidy(lines)  # no quoted history near the top: all of it is what the client sent
        lines = head
    reply = _reply(drop_banners(lines), forward=forward)
    for _ in range(_MAX_TRIM_PASSES):  # footers under quotes under footers: a real mail has a few layers
        trimmed = drop_footers(_drop_trailing_quotes(reply))
        if trimmed == reply:
            break
        reply = trimmed
    reply = without_inner_blocks(without_inner_notices(reply), is_sign_off)
    return _tidy(reply) or _tidy(drop_footers(lines)) or original
