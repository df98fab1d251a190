"""Builds the signed relay channels from the settings: one webhook sub-app, and a reader and a sender per relay."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from aiohttp import web

from adapters.relay import RelaySender, parse_relay_message, relay_webhooks
from gateway.config.loader import Settings
from normalizer import Normalizer
from ticketing.intake import AcceptRequest, AcceptResult
from ticketing.types import InboxItem, WrittenRequest

WEBHOOK_PREFIX = "/webhooks/relay"


def relay_channel(name: str) -> str:
    """The channel name of a relay: ids are deduplicated, and conversations continued, per relay."""
    return f"relay:{name}"


class RelayReader:
    def __init__(self, name: str, region: str, normalizer: Normalizer) -> None:
        self._name = name
        self._region = region
        self._normalizer = normalizer

    def _read(self, item: InboxItem) -> WrittenRequest:
        message = parse_relay_message(
            item.raw, relay=self._name, received_at=item.received_at, default_region=self._region
        )
        return self._normalizer.normalize(message)

    async def __call__(self, item: InboxItem) -> WrittenRequest:
        return await asyncio.to_thread(self._read, item)


@dataclass
class RelayParts:
    readers: dict[str, RelayReader] = field(default_factory=dict)
    senders: dict[str, RelaySender] = field(default_factory=dict)
    continue_within: dict[str, timedelta] = field(default_factory=dict)
    webhooks: web.Application | None = None


def continue_relay_conversations(settings: Settings) -> dict[str, timedelta]:
    return {
        relay_channel(name): timedelta(hours=relay.continue_conversation_hours)
        for name, relay in settings.file.channels.relay.items()
        if relay.enabled
    }


def build_relays(
    settings: Settings,
    accept: Callable[[AcceptRequest], Awaitable[AcceptResult]],
    normalizer: Normalizer,
    clock: Callable[[], datetime],
) -> RelayParts:
    parts = RelayParts()
    secrets: dict[str, list[str]] = {}
    region = settings.file.gateway.default_phone_region
    for name, relay in settings.file.channels.relay.items():
        if not relay.enabled:
            continue
        current = settings.secret(relay.secret_env) or ""
        secrets[name] = [s for s in (current, settings.secret(relay.previous_secret_env)) if s]
        parts.readers[relay_channel(name)] = RelayReader(name, region, normalizer)
        parts.senders[relay_channel(name)] = RelaySender(relay=name, callback_url=relay.callback_url, secret=current)
    if secrets:
        parts.webhooks = relay_webhooks(relays=secrets, accept=accept, clock=clock)
    return parts
