"""The console's parent message: dates in Spanish with the GMT offset, the facts, the actions, the on-call page."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from adapters.local_time import short_moment
from adapters.slack.blocks import (
    BUTTON_ACTIONS,
    SELECT_ACTIONS,
    ConsoleTicket,
    cut,
    due_text,
    ticket_blocks,
)
from tests.conftest import at, project_texts
from tests.fake_slack import block_problems

BOGOTA = ZoneInfo("America/Bogota")
ONCALL = "<!subteam^S0ONCALL>"
TEXTS = project_texts()
TICKET = ConsoleTicket(
    number="TL-000123",
    status="open",
    priority="high",
    plan="standard",
    channel="email",
    level=None,
    assignee=None,
    requester="ana@andina.com.co",
    requester_name="Ana Gómez",
    organisation="Andina S.A.",
    subject="Servidor de facturación caído",
    excerpt="El servidor no responde desde las 8.\nYa lo reiniciamos.",
    response_due=at("2026-11-30T15:00:00"),
    resolution_due=at("2026-11-30T18:00:00"),
    sla_paused=False,
)


@pytest.mark.parametrize(
    ("moment", "tz", "expected"),
    [
        (at("2026-11-30T14:00:00"), BOGOTA, "lun 30 nov 09:00 (GMT-5)"),
        (at("2026-09-05T03:30:00"), BOGOTA, "vie 4 sept 22:30 (GMT-5)"),
        (at("2026-01-04T12:00:00"), ZoneInfo("UTC"), "dom 4 ene 12:00 (GMT+0)"),
        (at("2026-08-12T06:30:00"), ZoneInfo("Asia/Kolkata"), "mié 12 ago 12:00 (GMT+5:30)"),
        (datetime.fromisoformat("2026-03-28T10:15:00-05:00"), BOGOTA, "sáb 28 mar 10:15 (GMT-5)"),
    ],
)
def test_local_time_in_spanish_with_the_offset(moment: datetime, tz: ZoneInfo, expected: str) -> None:
    assert short_moment(moment, tz) == expected


@pytest.mark.parametrize(
    ("changes", "due", "expected"),
    [
        ({}, at("2026-11-30T15:00:00"), "lun 30 nov 10:00 (GMT-5)"),
        ({}, None, "—"),
        ({"priority": "planned"}, None, "—"),
        ({"priority": "critical"}, at("2026-11-30T14:15:00"), "inmediata · lun 30 nov 09:15 (GMT-5)"),
        ({"priority": "critical"}, None, "inmediata"),
        ({"sla_paused": True}, at("2026-11-30T15:00:00"), "pausado"),
        ({"sla_paused": True, "priority": "critical"}, at("2026-11-30T15:00:00"), "pausado"),
    ],
)
def test_due_text(changes: dict[str, Any], due: datetime | None, expected: str) -> None:
    assert due_text(due, replace(TICKET, **changes), BOGOTA) == expected


def fields_of(blocks: list[dict[str, Any]]) -> dict[str, str]:
    section = next(block for block in blocks if block["type"] == "section" and "fields" in block)
    return dict(item["text"].removeprefix("*").split("*\n", 1) for item in section["fields"])


def actions_of(blocks: list[dict[str, Any]]) -> dict[str, Any]:
    return next(block for block in blocks if block["type"] == "actions")


def test_parent_message_shows_the_ticket_in_spanish() -> None:
    text, blocks = ticket_blocks(TICKET, BOGOTA, ONCALL, TEXTS)
    assert text == "Ticket TL-000123 (Alto, Abierto): Servidor de facturación caído"
    assert blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "TL-000123 · Servidor de facturación caído"},
    }
    assert fields_of(blocks) == {
        "Solicitante": "Ana Gómez (ana@andina.com.co)\nAndina S.A.",
        "Plan": "Estándar (lun–vie 8:00–16:30)",  # the label, and the hours of [sla.business_hours]
        "Canal": "Correo",
        "Prioridad": "Alto",
        "Estado": "Abierto",
        "Asignado": "Sin asignar",
        "Nivel": "—",
        "Respuesta": "lun 30 nov 10:00 (GMT-5)",
        "Resolución": "lun 30 nov 13:00 (GMT-5)",
    }
    request = blocks[2]["text"]["text"]
    assert request == "*Solicitud*\n> El servidor no responde desde las 8.\n> Ya lo reiniciamos."
    assert block_problems(blocks) == []


def test_every_action_carries_the_ticket_number() -> None:
    _text, blocks = ticket_blocks(TICKET, BOGOTA, None, TEXTS)
    actions = actions_of(blocks)
    assert actions["block_id"] == "ticket:TL-000123"
    elements = {element["action_id"]: element for element in actions["elements"]}
    # the confirm buttons live in the private prompt; "Reanudar" replaces "En espera" while the ticket waits
    assert tuple(elements) == ("take", "ask", "waiting", "escalate", "priority", "resolve")  # "accept": not covered
    assert [elements[name]["text"]["text"] for name in ("take", "waiting", "escalate")] == [
        "Tomar",
        "En espera del cliente",
        "Escalar",
    ]
    assert {elements[name]["value"] for name in ("take", "waiting", "escalate")} == {"TL-000123"}
    _text, blocks = ticket_blocks(replace(TICKET, status="waiting_on_client"), BOGOTA, None, TEXTS)
    waiting = {element["action_id"]: element for element in actions_of(blocks)["elements"]}
    assert (
        tuple(waiting)[:4] == ("take", "ask", "resume", "escalate") and waiting["resume"]["text"]["text"] == "Reanudar"
    )
    assert elements["ask"]["text"]["text"] == "Solicitar información"
    assert set(BUTTON_ACTIONS) == {"take", "ask", "waiting", "resume", "escalate"}
    assert set(SELECT_ACTIONS) == {"priority", "resolve", "accept"}
    free = replace(TICKET, status="not_covered", plan="free")
    _text, blocks = ticket_blocks(free, BOGOTA, None, TEXTS, ("standard", "7x24"))
    accept = {element["action_id"]: element for element in actions_of(blocks)["elements"]}["accept"]
    assert [option["value"] for option in accept["options"]] == ["standard", "7x24"]
    assert accept["placeholder"]["text"] == "Aceptar con plan…"
    priority = elements["priority"]
    assert priority["placeholder"]["text"] == "Prioridad"
    assert [(option["value"], option["text"]["text"]) for option in priority["options"]] == [
        ("critical", "Crítico"),
        ("high", "Alto"),
        ("medium", "Medio"),
        ("low", "Bajo"),
        ("planned", "Planificado"),
    ]
    assert priority["initial_option"] == {"text": {"type": "plain_text", "text": "Alto"}, "value": "high"}
    resolve = elements["resolve"]
    assert resolve["placeholder"]["text"] == "Resolver…"
    assert [(option["value"], option["text"]["text"]) for option in resolve["options"]] == [
        ("1", "Nivel 1"),
        ("2", "Nivel 2"),
        ("3", "Nivel 3"),
    ]


@pytest.mark.parametrize(
    ("changes", "field", "expected"),
    [
        ({"assignee": "U0AGENT"}, "Asignado", "<@U0AGENT>"),
        ({"assignee": "carlos"}, "Asignado", "carlos"),
        ({"level": 2}, "Nivel", "Nivel 2"),
        ({"organisation": None}, "Solicitante", "Ana Gómez (ana@andina.com.co)\nSin organización"),
        ({"requester_name": ""}, "Solicitante", "ana@andina.com.co\nAndina S.A."),
        ({"plan": "7x24", "channel": "whatsapp"}, "Plan", "7x24"),
        ({"plan": "gold"}, "Plan", "gold"),
        ({"channel": "whatsapp"}, "Canal", "WhatsApp"),
        ({"status": "not_covered", "plan": "free"}, "Estado", "Sin cobertura"),
        ({"status": "waiting_on_client", "sla_paused": True}, "Respuesta", "pausado"),
        ({"priority": "planned", "response_due": None, "resolution_due": None}, "Resolución", "—"),
        (
            {"requester_name": "Ana <jefa> & co"},
            "Solicitante",
            "Ana &lt;jefa&gt; &amp; co (ana@andina.com.co)\nAndina S.A.",
        ),
    ],
)
def test_fields(changes: dict[str, Any], field: str, expected: str) -> None:
    _text, blocks = ticket_blocks(replace(TICKET, **changes), BOGOTA, None, TEXTS)
    assert fields_of(blocks)[field] == expected


def test_priority_select_starts_at_the_current_priority() -> None:
    for priority in ("critical", "high", "medium", "low", "planned"):
        _text, blocks = ticket_blocks(replace(TICKET, priority=priority), BOGOTA, ONCALL, TEXTS)
        select = next(element for element in actions_of(blocks)["elements"] if element["action_id"] == "priority")
        assert select["initial_option"]["value"] == priority
        assert block_problems(blocks) == []


@pytest.mark.parametrize(
    ("priority", "status", "mention", "paged", "banner"),
    [
        ("critical", "new", ONCALL, True, True),
        ("critical", "new", None, False, True),  # a redraw, or over the page limit: critical, nobody paged
        ("critical", "not_covered", ONCALL, False, False),  # no contract: never a page
        ("high", "new", ONCALL, False, False),
        ("medium", "new", None, False, False),
    ],
)
def test_a_critical_ticket_pages_the_oncall_group(
    priority: str, status: str, mention: str | None, paged: bool, banner: bool
) -> None:
    text, blocks = ticket_blocks(replace(TICKET, priority=priority, status=status), BOGOTA, mention, TEXTS)
    assert text.startswith(ONCALL) is paged
    assert (blocks[0]["type"] == "section" and "Ticket crítico" in blocks[0]["text"]["text"]) is banner
    assert blocks[0]["text"]["text"].startswith(ONCALL) is paged
    assert blocks[1 if banner else 0]["type"] == "header"


def test_what_the_client_wrote_cannot_mention_or_break_the_limits() -> None:
    ticket = replace(TICKET, subject="<!channel> urgente " + "x" * 300, excerpt="<!here> a & b <@U123>\n" * 200)
    text, blocks = ticket_blocks(ticket, BOGOTA, None, TEXTS)
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text
    header = blocks[0]["text"]["text"]
    assert len(header) == 150 and header.endswith("…") and header.startswith("TL-000123 · <!channel>")  # plain_text
    request = blocks[2]["text"]["text"]
    assert len(request) <= 3000 and request.endswith("…")
    assert "<!here>" not in request and "<@U123>" not in request and "&lt;!here&gt; a &amp; b" in request
    assert block_problems(blocks) == []


def test_empty_subject_and_excerpt() -> None:
    _text, blocks = ticket_blocks(replace(TICKET, subject=" ", excerpt=""), BOGOTA, None, TEXTS)
    assert blocks[0]["text"]["text"] == "TL-000123 · (sin asunto)"
    assert blocks[2]["text"]["text"] == "*Solicitud*\n> _(sin texto)_"


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [("corto", 10, "corto"), ("abcdefghijk", 5, "abcd…"), ("ab &amp; cd", 7, "ab…"), ("a &lt;b", 6, "a…")],
)
def test_cut_never_splits_an_escape(text: str, limit: int, expected: str) -> None:
    assert cut(text, limit) == expected
