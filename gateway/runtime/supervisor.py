"""Runs the assembled gateway: the store, the workers, every channel's receivers and the HTTP server.

SIGHUP reloads the configuration (`gateway.runtime.reload`). Shutdown (SIGTERM/SIGINT) stops accepting first
(receivers, then HTTP), lets messages being committed finish, lets the pipeline and the outbox finish the item in
hand, closes what the channels opened, and closes the store last: nothing acknowledged is lost.
"""

from __future__ import annotations

import asyncio
import signal
from typing import TextIO

import structlog
from aiohttp import web

from adapters.connection_limit import HTTP_BUSY, ConnectionLimit, QuietAcceptErrors, fd_budget
from gateway.admin import MOUNT_PATH
from gateway.admin.build import admin_pages
from gateway.admin.pages import AdminDesk
from gateway.runtime.bootstrap import Gateway
from gateway.runtime.http import create_app

HTTP_SHARE_OF_DESCRIPTORS = 0.5  # of what the file limit allows (SMTP sessions take a quarter)


class Supervisor:
    def __init__(self, gateway: Gateway, out: TextIO) -> None:
        self._gateway = gateway
        self._out = out
        self._log = structlog.get_logger("gateway.supervisor")

    async def run(self, stop: asyncio.Event) -> None:
        gateway = self._gateway
        http = gateway.settings.file.http
        receivers = gateway.receivers
        # from the start: SIGHUP's default would end the process
        asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, gateway.config.request)
        await gateway.store.open()
        workers = [gateway.inbox, gateway.outbox, gateway.media, gateway.timers, gateway.config]
        if gateway.reports is not None:
            workers.append(gateway.reports)
        tasks = [asyncio.create_task(worker.run(), name=worker.name) for worker in workers]
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(QuietAcceptErrors())

        def requests() -> web.Server:
            assert runner.server is not None  # set up before the first connection
            return runner.server

        limit = min(http.max_connections, fd_budget(HTTP_SHARE_OF_DESCRIPTORS))
        connections = ConnectionLimit(lambda: requests()(), limit, HTTP_BUSY, lambda: len(requests().connections))
        admin = admin_pages_of(gateway)
        app = create_app(
            gateway.store,
            lambda: {**gateway.health(), "http": connections.report()},
            {**gateway.webhooks, **({MOUNT_PATH: admin} if admin is not None else {})},
            gateway.file_links,
            http.request_timeout_seconds,
            gateway.config.status,
            gateway.metrics.registry if gateway.metrics is not None else None,
        )
        runner = web.AppRunner(app, handle_signals=False, keepalive_timeout=http.idle_timeout_seconds)
        server: asyncio.Server | None = None
        try:
            for receiver in receivers:
                await receiver.start()
            await runner.setup()
            server = await loop.create_server(connections, http.host, http.port, reuse_address=True)
            address = f"http://{http.host}:{http.port}"
            self._print_banner(address, admin is not None)
            self._log.info("gateway.started", http=address, channels=gateway.health())
            await stop.wait()
        finally:
            self._log.info("gateway.stopping")
            await asyncio.gather(*(receiver.stop() for receiver in receivers), return_exceptions=True)
            if server is not None:
                server.close()
            await runner.cleanup()
            for worker in workers:
                worker.stop()
            await asyncio.gather(*tasks, return_exceptions=True)
            for close in gateway.closers:
                await close()
            await gateway.store.close()
            self._log.info("gateway.stopped")

    def _print_banner(self, address: str, admin: bool) -> None:
        gateway = self._gateway
        off = f"off (set {gateway.settings.file.admin.password_env} to turn {MOUNT_PATH} on)"
        lines = [
            f"Intake gateway for {gateway.settings.file.gateway.company} is running.",
            f"  HTTP:    {address}/healthz",
            f"  Admin:   {address}{MOUNT_PATH}" if admin else f"  Admin:   {off}",
        ]
        for parts in gateway.channels.values():
            lines += parts.banner(address) if parts.banner is not None else []
        lines.append("Stop with Ctrl+C.")
        print("\n".join(lines), file=self._out, flush=True)


def admin_pages_of(gateway: Gateway) -> web.Application | None:
    """The admin pages over the running gateway, or None while they are off (no password in the environment)."""
    reloader = gateway.config
    desk = AdminDesk(
        settings=lambda: reloader.settings,
        reload_status=reloader.status,
        store=gateway.store,
        wake_outbox=gateway.outbox.notify,
        wake_inbox=gateway.inbox.notify,
        max_attempts=gateway.settings.file.outbox.max_attempts,
    )
    return admin_pages(gateway.settings, gateway.store, gateway.channels, desk, reloader.live.sla, gateway.clock)


def install_signal_handlers(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
