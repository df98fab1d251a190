"""Reading a committed Twilio WhatsApp webhook form (the raw body bytes) into an `InboundMessage`.

Twilio posts every inbound WhatsApp message as `application/x-www-form-urlencoded`. Besides `Body`, it sends
`MessageType` and type-specific fields (Twilio's "incoming message webhook" parameters): `Latitude`,
`Longitude`, `Address`, `Label` for a shared location; `ButtonText`/`ButtonPayload` for a quick-reply button;
`ListId`/`ListTitle`/`ListDescription` for a list-picker reply; `NumMedia` with `MediaUrl{i}` and
`MediaContentType{i}` for images, audio, documents, stickers and shared contacts (a vCard). Everything that is
not plain text becomes short readable Spanish text, so the desk always sees what the client did.
"""

from __future__ import annotations

import asyncio
import mimetypes
from datetime import datetime
from urllib.parse import parse_qsl, quote

from multidict import MultiDict

from adapters.phone_numbers import to_e164
from adapters.whatsapp import CHANNEL
from adapters.whatsapp.settings import WhatsAppSettings
from normalizer import Normalizer
from ticketing.types import AttachmentRef, InboundMessage, InboxItem, Trust, WrittenRequest

MAX_MEDIA = 10  # Twilio delivers at most ten media items per message
MEDIA_LABELS = {
    "image": "[imagen]",
    "video": "[video]",
    "audio": "[audio]",
    "document": "[documento]",
    "sticker": "[sticker]",
    "contacts": "[contacto]",
}
# Stable file extensions for what WhatsApp sends; anything else asks `mimetypes`.
EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "video/mp4": ".mp4",
    "video/3gpp": ".3gp",
    "audio/ogg": ".ogg",
    "audio/mpeg": ".mp3",
    "audio/amr": ".amr",
    "audio/aac": ".aac",
    "audio/mp4": ".m4a",
    "application/pdf": ".pdf",
    "text/vcard": ".vcf",
    "text/x-vcard": ".vcf",
}


class WhatsAppFormError(Exception):
    """The stored form cannot become a message (the pipeline quarantines it with this reason)."""


def parse_form(raw: bytes) -> MultiDict[str]:
    """The fields of a form-encoded body, in order, repeated names kept, blank values kept (Twilio signs them)."""
    try:
        text = raw.decode("utf-8")  # percent-encoded UTF-8 as Twilio sends it; raw UTF-8 is tolerated
        return MultiDict(parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict"))
    except (UnicodeDecodeError, ValueError) as error:
        raise WhatsAppFormError(f"not a form-encoded body: {error}") from error


def _sender(form: MultiDict[str], default_region: str) -> str:
    address = to_e164(form.get("From", ""), default_region)
    if address:
        return address
    wa_id = form.get("WaId", "").strip()
    if wa_id.isdigit():
        return "+" + wa_id
    raise WhatsAppFormError(f"no usable sender: From {form.get('From', '')!r}, WaId {wa_id!r}")


def _location(form: MultiDict[str]) -> str:
    latitude, longitude = form.get("Latitude", "").strip(), form.get("Longitude", "").strip()
    place = ", ".join(part for part in (form.get("Label", "").strip(), form.get("Address", "").strip()) if part)
    try:
        float(latitude), float(longitude)
    except ValueError:
        return f"📍 Ubicación: {place}" if place else "📍 Ubicación"
    link = f"https://maps.google.com/?q={quote(latitude)},{quote(longitude)}"
    where = f"{place} " if place else ""
    return f"📍 Ubicación: {where}({latitude}, {longitude}) {link}"


def _media_label(message_type: str, content_type: str) -> str:
    if message_type in MEDIA_LABELS:
        return MEDIA_LABELS[message_type]
    kind = content_type.split("/", 1)[0]
    if content_type.split(";")[0].strip() in ("text/vcard", "text/x-vcard"):
        return MEDIA_LABELS["contacts"]
    return MEDIA_LABELS.get(kind, MEDIA_LABELS["document"])


def _extension(content_type: str) -> str:
    mime = content_type.split(";")[0].strip().lower()
    return EXTENSIONS.get(mime) or mimetypes.guess_extension(mime, strict=False) or ""


def _attachments(form: MultiDict[str]) -> tuple[AttachmentRef, ...]:
    try:
        count = int(form.get("NumMedia", "0") or "0")
    except ValueError as error:
        raise WhatsAppFormError(f"NumMedia is not a number: {form.get('NumMedia')!r}") from error
    found = []
    for index in range(min(max(count, 0), MAX_MEDIA)):
        url = form.get(f"MediaUrl{index}", "").strip()
        if not url:
            continue
        content_type = form.get(f"MediaContentType{index}", "").strip() or "application/octet-stream"
        found.append(
            AttachmentRef(
                filename=f"whatsapp-media-{index + 1}{_extension(content_type)}",
                content_type=content_type,
                size=0,
                sha256="",
                content=None,
                note="to download",
                url=url,
            )
        )
    return tuple(found)


def _text(form: MultiDict[str], attachments: tuple[AttachmentRef, ...]) -> str:
    """What the client wrote or did, as readable text."""
    message_type = form.get("MessageType", "").strip().lower()
    body = form.get("Body", "").strip()
    button = form.get("ButtonText", "").strip()
    list_title = form.get("ListTitle", "").strip()
    if message_type == "location" or (form.get("Latitude") and form.get("Longitude")):
        return "\n".join(part for part in (_location(form), body) if part)
    if message_type in ("button", "interactive") or button or list_title:
        if list_title:
            description = form.get("ListDescription", "").strip()
            return f"[lista] {list_title}" + (f" — {description}" if description else "")
        if button or body:
            return f"[botón] {button or body}"
    if message_type == "reaction":
        return f"[reacción] {body}".strip()
    if body:
        return body
    if attachments:
        return " ".join(_media_label(message_type, item.content_type) for item in attachments)
    if message_type in MEDIA_LABELS:
        return MEDIA_LABELS[message_type]
    return f"[mensaje de tipo {message_type or 'desconocido'}]"


def _headers(form: MultiDict[str]) -> dict[str, str]:
    headers = {"messagetype": form.get("MessageType", ""), "wa_id": form.get("WaId", "")}
    optional = {
        "account_sid": "AccountSid",
        "messaging_service_sid": "MessagingServiceSid",
        "button_payload": "ButtonPayload",
        "list_id": "ListId",
        "forwarded": "Forwarded",
        "frequently_forwarded": "FrequentlyForwarded",
        "original_replied_message_sid": "OriginalRepliedMessageSid",
    }
    headers.update({name: form[field] for name, field in optional.items() if form.get(field, "")})
    return headers


def parse_whatsapp_form(
    raw: bytes,
    *,
    received_at: datetime,
    default_region: str = "CO",
    our_numbers: frozenset[str] = frozenset(),
    messaging_services: frozenset[str] = frozenset(),
) -> InboundMessage:
    """One stored webhook body -> one `InboundMessage`; raises WhatsAppFormError when it cannot."""
    form = parse_form(raw)
    native_id = form.get("MessageSid", "").strip()
    if not native_id:
        raise WhatsAppFormError("the form has no MessageSid")
    recipient = to_e164(form.get("To", ""), default_region) or form.get("To", "").removeprefix("whatsapp:").strip()
    if our_numbers or messaging_services:
        ours = {to_e164(number, default_region) or number for number in our_numbers}
        if recipient not in ours and form.get("MessagingServiceSid", "") not in messaging_services:
            raise WhatsAppFormError(
                f"message for {recipient or '(no number)'} which is not one of our WhatsApp senders"
            )
    attachments = _attachments(form)
    return InboundMessage(
        sender_trust=Trust.VERIFIED,  # WhatsApp verified the number, Twilio signed the webhook
        channel=CHANNEL,
        native_id=native_id,
        sender_address=_sender(form, default_region),
        sender_name=form.get("ProfileName", "").strip(),
        recipient=recipient,
        subject="",
        text=_text(form, attachments),
        html="",
        received_at=received_at,
        thread_hints=tuple(filter(None, [form.get("OriginalRepliedMessageSid", "").strip()])),
        headers=_headers(form),
        attachments=attachments,
    )


# A form up to this size (a chat message of a few hundred characters: accents take 6 bytes each, URL-encoded) is
# read on the event loop: it takes under 2 ms (0.2 ms for 40 characters), less than handing it to a thread and back
# under load. A longer one (25 ms for a 64 KB form) is read in a thread, so the webhooks it would hold up are answered
# meanwhile.
READ_ON_THE_LOOP_BYTES = 1024


class WhatsAppReader:
    """The inbox pipeline's reader for WhatsApp: the committed form -> written request; a long one in a thread."""

    def __init__(self, config: WhatsAppSettings, region: str, normalizer: Normalizer) -> None:
        sender = to_e164(config.from_number, region)
        self._our_numbers = frozenset({sender} if sender else set())
        self._services = frozenset(config.messaging_service_sids)
        self._region = region
        self._normalizer = normalizer

    def _read(self, item: InboxItem) -> WrittenRequest:
        message = parse_whatsapp_form(
            item.raw,
            received_at=item.received_at,
            default_region=self._region,
            our_numbers=self._our_numbers,
            messaging_services=self._services,
        )
        return self._normalizer.normalize(message)

    async def __call__(self, item: InboxItem) -> WrittenRequest:
        if len(item.raw) <= READ_ON_THE_LOOP_BYTES:
            return self._read(item)
        return await asyncio.to_thread(self._read, item)
