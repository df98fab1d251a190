"""The composition root: builds every part of the gateway from one validated `Settings` object.

Nothing else picks a store, reads `config/` or decides which channels run. The order is fixed and one-way: the
store and the core (the ticket service, agents' actions and delivery results, all followed by the channels'
observers), then every channel of the settings' tuple, then the workers, given the finished maps of readers,
senders and fetchers. The workers' doorbells exist from the start, so a channel that commits work can ring them.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

import structlog

from adapters.channel import ChannelContext, ChannelParts, DeskFacts, Receiver
from adapters.slack import CHANNEL as SLACK
from adapters.slack import CONSOLE_CHANNEL
from adapters.slack.console_events import REPORT
from gateway.config.loader import Settings, composer
from gateway.config.sla_policy import build_sla_policy
from gateway.config.templates import TemplateComposer
from gateway.runtime.counters import GatewayMetrics
from gateway.runtime.file_links import FileLinks
from gateway.runtime.reload import ConfigReloader, LiveParts
from gateway.workers.inbox import InboxProcessor, ReadLimits
from gateway.workers.media import MediaWorker
from gateway.workers.monthly_report import MonthlyReports
from gateway.workers.outbox import OutboxWorker, RetryPolicy
from gateway.workers.timers import TimerWorker
from gateway.workers.worker import Wakeup
from normalizer import LanguageDetector, Normalizer
from ticketing.agent_actions import AgentActions
from ticketing.attachments import FetchedAttachments
from ticketing.customers import CustomerDirectory
from ticketing.deliveries import Deliveries
from ticketing.intake import Accept, AcceptRequest, AcceptResult, ImmediateIntake
from ticketing.notices import ClientNotices
from ticketing.observer import NoObserver, ObserverGroup, TicketObserver
from ticketing.reports import with_names
from ticketing.service import ServiceOptions, TicketService
from ticketing.sla import SlaPolicy, parse_target
from ticketing.sla_monitor import SlaMonitor
from ticketing.store.base import Store
from ticketing.store.sqlite import SqliteStore
from ticketing.timers import MonitorRules, TimerPlanner

FALLBACK_SUBJECTS = {"es": "Solicitud de soporte", "en": "Support request"}
Part = TypeVar("Part")


def build_store(settings: Settings) -> Store:
    config = settings.file.store
    if config.backend == "sqlite":
        return SqliteStore(settings.data_path(config.path))
    from ticketing.store.postgres import PostgresStore  # asyncpg is loaded only by gateways that use it

    dsn = settings.secret(config.url_env)
    if not dsn:  # check-config reports this too; say it again rather than fail obscurely
        raise ValueError(f"the postgresql store needs its URL in the environment variable {config.url_env}")
    return PostgresStore(
        dsn,
        pool_size=config.pool_size,
        connect_timeout=config.connect_timeout_seconds,
        statement_timeout=config.statement_timeout_seconds,
    )


def build_normalizer(settings: Settings) -> Normalizer:
    """One normalizer (one language model) for every channel."""
    gateway = settings.file.gateway
    return Normalizer(gateway.ticket_prefix, LanguageDetector(gateway.default_language), settings.own_domains())


def build_observer(settings: Settings, sla: SlaPolicy, *more: TicketObserver) -> TicketObserver:
    """What follows every ticket's events: the SLA monitor's planner, then the channels' observers (the agents'
    console), then `more` (the metrics' count of SLA warnings and breaches)."""
    observers = [facts.observer for facts in settings.facts.values() if facts.observer is not None]
    return ObserverGroup([TimerPlanner(sla, monitor_rules(settings)), *observers, *more])


def monitor_rules(settings: Settings) -> MonitorRules:
    section = settings.file.sla
    return MonitorRules(
        warn_share=section.warning_at,
        client_minutes=parse_target(section.client_hours).minutes,
        close_minutes=parse_target(section.close_unanswered_after).minutes,
        reopen_window=timedelta(days=section.reopen_days),
    )


def build_service(
    settings: Settings,
    store: Store,
    clock: Callable[[], datetime],
    sla: SlaPolicy | None = None,
    directory: CustomerDirectory | None = None,
    observer: TicketObserver | None = None,
) -> TicketService:
    config = settings.file.gateway
    options = ServiceOptions(
        ticket_prefix=config.ticket_prefix,
        default_priority=config.default_priority,
        default_language=config.default_language,
        fallback_subject=FALLBACK_SUBJECTS,
        unknown_sender_plan=config.unknown_sender_plan,
        acknowledgements_per_hour=config.acknowledgements_per_sender_per_hour,
        continue_within=settings.continue_within(),
    )
    directory = directory or CustomerDirectory(settings.organisations)
    policy = sla or build_sla_policy(settings)
    return TicketService(store, directory, policy, composer(settings), options, clock, observer or NoObserver())


def desk_facts(settings: Settings) -> DeskFacts:
    gateway = settings.file.gateway
    return DeskFacts(
        company=gateway.company,
        ticket_prefix=gateway.ticket_prefix,
        default_language=gateway.default_language,
        phone_region=gateway.default_phone_region,
        timezone=settings.timezone,
        trusted_proxies=frozenset(settings.file.http.trusted_proxies),
        covered_plans=tuple(name for name, plan in settings.file.plans.items() if plan.covered),
    )


def committing(store: Store, inbox: Wakeup, metrics: GatewayMetrics | None = None) -> Accept:
    """Commit a raw message, then ring the inbox pipeline's bell (the channel acks after this returns)."""

    log = structlog.get_logger("gateway.intake")

    async def accept(request: AcceptRequest) -> AcceptResult:
        result = await store.accept(request)
        if not result.duplicate:
            inbox.notify()
        if metrics is not None:
            metrics.accepted(request.channel, result.duplicate)
        if result.reused_id:  # a device reusing its ids; a second copy of the same message would be a duplicate
            log.warning(
                "intake.reused_id", channel=request.channel, native_id=request.native_id, inbox_id=result.inbox_id
            )
        return result

    return accept


def merged(maps: Iterable[Mapping[str, Part]], what: str) -> dict[str, Part]:
    """One map from every channel's; two channels claiming one key is a mistake in the channel tuple."""
    result: dict[str, Part] = {}
    for mapping in maps:
        for key, value in mapping.items():
            if key in result:
                raise ValueError(f"two channels provide the {what} {key!r}")
            result[key] = value
    return result


@dataclass
class Gateway:
    """Every running part, built but not started."""

    settings: Settings
    store: Store
    accept: Accept
    service: TicketService
    agents: AgentActions
    inbox: InboxProcessor
    outbox: OutboxWorker
    media: MediaWorker
    timers: TimerWorker
    channels: dict[str, ChannelParts]  # by channel name, in the order of the settings' tuple
    clock: Callable[[], datetime]  # what every part tells the time by
    config: ConfigReloader  # reloads config/ on SIGHUP or a change to its files
    file_links: FileLinks | None = None  # agents' download links, with `[http] public_url`
    reports: MonthlyReports | None = None  # the monthly report, posted in Slack (`monthly_report_channel`)
    metrics: GatewayMetrics | None = None  # what this process counted, served by /metrics

    @property
    def webhooks(self) -> dict[str, Any]:
        return merged((parts.webhooks for parts in self.channels.values()), "mount path")

    @property
    def receivers(self) -> list[Receiver]:
        return [receiver for parts in self.channels.values() for receiver in parts.receivers]

    @property
    def closers(self) -> list[Callable[[], Awaitable[None]]]:
        return [close for parts in self.channels.values() for close in parts.closers]

    def health(self) -> dict[str, Any]:
        """Each channel's state, under its name (for /healthz and /metrics)."""
        return {name: dict(parts.health()) for name, parts in self.channels.items() if parts.health is not None}


def replica_name() -> str:
    """This gateway process among the replicas on one store: host, process and a random part (a restarted process
    is a new replica, whose predecessor's claims and leases lapse)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def build_gateway(settings: Settings, clock: Callable[[], datetime]) -> Gateway:
    config = settings.file
    replica = replica_name()
    store = build_store(settings)
    sla = build_sla_policy(settings)
    directory = CustomerDirectory(settings.organisations)
    metrics = GatewayMetrics()
    observer = build_observer(settings, sla, metrics)
    service = build_service(settings, store, clock, sla, directory, observer)
    subject = FALLBACK_SUBJECTS[config.gateway.default_language]
    words = composer(settings)
    notices = client_notices(settings, sla, directory, words)
    agents = AgentActions(
        store,
        sla,
        clock,
        subject,
        observer,
        words,
        settings.agent_names(),
        notices,
        monitor_rules(settings).reopen_window,
    )
    deliveries = Deliveries(store, clock, observer)
    inbox_bell, outbox_bell = Wakeup(), Wakeup()
    accept = committing(store, inbox_bell, metrics)
    links = file_links(settings, store, clock)
    context = ChannelContext(
        desk=desk_facts(settings),
        texts=settings.texts,
        secret=settings.secret,
        data_path=settings.data_path,
        clock=clock,
        store=store,
        accept=accept,
        record_now=ImmediateIntake(accept, service, store, clock, outbox_bell.notify),
        agents=agents,
        deliveries=deliveries,
        directory=directory,
        normalizer=build_normalizer(settings),
        file_link=links.link if links else None,
        read_workers=config.inbox.read_workers,
        read_timeout=config.inbox.read_timeout_seconds,
        replica=replica,
    )
    channels = {channel.name: channel.build(config.channel(channel.name), context) for channel in settings.channels}
    parts = list(channels.values())
    policy = RetryPolicy(config.outbox.max_attempts, config.outbox.base_delay_seconds, config.outbox.max_delay_seconds)
    readers = merged((p.readers for p in parts), "inbox channel")
    sole = config.store.backend == "sqlite"  # one gateway per SQLite file; PostgreSQL may have replicas
    inbox = InboxProcessor(
        store,
        readers,
        service,
        clock,
        ReadLimits(
            config.inbox.max_attempts,
            config.inbox.read_workers,
            config.inbox.read_timeout_seconds,
            claim_seconds=config.inbox.claim_seconds,
            side_by_side=sole,
        ),
        on_ingested=outbox_bell.notify,
        on_ticketed=metrics.ticketed,
        wakeup=inbox_bell,
        owner=replica,
        sole_reader=sole,
    )
    senders = merged((p.senders for p in parts), "outbox channel")
    outbox = OutboxWorker(
        store,
        senders,
        policy,
        clock,
        deliveries,
        wakeup=outbox_bell,
        concurrency=config.outbox.concurrency,
        lease_seconds=config.outbox.lease_seconds,
        owner=replica,
        sole_sender=sole,
        on_attempt=metrics.attempted,
    )
    fetchers = merged((p.fetchers for p in parts), "media channel")
    fetched = FetchedAttachments(clock, observer)
    media = MediaWorker(store, fetchers, policy, clock, fetched=fetched, on_stored=outbox_bell.notify)
    timers = TimerWorker(sla_monitor(settings, store, sla, clock, observer, notices), clock)
    reports = monthly_reports(settings, store, sla, clock, directory)
    config_reloader = ConfigReloader(settings, LiveParts(directory, sla, words), clock, on_reload=metrics.reloaded)
    metrics.expect(readers, senders)
    return Gateway(
        settings,
        store,
        accept,
        service,
        agents,
        inbox,
        outbox,
        media,
        timers,
        channels,
        clock,
        config_reloader,
        links,
        reports,
        metrics,
    )


def monthly_reports(
    settings: Settings, store: Store, sla: SlaPolicy, clock: Callable[[], datetime], directory: CustomerDirectory
) -> MonthlyReports | None:
    """The monthly report's poster, when the Slack console names a channel for it."""
    slack = settings.file.channel(SLACK)
    if slack is None or not slack.enabled or not slack.monthly_report_channel:
        return None
    from gateway.cli.report_html import render_html  # matplotlib: loaded only when reports are posted

    company = settings.file.gateway.company
    post = (CONSOLE_CHANNEL, REPORT, slack.monthly_report_channel)
    render = lambda report: render_html(with_names(report, directory.name_of), settings.timezone, company)  # noqa: E731
    return MonthlyReports(store, sla, render, clock, settings.timezone, post, slack.monthly_report_at)


def sla_monitor(
    settings: Settings,
    store: Store,
    sla: SlaPolicy,
    clock: Callable[[], datetime],
    observer: TicketObserver,
    notices: ClientNotices | None = None,
) -> SlaMonitor:
    """The SLA monitor, firing timers with `observer` (the planner and the console) told of each."""
    notices = notices or client_notices(settings, sla)
    return SlaMonitor(store, sla, monitor_rules(settings), clock, observer, notices)


def client_notices(
    settings: Settings,
    sla: SlaPolicy,
    directory: CustomerDirectory | None = None,
    words: TemplateComposer | None = None,
) -> ClientNotices:
    """The desk's own notices to clients (reminder, closed unanswered, resolved), in the admin's templates."""
    names = (directory or CustomerDirectory(settings.organisations)).name_of
    language = settings.file.gateway.default_language
    return ClientNotices(words or composer(settings), sla, names, FALLBACK_SUBJECTS, language)


def file_links(settings: Settings, store: Store, clock: Callable[[], datetime]) -> FileLinks | None:
    """Signed download links, when the gateway has a public URL (its secret is checked with the configuration)."""
    http = settings.file.http
    secret = settings.secret(http.link_secret_env)
    if not http.public_url or not secret:
        return None
    return FileLinks(store, secret, http.public_url, timedelta(days=http.link_days), clock)
