"""Builds the WhatsApp channel from the settings: its webhooks, reader, sender and media fetcher.

Everything channel-specific the composition root needs for WhatsApp lives here, so `bootstrap` only plugs the
parts in.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import aiohttp
import structlog
from aiohttp import web

from adapters.whatsapp import (
    ApprovedTemplate,
    StatusUpdate,
    WhatsAppSender,
    fetch_media,
    parse_whatsapp_form,
    twilio_webhooks,
)
from adapters.whatsapp.read import to_e164
from gateway.config.loader import Settings
from gateway.config.settings import WhatsAppChannel
from normalizer import Normalizer
from ticketing.deliveries import Deliveries
from ticketing.intake import AcceptRequest, AcceptResult
from ticketing.store.base import Store
from ticketing.types import InboxItem, WrittenRequest

CHANNEL = "whatsapp"
WEBHOOK_PREFIX = "/webhooks/twilio"


class WhatsAppReader:
    """The inbox pipeline's reader for WhatsApp: the committed form -> written request, in a worker thread."""

    def __init__(self, config: WhatsAppChannel, region: str, normalizer: Normalizer) -> None:
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
        return await asyncio.to_thread(self._read, item)


class TwilioMediaFetcher:
    """Downloads inbound media with the account's credentials (`adapters.whatsapp.fetch_media` does the checks)."""

    def __init__(self, account_sid: str, auth_token: str, max_bytes: int) -> None:
        self._account_sid = account_sid
        self._auth_token = auth_token
        self._max_bytes = max_bytes
        self._session: aiohttp.ClientSession | None = None

    async def __call__(self, url: str) -> tuple[bytes, str]:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120))
        return await fetch_media(
            self._session, url, account_sid=self._account_sid, auth_token=self._auth_token, max_bytes=self._max_bytes
        )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


@dataclass
class WhatsAppParts:
    reader: WhatsAppReader
    sender: WhatsAppSender
    fetcher: TwilioMediaFetcher
    webhooks: web.Application
    continue_within: timedelta


def build_whatsapp(
    settings: Settings,
    store: Store,
    accept: Callable[[AcceptRequest], Awaitable[AcceptResult]],
    normalizer: Normalizer,
    clock: Callable[[], datetime],
    deliveries: Deliveries,
) -> WhatsAppParts:
    config = settings.file.channels.whatsapp
    assert config is not None
    region = settings.file.gateway.default_phone_region
    account_sid = settings.secret(config.account_sid_env) or ""
    auth_token = settings.secret(config.auth_token_env) or ""
    log = structlog.get_logger("gateway.whatsapp")

    async def last_client_message_at(recipient: str) -> datetime | None:
        async with store.transaction() as tx:
            return await tx.last_inbound_at(CHANNEL, recipient)

    async def on_status(update: StatusUpdate) -> None:
        error = " ".join(filter(None, (update.error_code, update.error_message)))
        item = await deliveries.reported(update.provider_id, update.status, error)
        ticket = item.reply.ticket_number if item else None
        log.info("whatsapp.status", provider_id=update.provider_id, status=update.status, ticket=ticket, error=error)

    template = None
    if config.template_content_sid:
        template = ApprovedTemplate(config.template_content_sid, dict(config.template_variables))
    base_url = config.public_base_url.rstrip("/")
    sender = WhatsAppSender(
        account_sid=account_sid,
        auth_token=auth_token,
        from_number=to_e164(config.from_number, region) or config.from_number,
        messaging_service_sid=config.messaging_service_sids[0] if config.messaging_service_sids else None,
        status_callback_url=f"{base_url}{WEBHOOK_PREFIX}/status",
        last_client_message_at=last_client_message_at,
        clock=clock,
        template=template,
        api_base_url=config.api_base_url,
    )
    webhooks = twilio_webhooks(
        auth_token=auth_token,
        public_base_url=base_url,
        accept=accept,
        on_status=on_status,
        clock=clock,
        max_body_bytes=config.max_body_bytes,
    )
    return WhatsAppParts(
        reader=WhatsAppReader(config, region, normalizer),
        sender=sender,
        fetcher=TwilioMediaFetcher(account_sid, auth_token, config.max_media_bytes),
        webhooks=webhooks,
        continue_within=timedelta(hours=config.continue_conversation_hours),
    )
