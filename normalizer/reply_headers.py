"""Where quoted history starts: reply attributions, Outlook-style header blocks and separator lines, in many languages.

mailparser_reply finds the English and Spanish forms; the clients of a help desk also forward and answer threads that
passed through other locales, so the rules here are tables of words, matched on folded text (lowercase, no accents,
no bidirectional marks):

- an attribution ("On … wrote:", "El … escribió:", "Am … schrieb …:", "W dniu … napisał:"), on one line or wrapped
  over up to four, with a time, a year, a date or an address in it;
- a header block: three or more "Field: value" lines (blank lines and one wrapped line between them allowed), one of
  them naming the sender ("De:", "From:", "Von:", "Od:", "От:"), or the same fields run together on one line;
- a separator ("-----Mensaje original-----", "---------- Forwarded message ---------", "Inicio del mensaje
  reenviado:").
"""

from __future__ import annotations

import re
from typing import Literal

from normalizer.folding import fold, line_memo

HeaderKind = Literal["attribution", "block", "separator"]

_MAX_LINES = 4  # Gmail wraps a long name and address, with its <mailto:…> piece, over four
_MAX_CHARS = 400
_FOLD_LIMIT = 500  # header lines are short: never fold more of a (possibly huge) line than this
_MAX_BLOCK_GAP = 2  # blank lines allowed between two fields of one header block
_MIN_FIELDS = 3
_MAX_BLOCK_LINES = 30  # a quoted header has a dozen fields at most: a block is never looked for further down

_BIDI = re.compile("[\u200b\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")  # a regex: faster than translate
_QUOTE_PREFIX = re.compile(r"^[>\s]*")

# "wrote" in the attribution lines of mail clients, folded.
_WROTE = (
    r"wrote|escribio|escreveu|a ecrit|ecrit|schrieb|skrev|schreef|ha scritto|scritto|napisa\w*|napisał\w*|napsal\w*"
    r"|kirjoitti|irta|εγραψε|написал\w*|كتب\w*|a scris|yazdi|写道|寫道"
)
_WROTE_AT_END = re.compile(rf"(?<!\w)(?:{_WROTE})(?!\w)(?:\s*\([\w/]+\))?\s*:$")
_WROTE_ANYWHERE = re.compile(rf"(?<!\w)(?:{_WROTE})(?!\w)")
_WROTE_AT_THE_VERY_END = re.compile(rf"(?<!\w)(?:{_WROTE})$")  # checked on the last characters, before the rest
_WROTE_TAIL = 24
_WROTE_NO_COLON = re.compile(rf"^(?:on|el|em|le|am|op)\s.*<[^<>\s]+@[^<>\s]+>\s*(?:{_WROTE})$")
_OPENER = re.compile(r"^(?:\d|(?:on|el|em|le|am|op|il|den|dne|dnia|w dniu|в|στις|في)\s)")
_TIME = re.compile(r"\d{1,2}[:.h]\d{2}")
_WHEN_OR_WHO = re.compile(r"\d{1,2}[:.h]\d{2}|@|\b(?:19|20)\d{2}\b|\d{1,2}/\d{1,2}/\d{2,4}|\d{1,2}\.\d{1,2}\.\d{2,4}")
# Clients in other locales: a date, the quoted sender's address, at most two words and ":" ("… <a@b.c> написал:").
_ADDRESS_ATTRIBUTION = re.compile(r"^.*\d.*<\s?[^<>@\s]+@[^<>\s]+\s?>\)?(?:\s+[^\s<>@]+){0,2}\s*:$")

# Header field names (folded when compiled). The sender's field makes a block of fields a quoted header.
_FROM_NAMES = "de from von van da fra från od от من nadawca afzender remitente expéditeur absender"
_OTHER_NAMES = (
    "enviado enviados enviada sent fecha date datum dato data para to an aan a à til till do кому إلى asunto assunto"
    " subject betreff"
    " onderwerp oggetto objet sujet emne ämne temat тема الموضوع cc cco bcc copia gesendet verzonden inviato envoyé"
    " sendt skickat wysłano отправлено adresat destinatario destinataire importancia importance organization kopie"
)
_FROM_FIELDS = frozenset(fold(name) for name in [*_FROM_NAMES.split(), "от кого"])
_OTHER_FIELDS = frozenset(
    fold(name)
    for name in [
        *_OTHER_NAMES.split(),
        "enviado el",
        "enviada em",
        "envoyé le",
        "copie à",
        "message du",
        "تم الإرسال",
        "reply-to",
    ]
)
_ONE_WORD_FIELD = re.compile(r"^[\s*_]*([^\W\d_][\w'’-]*)\s*\**\s*:")
_TWO_WORD_FIELD = re.compile(r"^[\s*_]*([^\W\d_][\w'’-]* [^\W\d_][\w'’-]*)\s*\**\s*:")
# The field name just before a colon: letters, "'" and "-", from its first letter ("13:46Nadawca:" has one). Only
# the last `_FIELD_WINDOW` characters before each colon are read, so a long line costs its colons, not its letters.
_NAME_BEFORE_COLON = re.compile(r"(?<![^\W\d_])(?<!['’-])([^\W\d_](?:[^\W\d_]|['’-])*)\s*\Z")
_FIELD_WINDOW = 40

# Separator lines, folded.
_SEPARATOR_PHRASES = (
    r"mensaje original|original message|mensaje reenviado|forwarded message|message d'origine|message d’origine"
    r"|message transfere|ursprungliche nachricht|original-nachricht|originalnachricht|weitergeleitete nachricht"
    r"|oprindelig besked|oprindelig meddelelse|videresendt meddelelse|oorspronkelijk bericht|doorgestuurd bericht"
    r"|messaggio originale|messaggio inoltrato|mensagem original|mensagem encaminhada|wiadomosc oryginalna"
    r"|ursprungligt meddelande|vidarebefordrat meddelande|пересылаемое сообщение|исходное сообщение"
    r"|alkuperainen viesti|eredeti uzenet|puvodni zprava"
)
_SEPARATOR = re.compile(
    rf"^-{{2,}}\s*(?:{_SEPARATOR_PHRASES})\s*-{{2,}}"
    r"|^-{2,}\s*(?:el|on)\s.*\d.*(?:escribio|wrote)\s*:?\s*-{2,}\s*$"
    r"|^(?:begin forwarded message|inicio del mensaje reenviado|comienzo del mensaje reenviado"
    r"|debut du message reexpedie|anfang der weitergeleiteten nachricht|inizio messaggio inoltrato)\s*:\s*$"
)
_RULE_LINE = re.compile(r"^[>\s]*[_\-=*~—]{3,}\s*$")  # above a header block, so short ones count
# The separators that start a forwarded message (the client asks about it: its text is kept, see `forwarded`).
_FORWARD = re.compile(
    r"forwarded message|mensaje reenviado|message transfere|weitergeleitete nachricht|videresendt meddelelse"
    r"|doorgestuurd bericht|messaggio inoltrato|mensagem encaminhada|vidarebefordrat meddelande"
    r"|пересылаемое сообщение|begin forwarded message|comienzo del mensaje reenviado|debut du message reexpedie"
    r"|anfang der weitergeleiteten nachricht|inizio messaggio inoltrato"
)
# The client saying, above a header block, that what follows is forwarded ("les reenvío el error", "forwarding").
_FORWARD_INTENT = re.compile(
    r"(?<!\w)(?:reenvi[oe]|reenviamos|reenvio|forward(?:ing)?|fwd?|rv|encaminho|weiterleite|je (?:te |vous )?transfere"
    r"|te paso (?:el|este) correo|les? comparto (?:el|este) correo"
    r"|(?:ver|miren?) (?:el )?(?:correo|mensaje) (?:de )?abajo|see (?:the )?(?:e-?mail|message) below)(?!\w)"
)
_EMPHASIS = re.compile(r"^[*_]+|[*_]+$")  # "*-------- Original Message --------*" from an HTML conversion


def clean(line: str) -> str:
    """The line without quote markers, bidirectional marks and outer spaces."""
    return _QUOTE_PREFIX.sub("", _BIDI.sub("", line)).strip()


def fold_lines(lines: list[str]) -> list[str]:
    """Every line cleaned and folded, the form all rules here read (long lines are cut: headers are short)."""
    return [fold(clean(line[:_FOLD_LIMIT])) for line in lines]


def forwarded(lines: list[str], header: tuple[HeaderKind, int, int], forward: bool = False) -> int | None:
    """If `header` (from `first_header`) starts a forwarded message, the first line of its text: under the header
    block that follows the separator, if there is one. A forward's separator says so; when the subject does
    (`forward`: "RV:", "Fwd:") or the client's lines above ("les reenvío el error"), so does any separator or header
    block ("-----Mensaje original-----", "De: …")."""
    kind, first, last = header
    if kind == "attribution":  # most replies: nothing above it is read
        return None
    folded = fold_lines(lines[first : min(len(lines), last + 2 + _MAX_BLOCK_GAP + _MAX_BLOCK_LINES)])
    forward = forward or (kind == "separator" and bool(_FORWARD.search(folded[0])))
    forward = forward or any(_FORWARD_INTENT.search(line) for line in fold_lines(lines[:first]))
    if not forward:
        return None
    if kind == "block":
        return last + 1
    start = last + 1
    while start < len(lines) and not lines[start].strip():
        start += 1
    block_end = block_at(folded, start - first) if start - first < len(folded) else None
    return start if block_end is None else first + block_end + 1


def _is_attribution(text: str) -> bool:
    """Whether folded, joined `text` is a whole attribution line."""
    if len(text) > _MAX_CHARS:
        return False
    if text.endswith(":"):  # the cheap tests first: a crafted mail has thousands of lines ending so
        if _WROTE_AT_END.search(text[-_WROTE_TAIL * 2 :]) and _WHEN_OR_WHO.search(text):
            return True
        if _TIME.search(text) and _WROTE_ANYWHERE.search(text):
            return True
        return "@" in text and bool(_ADDRESS_ATTRIBUTION.match(text))
    return bool(_WROTE_AT_THE_VERY_END.search(text[-_WROTE_TAIL:]) and _WROTE_NO_COLON.match(text))


def attribution_at(folded: list[str], index: int) -> int | None:
    """If an attribution starts at `index`, the index of its last line (it may be wrapped over four)."""
    joined = folded[index]
    if not joined:
        return None
    for last in range(index, min(index + _MAX_LINES, len(folded))):
        if last > index:
            piece = folded[last]
            if not piece or joined.endswith((".", "!", "?")):
                return None
            # "w=\nrote:": a quoted-printable soft break some clients leave in the text
            joined = joined[:-1] + piece if joined.endswith("=") else f"{joined} {piece}"
        if _is_attribution(joined):
            return None if last > index and _starts_later(folded, index, last) else last
    return None


def _starts_later(folded: list[str], index: int, last: int) -> bool:
    """Whether the attribution joined from `index` to `last` really starts on a later line ("Hi,\nOn … wrote:")."""
    if not re.search(r"\d", folded[index]):
        return True  # a wrapped attribution's first line carries the date
    return any(
        _OPENER.match(folded[start]) and _is_attribution(" ".join(folded[start : last + 1]))
        for start in range(index + 1, last + 1)
    )


@line_memo  # a block is looked for at every line, and each look reads up to `_MAX_BLOCK_LINES` lines
def _field(folded_line: str) -> str | None:
    """'from' or 'other' if the line starts with a header field name ("De:", "*Sent:*", "Enviado el :"), else None."""
    for pattern in (_TWO_WORD_FIELD, _ONE_WORD_FIELD):
        found = pattern.match(folded_line)
        if found and found.group(1) in _FROM_FIELDS:
            return "from"
        if found and found.group(1) in _OTHER_FIELDS:
            return "other"
    return None


def _inline_block(folded_line: str) -> bool:
    """Several fields run together on one line ("Temat: … Nadawca: … Adresat:")."""
    if folded_line.count(":") < _MIN_FIELDS:
        return False
    found = (_NAME_BEFORE_COLON.search(piece[-_FIELD_WINDOW:]) for piece in folded_line.split(":")[:-1])
    names = [name for name in (f.group(1) for f in found if f) if name in _FROM_FIELDS or name in _OTHER_FIELDS]
    return len(names) >= _MIN_FIELDS and any(name in _FROM_FIELDS for name in names)


def block_at(folded: list[str], index: int) -> int | None:
    """If a header block starts at `index`, the index of its last field line."""
    if _inline_block(folded[index]):
        return index
    kind = _field(folded[index])
    if kind is None:
        return None
    kinds = [kind]
    last = index
    gap = 0
    wrapped = False
    for position in range(index + 1, min(len(folded), index + _MAX_BLOCK_LINES)):
        if gap > _MAX_BLOCK_GAP:
            break
        if not folded[position]:
            gap += 1
        elif (found := _field(folded[position])) is not None:
            kinds.append(found)
            last, gap, wrapped = position, 0, False
        elif not wrapped and position == last + 1:
            wrapped = True  # a long "To:" or "Subject:" wrapped onto the next line
        else:
            break
    return last if len(kinds) >= _MIN_FIELDS and "from" in kinds else None


def is_separator(folded_line: str) -> bool:
    return bool(_SEPARATOR.match(_EMPHASIS.sub("", folded_line)))


def is_rule_line(line: str) -> bool:
    return bool(_RULE_LINE.match(line))


def _mentions_wrote(folded_line: str) -> bool:
    """An attribution left without its colon ("Am 20.06.24 um 16:20 schrieb Klarstein"), just above a block."""
    return bool(_WROTE_ANYWHERE.search(folded_line) and _TIME.search(folded_line)) and len(folded_line) <= _MAX_CHARS


def header_at(folded: list[str], index: int) -> tuple[HeaderKind, int] | None:
    """The kind and last line of a reply header starting at `index`, if any."""
    if is_separator(folded[index]):
        return "separator", index
    last = attribution_at(folded, index)
    if last is not None:
        return "attribution", last
    last = block_at(folded, index)
    if last is not None:
        return "block", last
    return None


def first_header(lines: list[str], start: int = 0) -> tuple[HeaderKind, int, int] | None:
    """(kind, first line, last line) of the earliest reply header at or after `start`.

    A block takes with it the rule line, separator or colon-less attribution just above it. A block right under the
    client's line ending in ":" is a paste ("Here are the headers I copied:"), not a header: it is passed over.
    """
    folded = fold_lines(lines)
    index = start
    while index < len(lines):
        found = header_at(folded, index)
        if found is None:
            index += 1
            continue
        kind, last = found
        first = index
        if kind == "block":
            above = index - 1
            while above >= 0 and not folded[above]:
                above -= 1
            if above >= 0 and (
                is_rule_line(lines[above]) or is_separator(folded[above]) or _mentions_wrote(folded[above])
            ):
                first = above
            elif is_pasted(folded, index):
                index = last + 1
                continue
        return kind, first, last
    return None


def is_pasted(folded: list[str], index: int) -> bool:
    """Whether the header fields from line `index` on are the client's paste: under the client's line ending in ":"
    ("Here are the headers I copied:"), right above them or above their paragraph (Received: lines first)."""
    start = index
    while start > 0 and folded[start - 1]:
        start -= 1
    for line in (index, start):
        above = line - 1
        while above >= 0 and not folded[above]:
            above -= 1
        if above >= 0 and _introduces_a_paste(folded[above]):
            return True
    return False


def _introduces_a_paste(folded_line: str) -> bool:
    """The client's own line introducing what follows ("Los encabezados son:"), not a header's line."""
    return folded_line.endswith(":") and _field(folded_line) is None and not _is_attribution(folded_line)
