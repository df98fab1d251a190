"""The composition root: builds every part of the gateway from one validated `Settings` object.

Nothing else picks a store, reads `config/` or decides which channels run.
"""

from __future__ import annotations

import multiprocessing
import secrets
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from aiohttp import web

from adapters.base import Sender
from adapters.email.imap import ImapMailbox, ImapMailboxConfig
from adapters.email.senders import MailComposer, MaildirSender, SmtpRelaySender
from adapters.email.smtp_intake import SmtpIntake, SupportMailHandler
from adapters.web import MOUNT_PATH as WEB_PREFIX
from adapters.web import web_pages
from gateway.config.loader import Settings
from gateway.config.settings import ImapMailboxSection
from gateway.config.sla_policy import build_sla_policy
from gateway.config.templates import TemplateComposer, company_facts
from gateway.email_reader import EmailReader, EmailReadOptions
from gateway.relay_channel import WEBHOOK_PREFIX as RELAY_PREFIX
from gateway.relay_channel import build_relays, continue_relay_conversations
from gateway.slack_channel import CONSOLE_CHANNEL, build_slack, observer_of
from gateway.slack_channel import WEBHOOK_PREFIX as SLACK_PREFIX
from gateway.web_channel import WebIntake
from gateway.whatsapp_channel import WEBHOOK_PREFIX, build_whatsapp
from gateway.workers.inbox import InboxProcessor, Reader
from gateway.workers.media import Fetcher, MediaWorker
from gateway.workers.outbox import OutboxWorker, RetryPolicy
from normalizer import LanguageDetector, Normalizer
from ticketing.agent_actions import AgentActions
from ticketing.customers import CustomerDirectory
from ticketing.deliveries import Deliveries
from ticketing.intake import AcceptRequest, AcceptResult
from ticketing.service import ServiceOptions, TicketService
from ticketing.sla import SlaPolicy
from ticketing.store.base import Store
from ticketing.store.postgres import PostgresStore
from ticketing.store.sqlite import SqliteStore

EMAIL = "email"
WEB = "web"
WHATSAPP = "whatsapp"
SLACK = "slack"
FALLBACK_SUBJECTS = {"es": "Solicitud de soporte", "en": "Support request"}


def build_store(settings: Settings) -> Store:
    config = settings.file.store
    if config.backend == "sqlite":
        return SqliteStore(settings.data_path(config.path))
    dsn = settings.secret(config.url_env)
    if not dsn:  # check-config reports this too; say it again rather than fail obscurely
        raise ValueError(f"the postgresql store needs its URL in the environment variable {config.url_env}")
    return PostgresStore(dsn)


def build_senders(settings: Settings, clock: Callable[[], datetime]) -> dict[str, Sender]:
    senders: dict[str, Sender] = {}
    email = settings.file.channels.email
    if email is not None and email.enabled:
        domain = email.support_addresses[0].rsplit("@", 1)[1]
        out = email.outgoing
        if out.transport == "maildir":  # read by people as files: 8-bit text, not quoted-printable
            senders[EMAIL] = MaildirSender(
                settings.data_path(out.maildir), MailComposer(email.from_address, domain, clock, "8bit")
            )
        else:
            composer = MailComposer(email.from_address, domain, clock)
            senders[EMAIL] = SmtpRelaySender(
                out.host,
                out.port,
                out.security,
                settings.secret(out.username_env),
                settings.secret(out.password_env),
                out.timeout_seconds,
                composer,
            )
    return senders


def email_read_options(settings: Settings) -> EmailReadOptions:
    config = settings.file
    email = config.channels.email
    return EmailReadOptions(
        ticket_prefix=config.gateway.ticket_prefix,
        default_language=config.gateway.default_language,
        max_attachment_bytes=email.max_attachment_bytes if email else 10_000_000,
        fallback_recipient=email.support_addresses[0] if email else "",
        own_domains=email.domains if email else frozenset(),
    )


def email_reader(
    settings: Settings, large_mail_executor: Executor | None, normalizer: Normalizer | None = None
) -> EmailReader:
    options = email_read_options(settings)
    return EmailReader(options, normalizer or build_normalizer(settings), large_mail_executor)


def build_normalizer(settings: Settings) -> Normalizer:
    config = settings.file
    email = config.channels.email
    own_domains = email.domains if email else frozenset()
    return Normalizer(config.gateway.ticket_prefix, LanguageDetector(config.gateway.default_language), own_domains)


@dataclass
class Gateway:
    """Every running part, built but not started."""

    settings: Settings
    store: Store
    service: TicketService
    agents: AgentActions
    inbox: InboxProcessor
    outbox: OutboxWorker
    smtp: SmtpIntake | None
    large_mail: ProcessPoolExecutor
    media: MediaWorker
    mailboxes: dict[str, ImapMailbox] = field(default_factory=dict)  # by name
    webhooks: dict[str, web.Application] = field(default_factory=dict)  # URL prefix -> sub-app
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)  # run last at shutdown

    async def accept(self, request: AcceptRequest) -> AcceptResult:
        """Commit a raw message, then wake the inbox pipeline (the channel acks after this returns)."""
        result = await self.store.accept(request)
        if not result.duplicate:
            self.inbox.notify()
        return result


def build_service(
    settings: Settings,
    store: Store,
    clock: Callable[[], datetime],
    sla: SlaPolicy | None = None,
    directory: CustomerDirectory | None = None,
) -> TicketService:
    config = settings.file
    composer = TemplateComposer(
        settings.templates_dir, ZoneInfo(config.sla.timezone), config.gateway.default_language, company_facts(config)
    )
    options = ServiceOptions(
        ticket_prefix=config.gateway.ticket_prefix,
        default_priority=config.gateway.default_priority,
        default_language=config.gateway.default_language,
        fallback_subject=FALLBACK_SUBJECTS,
        unknown_sender_plan=config.gateway.unknown_sender_plan,
        acknowledgements_per_hour=config.gateway.acknowledgements_per_sender_per_hour,
        continue_within=continue_within(settings),
    )
    directory = directory or CustomerDirectory(settings.organisations)
    return TicketService(
        store, directory, sla or build_sla_policy(settings), composer, options, clock, observer_of(settings)
    )


def continue_within(settings: Settings) -> dict[str, timedelta]:
    """Chat channels on which a message continues the sender's recent open ticket, and for how long."""
    windows: dict[str, timedelta] = {}
    whatsapp, slack = settings.file.channels.whatsapp, settings.file.channels.slack
    if whatsapp is not None and whatsapp.enabled:
        windows[WHATSAPP] = timedelta(hours=whatsapp.continue_conversation_hours)
    if slack is not None and slack.enabled:
        windows[SLACK] = timedelta(hours=24)  # a client's direct messages continue their open ticket for a day
    return windows | continue_relay_conversations(settings)


def build_gateway(settings: Settings, clock: Callable[[], datetime]) -> Gateway:
    config = settings.file
    store = build_store(settings)
    sla = build_sla_policy(settings)
    directory = CustomerDirectory(settings.organisations)
    normalizer = build_normalizer(settings)  # one language model for every channel
    service = build_service(settings, store, clock, sla, directory)
    policy = RetryPolicy(config.outbox.max_attempts, config.outbox.base_delay_seconds, config.outbox.max_delay_seconds)
    senders = build_senders(settings, clock)
    observer = observer_of(settings)
    deliveries = Deliveries(store, clock, observer)
    outbox = OutboxWorker(store, senders, policy, clock, deliveries)
    agents = AgentActions(store, sla, clock, FALLBACK_SUBJECTS[config.gateway.default_language], observer)
    # Large mail is read in a separate process (started on first use, one worker); see gateway.email_reader.
    large_mail = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    readers: dict[str, Reader] = {EMAIL: email_reader(settings, large_mail, normalizer)}
    inbox = InboxProcessor(store, readers, service, clock, config.inbox.max_attempts, on_ingested=outbox.notify)
    fetchers: dict[str, Fetcher] = {}
    media = MediaWorker(store, fetchers, policy, clock)
    gateway = Gateway(settings, store, service, agents, inbox, outbox, None, large_mail, media)
    whatsapp = config.channels.whatsapp
    if whatsapp is not None and whatsapp.enabled:
        # The webhooks commit through gateway.accept, so the channel is built after the gateway and its parts
        # join the (not yet running) pipeline's readers, senders and fetchers here.
        parts = build_whatsapp(settings, store, gateway.accept, normalizer, clock, deliveries)
        readers[WHATSAPP], senders[WHATSAPP], fetchers[WHATSAPP] = parts.reader, parts.sender, parts.fetcher
        gateway.webhooks[WEBHOOK_PREFIX] = parts.webhooks
        gateway.closers += [parts.sender.close, parts.fetcher.close]
    slack = config.channels.slack
    if slack is not None and slack.enabled:
        slack_parts = build_slack(
            settings, store, gateway.accept, agents, directory, normalizer, service, outbox.notify, clock
        )
        readers[SLACK], senders[CONSOLE_CHANNEL] = slack_parts.reader, slack_parts.console
        senders[SLACK] = slack_parts.client_sender
        gateway.webhooks[SLACK_PREFIX] = slack_parts.webhooks
    web_channel = config.channels.web
    if web_channel is not None and web_channel.enabled:
        region, tz = config.gateway.default_phone_region, ZoneInfo(config.sla.timezone)
        web_intake = WebIntake(store, service, normalizer, region, tz, clock, outbox.notify)
        readers[WEB] = web_intake.read  # finishes a submission whose ticket could not be made at once
        csrf_secret = settings.secret(web_channel.csrf_secret_env) or secrets.token_hex(32)
        pages = web_pages(
            submit=web_intake.submit,
            lookup=web_intake.lookup,
            csrf_secret=csrf_secret,
            clock=clock,
            trusted_proxies=frozenset(config.http.trusted_proxies),
        )
        gateway.webhooks[WEB_PREFIX] = pages
    relays = build_relays(settings, gateway.accept, normalizer, clock)
    readers.update(relays.readers)
    senders.update(relays.senders)
    gateway.closers += [sender.close for sender in relays.senders.values()]
    if relays.webhooks is not None:
        gateway.webhooks[RELAY_PREFIX] = relays.webhooks
    email = config.channels.email
    if email is not None and email.enabled:
        if email.smtp_intake.enabled:
            handler = SupportMailHandler(frozenset(email.support_addresses), gateway.accept, clock)
            intake = email.smtp_intake
            gateway.smtp = SmtpIntake(handler, intake.host, intake.port, email.max_message_bytes)
        gateway.mailboxes = {
            mailbox.name: ImapMailbox(imap_config(settings, mailbox), store, gateway.accept, clock)
            for mailbox in email.imap
        }
    return gateway


def imap_config(settings: Settings, mailbox: ImapMailboxSection) -> ImapMailboxConfig:
    return ImapMailboxConfig(
        name=mailbox.name,
        host=mailbox.host,
        port=mailbox.port,
        security=mailbox.security,
        username=settings.secret(mailbox.username_env) or "",
        password=settings.secret(mailbox.password_env) or "",
        folder=mailbox.folder,
        address=mailbox.address,
        after_commit=mailbox.after_commit,
        move_to=mailbox.move_to,
        idle=mailbox.idle,
        poll_seconds=mailbox.poll_seconds,
    )
