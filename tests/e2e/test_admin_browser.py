"""The admin pages in a real headless Chromium, against `gateway run`, as an admin uses them:
- sign in, with the password from the environment;
- see the acknowledgement the client's mail server refused, as a dead letter;
- retry it once the mailbox works again, and see it delivered;
- requeue a message quarantined earlier, and see it become a ticket;
- read the configuration with the secrets masked;
- sign out.
Screenshots go to test-output/."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.browser import SHOTS
from tests.browser import browser as browser  # a headless Chromium
from tests.e2e.harness import SinkHandler, gateway_process, sink_outgoing, smtp_sink, wait_for, write_config
from tests.e2e.test_email_end_to_end import client_mail, send
from tests.integration.test_admin_pages import mail
from ticketing.intake import AcceptRequest
from ticketing.store.sqlite import SqliteStore

PASSWORD = "una clave larga de prueba"
SECRET = "xoxb-never-on-a-page-31337"  # another secret in the environment, which no page may show


class RefusingSink(SinkHandler):
    """A client's mail server: refuses every message for good (550) until told to take them."""

    def __init__(self) -> None:
        super().__init__()
        self.refuse = True

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.refuse:
            return "550 5.2.2 mailbox full"
        return await super().handle_DATA(server, session, envelope)


async def quarantine_one(workdir: Path) -> None:
    """A message the gateway accepted and quarantined before this start (it took too long to read, say)."""
    store = SqliteStore(workdir / "var" / "gateway.sqlite3")
    await store.open()
    async with store.transaction() as tx:
        meta = {"rcpt_tos": ["soporte@tecnolinux.com"]}
        request = AcceptRequest("email", "q-1@andina.com.co", mail(9, "VPN caida"), meta, datetime.now(UTC))
        accepted = await tx.insert_inbox(request)
        why = "took longer than 30 s to read"
        await tx.finish_inbox(accepted.inbox_id, "quarantined", request.received_at, error=why)
    await store.close()


async def test_an_admin_retries_a_dead_letter_and_requeues_a_quarantined_message(
    tmp_path: Path, browser: object
) -> None:
    SHOTS.mkdir(exist_ok=True)
    sink = RefusingSink()
    with smtp_sink(sink) as (_, sink_port):
        ports = write_config(tmp_path, sink_outgoing(sink_port))
        await quarantine_one(tmp_path)
        env = {"GATEWAY_ADMIN_PASSWORD": PASSWORD, "SLACK_BOT_TOKEN": SECRET}
        with gateway_process(tmp_path, *ports, env=env) as gateway:
            assert f"Admin:   http://127.0.0.1:{gateway.http_port}/admin" in (tmp_path / "gateway.log").read_text()
            send(gateway.smtp_port, client_mail("Impresora", "No imprime.", "<m-1@andina.com.co>"))
            wait_for(lambda: gateway.cli_json("outbox", "list", "--failed"), what="the refused acknowledgement")
            base = f"http://127.0.0.1:{gateway.http_port}/admin"
            page = await browser.new_page(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]

            await page.goto(base)
            assert page.url.startswith(f"{base}/login?next=")
            await page.fill("#user", "admin")
            await page.fill("#password", "not it at all")
            await page.click("button[type=submit]")
            assert "Wrong user or password." in await page.inner_text("main")
            await page.fill("#password", PASSWORD)
            await page.screenshot(path=str(SHOTS / "admin-login.png"), full_page=True)
            await page.click("button[type=submit]")
            assert page.url == base
            email_row = await page.inner_text("#channel-email")
            assert "550 5.2.2 mailbox full" in email_row and "replies failing" in email_row
            await page.screenshot(path=str(SHOTS / "admin-overview.png"), full_page=True)
            await page.set_viewport_size({"width": 390, "height": 844})  # on a phone: tables scroll, the page not
            assert await page.evaluate("document.documentElement.scrollWidth") <= 390
            await page.screenshot(path=str(SHOTS / "admin-overview-390px.png"), full_page=True)
            await page.set_viewport_size({"width": 1280, "height": 900})

            await page.click("nav >> text=Replies")
            row = page.locator("tr", has_text="550 5.2.2 mailbox full")
            assert "dead" in await row.inner_text()
            await page.screenshot(path=str(SHOTS / "admin-replies-dead.png"), full_page=True)
            sink.refuse = False  # the client emptied the mailbox
            await row.locator("button", has_text="Retry").click()
            assert "is queued again" in await page.inner_text("[role=status]")
            wait_for(lambda: sink.messages, what="the acknowledgement, delivered")
            assert "TL-000001" in str(sink.messages[0]["Subject"])
            await page.goto(f"{base}/replies")
            assert "No reply has failed." in await page.inner_text("main")

            await page.click("nav >> text=Quarantine")
            assert "took longer than 30 s to read" in await page.inner_text("main")
            await page.screenshot(path=str(SHOTS / "admin-quarantine.png"), full_page=True)
            await page.click("button:has-text('Requeue')")
            assert "is back in the inbox" in await page.inner_text("[role=status]")
            tickets = wait_for(
                lambda: (found := gateway.cli_json("tickets", "list")) and len(found) == 2 and found,
                what="the requeued message's ticket",
            )
            assert {t["subject"] for t in tickets} == {"Impresora", "VPN caida"}

            await page.click("nav >> text=Tickets")
            assert "TL-000002" in await page.inner_text("main")
            await page.screenshot(path=str(SHOTS / "admin-tickets.png"), full_page=True)

            await page.click("nav >> text=Configuration")
            config = await page.content()
            assert "GATEWAY_ADMIN_PASSWORD (set)" in config
            assert PASSWORD not in config and SECRET not in config
            await page.screenshot(path=str(SHOTS / "admin-config.png"), full_page=True)

            await page.click("text=Sign out (admin)")
            assert "/admin/login" in page.url and "You are signed out." in await page.inner_text("main")
            await page.goto(f"{base}/replies")
            assert "/admin/login" in page.url
