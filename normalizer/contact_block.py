"""Contact blocks: the name, title, company, phones and address a client's mail program puts under the text.

A block of two or more such lines is not what the client wrote now and goes, name included; a lone name under the
closing ("Saludos,\\nAna") is how agents know who wrote and stays (`tests/fixtures/quotes/CONVENTION.md`). Lines are
matched on folded text (`normalizer.folding`); the tables are Spanish and English first.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from normalizer.folding import fold

_FOLD_LIMIT = 200
MAX_BLOCK_LINES = 12
_MAX_LINE_WORDS = 10
_MAX_CONTACT_LINE_WORDS = 20
_MAX_NAME_WORDS = 4

# What only a contact line carries: a phone, an address, a web site, a job title, a company form, a logo.
_CONTACT = re.compile(
    r"(?<!\w)(?:tel|telf|tel[eé]fono|telefono|fono|cel|celular|movil|m[oó]vil|phone|mobile|cell|fax|pbx|ext|whatsapp"
    r"|direct|office|oficina|tlf|handy|telefone|fone)(?!\w)\.?\s*[:.]?"
    r"|\+?\(?\d{1,4}\)?[\s.-]?\d{2,4}[\s.-]?\d{3,4}(?:[\s.-]?\d{2,4})?"  # a phone number
    r"|\S@\S+\.\w"  # an address
    r"|https?://|www\.|\w\.(?:com|net|org|co|ec|pe|mx|cl|ar|es|de|br|io)(?:\.\w\w)?(?!\w)"  # a web site
    r"|^\s*\[(?:logo|image|imagen|cid:|firma|signature)|^\s*<?image\d*\.(?:png|jpe?g|gif)"  # a logo placeholder
    r"|(?<!\w)(?:s\.?a\.?s|s\.a|ltda|cia|inc|llc|ltd|gmbh|corp|plc|s\.?r\.?l|s\.? de r\.?l|e\.?i\.?r\.?l|s\.?a\.?c)"
    r"(?!\w)\.?"
    r"|(?<!\w)(?:calle|carrera|cra|cll|kra|av|avda|avenida|diagonal|transversal|piso|edificio|torre|local|barrio"
    r"|street|st|suite|floor|road|avenue|ave|blvd|zip|c\.?p|apartado|oficina|of)(?!\w)\.?\s*\S*\d"  # an address
    r"|^(?:calle|carrera|cra|cll|av|avda|avenida|blvd|bulevar|boulevard|diagonal|transversal|paseo|camino|km)(?!\w)"
    r"|(?:colombia|ecuador|peru|mexico|chile|argentina|venezuela|bolivia|uruguay|paraguay|guatemala|costa rica|panama"
    r"|espana|brasil|brazil|usa|united states)\.?$"  # a city line ends with its country
    r"|(?<!\w)(?:jefe|jefa|gerente|director|directora|coordinador|coordinadora|analista|ingeniero|ingeniera|ing"
    r"|asistente|auxiliar|administrador|administradora|contador|contadora|tecnico|tecnica|especialista|lider|supervisor"
    r"|supervisora|departamento|area|division|gerencia|subgerente|presidente|vicepresidente|secretaria|recepcion"
    r"|manager|engineer|director|head|specialist|assistant|administrator|department|officer|coordinator|analyst"
    r"|ceo|cto|cfo|coo|cio|vp|it|ti|rrhh|hr|sistemas|tecnologia|soporte|support|operaciones|operations|ventas|sales"
    r"|compras|finanzas|contabilidad|accounting|logistica|gerente)(?!\w)"
)
RULE = re.compile(
    r"^(?:--\s?|[_\-=*~—]{3,}|(?:[*·•.]\s*){3,})$"
)  # a delimiter or a drawn rule ends a paragraph of the block
_NAME_WORD = re.compile(r"^(?:[^\W\d_][\w'’.-]*|[^\W\d_]\.)$")
_PARTICLES = frozenset({"de", "del", "la", "las", "los", "y", "e", "da", "das", "do", "dos", "van", "von", "der"})
_SENTENCE_END = re.compile(r"[.!?]\s*$")
_MAX_SENTENCE_WORDS = 4  # "Av. Siempre Viva 123." ends with a dot; a line of more words ending so is a sentence


def _folded(line: str) -> str:
    return fold(line.strip()[:_FOLD_LIMIT])


def is_contact_line(line: str) -> bool:
    """A line that names a phone, an address, a site, a title, a company form or a logo."""
    return bool(_CONTACT.search(_folded(line)))


def is_name_line(line: str) -> bool:
    """One to four words, each starting with a capital ("Ana", "Manuel Pineda", "J. Miller"), no digits; particles
    inside a name do not count ("María de los Ángeles Ruiz")."""
    words = [word for word in line.strip().rstrip(",.").split() if word not in _PARTICLES]
    if not 1 <= len(words) <= _MAX_NAME_WORDS or line.strip().split()[0] in _PARTICLES:
        return False
    return all(word[:1].isupper() and _NAME_WORD.match(word) for word in words)


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


def kept_under_closing(below: list[str]) -> int | None:
    """How many of the lines `below` a closing stay, when they are all short signature lines.

    A lone name (one line in its paragraph) stays, and what is under it goes when it is a contact block or follows a
    delimiter. When the first paragraph is a contact block (a name or a contact line first, a contact line in it),
    none stay. None when the lines are something else: the client's text, left alone."""
    start = 0
    while start < len(below) and not below[start].strip():
        start += 1
    end = start
    while end < len(below) and below[end].strip() and not RULE.match(below[end].strip()):
        end += 1
    paragraph = below[start:end]
    if not paragraph:
        return None
    if len(paragraph) == 1 and is_name_line(paragraph[0]):  # a lone name: a block or a delimited block under it goes
        rest = [line.strip() for line in below[end:] if line.strip()]
        return end if rest and (RULE.match(rest[0]) or any(map(is_contact_line, rest))) else None
    first_fits = is_name_line(paragraph[0]) or is_contact_line(paragraph[0])
    return 0 if first_fits and any(map(is_contact_line, paragraph)) else None  # two names are no contact block


def trailing_block(lines: list[str], is_closing: Callable[[str], bool]) -> int | None:
    """The first line of a contact block ending the text with no closing above it: the last lines of its last
    paragraph that a block can hold, two or more, starting with a name or a contact line, a contact line among the
    others. Closings
    (`is_closing`) and the text's first line are never taken."""
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    start = end
    while start > 1 and lines[start - 1].strip() and could_be_in_block(lines[start - 1]):
        if is_closing(lines[start - 1]):
            break
        start -= 1
    while start < end and not (is_name_line(lines[start]) or is_contact_line(lines[start])):
        start += 1  # the block starts at its name, or at its first contact line
    block = lines[start:end]
    if not 2 <= len(block) <= MAX_BLOCK_LINES or not any(map(is_contact_line, block[1:])):
        return None
    return start
