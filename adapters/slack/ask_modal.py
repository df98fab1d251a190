"""The console's "Solicitar información" button: a modal where the agent writes the question for the client.

The click opens the modal at once (Slack's trigger expires in 3 seconds; nothing is stored yet). Its submission
carries the ticket number (`private_metadata`) and the question; the events app commits it to the inbox (kind
"ask"), and the pipeline sends the question to the client and sets the ticket waiting on the client, as a thread
reply starting with "pedir:" does. An empty question is refused in the modal, naming the field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

CALLBACK_ID = "ask_information"
KIND = "ask"  # the inbox kind of a submitted question
_BLOCK, _ACTION = "question", "text"
QUESTION_LIMIT = 3000


@dataclass(frozen=True)
class InformationRequest:
    """A question an agent submitted in the modal: for the client of `ticket_number`."""

    view_id: str
    ticket_number: str
    user: str
    text: str

    @property
    def key(self) -> str:
        """The reply's outbox key: the same submission, retried, queues one question."""
        return f"slack-ask:{self.view_id}"


def ask_modal(ticket_number: str) -> dict[str, Any]:
    """The modal view for one ticket (its number travels in `private_metadata`)."""
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "private_metadata": ticket_number,
        "title": {"type": "plain_text", "text": "Solicitar información"},
        "submit": {"type": "plain_text", "text": "Enviar al cliente"},
        "close": {"type": "plain_text", "text": "Cancelar"},
        "blocks": [
            {
                "type": "input",
                "block_id": _BLOCK,
                "label": {"type": "plain_text", "text": f"¿Qué necesita saber del cliente de {ticket_number}?"},
                "hint": {
                    "type": "plain_text",
                    "text": "Se envía al cliente por su canal; el SLA queda en pausa hasta que responda.",
                },
                "element": {
                    "type": "plain_text_input",
                    "action_id": _ACTION,
                    "multiline": True,
                    "max_length": QUESTION_LIMIT,
                },
            }
        ],
    }


def question_errors(view: dict[str, Any]) -> dict[str, str]:
    """What to tell the agent in the modal (block id -> message); empty when the question can be sent."""
    return {} if _question(view) else {_BLOCK: "Escriba la pregunta para el cliente."}


def read_request(body: dict[str, Any]) -> InformationRequest | None:
    """The submitted question in a `view_submission` body; None when it is not one of ours or is incomplete."""
    view = body.get("view") or {}
    number = str(view.get("private_metadata") or "")
    user = str((body.get("user") or {}).get("id") or "")
    text = _question(view)
    if view.get("callback_id") != CALLBACK_ID or not number or not user or not text or not view.get("id"):
        return None
    return InformationRequest(str(view["id"]), number, user, text)


def _question(view: dict[str, Any]) -> str:
    values = ((view.get("state") or {}).get("values") or {}).get(_BLOCK) or {}
    return str((values.get(_ACTION) or {}).get("value") or "").strip()
