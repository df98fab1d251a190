"""What the agents' console shows of each ticket event: the one table from event kind to console effect.

The core tells the observer (`ConsoleObserver`) the ticket and the events each unit of work appended. Here each
event kind either posts a line in the ticket's thread, refreshes the ticket's summary (the thread's parent
message), or shows nothing; a unit of work refreshes the summary at most once, after its lines. The queued items
commit with the change, and a summary item carries the ticket's snapshot, so the console's sender draws it
without reading the store.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from adapters.labels import Labels
from adapters.slack.snapshot import ticket_snapshot
from ticketing.observer import ObserverWork, TicketChange
from ticketing.types import Direction, OutboundReply, TicketEvent

SUMMARY = "console_ticket"
THREAD_LINE = "console_message"
PROMPT = "console_prompt"
FILE = "console_file"  # a client's file, posted in the ticket's thread (its `data`: the `attachment` event's)
REPORT = "console_report"  # the monthly compliance report (its `data`: the HTML page and its file name)
SLA_ALERT = "console_sla"  # an SLA alert or an escalation, worded by the sender (its `data`: the event's)
Line = Callable[[TicketEvent, TicketChange, Labels], str | None]


def _client_line(label: str) -> Line:
    def line(event: TicketEvent, change: TicketChange, labels: Labels) -> str | None:
        message = change.message(str(event.data.get("native_id") or ""))
        who = str(event.data.get("sender_name") or "") or event.actor
        where = label or labels.channel(str(event.data.get("channel") or ""))
        return f"*{who}* ({where}):\n{message.body if message else ''}"

    return line


def _priority_line(event: TicketEvent, change: TicketChange, labels: Labels) -> str | None:
    """A client who restates the priority in a follow-up changes it: the agents are told (their own changes show
    in the summary)."""
    if event.data.get("by") != "client":
        return None
    before, after = (labels.priority(str(event.data.get(key) or "")) for key in ("from", "to"))
    return f":arrows_counterclockwise: El cliente cambió la prioridad: {before} → *{after}*. Plazos recalculados."


# Status changes the agents did not make themselves, or that stop the clock, get a line besides the redraw.
STATUS_LINES = {
    "asked": ":pause_button: Se pidió información al cliente: el SLA queda en pausa hasta que responda.",
    "no_answer": ":lock: Caso cerrado: el cliente no envió la información pedida. Se le avisó.",
    "reopen_window_ended": ":lock: Caso cerrado: pasó el plazo para reabrirlo.",
}


def _status_line(event: TicketEvent, change: TicketChange, labels: Labels) -> str | None:
    reason = "asked" if event.data.get("asked") else str(event.data.get("reason") or "")
    return STATUS_LINES.get(reason)


def _accepted_line(event: TicketEvent, change: TicketChange, labels: Labels) -> str:
    return f":handshake: Solicitud aceptada con el plan {event.data.get('plan')}: plazos contados desde ahora."


def _bounce_line(event: TicketEvent, change: TicketChange, labels: Labels) -> str:
    failed = ", ".join(event.data.get("failed") or []) or "destinatario desconocido"
    reason = str(event.data.get("reason") or "")
    return f":warning: Falló la entrega a {failed}" + (f" ({reason})" if reason else "")


# A delivery result of an agent's reply, by state: every relayed reply is confirmed, a failure is never silent.
DELIVERY_LINES = {
    "sent": ":white_check_mark: Enviado a {recipient} por {channel}.",
    "dead": ":x: No se pudo entregar a {recipient} por {channel}: {error}",
    "delivered": ":inbox_tray: Entregado en {channel} a {recipient}.",
    "read": ":eyes: Leído en {channel} por {recipient}.",
    "failed": ":x: {channel} no pudo entregarlo a {recipient}: {error}",
    "undelivered": ":x: {channel} no pudo entregarlo a {recipient}: {error}",
}


def _delivery_line(event: TicketEvent, change: TicketChange, labels: Labels) -> str | None:
    data = event.data
    state = str(data.get("state") or "")
    if data.get("reply") != "agent_reply" or state not in DELIVERY_LINES:
        return None
    channel = labels.channel(str(data.get("channel") or ""))
    error = str(data.get("error") or "") or "sin detalle"
    return DELIVERY_LINES[state].format(recipient=data.get("recipient", ""), channel=channel, error=error)


def _held_line(template: str) -> Line:
    """What became of a reply its agent deleted or edited: cancelled, rewritten, or already gone."""

    def line(event: TicketEvent, change: TicketChange, labels: Labels) -> str:
        data = event.data
        channel = labels.channel(str(data.get("channel") or ""))
        what = "la edición" if data.get("change") == "edited" else "el borrado"
        note = " Queda como nota interna." if data.get("kept_as_note") else ""
        return template.format(recipient=data.get("recipient", ""), channel=channel, what=what, note=note)

    return line


@dataclass(frozen=True)
class Effect:
    line: Line | None = None  # the text of a line in the ticket's thread (None from it: no line)
    refresh: bool = False  # redraw the ticket's summary
    file: bool = False  # post the client's file in the thread (after the summary: a new ticket's thread exists)
    alert: bool = False  # an SLA warning or breach: its line, and for a breach a page (see `adapters.slack.sla_alerts`)


# Event kind -> what the console shows. Kinds not listed (note, responded, acknowledgement_suppressed) show nothing.
EFFECTS: Mapping[str, Effect] = {
    "created": Effect(refresh=True),
    "client_message": Effect(line=_client_line("")),
    "auto_reply": Effect(line=_client_line("respuesta automática")),
    "status": Effect(line=_status_line, refresh=True),
    "priority": Effect(line=_priority_line, refresh=True),
    "assigned": Effect(refresh=True),
    "escalated": Effect(alert=True, refresh=True),
    "accepted": Effect(line=_accepted_line, refresh=True),
    "agent_reply": Effect(refresh=True),
    "reply_withdrawn": Effect(
        line=_held_line(":wastebasket: Respuesta cancelada: no se envió a {recipient}.{note}"), refresh=True
    ),
    "reply_revised": Effect(line=_held_line(":pencil2: Se enviará a {recipient} la versión editada.")),
    "reply_too_late": Effect(
        line=_held_line(":warning: La respuesta ya se había enviado a {recipient} por {channel}: {what} no le llega.")
    ),
    "attachment": Effect(file=True),
    "bounce": Effect(line=_bounce_line),
    "delivery": Effect(line=_delivery_line),
    "sla_warning": Effect(alert=True),
    "sla_breached": Effect(alert=True, refresh=True),
    "client_reminded": Effect(alert=True),
}


def console_item(
    channel: str, destination: str, number: str, kind: str, text: str, key: str, data: Mapping[str, Any] | None = None
) -> OutboundReply:
    """An item for the console's sender: never a message to the client, never in the ticket's conversation."""
    return OutboundReply(
        ticket_number=number,
        channel=channel,
        recipient=destination,
        subject="",
        text=text,
        message_key=f"console-{uuid.uuid4().hex}",
        thread_key="",
        references=(),
        idempotency_key=key,
        kind=kind,
        data=dict(data or {}),
        order_scope=number,  # each ticket's thread keeps its order; threads go out side by side
    )


class ConsoleObserver:
    """The `TicketObserver` of the agents' console (the outbox `channel` of its sender, posting to `destination`)."""

    def __init__(self, channel: str, destination: str, labels: Labels) -> None:
        self._channel = channel
        self._destination = destination
        self._labels = labels  # the console's language

    async def ticket_changed(self, work: ObserverWork, change: TicketChange, now: datetime) -> None:
        number = change.ticket.number
        refresh = False
        files = []
        for event in change.events:
            effect = EFFECTS.get(event.kind, Effect())
            text = effect.line(event, change, self._labels) if effect.line else None
            if text:
                key = f"console:{number}:event:{event.id}"
                await work.enqueue_reply(self._item(number, THREAD_LINE, text, key), now)
            refresh = refresh or effect.refresh
            if effect.file:
                files.append(self._item(number, FILE, "", f"console:{number}:event:{event.id}", event.data))
            if effect.alert:
                facts = {"event": event.kind, "actor": event.actor, "organisation": change.ticket.organisation or ""}
                data = event.data | facts
                key = f"console:{number}:event:{event.id}"
                await work.enqueue_reply(self._item(number, SLA_ALERT, "", key, data), now)
        if refresh:
            await work.enqueue_reply(await self._summary(work, change), now)
        for item in files:
            await work.enqueue_reply(item, now)

    async def _summary(self, work: ObserverWork, change: TicketChange) -> OutboundReply:
        ticket = change.ticket
        messages = await work.messages(ticket.id) if ticket.id is not None else []
        excerpt = next((message.body for message in messages if message.direction is Direction.IN), "")
        key = f"console:{ticket.number}:summary:{uuid.uuid4().hex}"
        data = {"ticket": ticket_snapshot(ticket, excerpt)}
        return self._item(ticket.number, SUMMARY, "", key, data)

    def _item(
        self, number: str, kind: str, text: str, key: str, data: Mapping[str, Any] | None = None
    ) -> OutboundReply:
        return console_item(self._channel, self._destination, number, kind, text, key, data)
