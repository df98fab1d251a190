"""Builds the admin pages from the running gateway's parts, when `[admin]`'s password is set in the environment."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from aiohttp import web

from adapters.channel import ChannelParts
from adapters.rate_limit import StoreRateLimiter
from gateway.admin.access import AdminAccess
from gateway.admin.board import Board, ChannelView
from gateway.admin.frame import Frame
from gateway.admin.pages import AdminDesk, AdminPages, admin_app
from gateway.config.loader import Settings
from ticketing.sla import SlaPolicy
from ticketing.store.base import Store

FAILED_SIGN_INS = 10  # per visitor's address in each window, counted in the store
SIGN_IN_WINDOW = timedelta(minutes=15)


def channel_views(channels: Mapping[str, ChannelParts]) -> list[ChannelView]:
    """Each running channel, with the inbox and outbox channels it reads and sends on."""
    views = []
    for name, parts in channels.items():
        owned = tuple(dict.fromkeys([*parts.readers, *parts.senders]))
        if owned or parts.webhooks or parts.receivers:
            views.append(ChannelView(name, owned, parts.health))
    return views


def admin_pages(
    settings: Settings,
    store: Store,
    channels: Mapping[str, ChannelParts],
    desk: AdminDesk,
    sla: SlaPolicy,
    clock: Callable[[], datetime],
) -> web.Application | None:
    """The sub-app to mount at /admin, or None while the admin password is not set (the pages are off). `sla` is
    the running policy, which a reload changes in place."""
    section = settings.file.admin
    password = settings.secret(section.password_env)
    if not password:
        return None
    failed = StoreRateLimiter(store, "admin-sign-ins", FAILED_SIGN_INS, SIGN_IN_WINDOW, clock)
    access = AdminAccess(section.user, password, clock, section.session_hours, failed)
    board = Board(store, channel_views(channels), sla, settings.file.sla.warning_at, clock)
    company, proxies = settings.file.gateway.company, frozenset(settings.file.http.trusted_proxies)
    frame = Frame(access, clock, settings.timezone, company, proxies)
    return admin_app(frame, AdminPages(frame, board, desk, clock))
