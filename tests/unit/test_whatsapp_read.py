"""Twilio WhatsApp webhook forms -> InboundMessage: one table of cases, plus the refusals."""

from __future__ import annotations

import re
import threading
from urllib.parse import urlencode

import pytest

from adapters.whatsapp.read import READ_ON_THE_LOOP_BYTES, WhatsAppFormError, WhatsAppReader, parse_whatsapp_form
from adapters.whatsapp.settings import WhatsAppSettings
from normalizer import Normalizer
from normalizer.language import LanguageDetector
from tests.conftest import at
from ticketing.types import InboundMessage, InboxItem, WrittenRequest

RECEIVED = at("2026-11-24T14:00:00")
OURS = "+14155238886"


def form(**fields: str) -> bytes:
    """A webhook body as Twilio encodes it, with the fields every inbound WhatsApp message carries."""
    base = {
        "MessageSid": "SM" + "a" * 32,
        "AccountSid": "AC" + "b" * 32,
        "From": "whatsapp:+573001234567",
        "To": f"whatsapp:{OURS}",
        "WaId": "573001234567",
        "ProfileName": "Ana Gómez",
        "MessageType": "text",
        "Body": "",
        "NumMedia": "0",
    }
    base.update(fields)
    return urlencode(base).encode("ascii")


MEDIA_TWO = {
    "MessageType": "image",
    "NumMedia": "2",
    "MediaUrl0": "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1",
    "MediaContentType0": "image/jpeg",
    "MediaUrl1": "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME2",
    "MediaContentType1": "application/pdf",
}

CASES = [
    # (name, fields, expected text, expected sender)
    (
        "text",
        {"Body": "El servidor de facturación no responde."},
        "El servidor de facturación no responde.",
        "+573001234567",
    ),
    (
        "location",
        {
            "MessageType": "location",
            "Latitude": "4.6097",
            "Longitude": "-74.0817",
            "Address": "Cra 7 # 32-16",
            "Label": "Oficina central",
        },
        "📍 Ubicación: Oficina central, Cra 7 # 32-16 (4.6097, -74.0817) https://maps.google.com/?q=4.6097,-74.0817",
        "+573001234567",
    ),
    (
        "location without names",
        {"MessageType": "location", "Latitude": "4.6", "Longitude": "-74.1"},
        "📍 Ubicación: (4.6, -74.1) https://maps.google.com/?q=4.6,-74.1",
        "+573001234567",
    ),
    (
        "button",
        {
            "MessageType": "button",
            "ButtonText": "Sí, ya funciona",
            "ButtonPayload": "resolved",
            "Body": "Sí, ya funciona",
        },
        "[botón] Sí, ya funciona",
        "+573001234567",
    ),
    (
        "list reply",
        {
            "MessageType": "interactive",
            "ListId": "prio-high",
            "ListTitle": "Prioridad alta",
            "ListDescription": "Producción afectada",
        },
        "[lista] Prioridad alta — Producción afectada",
        "+573001234567",
    ),
    ("media with 2 items", MEDIA_TWO, "[imagen] [imagen]", "+573001234567"),
    (
        "image with caption",
        {**MEDIA_TWO, "NumMedia": "1", "Body": "Así sale el error"},
        "Así sale el error",
        "+573001234567",
    ),
    (
        "audio only",
        {
            "MessageType": "audio",
            "NumMedia": "1",
            "MediaUrl0": "https://api.twilio.com/m/ME3",
            "MediaContentType0": "audio/ogg",
        },
        "[audio]",
        "+573001234567",
    ),
    (
        "document only",
        {
            "MessageType": "document",
            "NumMedia": "1",
            "MediaUrl0": "https://api.twilio.com/m/ME4",
            "MediaContentType0": "application/pdf",
        },
        "[documento]",
        "+573001234567",
    ),
    (
        "sticker",
        {
            "MessageType": "sticker",
            "NumMedia": "1",
            "MediaUrl0": "https://api.twilio.com/m/ME5",
            "MediaContentType0": "image/webp",
        },
        "[sticker]",
        "+573001234567",
    ),
    (
        "contact card",
        {
            "MessageType": "",
            "NumMedia": "1",
            "MediaUrl0": "https://api.twilio.com/m/ME6",
            "MediaContentType0": "text/vcard",
        },
        "[contacto]",
        "+573001234567",
    ),
    ("reaction", {"MessageType": "reaction", "Body": "👍"}, "[reacción] 👍", "+573001234567"),
    ("unknown type", {"MessageType": "order"}, "[mensaje de tipo order]", "+573001234567"),
    ("unknown type with text keeps the text", {"MessageType": "newthing", "Body": "hola"}, "hola", "+573001234567"),
    ("From with spaces", {"From": "whatsapp:+57 300 123 4567", "Body": "hola"}, "hola", "+573001234567"),
    ("From whose + became a space", {"From": "whatsapp: 573001234567", "Body": "hola"}, "hola", "+573001234567"),
    (
        "From unusable: WaId with a +",
        {"From": "whatsapp:", "WaId": "573109876543", "Body": "hola"},
        "hola",
        "+573109876543",
    ),
    (
        "foreign number",
        {"From": "whatsapp:+34612345678", "WaId": "34612345678", "Body": "hola"},
        "hola",
        "+34612345678",
    ),
]


@pytest.mark.parametrize(("name", "fields", "text", "sender"), CASES, ids=[case[0] for case in CASES])
def test_form_becomes_a_message(name: str, fields: dict[str, str], text: str, sender: str) -> None:
    message = parse_whatsapp_form(form(**fields), received_at=RECEIVED, our_numbers=frozenset({OURS}))
    assert message.channel == "whatsapp"
    assert message.native_id == "SM" + "a" * 32
    assert message.text == text
    assert message.sender_address == sender
    assert message.sender_name == "Ana Gómez"
    assert message.recipient == OURS
    assert (message.subject, message.html, message.thread_hints) == ("", "", ())
    assert message.received_at == RECEIVED
    assert message.headers["messagetype"] == fields.get("MessageType", "text")
    assert message.headers["wa_id"] == fields.get("WaId", "573001234567")


def test_media_become_references_to_download() -> None:
    message = parse_whatsapp_form(form(**MEDIA_TWO), received_at=RECEIVED)
    assert [(a.filename, a.content_type, a.url) for a in message.attachments] == [
        ("whatsapp-media-1.jpg", "image/jpeg", MEDIA_TWO["MediaUrl0"]),
        ("whatsapp-media-2.pdf", "application/pdf", MEDIA_TWO["MediaUrl1"]),
    ]
    assert all((a.size, a.sha256, a.content, a.note) == (0, "", None, "to download") for a in message.attachments)


def test_button_payload_and_reply_context_are_kept_in_headers() -> None:
    fields = {
        "MessageType": "button",
        "ButtonText": "Sí",
        "ButtonPayload": "resolved",
        "OriginalRepliedMessageSid": "SM" + "c" * 32,
    }
    headers = parse_whatsapp_form(form(**fields), received_at=RECEIVED).headers
    assert headers["button_payload"] == "resolved"
    assert headers["original_replied_message_sid"] == "SM" + "c" * 32


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (
            form(To="whatsapp:+573009999999", Body="hola"),
            "message for +573009999999 which is not one of our WhatsApp senders",
        ),
        (form(MessageSid="", Body="hola"), "no MessageSid"),
        (form(From="whatsapp:", WaId="", Body="hola"), "no usable sender"),
        (form(NumMedia="dos"), "NumMedia is not a number"),
        (b"\xff\xfe", "not a form-encoded body"),
    ],
    ids=["not our number", "no MessageSid", "no sender", "bad NumMedia", "not a form"],
)
def test_unreadable_forms_are_refused_with_a_reason(raw: bytes, reason: str) -> None:
    with pytest.raises(WhatsAppFormError, match=re.escape(reason)):
        parse_whatsapp_form(raw, received_at=RECEIVED, our_numbers=frozenset({OURS}))


def test_a_messaging_service_of_ours_is_enough() -> None:
    raw = form(To="whatsapp:+573009999999", MessagingServiceSid="MG" + "d" * 32, Body="hola")
    message = parse_whatsapp_form(
        raw, received_at=RECEIVED, our_numbers=frozenset({OURS}), messaging_services=frozenset({"MG" + "d" * 32})
    )
    assert message.recipient == "+573009999999"


def test_without_our_numbers_any_recipient_is_read() -> None:
    assert (
        parse_whatsapp_form(form(To="whatsapp:+573009999999", Body="x"), received_at=RECEIVED).recipient
        == "+573009999999"
    )


class _ThreadNoting:
    """A normalizer that notes the thread each message is read on."""

    def __init__(self) -> None:
        self.threads: list[int] = []

    def normalize(self, message: InboundMessage) -> WrittenRequest:
        self.threads.append(threading.get_ident())
        return Normalizer("TL", LanguageDetector("es"), frozenset()).normalize(message)


async def test_a_chat_sized_message_is_read_on_the_loop_and_a_long_one_in_a_thread() -> None:
    noting = _ThreadNoting()
    settings = WhatsAppSettings(from_number=OURS, public_base_url="https://gw.tecnolinux.com")
    reader = WhatsAppReader(settings, "CO", noting)  # type: ignore[arg-type]
    short, long = form(Body="No imprime la impresora."), form(Body="La impresora no imprime. " * 60)
    assert len(short) <= READ_ON_THE_LOOP_BYTES < len(long)
    read = [
        await reader(InboxItem(n, "whatsapp", f"SM{n}", raw, {}, RECEIVED, "pending", 0, ""))
        for n, raw in enumerate((short, long))
    ]
    assert [request.body.strip()[:24] for request in read] == [
        "No imprime la impresora.",
        "La impresora no imprime.",
    ]
    assert noting.threads[0] == threading.get_ident() != noting.threads[1]
