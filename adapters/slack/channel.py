"""The Slack channel as the gateway runs it (`[channels.slack]`): the agents' console that follows every ticket's
events, its sender, the events sub-app (agents' replies and buttons, clients' messages, `/ticket` for phone calls),
the reader of what that sub-app commits, and the sender of replies to clients on Slack."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path

from adapters.channel import ChannelContext, ChannelFacts, ChannelParts, CheckResult, SecretLookup
from adapters.labels import Texts
from adapters.settings import named_secrets
from adapters.slack import CHANNEL, CONSOLE_CHANNEL, MOUNT_PATH
from adapters.slack.blocks import CONSOLE_LANGUAGE
from adapters.slack.console_events import ConsoleObserver
from adapters.slack.settings import SlackSettings

CLIENT_CONVERSATION = timedelta(hours=24)  # a client's direct messages continue their open ticket for a day


def is_channel_id(slack_id: str) -> bool:
    """Slack's ids say what they name: C… and G… are conversations, U… and W… are people."""
    return slack_id[:1] in ("C", "G")


class SlackChannel:
    name = CHANNEL
    settings = SlackSettings | None
    default = None

    def facts(self, section: SlackSettings | None, texts: Texts) -> ChannelFacts:
        if section is None or not section.enabled:
            return ChannelFacts()
        return ChannelFacts(
            secrets=named_secrets(("channels", CHANNEL), section, "bot_token_env", "signing_secret_env"),
            continue_within={CHANNEL: CLIENT_CONVERSATION},
            template_folders={CHANNEL: (CHANNEL,)},
            agent_names=dict(section.agents),
            observer=ConsoleObserver(CONSOLE_CHANNEL, section.agents_channel, texts(CONSOLE_LANGUAGE)),
        )

    async def check(
        self, section: SlackSettings | None, secret: SecretLookup, data_path: Callable[[str], Path]
    ) -> Sequence[CheckResult]:
        """`gateway doctor`: the bot token, its scopes and the bot's channels, as Slack has them (`.doctor`)."""
        if section is None or not section.enabled:
            return []
        from adapters.slack.doctor import slack_checks

        return await slack_checks(section, secret)

    def build(self, section: SlackSettings | None, context: ChannelContext) -> ChannelParts:
        if section is None or not section.enabled:
            return ChannelParts()
        from slack_sdk.web.async_client import AsyncWebClient

        from adapters.rate_limit import StoreRateLimiter
        from adapters.slack.agent_commands import SlackReader
        from adapters.slack.call_intake import PhoneCallRecorder
        from adapters.slack.client_sender import SlackClientSender
        from adapters.slack.console import SlackConsole
        from adapters.slack.events import EVENTS_PATH, slack_events_app
        from adapters.slack.oncall import OncallPages
        from adapters.slack.phone_call import PhoneCallDesk

        hour = timedelta(hours=1)  # on-call pages are limited per hour, counted in the store (shared by replicas)
        region = context.desk.phone_region
        options: dict[str, object] = {"base_url": section.api_base_url} if section.api_base_url else {}
        # The outbox owns retries (Retry-After included): the client must not retry rate-limited calls itself.
        client = AsyncWebClient(token=context.secret(section.bot_token_env) or "", retry_handlers=[], **options)  # type: ignore[arg-type]
        directory = context.directory
        console = SlackConsole(
            client=client,
            channel_id=section.agents_channel,
            store=context.store,
            tz=context.desk.timezone,
            texts=context.texts,
            organisation_name=directory.name_of,
            pages=OncallPages(
                f"<!subteam^{section.oncall_group}>",
                StoreRateLimiter(context.store, "oncall", section.oncall_pages_per_hour, hour, context.clock),
                StoreRateLimiter(
                    context.store, "oncall-org", section.oncall_pages_per_organisation_per_hour, hour, context.clock
                ),
            )
            if section.oncall_group
            else None,
            upload_max_bytes=section.upload_max_bytes,
            file_link=context.file_link,
            plans=context.desk.covered_plans,
            level_groups=section.level_groups,
        )
        recorder = PhoneCallRecorder(context.record_now, context.normalizer, region)
        webhooks = slack_events_app(
            signing_secret=context.secret(section.signing_secret_env) or "",
            client=client,
            accept=context.accept,
            clock=context.clock,
            console_channel_id=section.agents_channel,
            team_id=section.team_id,
            phone_calls=PhoneCallDesk(context.texts(CONSOLE_LANGUAGE), recorder),
            client_channels=frozenset(
                chat for org in directory.organisations for chat in org.chat_users if is_channel_id(chat)
            ),
        )
        confirm = section.reply_mode == "confirm"
        grace = timedelta(seconds=section.reply_grace_seconds)
        reader = SlackReader(
            context.store, context.agents, context.normalizer, region, context.clock, confirm=confirm, grace=grace
        )
        events = MOUNT_PATH + EVENTS_PATH
        return ChannelParts(
            readers={CHANNEL: reader},
            senders={CHANNEL: SlackClientSender(client), CONSOLE_CHANNEL: console},
            webhooks={MOUNT_PATH: webhooks},
            health=lambda: {"events": events, "console": section.agents_channel, "reply_mode": section.reply_mode},
            banner=lambda http: [f"  Slack:   console {section.agents_channel}; Slack posts to {http}{events}"],
        )


SLACK = SlackChannel()
