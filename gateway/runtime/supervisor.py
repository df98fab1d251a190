"""Runs the assembled gateway: store, SMTP intake, HTTP server, inbox pipeline and outbox worker.

Shutdown (SIGTERM/SIGINT) stops accepting first, lets messages being committed finish, lets the pipeline and
the outbox finish the item in hand, and closes the store last: nothing acknowledged is lost.
"""

from __future__ import annotations

import asyncio
import signal
from typing import Any, TextIO

import structlog
from aiohttp import web

from gateway.runtime.bootstrap import Gateway
from gateway.runtime.http import create_app


class Supervisor:
    def __init__(self, gateway: Gateway, out: TextIO) -> None:
        self._gateway = gateway
        self._out = out
        self._log = structlog.get_logger("gateway.supervisor")
        self._http_address = ""

    def channels(self) -> dict[str, Any]:
        smtp = self._gateway.smtp
        result: dict[str, Any] = {}
        if smtp is not None:
            host, port = smtp.address
            result["email"] = {"smtp": f"{host}:{port}", "in_flight": smtp.handler.in_flight}
        whatsapp = self._gateway.settings.file.channels.whatsapp
        if whatsapp is not None and whatsapp.enabled:
            result["whatsapp"] = {"webhook": f"{whatsapp.public_base_url.rstrip('/')}/webhooks/twilio/whatsapp"}
        if self._gateway.mailboxes:
            result.setdefault("email", {})["imap"] = {
                name: box.status() for name, box in self._gateway.mailboxes.items()
            }
        return result

    async def run(self, stop: asyncio.Event) -> None:
        gateway = self._gateway
        http = gateway.settings.file.http
        await gateway.store.open()
        tasks = [
            asyncio.create_task(gateway.inbox.run(), name="inbox"),
            asyncio.create_task(gateway.outbox.run(), name="outbox"),
        ]
        mailbox_tasks = [asyncio.create_task(box.run(), name=f"imap-{name}") for name, box in gateway.mailboxes.items()]
        tasks.append(asyncio.create_task(gateway.media.run(), name="media"))
        runner = web.AppRunner(create_app(gateway.store, self.channels, gateway.webhooks), handle_signals=False)
        try:
            if gateway.smtp is not None:
                await gateway.smtp.start()
            await runner.setup()
            site = web.TCPSite(runner, http.host, http.port)
            await site.start()
            self._http_address = f"http://{http.host}:{http.port}"
            self._print_banner()
            self._log.info("gateway.started", http=self._http_address, channels=self.channels())
            await stop.wait()
        finally:
            self._log.info("gateway.stopping")
            if gateway.smtp is not None:
                await gateway.smtp.stop()
            for box in gateway.mailboxes.values():
                box.stop()
            await asyncio.gather(*mailbox_tasks, return_exceptions=True)
            await runner.cleanup()
            gateway.inbox.stop()
            gateway.outbox.stop()
            gateway.media.stop()
            await asyncio.gather(*tasks, return_exceptions=True)
            for close in gateway.closers:
                await close()
            await asyncio.to_thread(gateway.large_mail.shutdown)
            await gateway.store.close()
            self._log.info("gateway.stopped")

    def _print_banner(self) -> None:
        settings = self._gateway.settings
        email = settings.file.channels.email
        lines = [
            f"Intake gateway for {settings.file.gateway.company} is running.",
            f"  HTTP:    {self._http_address}/healthz",
        ]
        web_channel = settings.file.channels.web
        if web_channel is not None and web_channel.enabled:
            lines.append(f"  Web:     {self._http_address}/soporte (help-desk form), /soporte/estado (ticket status)")
        if email is not None and self._gateway.smtp is not None:
            host, port = self._gateway.smtp.address
            address = email.support_addresses[0]
            lines.append(f"  SMTP:    {host}:{port} accepts mail for {', '.join(email.support_addresses)}")
            if email.outgoing.transport == "maildir":
                lines.append(f"  Replies: written to {email.outgoing.maildir}/new/ (one file per email)")
            else:
                lines.append(f"  Replies: sent through {email.outgoing.host}:{email.outgoing.port}")
            lines += [
                "Try it from another terminal:",
                f"  python3 -c \"import smtplib; smtplib.SMTP('{host}', {port}).sendmail('sistemas@andina.com.co',"
                f" ['{address}'], 'Subject: Servidor caido\\r\\n\\r\\nEl servidor de facturacion no responde.')\"",
                "  .venv/bin/gateway tickets list",
            ]
        if "whatsapp" in self.channels():
            lines.append(f"  WhatsApp: Twilio posts to {self.channels()['whatsapp']['webhook']}")
        lines.append("Stop with Ctrl+C.")
        print("\n".join(lines), file=self._out, flush=True)


def install_signal_handlers(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
