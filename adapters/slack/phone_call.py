"""Phone calls become written requests: the agreement wants every request in writing and lists the phone as a
channel, so an operator records a call in a Slack modal and the ticket is created as from the client.

`/ticket` (members of the console channel only) opens `phone_call_modal()`; its `view_submission` is read by
`read_phone_call()` into a `PhoneCall` (field errors come back to the modal as `PhoneCallError.errors`, keyed by
block id). The view's id is the native id (`call:{view id}`): the same submission sent again is one ticket.

`PhoneCallListeners` are the bolt listeners the events sub-app registers when it is given a `PhoneCallDesk` (whose
`record` commits the raw payload, creates the ticket and returns its number). Slack waits 3 s, so the call gets
`PHONE_CALL_BUDGET`; past it the modal asks to retry while the call finishes, uncancelled, in the background.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import parse_qs

import aiohttp
import structlog
from aiohttp import web
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.labels import Labels
from ticketing.types import Priority

COMMAND = "/ticket"
CALLBACK_ID = "phone_call"
PHONE_CALL_BUDGET = 2.5  # seconds of Slack's 3 for views.open or for on_phone_call
DRAIN_TIMEOUT = 10.0  # seconds the shutdown waits for calls finishing after their answer
COMMAND_REFUSAL = "Solo el equipo de soporte puede registrar llamadas."
NOT_OPENED = "No se pudo abrir el formulario; intente de nuevo."
NOT_RECORDED = "No se pudo registrar; intente de nuevo."
TOO_SLOW = "El registro está tardando; intente de nuevo en unos segundos."
CONTACT_ERROR = "Escriba un correo (nombre@empresa.com) o un número de WhatsApp de 7 a 15 dígitos."
PHONE = re.compile(r"^\+?[0-9 ()-]+$")


@dataclass(frozen=True)
class PhoneCall:
    native_id: str  # f"call:{view['id']}": the same submission retried is one ticket
    operator: str  # Slack user id of who recorded it
    contact: str  # the client's email (lowercased) or phone number (as typed; the gateway normalises it)
    client_name: str
    organisation: str  # free text the operator typed ("" if none)
    subject: str
    description: str
    priority: str  # critical|high|medium|low|planned


@dataclass(frozen=True)
class PhoneCallDesk:
    """What `/ticket` needs: the labels its modal shows, and `record`, which commits a submitted call, makes its
    ticket and returns the number."""

    labels: Labels
    record: Callable[[PhoneCall, bytes], Awaitable[str]]


class PhoneCallError(ValueError):
    """The submission does not make a request: `errors` maps block ids to what to fix, in Spanish."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(f"phone call not valid: {', '.join(sorted(errors))}")
        self.errors = errors


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def _input(block_id: str, label: str, max_length: int, *, optional: bool = False, **element: Any) -> dict[str, Any]:
    field = {"type": "plain_text_input", "action_id": block_id, "max_length": max_length, **element}
    return {"type": "input", "block_id": block_id, "optional": optional, "label": _plain(label), "element": field}


def phone_call_modal(labels: Labels, callback_id: str = CALLBACK_ID) -> dict[str, Any]:
    """The view `views.open` shows for `/ticket`: each priority with the agreement's name and definition."""
    options = [
        {
            "text": _plain(labels.priority(priority.value)),
            "description": _plain(labels.priorities[priority.value].summary),
            "value": priority.value,
        }
        for priority in Priority
    ]
    priority = {"type": "static_select", "action_id": "priority", "placeholder": _plain("Elija"), "options": options}
    contact_hint = _plain("El cliente recibe aquí el acuse con el número del ticket.")
    return {
        "type": "modal",
        "callback_id": callback_id,
        "title": _plain("Registrar llamada"),
        "submit": _plain("Crear ticket"),
        "close": _plain("Cancelar"),
        "blocks": [
            {**_input("contact", "Correo o WhatsApp del cliente", 254), "hint": contact_hint},
            _input("client_name", "Nombre del cliente", 150, optional=True),
            _input("organisation", "Organización", 150, optional=True),
            _input("subject", "Asunto", 150),
            _input("description", "Descripción de lo que pidió", 3000, multiline=True),
            {"type": "input", "block_id": "priority", "label": _plain("Prioridad"), "element": priority},
        ],
    }


def read_contact(text: str) -> str | None:
    """An email (one "@", a dot inside the domain) lowercased, or a phone number of 7-15 digits as typed."""
    local, _, domain = text.partition("@")
    if text.count("@") == 1 and local and "." in domain.strip(".") and not any(char.isspace() for char in text):
        return text.lower()
    if PHONE.match(text) and 7 <= sum(char.isdigit() for char in text) <= 15:
        return text
    return None


def read_phone_call(view: dict[str, Any], operator: str) -> PhoneCall:
    """The call a submitted modal records; PhoneCallError with every field to fix."""
    values = (view.get("state") or {}).get("values") or {}

    def element(block_id: str) -> dict[str, Any]:
        found = (values.get(block_id) or {}).get(block_id)
        return found if isinstance(found, dict) else {}

    def text(block_id: str) -> str:
        return str(element(block_id).get("value") or "").strip()

    errors: dict[str, str] = {}
    contact = read_contact(text("contact"))
    if contact is None:
        errors["contact"] = CONTACT_ERROR
    if not view.get("id") or not operator:
        errors["contact"] = NOT_RECORDED
    if not text("subject"):
        errors["subject"] = "Escriba el asunto."
    if not text("description"):
        errors["description"] = "Describa lo que pidió el cliente."
    priority = str((element("priority").get("selected_option") or {}).get("value") or "")
    if priority not in {value.value for value in Priority}:
        errors["priority"] = "Elija una de las cinco prioridades."
    if errors or contact is None:
        raise PhoneCallError(errors)
    return PhoneCall(
        native_id=f"call:{view['id']}",
        operator=operator,
        contact=contact,
        client_name=text("client_name"),
        organisation=text("organisation"),
        subject=text("subject"),
        description=text("description"),
        priority=priority,
    )


def confirmation_view(number: str, contact: str) -> dict[str, Any]:
    """The modal after a submission: the operator reads the number to the client."""
    by = "correo" if "@" in contact else "WhatsApp"
    escaped = contact.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = f"Ticket *{number}* creado para {escaped}; el cliente recibirá el acuse por {by}."
    return {
        "type": "modal",
        "callback_id": f"{CALLBACK_ID}_done",
        "title": _plain("Llamada registrada"),
        "close": _plain("Cerrar"),
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
    }


class PhoneCallListeners:
    """`/ticket` and the modal's submission, as bolt listeners (the app must process before responding)."""

    def __init__(
        self,
        client: AsyncWebClient,
        desk: PhoneCallDesk,
        is_member: Callable[[str], Awaitable[bool]],
        team_id: str | None,
        budget: float = PHONE_CALL_BUDGET,
    ) -> None:
        self._labels = desk.labels
        self._client = client
        self._on_phone_call = desk.record
        self._is_member = is_member
        self._team_id = team_id
        self._budget = budget
        self._late: set[asyncio.Future[str]] = set()
        self._log = structlog.get_logger("adapters.slack.phone_call")

    def register(self, bolt: AsyncApp, app: web.Application) -> None:
        """Listen on `bolt`; on `app`'s cleanup, wait for calls still finishing after their answer."""
        bolt.command(COMMAND)(self._on_command)
        bolt.view(CALLBACK_ID)(self._on_submission)
        app.on_cleanup.append(self._drain)

    async def _drain(self, _app: web.Application) -> None:
        if self._late:  # bounded: a call that never ends must not hold the shutdown
            await asyncio.wait(self._late, timeout=DRAIN_TIMEOUT)

    async def _on_command(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        # bolt sends the HTTP answer when this returns (process_before_response), so ack's place changes nothing
        refusal = await self._open_modal(str(body.get("user_id") or ""), body.get("team_id"), body.get("trigger_id"))
        await (ack(text=refusal, response_type="ephemeral") if refusal else ack())

    async def _open_modal(self, user: str, team: object, trigger_id: object) -> str | None:
        """Open the modal for a console member; else what to tell the operator."""
        if self._team_id and team != self._team_id:
            self._log.warning("slack /ticket from another workspace refused", team=team)
            return COMMAND_REFUSAL
        try:
            async with asyncio.timeout(self._budget):
                if not user or not await self._is_member(user):
                    self._log.warning("slack /ticket refused: not a console member", user=user)
                    return COMMAND_REFUSAL
                await self._client.views_open(trigger_id=str(trigger_id or ""), view=phone_call_modal(self._labels))
        except SlackApiError as error:
            self._log.warning("phone call modal not opened", user=user, error=str(error.response.get("error")))
            return NOT_OPENED
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            self._log.warning("phone call modal not opened", user=user, error=error.__class__.__name__)
            return NOT_OPENED
        self._log.info("phone call modal opened", user=user)
        return None

    async def _on_submission(self, ack: AsyncAck, body: dict[str, Any], request: AsyncBoltRequest) -> None:
        try:
            call = read_phone_call(body.get("view") or {}, str((body.get("user") or {}).get("id") or ""))
        except PhoneCallError as error:
            self._log.info("phone call returned to the operator", fields=sorted(error.errors))
            await ack(response_action="errors", errors=error.errors)
            return
        raw = (parse_qs(request.raw_body).get("payload") or [json.dumps(body)])[0].encode("utf-8")
        task: asyncio.Future[str] = asyncio.ensure_future(self._on_phone_call(call, raw))
        try:
            number = await asyncio.wait_for(asyncio.shield(task), self._budget)
        except TimeoutError:
            self._log.error("phone call not recorded in time", native_id=call.native_id, budget=self._budget)
            self._late.add(task)
            task.add_done_callback(partial(self._finished_late, call.native_id))
            await ack(response_action="errors", errors={"contact": TOO_SLOW})
            return
        except Exception as error:  # the operator sees it in the modal and submits again
            self._log.error("phone call not recorded", native_id=call.native_id, error=repr(error))
            await ack(response_action="errors", errors={"contact": NOT_RECORDED})
            return
        self._log.info("phone call recorded", native_id=call.native_id, operator=call.operator, number=number)
        await ack(response_action="update", view=confirmation_view(number, call.contact))

    def _finished_late(self, native_id: str, task: asyncio.Future[str]) -> None:
        self._late.discard(task)
        if task.cancelled():
            self._log.error("phone call cancelled after its answer", native_id=native_id)
        elif task.exception() is not None:
            self._log.error("phone call failed after its answer", native_id=native_id, error=repr(task.exception()))
        else:
            self._log.info("phone call recorded after its answer", native_id=native_id, number=task.result())
