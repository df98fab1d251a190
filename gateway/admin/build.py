"""Builds the admin pages from the running gateway, when `[admin]`'s password is set in the environment."""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web

from adapters.rate_limit import StoreRateLimiter
from gateway.admin.access import AdminAccess
from gateway.admin.board import Board, ChannelView
from gateway.admin.pages import AdminDesk, AdminPages, admin_app
from gateway.config.sla_policy import build_sla_policy
from gateway.runtime.bootstrap import Gateway, monitor_rules

FAILED_SIGN_INS = 10  # per visitor's address in each window, counted in the store
SIGN_IN_WINDOW = timedelta(minutes=15)


def channel_views(gateway: Gateway) -> list[ChannelView]:
    """Each running channel, with the inbox and outbox channels it reads and sends on."""
    views = []
    for name, parts in gateway.channels.items():
        owned = tuple(dict.fromkeys([*parts.readers, *parts.senders]))
        if owned or parts.webhooks or parts.receivers:
            views.append(ChannelView(name, owned, parts.health))
    return views


def admin_pages(gateway: Gateway) -> web.Application | None:
    """The sub-app to mount at /admin, or None while the admin password is not set (the pages are off)."""
    settings = gateway.settings
    section = settings.file.admin
    password = settings.secret(section.password_env)
    if not password:
        return None
    failed = StoreRateLimiter(gateway.store, "admin-sign-ins", FAILED_SIGN_INS, SIGN_IN_WINDOW, gateway.clock)
    access = AdminAccess(section.user, password, gateway.clock, section.session_hours, failed)
    reloader = gateway.config
    sla = reloader.live.sla if reloader is not None else build_sla_policy(settings)
    board = Board(gateway.store, channel_views(gateway), sla, monitor_rules(settings).warn_share, gateway.clock)
    desk = AdminDesk(
        settings=(lambda: reloader.settings) if reloader is not None else (lambda: settings),
        reload_status=reloader.status if reloader is not None else dict,
        store=gateway.store,
        wake_outbox=gateway.outbox.notify,
        wake_inbox=gateway.inbox.notify,
        max_attempts=settings.file.outbox.max_attempts,
    )
    company, proxies = settings.file.gateway.company, frozenset(settings.file.http.trusted_proxies)
    return admin_app(AdminPages(access, board, desk, gateway.clock, settings.timezone, company, proxies))
