"""Reading stored relay bodies: sender address, threading, attachments and every refusal naming its field."""

from __future__ import annotations

import json
from typing import Any

import pytest

from adapters.relay.read import RelayFormError, parse_relay_message
from tests.conftest import at
from ticketing.types import AttachmentRef

RECEIVED = at("2026-11-24T14:00:00")


def body(**changes: Any) -> bytes:
    data: dict[str, Any] = {"id": "m-1", "sender": {"id": "u-7", "name": " Ana "}, "text": "El servidor no responde."}
    data.update(changes)
    return json.dumps(data).encode()


def parse(raw: bytes) -> Any:
    return parse_relay_message(raw, relay="teams", received_at=RECEIVED)


def test_a_plain_message() -> None:
    message = parse(body(sent_at="2026-11-24T13:59:00Z"))
    assert (message.channel, message.native_id, message.sender_address) == ("relay:teams", "m-1", "teams:u-7")
    assert (message.sender_name, message.text, message.received_at) == ("Ana", "El servidor no responde.", RECEIVED)
    assert message.thread_hints == ()
    assert message.attachments == ()
    assert message.headers == {"relay": "teams", "sender_id": "u-7", "sent_at": "2026-11-24T13:59:00Z"}


@pytest.mark.parametrize(
    ("sender", "address"),
    [
        ({"id": "u-7", "email": " Ana@Andina.COM.co ", "phone": "+573001234567"}, "ana@andina.com.co"),
        ({"id": "u-7", "phone": "300 123 4567"}, "+573001234567"),  # default region CO
        ({"id": "u-7", "phone": "+1 415 523 8886"}, "+14155238886"),
        ({"id": "u-7", "phone": "no"}, "teams:u-7"),
        ({"id": 42, "email": ""}, "teams:42"),  # numeric ids (Telegram) are fine
    ],
    ids=["email wins", "local phone", "foreign phone", "bad phone", "numeric id"],
)
def test_sender_address(sender: dict[str, Any], address: str) -> None:
    assert parse(body(sender=sender)).sender_address == address


def test_conversation_becomes_a_thread_hint_per_relay() -> None:
    assert parse(body(conversation_id="c-9")).thread_hints == ("relay:teams:c-9",)


def test_attachments_are_references_to_download() -> None:
    message = parse(
        body(
            text="",
            attachments=[
                {"url": "https://files.example.com/a.png", "name": "captura.png", "content_type": "image/png"},
                {"url": "https://files.example.com/b"},
            ],
        )
    )
    assert message.text == ""
    assert message.attachments == (
        AttachmentRef("captura.png", "image/png", 0, "", None, "to download", "https://files.example.com/a.png"),
        AttachmentRef(
            "relay-attachment-2", "application/octet-stream", 0, "", None, "to download", "https://files.example.com/b"
        ),
    )


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b"\xff", "body is not UTF-8 JSON"),
        (b"[1]", "body must be a JSON object"),
        (body(id=""), "id is required"),
        (body(id=None), "id is required"),
        (body(id=["x"]), "id must be a string"),
        (body(sender=None), "sender is required"),
        (body(sender="ana"), "sender must be an object"),
        (body(sender={"name": "Ana"}), "sender.id is required"),
        (body(sender={"id": "u", "email": 3}), "sender.email must be a string"),
        (body(text=None), "text is required"),
        (body(text=5), "text must be a string"),
        (body(text="  "), "text is required (it may be empty only with attachments)"),
        (body(attachments="x"), "attachments must be a list"),
        (body(attachments=["x"]), "attachments[0] must be an object"),
        (body(attachments=[{"url": "file:///etc/passwd"}]), "attachments[0].url must be an http(s) URL"),
        (body(conversation_id={"a": 1}), "conversation_id must be a string"),
        (body(sent_at=1), "sent_at must be a string"),
    ],
)
def test_refusals_name_the_field(raw: bytes, field: str) -> None:
    with pytest.raises(RelayFormError) as error:
        parse(raw)
    assert str(error.value) == field
