"""The web help desk as the gateway runs it: the pages at /soporte on the gateway's HTTP server, and the reader
that finishes a submission whose ticket could not be made at once (`[channels.web]`)."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path

from adapters.channel import ChannelContext, ChannelFacts, ChannelParts, CheckResult, SecretLookup
from adapters.labels import Texts
from adapters.web import CHANNEL, MOUNT_PATH
from adapters.web.settings import WebSettings


class WebChannel:
    name = CHANNEL
    settings = WebSettings | None
    default = None

    def facts(self, section: WebSettings | None, texts: Texts) -> ChannelFacts:
        return ChannelFacts()  # csrf_secret_env is optional: unset, a random secret is made at start

    async def check(
        self, section: WebSettings | None, secret: SecretLookup, data_path: Callable[[str], Path]
    ) -> Sequence[CheckResult]:
        """`gateway doctor`: the form is served by the gateway itself, with no server or account to try."""
        return []

    def build(self, section: WebSettings | None, context: ChannelContext) -> ChannelParts:
        if section is None or not section.enabled:
            return ChannelParts()
        from adapters.rate_limit import StoreRateLimiter
        from adapters.web.intake import WebIntake
        from adapters.web.pages import STATUS_PATH, web_pages

        desk = context.desk
        intake = WebIntake(
            context.store, context.record_now, context.normalizer, desk.phone_region, desk.timezone, context.texts
        )
        pages = web_pages(
            desk=intake,
            csrf_secret=context.secret(section.csrf_secret_env) or secrets.token_hex(32),
            clock=context.clock,
            texts=context.texts,
            company=desk.company,
            trusted_proxies=desk.trusted_proxies,
            # counted in the store: every replica behind the balancer sees the same visitor's count
            submissions=StoreRateLimiter(context.store, "web-submissions", 5, timedelta(minutes=10), context.clock),
            lookups=StoreRateLimiter(context.store, "web-lookups", 10, timedelta(minutes=10), context.clock),
        )
        return ChannelParts(
            readers={CHANNEL: intake.read},
            webhooks={MOUNT_PATH: pages},
            banner=lambda http: [
                f"  Web:     {http}{MOUNT_PATH} (help-desk form), {MOUNT_PATH}{STATUS_PATH} (ticket status)"
            ],
        )


WEB = WebChannel()
