"""The relay channel as the gateway runs it: one webhook sub-app for every bridge, and a reader, a sender and an
attachment fetcher per bridge (`[channels.relay.<name>]`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path

from adapters.channel import ChannelContext, ChannelFacts, ChannelParts, CheckResult, Reader, SecretLookup
from adapters.labels import Texts
from adapters.relay import CHANNEL, MOUNT_PATH, channel_for
from adapters.relay.settings import RelayName, RelaySettings
from adapters.settings import named_secrets

Relays = dict[RelayName, RelaySettings]


def _enabled(relays: Relays) -> dict[str, RelaySettings]:
    return {name: relay for name, relay in relays.items() if relay.enabled}


class RelayChannel:
    name = CHANNEL
    settings = Relays
    default: Relays = {}

    def facts(self, section: Relays, texts: Texts) -> ChannelFacts:
        relays = _enabled(section)
        return ChannelFacts(
            secrets=[
                secret
                for name, relay in relays.items()
                for secret in named_secrets(("channels", CHANNEL, name), relay, "secret_env", "previous_secret_env")
            ],
            continue_within={
                channel_for(name): timedelta(hours=relay.continue_conversation_hours) for name, relay in relays.items()
            },
            template_folders={channel_for(name): (f"{CHANNEL}/{name}", CHANNEL) for name in relays},
        )

    async def check(
        self, section: Relays, secret: SecretLookup, data_path: Callable[[str], Path]
    ) -> Sequence[CheckResult]:
        """`gateway doctor`: each enabled bridge's secret and callback (`.doctor`)."""
        relays = _enabled(section)
        if not relays:
            return []
        from adapters.relay.doctor import relay_checks

        return await relay_checks(relays, secret)

    def build(self, section: Relays, context: ChannelContext) -> ChannelParts:
        relays = _enabled(section)
        if not relays:
            return ChannelParts()
        from adapters.relay.media import RelayMediaFetcher
        from adapters.relay.read import RelayReader
        from adapters.relay.sender import RelaySender
        from adapters.relay.webhook import relay_webhooks

        secrets: dict[str, list[str]] = {}
        readers: dict[str, Reader] = {}
        senders: dict[str, RelaySender] = {}
        fetchers: dict[str, RelayMediaFetcher] = {}
        for name, relay in relays.items():
            current = context.secret(relay.secret_env) or ""
            secrets[name] = [s for s in (current, context.secret(relay.previous_secret_env)) if s]
            readers[channel_for(name)] = RelayReader(name, context.desk.phone_region, context.normalizer)
            senders[channel_for(name)] = RelaySender(relay=name, callback_url=relay.callback_url, secret=current)
            fetchers[channel_for(name)] = RelayMediaFetcher(name, relay.attachment_hosts, relay.max_attachment_bytes)
        webhooks = relay_webhooks(relays=secrets, accept=context.accept, clock=context.clock)
        hooks = {
            name: {"webhook": f"{MOUNT_PATH}/{name}", "callback": relay.callback_url} for name, relay in relays.items()
        }
        return ChannelParts(
            readers=readers,
            senders=senders,
            fetchers=fetchers,
            webhooks={MOUNT_PATH: webhooks},
            health=lambda: hooks,
            banner=lambda http: [f"  Relay:   {name} posts to {http}{hook['webhook']}" for name, hook in hooks.items()],
            closers=[sender.close for sender in senders.values()] + [fetcher.close for fetcher in fetchers.values()],
        )


RELAY = RelayChannel()
