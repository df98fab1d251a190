"""Builds the Slack channel from the settings: the agents' console (sender), the events sub-app and its reader."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from aiohttp import web
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import SlackConsole, slack_events_app
from adapters.slack.client_sender import SlackClientSender
from adapters.slack.console_events import ConsoleObserver
from gateway.config.loader import Settings
from gateway.immediate_intake import ImmediateIntake
from gateway.phone_calls import PhoneCallRecorder
from gateway.slack_commands import SlackReader
from normalizer import Normalizer
from ticketing.agent_actions import AgentActions
from ticketing.customers import CustomerDirectory
from ticketing.intake import AcceptRequest, AcceptResult
from ticketing.observer import NoObserver, TicketObserver
from ticketing.service import TicketService
from ticketing.store.base import Store

CHANNEL = "slack"
CONSOLE_CHANNEL = "slack_console"
WEBHOOK_PREFIX = "/slack"


def is_channel_id(slack_id: str) -> bool:
    """Slack's ids say what they name: C… and G… are conversations, U… and W… are people."""
    return slack_id[:1] in ("C", "G")


def observer_of(settings: Settings) -> TicketObserver:
    """The agents' console follows every ticket's events, if Slack is configured."""
    slack = settings.file.channels.slack
    if slack is None or not slack.enabled:
        return NoObserver()
    return ConsoleObserver(CONSOLE_CHANNEL, slack.agents_channel)


@dataclass
class SlackParts:
    console: SlackConsole
    client_sender: SlackClientSender
    reader: SlackReader
    webhooks: web.Application
    client: AsyncWebClient


def build_slack(
    settings: Settings,
    store: Store,
    accept: Callable[[AcceptRequest], Awaitable[AcceptResult]],
    agents: AgentActions,
    directory: CustomerDirectory,
    normalizer: Normalizer,
    service: TicketService,
    on_ingested: Callable[[], None],
    clock: Callable[[], datetime],
) -> SlackParts:
    config = settings.file.channels.slack
    assert config is not None
    region = settings.file.gateway.default_phone_region
    token = settings.secret(config.bot_token_env) or ""
    client_options: dict[str, object] = {"base_url": config.api_base_url} if config.api_base_url else {}
    # The outbox owns retries (Retry-After included): the client must not retry rate-limited calls itself.
    client = AsyncWebClient(token=token, retry_handlers=[], **client_options)  # type: ignore[arg-type]

    def organisation_name(organisation_id: str | None) -> str | None:
        organisation = directory.get(organisation_id)
        return organisation.name if organisation else None

    console = SlackConsole(
        client=client,
        channel_id=config.agents_channel,
        store=store,
        tz=ZoneInfo(settings.file.sla.timezone),
        organisation_name=organisation_name,
        oncall_mention=f"<!subteam^{config.oncall_group}>" if config.oncall_group else None,
    )
    webhooks = slack_events_app(
        signing_secret=settings.secret(config.signing_secret_env) or "",
        client=client,
        accept=accept,
        clock=clock,
        console_channel_id=config.agents_channel,
        team_id=config.team_id,
        on_phone_call=PhoneCallRecorder(ImmediateIntake(store, service, clock, on_ingested), normalizer, region),
        client_channels=frozenset(i for org in settings.organisations for i in org.chat_users if is_channel_id(i)),
    )
    reader = SlackReader(store, agents, normalizer, region, clock, confirm=config.reply_mode == "confirm")
    return SlackParts(console, SlackClientSender(client), reader, webhooks, client)
