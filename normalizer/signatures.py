"""What clients and their mail servers append below a message: signatures, phone footers, legal notices.

`drop_footers` removes them from the end of a reply, one block at a time, until the last block is the client's
own text. Every rule only looks at the tail, and a rule that would remove the first line of the text does not fire:
a message that is nothing but a footer is still a message.
"""

from __future__ import annotations

import re

from normalizer.folding import fold

# "-- " is the standard separator; some clients and HTML conversions drop the trailing space.
_SIGNATURE_SEPARATOR = "-- "
_MAX_LINES_AFTER_BARE_DASHES = 10
_SEPARATOR_LINE = re.compile(r"^\s*[_\-=*~]{5,}\s*$")
_LIST_FOOTER_RULE = re.compile(r"^\s*_{20,}\s*$")  # Outlook and Mailman draw underscores above their footers
_MAX_LIST_FOOTER_LINES = 6

# Phone and webmail footers, matched on folded (lowercase, no accents) lines.
_SENT_FROM = re.compile(
    r"^\s*(?:enviado (?:desde|con|via)|sent (?:from|with|via|using)|obtener outlook|get outlook|descargar outlook"
    r"|download outlook)\b.{0,60}$"
)
_SENT_FROM_WINDOW = 3  # the footer must be among the last non-blank lines

# Legal notices start a paragraph of their own; matched on folded lines.
_DISCLAIMER = re.compile(
    r"^[\s*]*(?:aviso de confidencialidad|aviso legal|nota de confidencialidad|clausula de confidencialidad"
    r"|confidentiality notice|privileged (?:and|&) confidential|antes de imprimir|please consider the environment"
    r"|(?:confidencialidad|confidential|confidentiality|disclaimer|aviso|advertencia)\s*(?::|$)"
    r"|(?:este|el presente) (?:correo|mensaje|e-?mail)(?: electronico)?(?: y sus (?:anexos|adjuntos))?"
    r" (?:es|son|contiene|puede contener|y cualquier|esta dirigido|va dirigido)"
    r"|la informacion (?:contenida|incluida) en este"
    r"|this (?:e-?mail|message|communication)(?: and any (?:files|attachments)[\w ]{0,40}?)?"
    r" (?:is|are|may contain|contains) (?:confidential|intended|privileged|strictly)"
    r"|the information (?:contained|included) in this)"
)

# Closing lines. Strong closings end a message whatever punctuation follows; "Gracias"/"Thanks" only with a comma
# (so "Gracias. No puedo imprimir." stays). An optional name may follow on the same line.
_NAME = r"(?:\s*(?-i:[A-ZÁÉÍÓÚÑ][\w.'-]*)(?:\s+(?-i:[A-ZÁÉÍÓÚÑ][\w.'-]*)){0,3})?"
_STRONG_SIGN_OFF = (
    r"(?:(?:un|muchos|afectuosos|cordiales) )?saludos?(?: cordiales)?|(?:un )?cordial(?:es)? saludos?|atentamente"
    r"|cordialmente|quedo atent[oa]|(?:un )?abrazos?|all the best|best(?: regards| wishes)?"
    r"|(?:kind|warm|warmest) regards|regards|sincerely|cheers"
)
_WEAK_SIGN_OFF = (
    r"(?:(?:muchas|mil|much[ií]simas) )?gracias(?: de antemano)?|(?:many )?thanks(?: in advance)?"
    r"|thank you(?: in advance)?"
)
_SIGN_OFF = re.compile(
    rf"^\s*(?:(?:{_STRONG_SIGN_OFF})\s*[,.!]*|(?:{_WEAK_SIGN_OFF})\s*,){_NAME}\s*[,.]?\s*$", re.IGNORECASE
)
_MAX_SIGNATURE_LINES = 6
_MAX_SIGNATURE_LINE_WORDS = 8


def _non_blank(lines: list[str]) -> list[str]:
    return [line for line in lines if line.strip()]


def _signature_separator(lines: list[str]) -> int | None:
    for index, line in enumerate(lines):
        if index == 0:
            continue
        if line == _SIGNATURE_SEPARATOR or line.rstrip() in ("--", "__"):
            if line == _SIGNATURE_SEPARATOR or len(_non_blank(lines[index + 1 :])) <= _MAX_LINES_AFTER_BARE_DASHES:
                return index
    return None


def _tail_indexes(lines: list[str], count: int) -> list[int]:
    return [index for index, line in enumerate(lines) if line.strip()][-count:]


def _sent_from(lines: list[str]) -> int | None:
    for index in _tail_indexes(lines, _SENT_FROM_WINDOW):
        if index > 0 and _SENT_FROM.match(fold(lines[index])):
            return index
    return None


def _starts_paragraph(lines: list[str], index: int) -> bool:
    previous = lines[index - 1]
    return not previous.strip() or bool(_SEPARATOR_LINE.match(previous))


def _disclaimer(lines: list[str]) -> int | None:
    for index, line in enumerate(lines):
        if index > 0 and _starts_paragraph(lines, index) and _DISCLAIMER.match(fold(line)):
            return index
    return None


def _looks_like_signature_line(line: str) -> bool:
    stripped = line.strip()
    return len(stripped.split()) <= _MAX_SIGNATURE_LINE_WORDS and not stripped.endswith(("?", "!", ":"))


def _sign_off(lines: list[str]) -> int | None:
    for index in _tail_indexes(lines, _MAX_SIGNATURE_LINES + 1):
        line = lines[index]
        if index == 0 or not _SIGN_OFF.match(line):
            continue
        if all(_looks_like_signature_line(rest) for rest in _non_blank(lines[index + 1 :])):
            return index
    return None


def _list_footer(lines: list[str]) -> int | None:
    for index in _tail_indexes(lines, _MAX_LIST_FOOTER_LINES + 1):
        if index > 0 and _LIST_FOOTER_RULE.match(lines[index]):
            return index
    return None


def _trailing_separator(lines: list[str]) -> int | None:
    tail = _tail_indexes(lines, 1)
    if tail and tail[0] > 0 and _SEPARATOR_LINE.match(lines[tail[0]]):
        return tail[0]
    return None


def drop_footers(lines: list[str]) -> list[str]:
    """`lines` without trailing signatures, phone footers, legal notices and closings."""
    rules = (_signature_separator, _sent_from, _disclaimer, _sign_off, _list_footer, _trailing_separator)
    while True:
        while lines and not lines[-1].strip():
            lines = lines[:-1]
        cuts = [cut for rule in rules if (cut := rule(lines)) is not None]
        if not cuts:
            return lines
        lines = lines[: min(cuts)]
