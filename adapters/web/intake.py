"""The help desk's requests and lookups: a submission becomes the client's ticket at once; a lookup shows one.

`submit` commits the submission to the durable inbox first (channel "web", a fresh native id each time: every
submission is a new request), then makes the ticket at once so the page can show its number and deadlines. The
client's acknowledgement goes out on email or WhatsApp, whichever contact they gave. If making the ticket fails
after the commit, the submission stays in the inbox; `read` is the inbox pipeline's reader for channel "web", so
the pipeline finishes the job instead of quarantining it.

`lookup` shows a ticket only to whoever gives its requester's contact, and only the public conversation (messages
in and out, never internal notes).
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from zoneinfo import ZoneInfo

from adapters.labels import Texts
from adapters.local_time import format_moment
from adapters.phone_numbers import normalised_contact
from adapters.web import CHANNEL
from adapters.web.form import SupportForm, form_from_payload
from adapters.web.receipts import Receipt, StatusView
from normalizer import Normalizer
from ticketing.intake import ImmediateIntake
from ticketing.ports import TicketReading, UnitOfWork
from ticketing.types import AttachmentRef, Direction, InboundMessage, InboxItem, Priority, Ticket, Trust, WrittenRequest

KIND = "web_form"
NO_DEADLINE = "—"
SPEAKERS = {"es": ("Usted", "Mesa de ayuda"), "en": ("You", "Help desk")}


def web_request(
    raw: bytes, native_id: str, received_at: datetime, region: str, normalizer: Normalizer
) -> WrittenRequest:
    """The written request of one stored submission; its priority and language are the ones the visitor chose."""
    form = form_from_payload(raw)
    contact = normalised_contact(form.contact, region) or form.contact.strip()
    organisation = f" ({form.organisation})" if form.organisation else ""
    note = f"[Solicitud enviada desde el formulario web{organisation}]"
    message = InboundMessage(
        sender_trust=Trust.ANONYMOUS,  # anyone can type any address into a public form
        channel=CHANNEL,
        reply_channel="email" if "@" in contact else "whatsapp",  # answered where the visitor asked to be
        native_id=native_id,
        sender_address=contact,
        sender_name=form.name,
        recipient=CHANNEL,
        subject=form.subject,
        text=f"{form.description}\n\n{note}",
        html="",
        received_at=received_at,
        headers={"form": KIND, "organisation": form.organisation},
        attachments=tuple(
            AttachmentRef(name, kind, len(content), hashlib.sha256(content).hexdigest(), content)
            for name, kind, content in form.attachments
        ),
    )
    request = normalizer.normalize(message)
    return WrittenRequest(
        message,
        request.body,
        request.original_body,
        request.language or form.language,  # the language the client wrote in; the page's when too short to tell
        Priority(form.priority),
        "chosen on the web form",
        request.ticket_ref,
    )


class WebIntake:
    """`submit` and `lookup` for the web pages, and `read` for the inbox pipeline (see the module docstring)."""

    def __init__(
        self,
        store: UnitOfWork[TicketReading],
        record_now: ImmediateIntake,
        normalizer: Normalizer,
        region: str,
        tz: ZoneInfo,
        texts: Texts,
    ) -> None:
        self._store = store
        self._intake = record_now
        self._normalizer = normalizer
        self._region = region
        self._tz = tz
        self._texts = texts

    def _due(self, moment: datetime | None, language: str) -> str:
        return format_moment(moment, language, self._tz) if moment is not None else NO_DEADLINE

    async def submit(self, form: SupportForm, raw: bytes, key: str) -> str:
        """Commit the submission and make its ticket; the same key again gives back the first ticket's number."""
        native_id = f"{CHANNEL}:{key}"
        return await self._intake.record(
            CHANNEL, native_id, raw, KIND, lambda at: web_request(raw, native_id, at, self._region, self._normalizer)
        )

    async def receipt(self, number: str, language: str) -> Receipt | None:
        """The ticket's number, priority and deadlines, worded in `language`."""
        async with self._store.transaction() as tx:
            ticket = await tx.get_ticket(number)
        if ticket is None:
            return None
        return Receipt(
            ticket.number,
            self._texts(language).priority(ticket.priority.value),
            self._due(ticket.response_due, language),
            self._due(ticket.resolution_due, language),
        )

    async def read(self, item: InboxItem) -> WrittenRequest:
        """The inbox pipeline's reader for channel "web" (a submission whose ticket was not made at once)."""
        return web_request(item.raw, item.native_id, item.received_at, self._region, self._normalizer)

    async def lookup(self, number: str, contact: str) -> StatusView | None:
        """The ticket when `contact` is its requester's, else None (the same None whether the number exists or not)."""
        given = normalised_contact(contact, self._region)
        async with self._store.transaction() as tx:
            ticket = await tx.get_ticket(number.strip().upper())
            if ticket is None or ticket.id is None or given is None or not self._is_requester(ticket, given):
                return None
            messages = await tx.messages(ticket.id)
        language = ticket.language if ticket.language in SPEAKERS else "es"
        labels = self._texts(language)
        client, desk = SPEAKERS[language]
        public = [
            (
                format_moment(message.at, language, self._tz),
                (ticket.requester_name or client) if message.direction is Direction.IN else desk,
                message.body,
            )
            for message in messages
            if message.reached_client
        ]
        return StatusView(
            ticket.number,
            ticket.subject,
            labels.status(ticket.status.value, for_clients=True),
            labels.priority(ticket.priority.value),
            self._due(ticket.response_due, language),
            self._due(ticket.resolution_due, language),
            public,
        )

    @staticmethod
    def _is_requester(ticket: Ticket, contact: str) -> bool:
        return ticket.requester_address.strip().lower() == contact
