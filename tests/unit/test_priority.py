"""normalizer.priority.detect_priority: explicit markers, negations, then cues from the most urgent down."""

from __future__ import annotations

import pytest

from normalizer.priority import RULES, detect_priority
from ticketing.types import Priority

C, H, M, L, P = Priority.CRITICAL, Priority.HIGH, Priority.MEDIUM, Priority.LOW, Priority.PLANNED

CASES: list[tuple[str, str, Priority | None, str]] = [
    # Explicit markers, as written, accents and case optional.
    ("Prioridad: alta", "", H, 'explicit marker "Prioridad: alta"'),
    ("VPN", "Buenos días.\nPRIORIDAD: CRÍTICA\nNo conecta nadie.", C, 'explicit marker "PRIORIDAD: CRÍTICA"'),
    ("VPN", "prioridad: critico", C, 'explicit marker "prioridad: critico"'),
    ("VPN", "Prioridad media, gracias", M, 'explicit marker "Prioridad media"'),
    ("VPN", "Prioridad: baja", L, 'explicit marker "Prioridad: baja"'),
    ("VPN", "Prioridad: urgente", H, 'explicit marker "Prioridad: urgente"'),
    ("Alta de usuario", "Prioridad: planificada", P, 'explicit marker "Prioridad: planificada"'),
    ("Priority: critical", "", C, 'explicit marker "Priority: critical"'),
    ("Printer", "Priority: High", H, 'explicit marker "Priority: High"'),
    ("Printer", "priority: medium", M, 'explicit marker "priority: medium"'),
    ("Printer", "Priority: low", L, 'explicit marker "Priority: low"'),
    ("Printer", "Priority: planned", P, 'explicit marker "Priority: planned"'),
    ("Printer", "Priority: urgent", H, 'explicit marker "Priority: urgent"'),
    ("[URGENTE] Correo", "", H, 'explicit marker "[URGENTE]"'),
    ("[Urgent] mail", "", H, 'explicit marker "[Urgent]"'),
    ("[CRÍTICO] ERP", "", C, 'explicit marker "[CRÍTICO]"'),
    ("[critico] ERP", "", C, 'explicit marker "[critico]"'),
    ("[CRITICAL] ERP", "", C, 'explicit marker "[CRITICAL]"'),
    # A marker beats any cue, and the subject's marker beats the body's.
    ("Prioridad: baja", "El servidor está caído", L, 'explicit marker "Prioridad: baja"'),
    ("[URGENTE] VPN", "Prioridad: baja", H, 'explicit marker "[URGENTE]"'),
    ("RE: [TL-000123] Prioridad: alta", "no es urgente", H, 'explicit marker "Prioridad: alta"'),
    # Negations win over every cue.
    ("Consulta", "El servidor de pruebas está caído, pero no es urgente.", P, 'negation "no es urgente"'),
    ("Cambio", "Nada urgente, sin prisa.", P, 'negation "Nada urgente"'),
    ("Cambio", "Cuando puedan, sin prisa: el reporte sale lento.", P, 'negation "sin prisa"'),
    ("Backup", "It is not urgent, the backup is slow.", P, 'negation "not urgent"'),
    ("Backup", "No rush at all.", P, 'negation "No rush"'),
    # Cues, most urgent first.
    ("Servidor caído", "", C, 'cue "caído"'),
    ("ERP", "Se cayó el ERP y hay error en todo.", C, 'cue "Se cayó"'),
    ("ERP", "Estamos sin servicio desde las 8.", C, 'cue "sin servicio"'),
    ("ERP", "No funciona nada en la oficina.", C, 'cue "No funciona nada"'),
    ("ERP", "El sistema está fuera de servicio.", C, 'cue "fuera de servicio"'),
    ("Web", "The website is down, error 502.", C, 'cue "is down"'),
    ("Outage", "", C, 'cue "Outage"'),
    ("Mail", "Production down since 9am", C, 'cue "Production down"'),
    ("Correo", "Es urgente, el correo no sale.", H, 'cue "urgente"'),
    ("Correo", "Lo necesito lo antes posible.", H, 'cue "lo antes posible"'),
    ("Correo", "La conexión es intermitente y lenta.", H, 'cue "intermitente"'),
    ("Correo", "Producción afectada por el correo.", H, 'cue "Producción afectada"'),
    ("Mail", "Need this ASAP please.", H, 'cue "ASAP"'),
    ("Sistema lento", "", M, 'cue "lento"'),
    ("ERP", "Me sale un error al guardar.", M, 'cue "error"'),
    ("App", "The app is slow today.", M, 'cue "slow"'),
    ("Consulta sobre licencias", "", L, 'cue "Consulta"'),
    ("Office", "¿Cómo puedo cambiar la firma?", L, 'cue "Cómo puedo"'),
    ("Office", "How do I change my signature?", L, 'cue "How do I"'),
    ("Office", "Quick question about licences.", L, 'cue "question"'),
    ("Instalación", "Quisiera agendar la instalación del software.", P, 'cue "agendar"'),
    ("Install", "Can we schedule the upgrade for next month?", P, 'cue "schedule"'),
    ("Instalación", "Cuando puedan, instalar Office en el equipo nuevo.", P, 'cue "Cuando puedan"'),
    # Whole words only, and nothing at all.
    ("Terror en la oficina", "Un terrorífico día, pero todo funciona.", None, "no marker or cue"),
    ("Hola", "Adjunto el contrato firmado.", None, "no marker or cue"),
    ("Urgentemente", "", None, "no marker or cue"),
    ("Prioridades del trimestre", "", None, "no marker or cue"),
]


@pytest.mark.parametrize(("subject", "body", "priority", "reason"), CASES, ids=[f"{c[0]}|{c[1][:30]}" for c in CASES])
def test_detect_priority(subject: str, body: str, priority: Priority | None, reason: str) -> None:
    assert detect_priority(subject, body) == (priority, reason)


def test_rules_are_one_table_of_compiled_patterns() -> None:
    kinds = {kind for _, _, kind in RULES}
    assert kinds == {"explicit marker", "negation", "cue"}
    assert all(hasattr(pattern, "search") and isinstance(priority, Priority) for pattern, priority, _ in RULES)
    cue_order = [priority for _, priority, kind in RULES if kind == "cue"]
    assert cue_order == sorted(cue_order, key=list(Priority).index)  # most urgent first
