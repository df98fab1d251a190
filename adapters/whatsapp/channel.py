"""The WhatsApp channel as the gateway runs it: Twilio's webhooks, the reader of the committed forms, the sender and
the media fetcher, built from `[channels.whatsapp]`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path

from adapters.channel import ChannelContext, ChannelFacts, ChannelParts, CheckResult, SecretLookup
from adapters.labels import Texts
from adapters.phone_numbers import to_e164
from adapters.settings import named_secrets
from adapters.whatsapp import CHANNEL, MOUNT_PATH
from adapters.whatsapp.settings import WhatsAppSettings


class WhatsAppChannel:
    name = CHANNEL
    settings = WhatsAppSettings | None
    default = None

    def facts(self, section: WhatsAppSettings | None, texts: Texts) -> ChannelFacts:
        if section is None or not section.enabled:
            return ChannelFacts()
        return ChannelFacts(
            secrets=named_secrets(("channels", CHANNEL), section, "account_sid_env", "auth_token_env"),
            continue_within={CHANNEL: timedelta(hours=section.continue_conversation_hours)},
            template_folders={CHANNEL: (CHANNEL,)},
        )

    async def check(
        self, section: WhatsAppSettings | None, secret: SecretLookup, data_path: Callable[[str], Path]
    ) -> Sequence[CheckResult]:
        """`gateway doctor`: the Twilio account and Messaging Services, as Twilio has them (`.doctor`)."""
        if section is None or not section.enabled:
            return []
        from adapters.whatsapp.doctor import whatsapp_checks

        return await whatsapp_checks(section, secret)

    def build(self, section: WhatsAppSettings | None, context: ChannelContext) -> ChannelParts:
        if section is None or not section.enabled:
            return ChannelParts()
        from adapters.whatsapp.media import TwilioMediaFetcher
        from adapters.whatsapp.read import WhatsAppReader
        from adapters.whatsapp.sender import ApprovedTemplate, WhatsAppSender
        from adapters.whatsapp.webhook import MESSAGE_PATH, STATUS_PATH, StatusUpdate, twilio_webhooks

        region = context.desk.phone_region
        account_sid = context.secret(section.account_sid_env) or ""
        auth_token = context.secret(section.auth_token_env) or ""
        public = section.public_base_url.rstrip("/") + MOUNT_PATH
        store = context.store

        async def last_client_message_at(recipient: str) -> datetime | None:
            async with store.transaction() as tx:
                return await tx.last_inbound_at(CHANNEL, recipient)

        async def on_status(update: StatusUpdate) -> None:
            error = " ".join(filter(None, (update.error_code, update.error_message)))
            await context.deliveries.reported(update.provider_id, update.status, error)

        template = None
        if section.template_content_sid:
            template = ApprovedTemplate(section.template_content_sid, dict(section.template_variables))
        sender = WhatsAppSender(
            account_sid=account_sid,
            auth_token=auth_token,
            from_number=to_e164(section.from_number, region) or section.from_number,
            messaging_service_sid=section.messaging_service_sids[0] if section.messaging_service_sids else None,
            status_callback_url=public + STATUS_PATH,
            last_client_message_at=last_client_message_at,
            clock=context.clock,
            template=template,
            api_base_url=section.api_base_url,
        )
        webhooks = twilio_webhooks(
            auth_token=auth_token,
            public_base_url=section.public_base_url,
            accept=context.accept,
            on_status=on_status,
            clock=context.clock,
            max_body_bytes=section.max_body_bytes,
        )
        fetcher = TwilioMediaFetcher(account_sid, auth_token, section.max_media_bytes)
        return ChannelParts(
            readers={CHANNEL: WhatsAppReader(section, region, context.normalizer)},
            senders={CHANNEL: sender},
            fetchers={CHANNEL: fetcher},
            webhooks={MOUNT_PATH: webhooks},
            health=lambda: {"webhook": public + MESSAGE_PATH},
            banner=lambda _http: [f"  WhatsApp: Twilio posts to {public + MESSAGE_PATH}"],
            closers=[sender.close, fetcher.close],
        )


WHATSAPP = WhatsAppChannel()
