"""Reading a committed relay message (the raw JSON body) into an `InboundMessage`, and checking its shape.

The body a bridge posts (Teams, Telegram, Matrix, a CRM...):

    {"id": "m-1", "sender": {"id": "u-7", "name": "Ana", "email": "ana@x.co", "phone": "+57 300 1234567"},
     "text": "El servidor no responde", "conversation_id": "c-9", "thread_id": "t-2",
     "sent_at": "2026-11-24T14:00:00Z",
     "attachments": [{"url": "https://...", "name": "captura.png", "content_type": "image/png"}]}

`id`, `sender.id` and `text` are required; `text` may be "" only when there are attachments. The webhook runs
`check_relay_body` before committing, so whatever is stored can be read here. The conversation and thread are
where answers go (`reply_to`, see `conversation_of`): every reply on the ticket carries those of the client's
latest message.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from adapters.phone_numbers import to_e164
from adapters.relay import channel_for
from normalizer import Normalizer
from ticketing.types import AttachmentRef, InboundMessage, InboxItem, Trust, WrittenRequest

MAX_ID_LENGTH = 256
MAX_ATTACHMENTS = 20


class RelayFormError(Exception):
    """The body is not a valid relay message; the text names the field (the webhook answers 400 with it)."""


def _optional_str(data: Mapping[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise RelayFormError(f"{where}{key} must be a string")
    return value.strip()


def _identifier(data: Mapping[str, Any], key: str, where: str, required: bool) -> str:
    value = data.get(key)
    if value is None and not required:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise RelayFormError(f"{where}{key} is required" if value is None else f"{where}{key} must be a string")
    text = str(value).strip()
    if required and not text:
        raise RelayFormError(f"{where}{key} is required")
    if len(text) > MAX_ID_LENGTH:
        raise RelayFormError(f"{where}{key} is longer than {MAX_ID_LENGTH} characters")
    return text


def _attachment(item: Any, index: int) -> AttachmentRef:
    where = f"attachments[{index}]."
    if not isinstance(item, dict):
        raise RelayFormError(f"attachments[{index}] must be an object")
    url = _optional_str(item, "url", where)
    if not url.startswith(("https://", "http://")):
        raise RelayFormError(f"{where}url must be an http(s) URL")
    name = _optional_str(item, "name", where) or f"relay-attachment-{index + 1}"
    content_type = _optional_str(item, "content_type", where) or "application/octet-stream"
    return AttachmentRef(name, content_type, 0, "", None, "to download", url)


def _attachments(data: Mapping[str, Any]) -> tuple[AttachmentRef, ...]:
    items = data.get("attachments")
    if items is None:
        return ()
    if not isinstance(items, list):
        raise RelayFormError("attachments must be a list")
    if len(items) > MAX_ATTACHMENTS:
        raise RelayFormError(f"attachments has more than {MAX_ATTACHMENTS} items")
    return tuple(_attachment(item, index) for index, item in enumerate(items))


def check_relay_body(raw: bytes) -> dict[str, Any]:
    """The decoded body once every field has the right shape; raises RelayFormError naming the first bad one."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise RelayFormError("body is not UTF-8 JSON") from error
    if not isinstance(data, dict):
        raise RelayFormError("body must be a JSON object")
    _identifier(data, "id", "", required=True)
    sender = data.get("sender")
    if not isinstance(sender, dict):
        raise RelayFormError("sender is required" if sender is None else "sender must be an object")
    _identifier(sender, "id", "sender.", required=True)
    for key in ("name", "email", "phone"):
        _optional_str(sender, key, "sender.")
    text = data.get("text")
    if not isinstance(text, str):
        raise RelayFormError("text is required" if text is None else "text must be a string")
    attachments = _attachments(data)
    if not text.strip() and not attachments:
        raise RelayFormError("text is required (it may be empty only with attachments)")
    _identifier(data, "conversation_id", "", required=False)
    _identifier(data, "thread_id", "", required=False)
    _optional_str(data, "sent_at", "")
    return data


def reply_to(conversation: str, thread: str) -> str:
    """Where answers to a message go, as the core keeps it for the relay (opaque to it)."""
    return json.dumps({"conversation_id": conversation, "thread_id": thread or None}) if conversation else ""


def conversation_of(reply_to: str) -> tuple[str | None, str | None]:
    """(conversation_id, thread_id) of a kept `reply_to`; (None, None) when there is none."""
    try:
        data = json.loads(reply_to) if reply_to else {}
    except ValueError:
        data = {}
    found = data if isinstance(data, dict) else {}
    return found.get("conversation_id") or None, found.get("thread_id") or None


def _sender_address(sender: Mapping[str, Any], relay: str, default_region: str) -> str:
    email = _optional_str(sender, "email", "sender.").lower()
    if "@" in email:
        return email
    phone = to_e164(_optional_str(sender, "phone", "sender."), default_region)
    if phone:
        return phone
    return f"{relay}:{_identifier(sender, 'id', 'sender.', required=True)}"


def parse_relay_message(raw: bytes, *, relay: str, received_at: datetime, default_region: str = "CO") -> InboundMessage:
    """One stored relay body -> one `InboundMessage`; raises RelayFormError when it cannot."""
    data = check_relay_body(raw)
    sender: dict[str, Any] = data["sender"]
    conversation = _identifier(data, "conversation_id", "", required=False)
    thread = _identifier(data, "thread_id", "", required=False)
    headers = {"relay": relay, "sender_id": _identifier(sender, "id", "sender.", required=True)}
    sent_at = _optional_str(data, "sent_at", "")
    if sent_at:
        headers["sent_at"] = sent_at
    if conversation:
        headers["conversation_id"] = conversation
    return InboundMessage(
        sender_trust=Trust.VERIFIED,  # the bridge, whose signature we checked, vouches for its user
        channel=channel_for(relay),
        native_id=_identifier(data, "id", "", required=True),
        sender_address=_sender_address(sender, relay, default_region),
        sender_name=_optional_str(sender, "name", "sender."),
        recipient=relay,
        subject="",
        text=str(data["text"]).strip(),
        html="",
        received_at=received_at,
        thread_hints=(f"{channel_for(relay)}:{conversation}",) if conversation else (),
        headers=headers,
        attachments=_attachments(data),
        reply_to=reply_to(conversation, thread),
    )


class RelayReader:
    """The inbox pipeline's reader for one relay: the committed JSON -> written request, in a worker thread."""

    def __init__(self, name: str, region: str, normalizer: Normalizer) -> None:
        self._name = name
        self._region = region
        self._normalizer = normalizer

    def _read(self, item: InboxItem) -> WrittenRequest:
        message = parse_relay_message(
            item.raw, relay=self._name, received_at=item.received_at, default_region=self._region
        )
        return self._normalizer.normalize(message)

    async def __call__(self, item: InboxItem) -> WrittenRequest:
        return await asyncio.to_thread(self._read, item)
