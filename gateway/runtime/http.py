"""The gateway's aiohttp application: `/healthz`, `/metrics`, agents' download links, and each channel's webhooks
and pages."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Middleware
from prometheus_client import CollectorRegistry

from gateway.runtime.file_links import FileLinks
from gateway.runtime.metrics import render_metrics
from ticketing.ports import ReadModel, UnitOfWork

ReadStore = UnitOfWork[ReadModel]
STORE_KEY: web.AppKey[ReadStore] = web.AppKey("store")
ChannelsReport = Callable[[], Mapping[str, Any]]
CHANNELS_KEY: web.AppKey[ChannelsReport] = web.AppKey("channels")
ConfigReport = Callable[[], Mapping[str, Any]]
CONFIG_KEY: web.AppKey[ConfigReport] = web.AppKey("config")  # the loaded configuration's version, reload errors
COUNTED_KEY: web.AppKey[CollectorRegistry | None] = web.AppKey("counted")  # what this process counted
HEALTH_QUEUES = ("inbox_pending", "inbox_quarantined", "outbox_pending", "outbox_dead")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def healthz(request: web.Request) -> web.Response:
    """`ok` with queue depths when the store answers; 503 when it does not. Both carry the channels' state and the
    configuration's version and last reload error."""
    store = request.app[STORE_KEY]
    shown = {"channels": request.app[CHANNELS_KEY](), "config": request.app[CONFIG_KEY]()}
    try:
        async with store.transaction() as tx:
            counts = await tx.counts(HEALTH_QUEUES)
    except Exception as error:
        return web.json_response({"status": "unavailable", "store": str(error), **shown}, status=503)
    queues = {name: counts.get(name, 0) for name in HEALTH_QUEUES}
    return web.json_response({"status": "ok", "store": "ok", "queues": queues, **shown})


async def metrics(request: web.Request) -> web.Response:
    """Prometheus text format, read from the store at scrape time; 503 when the store does not answer."""
    store = request.app[STORE_KEY]
    try:
        async with store.transaction() as tx:
            counts = await tx.counts()
            counts["unknown_outcomes"] = await tx.unknown_outcomes()
            tickets = await tx.ticket_counts()
    except Exception as error:
        return web.Response(status=503, text=f"store unavailable: {error}")
    return render_metrics(counts, tickets, request.app[CHANNELS_KEY](), request.app[COUNTED_KEY])


def answer_within(seconds: float) -> Middleware:
    """A request not answered within `seconds` (a body trickling in, byte by byte) gets 408 and its connection
    is freed; what it committed stays committed, and the peer's retry finds it (deduplicated)."""

    @web.middleware
    async def deadline(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            async with asyncio.timeout(seconds):
                return await handler(request)
        except TimeoutError:
            return web.Response(status=408, text="request took too long", headers={"Connection": "close"})

    return deadline


def create_app(
    store: ReadStore,
    channels: ChannelsReport,
    webhooks: Mapping[str, web.Application],
    file_links: FileLinks | None = None,
    request_timeout: float = 60.0,
    config: ConfigReport = dict,
    counted: CollectorRegistry | None = None,
) -> web.Application:
    """The gateway's one HTTP application; each channel's webhooks are a sub-app under its URL prefix, and agents'
    download links (`/archivos/…`) when the gateway has a public URL."""
    app = web.Application(client_max_size=1024 * 1024, middlewares=[answer_within(request_timeout)])
    app[STORE_KEY] = store
    app[CHANNELS_KEY] = channels
    app[CONFIG_KEY] = config
    app[COUNTED_KEY] = counted
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    if file_links is not None:
        file_links.routes(app)
    for prefix, subapp in webhooks.items():
        app.add_subapp(prefix, subapp)
    return app
