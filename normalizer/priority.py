"""The client's priority, as stated in a request: explicit markers first, then negations, then cues in the text.

The agreement leaves the priority to the client. An explicit marker ("Prioridad: alta", "[URGENTE]", "Priority: high")
always wins; the earliest marker counts, and the subject comes before the body. Without a marker, a negation
("no es urgente", "not urgent", "sin prisa") makes the request planned, whatever else it says. Otherwise the cues are
checked from the most urgent priority down, and the first that matches wins. Every rule is one row of a table,
matched as whole words against text folded to lowercase without accents (see `folding`).
"""

from __future__ import annotations

import re

from normalizer.folding import fold_with_positions, original_span
from ticketing.types import Priority

MARKER = "explicit marker"
NEGATION = "negation"
CUE = "cue"

_SEP = r"\s*[:=\-]?\s*"  # "Prioridad: alta", "Prioridad alta", "Priority = high"


def _rule(pattern: str, priority: Priority, kind: str) -> tuple[re.Pattern[str], Priority, str]:
    return re.compile(rf"(?<!\w)(?:{pattern})(?!\w)"), priority, kind


# (compiled regex on folded text, priority, kind). Order matters within the negation and cue rows.
RULES: tuple[tuple[re.Pattern[str], Priority, str], ...] = (
    # Explicit markers: the earliest one in subject + body wins.
    _rule(rf"prioridad{_SEP}(?:critica|critico)", Priority.CRITICAL, MARKER),
    _rule(rf"prioridad{_SEP}(?:alta|alto|urgente|maxima)", Priority.HIGH, MARKER),
    _rule(rf"prioridad{_SEP}(?:media|medio|normal)", Priority.MEDIUM, MARKER),
    _rule(rf"prioridad{_SEP}(?:baja|bajo)", Priority.LOW, MARKER),
    _rule(rf"prioridad{_SEP}(?:planificada|planificado)", Priority.PLANNED, MARKER),
    _rule(rf"priority{_SEP}critical", Priority.CRITICAL, MARKER),
    _rule(rf"priority{_SEP}(?:high|urgent)", Priority.HIGH, MARKER),
    _rule(rf"priority{_SEP}(?:medium|normal)", Priority.MEDIUM, MARKER),
    _rule(rf"priority{_SEP}low", Priority.LOW, MARKER),
    _rule(rf"priority{_SEP}planned", Priority.PLANNED, MARKER),
    _rule(r"\[\s*(?:critico|critica|critical)\s*\]", Priority.CRITICAL, MARKER),
    _rule(r"\[\s*(?:urgente|urgent)\s*\]", Priority.HIGH, MARKER),
    _rule(r"(?:alta|maxima) prioridad|high priority", Priority.HIGH, MARKER),
    _rule(r"baja prioridad|low priority", Priority.LOW, MARKER),
    # Negations win over every cue: "no es urgente" is a planned request even if something "no funciona".
    _rule(
        r"no (?:es|son|esta|estan|resulta)? ?(?:tan |muy |nada )?urgentes?|nada urgente|sin (?:prisa|apuro|urgencia)"
        r"|no (?:hay|corre) (?:prisa|apuro)|no urge|no es requerid[oa] de manera urgente",
        Priority.PLANNED,
        NEGATION,
    ),
    _rule(r"not (?:so |very |that )?urgent|non-?urgent|no (?:rush|hurry)", Priority.PLANNED, NEGATION),
    # Cues, most urgent first.
    _rule(
        r"caid[oa]s?|se cay(?:o|eron)|sin servicio|no funciona nada|nada funciona|fuera de servicio"
        r"|no hay servicio|sin sistema|produccion (?:esta )?(?:detenida|parada|caida)",
        Priority.CRITICAL,
        CUE,
    ),
    _rule(
        r"(?:is|are|went|goes) down|outage|nothing works|production (?:is )?down|service unavailable",
        Priority.CRITICAL,
        CUE,
    ),
    _rule(
        r"urgente|urgencia|lo antes posible|lo mas pronto posible|cuanto antes|produccion afectada"
        r"|afecta (?:a )?(?:la )?produccion|intermitentes?|intermitencia",
        Priority.HIGH,
        CUE,
    ),
    _rule(r"urgent(?:ly)?|asap|intermittent(?:ly)?|production (?:is )?(?:affected|impacted)", Priority.HIGH, CUE),
    _rule(r"lent[oa]s?|lentitud|errore?s?|no funciona|falla|fallando", Priority.MEDIUM, CUE),
    _rule(
        r"slow(?:ly|ness)?|errors?|(?:does not|doesn't|is not|isn't) working|not working|fails|failing",
        Priority.MEDIUM,
        CUE,
    ),
    _rule(r"consultas?|preguntas?|como (?:puedo|hago)|dudas?", Priority.LOW, CUE),
    _rule(r"questions?|how (?:do|can) i|how to", Priority.LOW, CUE),
    _rule(r"programar|agendar|planificar|cuando puedan|cuando tengan tiempo", Priority.PLANNED, CUE),
    _rule(r"schedul(?:e|ed|ing)|when you can|when you get a chance|whenever you can", Priority.PLANNED, CUE),
)

NO_HINT = "no marker or cue"
MAX_CHARS = 20_000  # markers and cues are at the top of what a client writes; a pasted log need not be scanned


def detect_priority(subject: str, body: str) -> tuple[Priority | None, str]:
    """The priority the client asked for, and why (e.g. 'explicit marker "Prioridad: alta"', 'cue "caído"')."""
    text = f"{subject}\n{body[:MAX_CHARS]}"
    folded, positions = fold_with_positions(text)

    earliest: tuple[int, int, Priority] | None = None
    for pattern, priority, kind in RULES:
        if kind != MARKER:
            continue
        match = pattern.search(folded)
        if match and (earliest is None or match.start() < earliest[0]):
            earliest = (match.start(), match.end(), priority)
    if earliest is not None:
        start, end, priority = earliest
        return priority, f'{MARKER} "{original_span(text, positions, start, end)}"'

    for pattern, priority, kind in RULES:
        if kind == MARKER:
            continue
        match = pattern.search(folded)
        if match:
            return priority, f'{kind} "{original_span(text, positions, match.start(), match.end())}"'
    return None, NO_HINT
