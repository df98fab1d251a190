"""Twilio's webhooks for WhatsApp, as an aiohttp sub-app (the gateway mounts it at `/webhooks/twilio`).

- `POST /whatsapp` — an inbound message. The `X-Twilio-Signature` is checked against the PUBLIC URL Twilio called
  (`public_base_url` from config plus this path and the request's query string; behind a reverse proxy the Host the
  gateway sees is not the one Twilio signed). Then the raw body bytes are committed to the inbox, and only then the
  answer is 200 with empty TwiML. A store failure answers 503, so Twilio retries; a retry of a MessageSid already
  stored answers 200 and stores nothing new (the store deduplicates). Nothing is sent out from inside the request.
- `POST /status` — a delivery report for one of OUR messages (`MessageStatus`), handed to `on_status`.

Refusals store nothing: 413 body over `max_body_bytes`, 415 not form-encoded, 400 unreadable form or no
MessageSid, 403 missing or wrong signature.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlparse

import structlog
from aiohttp import web
from multidict import MultiDict
from twilio.request_validator import RequestValidator, add_port, compare, remove_port

from adapters.whatsapp import CHANNEL, MOUNT_PATH
from adapters.whatsapp.read import WhatsAppFormError, parse_form
from ticketing.intake import AcceptRequest, AcceptResult

MESSAGE_PATH = "/whatsapp"  # under MOUNT_PATH: "A message comes in"
STATUS_PATH = "/status"  # under MOUNT_PATH: the status callback of the messages we send
FORM_TYPE = "application/x-www-form-urlencoded"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
SIGNATURE_HEADER = "X-Twilio-Signature"


@dataclass(frozen=True)
class StatusUpdate:
    """Twilio's delivery report for a message we sent."""

    provider_id: str  # MessageSid of OUR outgoing message
    status: str  # queued|sent|delivered|read|failed|undelivered ...
    error_code: str  # "" or e.g. "63016"
    error_message: str


def signed_by_twilio(validator: RequestValidator, url: str, form: MultiDict[str], signature: str) -> bool:
    """Twilio's own check (`RequestValidator.validate`: the URL as signed with or without its port), except that
    the second signature is computed only when the first does not match: one HMAC per genuine webhook, not two."""
    parsed = urlparse(url)
    return any(
        compare(validator.compute_signature(uri, form), signature) for uri in (remove_port(parsed), add_port(parsed))
    )


class _Refused(Exception):
    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.response = web.Response(status=status, text=text)


class _TwilioWebhooks:
    def __init__(
        self,
        auth_token: str,
        public_base_url: str,
        accept: Callable[[AcceptRequest], Awaitable[AcceptResult]],
        on_status: Callable[[StatusUpdate], Awaitable[None]],
        clock: Callable[[], datetime],
        max_body_bytes: int,
    ) -> None:
        self._validator = RequestValidator(auth_token)
        self._base = public_base_url.rstrip("/") + MOUNT_PATH
        self._accept = accept
        self._on_status = on_status
        self._clock = clock
        self._max_body_bytes = max_body_bytes
        self._log = structlog.get_logger("adapters.whatsapp.webhook")

    def _public_url(self, request: web.Request, path: str) -> str:
        query = request.rel_url.raw_query_string
        return f"{self._base}{path}" + (f"?{query}" if query else "")

    async def _body(self, request: web.Request) -> bytes:
        if request.content_length is not None and request.content_length > self._max_body_bytes:
            raise _Refused(413, f"body larger than {self._max_body_bytes} bytes")
        if request.content_type != FORM_TYPE:
            raise _Refused(415, f"expected {FORM_TYPE}")
        body = bytearray()
        async for chunk in request.content.iter_any():
            body += chunk
            if len(body) > self._max_body_bytes:
                raise _Refused(413, f"body larger than {self._max_body_bytes} bytes")
        return bytes(body)

    async def _verified(self, request: web.Request, url: str) -> tuple[bytes, MultiDict[str]]:
        """The raw body and its fields, once size, type and signature are right."""
        raw = await self._body(request)
        try:
            form = parse_form(raw)
        except WhatsAppFormError as error:
            raise _Refused(400, "unreadable form body") from error
        signature = request.headers.get(SIGNATURE_HEADER, "")
        if not signature or not signed_by_twilio(self._validator, url, form, signature):
            self._log.warning("twilio webhook refused", reason="invalid signature", path=request.path)
            raise _Refused(403, "invalid signature")
        return raw, form

    async def whatsapp(self, request: web.Request) -> web.Response:
        url = self._public_url(request, MESSAGE_PATH)
        try:
            raw, form = await self._verified(request, url)
        except _Refused as refused:
            return refused.response
        sid = form.get("MessageSid", "").strip()
        if not sid:
            return web.Response(status=400, text="missing MessageSid")
        meta = {"content_type": request.headers.get("Content-Type", FORM_TYPE), "url": url}
        try:
            result = await self._accept(AcceptRequest(CHANNEL, sid, raw, meta, self._clock()))
        except Exception as error:  # the store is down: Twilio retries on a 5xx
            self._log.error("whatsapp message not stored", sid=sid, error=str(error))
            return web.Response(status=503, text="temporarily unavailable")
        self._log.info("whatsapp message accepted", sid=sid, inbox_id=result.inbox_id, duplicate=result.duplicate)
        return web.Response(text=EMPTY_TWIML, content_type="text/xml")

    async def status(self, request: web.Request) -> web.Response:
        try:
            _raw, form = await self._verified(request, self._public_url(request, STATUS_PATH))
        except _Refused as refused:
            return refused.response
        update = StatusUpdate(
            provider_id=form.get("MessageSid", "").strip(),
            status=form.get("MessageStatus", "").strip(),
            error_code=form.get("ErrorCode", "").strip(),
            error_message=form.get("ErrorMessage", "").strip(),
        )
        if not update.provider_id or not update.status:
            return web.Response(status=400, text="missing MessageSid or MessageStatus")
        try:
            await self._on_status(update)
        except Exception as error:
            self._log.error("whatsapp status not recorded", sid=update.provider_id, error=str(error))
            return web.Response(status=503, text="temporarily unavailable")
        self._log.info("whatsapp status", sid=update.provider_id, status=update.status, code=update.error_code)
        return web.Response(status=200)


def twilio_webhooks(
    *,
    auth_token: str,
    public_base_url: str,
    accept: Callable[[AcceptRequest], Awaitable[AcceptResult]],
    on_status: Callable[[StatusUpdate], Awaitable[None]],
    clock: Callable[[], datetime],
    max_body_bytes: int = 64 * 1024,
) -> web.Application:
    """The sub-app with `POST /whatsapp` and `POST /status`, to mount at `/webhooks/twilio`."""
    hooks = _TwilioWebhooks(auth_token, public_base_url, accept, on_status, clock, max_body_bytes)
    app = web.Application()
    app.router.add_post(MESSAGE_PATH, hooks.whatsapp)
    app.router.add_post(STATUS_PATH, hooks.status)
    return app
