"""The admin pages over a real gateway and its SQLite store, on a settable clock: signing in (and being refused),
a session on every page, CSRF on every POST, retrying a dead reply, requeueing a quarantined message, the tickets
grouped by SLA standing as the clock moves, the channels' activity, and the configuration with secrets masked."""

from __future__ import annotations

import re
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from gateway.admin import MOUNT_PATH
from gateway.admin.board import Board
from gateway.config.loader import load_settings
from gateway.runtime.bootstrap import Gateway, build_gateway
from gateway.runtime.supervisor import admin_pages_of
from tests.conftest import PROJECT, at
from ticketing.intake import AcceptRequest

NOW = at("2026-11-23T14:00:00")  # Monday 09:00 in Bogota
PASSWORD = "correct horse battery staple"
LINK_SECRET = "link-secret-0f9e8d7c6b5a"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def mail(number: int, subject: str = "Impresora", priority: str = "") -> bytes:
    return (
        f"From: Ana <sistemas@andina.com.co>\r\nTo: soporte@tecnolinux.com\r\nSubject: {priority}{subject}\r\n"
        f"Message-ID: <a{number}@andina.com.co>\r\n\r\nLa impresora del piso {number} no imprime.\r\n"
    ).encode()


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Admin:
    client: TestClient[web.Request, web.Application]
    gateway: Gateway
    clock: Clock

    async def token(self, path: str = f"{MOUNT_PATH}/login") -> str:
        response = await self.client.get(path)
        match = TOKEN.search(await response.text())
        assert response.status == 200 and match is not None, await response.text()
        return match.group(1)

    async def sign_in(self, password: str = PASSWORD, user: str = "admin", next: str = "") -> web.Response:
        data = {"csrf_token": await self.token(), "user": user, "password": password, "next": next}
        return await self.client.post(f"{MOUNT_PATH}/login", data=data, allow_redirects=False)  # type: ignore[return-value]

    async def page(self, path: str) -> str:
        response = await self.client.get(f"{MOUNT_PATH}{path}", allow_redirects=False)
        assert response.status == 200, (path, response.status)
        return await response.text()

    async def post(self, path: str, token_from: str) -> tuple[int, str]:
        """POST with the CSRF token of the page `token_from`; the status and where it leads."""
        data = {"csrf_token": await self.token(f"{MOUNT_PATH}{token_from}")}
        response = await self.client.post(f"{MOUNT_PATH}{path}", data=data, allow_redirects=False)
        return response.status, response.headers.get("Location", "")

    async def mails(self, *raws: bytes) -> None:
        for number, raw in enumerate(raws):
            meta = {"rcpt_tos": ["soporte@tecnolinux.com"]}
            await self.gateway.accept(AcceptRequest("email", f"m{number}-{len(raw)}", raw, meta, self.clock()))
        await self.gateway.inbox.process_pending()


def built(tmp_path: Path, clock: Clock, env: dict[str, str], proxies: str = "[]") -> Gateway:
    shutil.copytree(PROJECT / "config", tmp_path / "config")
    path = tmp_path / "config" / "gateway.toml"
    text = (
        path.read_text()
        .replace("# public_url = ", "public_url = ")
        .replace("# link_secret_env = ", "link_secret_env = ")
    )
    path.write_text(text.replace("trusted_proxies = []", f"trusted_proxies = {proxies}"))
    return build_gateway(load_settings(path, env), clock)


@asynccontextmanager
async def serving(tmp_path: Path, proxies: str = "[]") -> AsyncIterator[Admin]:
    """The admin pages of a gateway on the example configuration (with a download-link secret), on loopback."""
    clock = Clock()
    env = {"GATEWAY_ADMIN_PASSWORD": PASSWORD, "GATEWAY_LINK_SECRET": LINK_SECRET}
    gateway = built(tmp_path, clock, env, proxies)
    await gateway.store.open()
    pages = admin_pages_of(gateway)  # as `gateway run` mounts them
    assert pages is not None
    app = web.Application()
    app.add_subapp(MOUNT_PATH, pages)
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    try:
        yield Admin(client, gateway, clock)
    finally:
        await client.close()
        await gateway.store.close()


@pytest.fixture
async def admin(tmp_path: Path) -> AsyncIterator[Admin]:
    async with serving(tmp_path) as served:
        yield served


async def test_the_pages_are_off_without_a_password(tmp_path: Path) -> None:
    assert admin_pages_of(built(tmp_path, Clock(), {"GATEWAY_LINK_SECRET": LINK_SECRET})) is None


@pytest.mark.parametrize("path", ["", "/", "/tickets", "/replies", "/quarantine", "/config", "/quarantine/1/raw"])
async def test_every_page_sends_a_stranger_to_sign_in_and_back(admin: Admin, path: str) -> None:
    response = await admin.client.get(f"{MOUNT_PATH}{path}", allow_redirects=False)
    assert response.status == 303
    assert response.headers["Location"].startswith(f"{MOUNT_PATH}/login?next=")
    signed = await admin.sign_in(next=f"{MOUNT_PATH}{path}")
    assert signed.status == 303 and signed.headers["Location"] == f"{MOUNT_PATH}{path}"


async def test_signing_in_sets_a_strict_cookie_and_a_wrong_password_sets_none(admin: Admin) -> None:
    refused = await admin.sign_in("wrong password, long enough")
    assert refused.status == 401 and "Wrong user or password." in await refused.text()
    assert "gateway_admin=" not in refused.headers.get("Set-Cookie", "")
    assert (await admin.sign_in(user="root")).status == 401
    response = await admin.sign_in()
    assert response.status == 303 and response.headers["Location"] == MOUNT_PATH
    cookie = response.cookies["gateway_admin"]
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == MOUNT_PATH
    overview = await admin.page("")
    assert "Sign out (admin)" in overview and "Channels" in overview
    assert PASSWORD not in overview


@pytest.mark.parametrize(
    ("proxies", "forwarded", "secure"),
    [
        ("[]", "", False),
        ("[]", "https", False),  # anyone can send the header: only our proxy is believed
        ('["127.0.0.1"]', "https", True),
        ('["127.0.0.1"]', "http", False),
    ],
)
async def test_behind_our_tls_proxy_the_cookies_are_secure(
    tmp_path: Path, proxies: str, forwarded: str, secure: bool
) -> None:
    async with serving(tmp_path, proxies) as admin:
        headers = {"X-Forwarded-Proto": forwarded} if forwarded else {}
        page = await admin.client.get(f"{MOUNT_PATH}/login", headers=headers)
        token = TOKEN.search(await page.text())
        assert token is not None and bool(page.cookies["gateway_admin_csrf"]["secure"]) is secure
        data = {"csrf_token": token.group(1), "user": "admin", "password": PASSWORD}
        cookie = {"gateway_admin_csrf": page.cookies["gateway_admin_csrf"].value}  # a jar keeps a Secure one off http
        signed = await admin.client.post(
            f"{MOUNT_PATH}/login", data=data, headers=headers, cookies=cookie, allow_redirects=False
        )
        assert signed.status == 303 and bool(signed.cookies["gateway_admin"]["secure"]) is secure


@pytest.mark.parametrize("elsewhere", ["https://evil.example/admin", "//evil.example", "/soporte", "/admin//x"])
async def test_after_signing_in_the_way_back_stays_in_the_admin_pages(admin: Admin, elsewhere: str) -> None:
    response = await admin.sign_in(next=elsewhere)
    assert response.status == 303 and response.headers["Location"] == MOUNT_PATH


async def test_a_session_ends_after_its_hours_and_a_forged_one_is_none(admin: Admin) -> None:
    await admin.sign_in()
    await admin.page("/tickets")
    admin.clock.now = NOW + timedelta(hours=8, minutes=1)
    response = await admin.client.get(f"{MOUNT_PATH}/tickets", allow_redirects=False)
    assert response.status == 303 and "/login" in response.headers["Location"]
    admin.clock.now = NOW
    admin.client.session.cookie_jar.clear()
    forged_cookie = "eyJ1c2VyIjoiYWRtaW4iLCJub25jZSI6IngifQ.aUxJgA.c2lnbmVkIGJ5IG5vYm9keQ"
    admin.client.session.cookie_jar.update_cookies({"gateway_admin": forged_cookie}, admin.client.make_url("/admin"))
    forged = await admin.client.get(f"{MOUNT_PATH}/tickets", allow_redirects=False)
    assert forged.status == 303


async def test_failed_sign_ins_are_limited_per_address(admin: Admin) -> None:
    for _ in range(10):
        assert (await admin.sign_in("not the password at all")).status == 401
    blocked = await admin.sign_in()  # even the right password, until the window ends
    assert blocked.status == 429 and "Too many failed sign-ins" in await blocked.text()
    admin.clock.now = NOW + timedelta(minutes=16)
    assert (await admin.sign_in()).status == 303


async def dead_reply(admin: Admin) -> int:
    await admin.mails(mail(1))
    async with admin.gateway.store.transaction() as tx:
        [ack] = await tx.list_outbox()
        await tx.mark_outbox(ack.id, "dead", admin.clock(), error="550 5.1.1 mailbox unavailable")
    return ack.id


async def test_a_dead_reply_is_retried_only_with_a_session_and_the_pages_token(admin: Admin) -> None:
    outbox_id = await dead_reply(admin)
    stranger = await admin.client.post(f"{MOUNT_PATH}/replies/{outbox_id}/retry", allow_redirects=False)
    assert stranger.status == 303 and stranger.headers["Location"] == f"{MOUNT_PATH}/login"
    await admin.sign_in()
    page = await admin.page("/replies")
    assert "550 5.1.1 mailbox unavailable" in page and "TL-000001" in page and "Retry</button>" in page
    no_token = await admin.client.post(f"{MOUNT_PATH}/replies/{outbox_id}/retry", allow_redirects=False)
    wrong = await admin.client.post(
        f"{MOUNT_PATH}/replies/{outbox_id}/retry", data={"csrf_token": "x.y.z"}, allow_redirects=False
    )
    assert no_token.status == wrong.status == 403
    async with admin.gateway.store.transaction() as tx:
        assert (await tx.get_outbox(outbox_id)).status == "dead"  # type: ignore[union-attr]

    status, location = await admin.post(f"/replies/{outbox_id}/retry", "/replies")
    assert status == 303 and location == f"{MOUNT_PATH}/replies?done=retried&id={outbox_id}"
    async with admin.gateway.store.transaction() as tx:
        item = await tx.get_outbox(outbox_id)
    assert item is not None and (item.status, item.attempts) == ("pending", 0)
    assert f"Reply {outbox_id} is queued again" in await admin.page(f"/replies?done=retried&id={outbox_id}")
    assert await admin.gateway.outbox.deliver_due() == 1  # the maildir of the example configuration takes it
    status, location = await admin.post(f"/replies/{outbox_id}/retry", "/replies")
    assert location.endswith(f"done=not_retried&id={outbox_id}")  # sent: nothing to retry


async def test_a_quarantined_message_is_requeued_and_becomes_a_ticket(admin: Admin) -> None:
    raw = mail(7, "VPN")
    await admin.gateway.accept(AcceptRequest("email", "q7", raw, {"rcpt_tos": ["soporte@tecnolinux.com"]}, NOW))
    async with admin.gateway.store.transaction() as tx:
        [item] = await tx.inbox_items("pending")
        await tx.finish_inbox(item.id, "quarantined", NOW, error="took longer than 30 s to read")
    await admin.sign_in()
    page = await admin.page("/quarantine")
    assert "took longer than 30 s to read" in page and "Requeue</button>" in page
    download = await admin.client.get(f"{MOUNT_PATH}/quarantine/{item.id}/raw")
    assert await download.read() == raw and "attachment" in download.headers["Content-Disposition"]

    status, location = await admin.post(f"/quarantine/{item.id}/requeue", "/quarantine")
    assert status == 303 and location.endswith(f"done=requeued&id={item.id}")
    assert await admin.gateway.inbox.process_pending() == 1
    async with admin.gateway.store.transaction() as tx:
        [ticket] = await tx.list_tickets()
    assert ticket.subject == "VPN"
    assert "The quarantine is empty." in await admin.page("/quarantine")
    _, again = await admin.post(f"/quarantine/{item.id}/requeue", "/quarantine")
    assert again.endswith("done=not_requeued&id=" + str(item.id))
    assert (await admin.client.get(f"{MOUNT_PATH}/quarantine/{item.id}/raw")).status == 404


def section(page: str, name: str) -> str:
    """The HTML of one standing's section of the tickets page."""
    start = page.index(f'<section id="{name}">')
    return page[start : page.index("</section>", start)]


async def test_open_tickets_move_between_standings_as_the_clock_runs(admin: Admin) -> None:
    await admin.mails(mail(1, "ERP caido", "Prioridad: critica - "), mail(2, "Consulta", "Prioridad: baja - "))
    async with admin.gateway.store.transaction() as tx:
        question, urgent = await tx.list_tickets()  # newest first
    assert (urgent.priority.value, question.priority.value) == ("critical", "low")
    await admin.sign_in()
    page = await admin.page("/tickets")
    assert urgent.number in section(page, "on_time") and question.number in section(page, "on_time")

    admin.clock.now = NOW + timedelta(minutes=12)  # critical: 15 minutes around the clock, warned at 75%
    page = await admin.page("/tickets")
    assert urgent.number in section(page, "warned") and question.number in section(page, "on_time")

    admin.clock.now = NOW + timedelta(hours=3, minutes=5)  # low: 4 business hours to respond, warned after 3
    page = await admin.page("/tickets")
    assert urgent.number in section(page, "breached") and question.number in section(page, "warned")
    overview = await admin.page("")
    assert re.search(r'<span class="figure">1</span>\s*<span class="label">Breached', overview)


async def test_the_overview_shows_each_channels_last_message_and_queues(admin: Admin) -> None:
    outbox_id = await dead_reply(admin)
    await admin.sign_in()
    admin.clock.now = NOW + timedelta(minutes=20)
    page = await admin.page("")
    email = page[page.index('id="channel-email"') : page.index("</tr>", page.index('id="channel-email"'))]
    assert "Mon 23 Nov 2026 09:00" in email and "20 min ago" in email
    assert f"reply {outbox_id}: 550 5.1.1 mailbox unavailable" in email
    assert "state-replies_failing" in email
    web_row = page[page.index('id="channel-web"') : page.index("</tr>", page.index('id="channel-web"'))]
    assert "never" in web_row and "state-ok" in web_row


async def test_the_configuration_is_shown_with_its_secrets_masked(admin: Admin) -> None:
    await admin.sign_in()
    page = await admin.page("/config")
    assert "GATEWAY_LINK_SECRET (set)" in page and "GATEWAY_ADMIN_PASSWORD (set)" in page
    assert LINK_SECRET not in page and PASSWORD not in page
    assert "[channels.email.outgoing]" in page and "Distribuidora Andina S.A.S." in page
    assert "Last reload" in page and "applied" in page


async def test_a_store_that_does_not_answer_gets_one_line_not_a_traceback(admin: Admin) -> None:
    await admin.sign_in()
    await admin.gateway.store.close()  # the database went away under the running pages
    response = await admin.client.get(MOUNT_PATH, allow_redirects=False)
    page = await response.text()
    assert response.status == 503 and "Traceback" not in page
    assert "The store does not answer" in page and "(admin.failed)" in page
    await admin.gateway.store.open()  # for the fixture's close


async def test_a_long_list_is_cut_to_the_newest_and_says_so(admin: Admin) -> None:
    await admin.mails(*(mail(n, f"Caso {n}") for n in range(3)))
    board = Board(admin.gateway.store, [], admin.gateway.config.live.sla, 0.75, admin.clock, shown=2)
    found = await board.tickets()
    assert found.cut and found.by_status["new"] == 3
    assert {row.ticket.number for row in found.groups["on_time"]} == {"TL-000002", "TL-000003"}  # the newest two
