"""Block Kit for a ticket's parent message in the agents' console (a Slack channel, one thread per ticket).

`ticket_blocks()` renders a `ConsoleTicket` as the fallback text (notifications, screen readers) and the blocks:
the number and subject as header, the facts as section fields in Spanish (the agents are Colombian; the labels come
from `config/labels.toml`, the plan's hours from the calendar), the start of the client's request, and the actions
the console offers. Every action carries the ticket number: the buttons in
their `value`, all of them through the actions block's `block_id` (`ticket:TL-000123`). A critical ticket starts
with the on-call mention, in the fallback text (so the notification pages) and in a first section.

Everything the client wrote is escaped for mrkdwn (&, <, >), so a subject cannot mention `<!channel>`; texts are
cut to Slack's limits (header 150 characters, section text 3000, field 2000).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from adapters.labels import Texts
from adapters.local_time import short_moment
from ticketing.types import Priority

HEADER_LIMIT = 150
SECTION_LIMIT = 3000
FIELD_LIMIT = 2000
FALLBACK_LIMIT = 3000
BLOCK_ID_PREFIX = "ticket:"
BUTTON_ACTIONS = ("take", "ask", "waiting", "resume", "escalate")  # "ask" opens a modal (ask_modal.py)
SELECT_ACTIONS = ("priority", "resolve", "accept")  # "accept": only on a not-covered ticket, with the plans
CONFIRM_ACTIONS = ("confirm_send", "confirm_note")  # "confirm" reply mode: the agent says where a reply goes
CONSOLE_ACTIONS = BUTTON_ACTIONS + SELECT_ACTIONS + CONFIRM_ACTIONS
CONSOLE_LANGUAGE = "es"  # what the agents' console speaks
LEVEL_OPTIONS = ("1", "2", "3")
SLACK_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
PARTIAL_ENTITY = re.compile(r"&[a-z]{0,3}$")


@dataclass(frozen=True)
class ConsoleTicket:
    """What the parent message shows (built by the console sender from the store)."""

    number: str
    status: str
    priority: str
    plan: str
    channel: str
    level: int | None
    assignee: str | None
    requester: str
    requester_name: str
    organisation: str | None  # the organisation's display name
    subject: str
    excerpt: str  # the start of the client's request (<= 300 characters)
    response_due: datetime | None
    resolution_due: datetime | None
    sla_paused: bool
    breaches: tuple[str, ...] = ()  # the deadlines missed: "response", "resolution"


def escape(text: str) -> str:
    """Text as mrkdwn shows it literally: Slack's three control characters escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cut(text: str, limit: int) -> str:
    """At most `limit` characters, ending in "…" when cut (never in the middle of an escape such as &amp;)."""
    if len(text) <= limit:
        return text
    return PARTIAL_ENTITY.sub("", text[: limit - 1]).rstrip() + "…"


def due_text(due: datetime | None, ticket: ConsoleTicket, tz: ZoneInfo, which: str = "") -> str:
    if which in ticket.breaches:
        return ":rotating_light: *incumplido*" + (f" · venció {short_moment(due, tz)}" if due is not None else "")
    if ticket.sla_paused:
        return "pausado"
    if ticket.priority == "critical":
        return "inmediata" + (f" · {short_moment(due, tz)}" if due is not None else "")
    return short_moment(due, tz) if due is not None else "—"


def _assignee(assignee: str | None) -> str:
    if not assignee:
        return "Sin asignar"
    return f"<@{assignee}>" if SLACK_USER_ID.match(assignee) else escape(assignee)


def _requester(ticket: ConsoleTicket) -> str:
    who = escape(ticket.requester_name) if ticket.requester_name else ""
    address = escape(ticket.requester)
    person = f"{who} ({address})" if who and who != address else address
    return f"{person}\n{escape(ticket.organisation) if ticket.organisation else 'Sin organización'}"


def _field(label: str, value: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": cut(f"*{label}*\n{value}", FIELD_LIMIT)}


def _option(label: str, value: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": label}, "value": value}


def _actions(ticket: ConsoleTicket, texts: Texts, plans: Sequence[str]) -> dict[str, Any]:
    waiting = (
        ("resume", "Reanudar", None)
        if ticket.status == "waiting_on_client"
        else ("waiting", "En espera del cliente", None)
    )
    buttons = [
        ("take", "Tomar", "primary"),
        ("ask", "Solicitar información", None),
        waiting,
        ("escalate", "Escalar", None),
    ]
    elements: list[dict[str, Any]] = []
    for action_id, label, style in buttons:
        button: dict[str, Any] = {
            "type": "button",
            "action_id": action_id,
            "text": {"type": "plain_text", "text": label},
            "value": ticket.number,
        }
        if style:
            button["style"] = style
        elements.append(button)
    labels = texts(CONSOLE_LANGUAGE)
    priorities = [_option(labels.priority(priority.value), priority.value) for priority in Priority]
    priority: dict[str, Any] = {
        "type": "static_select",
        "action_id": "priority",
        "placeholder": {"type": "plain_text", "text": "Prioridad"},
        "options": priorities,
    }
    current = [option for option in priorities if option["value"] == ticket.priority]
    if current:
        priority["initial_option"] = current[0]
    resolve = {
        "type": "static_select",
        "action_id": "resolve",
        "placeholder": {"type": "plain_text", "text": "Resolver…"},
        "options": [_option(f"Nivel {level}", level) for level in LEVEL_OPTIONS],
    }
    selects = [priority, resolve]
    if ticket.status == "not_covered" and plans:
        options = [_option(texts.plan(plan, CONSOLE_LANGUAGE), plan) for plan in plans]
        placeholder = {"type": "plain_text", "text": "Aceptar con plan…"}
        selects.insert(
            0, {"type": "static_select", "action_id": "accept", "placeholder": placeholder, "options": options}
        )
    return {"type": "actions", "block_id": BLOCK_ID_PREFIX + ticket.number, "elements": [*elements, *selects]}


def ticket_blocks(
    ticket: ConsoleTicket, tz: ZoneInfo, oncall_mention: str | None, texts: Texts, plans: Sequence[str] = ()
) -> tuple[str, list[dict[str, Any]]]:
    """(fallback text, blocks) of the ticket's parent message in the console; `plans`: the covered plans an agent
    may accept a not-covered request under."""
    labels = texts(CONSOLE_LANGUAGE)
    priority = labels.priority(ticket.priority)
    status = labels.status(ticket.status)
    critical = ticket.priority == "critical" and ticket.status != "not_covered"
    page = oncall_mention if critical else None  # the caller decides whether this post pages (see oncall.py)
    fallback = f"Ticket {ticket.number} ({priority}, {status}): {escape(ticket.subject)}"
    if page:
        fallback = f"{page} {fallback}"
    blocks: list[dict[str, Any]] = []
    if critical:
        text = f"{page + ' ' if page else ''}:rotating_light: Ticket crítico: respuesta inmediata."
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text}})
    subject = ticket.subject.strip() or "(sin asunto)"
    header = cut(f"{ticket.number} · {subject}", HEADER_LIMIT)
    blocks.append({"type": "header", "text": {"type": "plain_text", "text": header}})
    fields = [
        _field("Solicitante", _requester(ticket)),
        _field("Plan", escape(texts.plan(ticket.plan, CONSOLE_LANGUAGE))),
        _field("Canal", escape(labels.channel(ticket.channel))),
        _field("Prioridad", priority),
        _field("Estado", status),
        _field("Asignado", _assignee(ticket.assignee)),
        _field("Nivel", f"Nivel {ticket.level}" if ticket.level else "—"),
        _field("Respuesta", due_text(ticket.response_due, ticket, tz, "response")),
        _field("Resolución", due_text(ticket.resolution_due, ticket, tz, "resolution")),
    ]
    blocks.append({"type": "section", "fields": fields})
    excerpt = escape(ticket.excerpt.strip()) or "_(sin texto)_"
    quoted = "\n".join(f"> {line}" if line else ">" for line in excerpt.splitlines())
    blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": cut(f"*Solicitud*\n{quoted}", SECTION_LIMIT)}})
    blocks.append(_actions(ticket, texts, plans))
    return cut(fallback, FALLBACK_LIMIT), blocks


def confirm_blocks(number: str, text: str, event_id: str) -> list[dict[str, Any]]:
    """The question a reply gets in "confirm" mode, shown only to its author: to the client, or an internal note?"""
    quoted = escape(text if len(text) <= SECTION_LIMIT - 200 else text[: SECTION_LIMIT - 200] + "…")
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"¿Qué hago con su respuesta en {number}?\n>{quoted}"}},
        {
            "type": "actions",
            "block_id": f"{BLOCK_ID_PREFIX}{number}",
            "elements": [
                {
                    "type": "button",
                    "action_id": "confirm_send",
                    "style": "primary",
                    "value": event_id,
                    "text": {"type": "plain_text", "text": "Enviar al cliente"},
                },
                {
                    "type": "button",
                    "action_id": "confirm_note",
                    "value": event_id,
                    "text": {"type": "plain_text", "text": "Dejar como nota interna"},
                },
            ],
        },
    ]
