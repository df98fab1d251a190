"""The help-desk web pages over the real gateway: form, CSRF, checks, rate limits, receipt and status lookup."""

from __future__ import annotations

import email
import email.policy
import re
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from adapters.web import MOUNT_PATH
from adapters.web.form import MAX_FILE_BYTES
from gateway.config.loader import load_settings
from gateway.runtime.bootstrap import Gateway, build_gateway
from tests.conftest import PROJECT, at
from ticketing.types import Direction, TicketMessage

NOW = at("2026-11-23T14:00:00")  # Monday 09:00 in Bogota
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
FORM = {
    "name": "Ana Gómez",
    "contact": "Sistemas@Andina.com.co",
    "organisation": "Andina",
    "subject": "No imprime la factura",
    "description": "La impresora fiscal no imprime desde esta mañana.",
    "priority": "high",
}


@dataclass
class Desk:
    client: TestClient[web.Request, web.Application]
    gateway: Gateway

    async def token(self, path: str = "/soporte") -> str:
        response = await self.client.get(path)
        match = TOKEN.search(await response.text())
        assert response.status == 200 and match is not None
        return match.group(1)

    async def post(self, path: str = "/soporte", **fields: Any) -> tuple[int, str]:
        """The answer's status and the page it leads to (a submitted request: 303, then its receipt)."""
        data = {"csrf_token": await self.token(path), **fields}
        response = await self.client.post(path, data=data, allow_redirects=False)
        if response.status == 303:
            receipt = await self.client.get(response.headers["Location"])
            assert receipt.status == 200
            return 303, await receipt.text()
        return response.status, await response.text()


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[Desk]:
    shutil.copytree(PROJECT / "config", tmp_path / "config")
    config = tmp_path / "config" / "gateway.toml"
    database = (tmp_path / "w.sqlite3").as_posix()
    config.write_text(config.read_text().replace('path = "var/gateway.sqlite3"', f'path = "{database}"'))
    gateway = build_gateway(load_settings(config, {}), lambda: NOW)
    await gateway.store.open()
    app = web.Application()
    app.add_subapp(MOUNT_PATH, gateway.webhooks[MOUNT_PATH])  # the pages as the web channel builds them
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    yield Desk(client, gateway)
    await client.close()
    await gateway.store.close()


async def test_the_form_has_a_csrf_field_and_the_five_priorities_with_definitions(desk: Desk) -> None:
    response = await desk.client.get("/soporte")
    page = await response.text()
    assert response.status == 200 and '<html lang="es">' in page
    assert "SameSite=Strict" in response.headers["Set-Cookie"] and "HttpOnly" in response.headers["Set-Cookie"]
    assert TOKEN.search(page)
    for value in ("critical", "high", "medium", "low", "planned"):
        assert f'value="{value}" aria-describedby="priority-{value}-help"' in page
    assert "Sin disponibilidad de la plataforma o servicio." in page and "Consulta técnica y/o de uso." in page
    english = await (await desk.client.get("/soporte/?lang=en")).text()
    assert '<html lang="en">' in english and "The platform or service is unavailable." in english


async def test_a_valid_request_is_the_clients_ticket_at_once(desk: Desk) -> None:
    data = aiohttp.FormData({"csrf_token": await desk.token(), **FORM})
    data.add_field("attachments", b"\x89PNG log", filename="captura.png", content_type="image/png")
    response = await desk.client.post("/soporte", data=data)  # Post/Redirect/Get: the receipt is a page of its own
    page = await response.text()
    assert response.status == 200 and response.history[0].status == 303
    assert response.url.path.startswith("/soporte/recibo/")
    assert "TL-000001" in page and "Alto" in page and "/soporte/estado" in page
    assert "lunes 23 de noviembre de 2026, 10:00 (GMT-5)" in page  # one business hour for "high"
    async with desk.gateway.store.transaction() as tx:
        ticket = await tx.get_ticket("TL-000001")
        [ack] = await tx.list_outbox()
    assert ticket is not None
    assert (ticket.channel, ticket.answered_on, ticket.requester_address, ticket.priority.value) == (
        "web",
        "email",
        "sistemas@andina.com.co",
        "high",
    )
    assert (ack.reply.channel, ack.reply.recipient) == ("email", "sistemas@andina.com.co")


async def test_a_whatsapp_number_gets_a_ticket_on_whatsapp(desk: Desk) -> None:
    status, page = await desk.post(**{**FORM, "contact": "310 555 0101", "priority": "planned"})
    assert status == 303 and "Planificado" in page
    async with desk.gateway.store.transaction() as tx:
        ticket = await tx.get_ticket("TL-000001")
    assert ticket is not None and (ticket.channel, ticket.answered_on, ticket.requester_address) == (
        "web",
        "whatsapp",
        "+573105550101",
    )


async def test_without_a_valid_csrf_token_nothing_is_stored(desk: Desk) -> None:
    await desk.token()
    assert (await desk.client.post("/soporte", data=FORM)).status == 403
    token = await desk.token()
    desk.client.session.cookie_jar.clear()
    assert (await desk.client.post("/soporte", data={**FORM, "csrf_token": token})).status == 403
    async with desk.gateway.store.transaction() as tx:
        assert await tx.list_tickets() == []


async def test_bad_fields_come_back_with_messages_and_the_input_kept(desk: Desk) -> None:
    status, page = await desk.post(**{**FORM, "subject": "<b", "contact": "ana@", "priority": "urgent"})
    assert status == 400
    assert "El asunto debe tener entre 3 y 150 caracteres." in page and 'id="subject-error"' in page
    assert 'aria-describedby="subject-hint subject-error"' in page and 'aria-invalid="true"' in page
    assert "Elija una de las cinco prioridades." in page and "Escriba un correo" in page
    assert 'value="&lt;b"' in page and "La impresora fiscal no imprime" in page and 'value="ana@"' in page
    async with desk.gateway.store.transaction() as tx:
        assert await tx.list_tickets() == []


async def test_a_file_over_5_mb_is_a_field_error(desk: Desk) -> None:
    data = aiohttp.FormData({"csrf_token": await desk.token(), **FORM})
    data.add_field("attachments", b"x" * (MAX_FILE_BYTES + 1), filename="big.log", content_type="text/plain")
    response = await desk.client.post("/soporte", data=data)
    assert response.status == 400 and "«big.log» supera los 5 MB" in await response.text()


async def test_too_many_submissions_are_refused(desk: Desk) -> None:
    for _ in range(5):
        assert (await desk.post(**FORM))[0] == 303
    status, page = await desk.post(**{**FORM, "contact": "otra@andina.com.co"})
    assert status == 429 and "Demasiados intentos" in page


async def test_the_status_page_shows_the_public_conversation_to_the_requester(desk: Desk) -> None:
    assert (await desk.post(**FORM))[0] == 303
    async with desk.gateway.store.transaction() as tx:
        ticket = await tx.get_ticket("TL-000001")
        assert ticket is not None and ticket.id is not None
        await tx.add_message(ticket.id, TicketMessage(Direction.NOTE, "slack", "nota interna secreta", NOW, "U1"))
    status, page = await desk.post("/soporte/estado", number=" tl-000001 ", contact="sistemas@andina.com.co")
    assert status == 200
    assert "Ticket TL-000001" in page and "Recibido" in page and "Alto" in page and "(GMT-5)" in page
    assert "La impresora fiscal no imprime desde esta mañana." in page and "Ana Gómez" in page
    assert "nota interna secreta" not in page


async def test_a_wrong_contact_and_an_unknown_number_look_the_same(desk: Desk) -> None:
    assert (await desk.post(**FORM))[0] == 303
    wrong_contact = await desk.post("/soporte/estado", number="TL-000001", contact="otra@gmail.com")
    unknown_number = await desk.post("/soporte/estado", number="TL-999999", contact="otra@gmail.com")
    assert wrong_contact[0] == unknown_number[0] == 404
    assert "No encontramos un ticket con esos datos." in wrong_contact[1]
    assert wrong_contact[1].replace("TL-000001", "TL-999999") == unknown_number[1]
    assert "La impresora" not in wrong_contact[1]


async def test_status_lookups_are_rate_limited_and_need_both_fields(desk: Desk) -> None:
    status, page = await desk.post("/soporte/estado", number="", contact="")
    assert status == 400 and "Escriba el número de ticket" in page
    for _ in range(10):
        assert (await desk.post("/soporte/estado", number="TL-000001", contact="x@y.co"))[0] == 404
    assert (await desk.post("/soporte/estado", number="TL-000001", contact="x@y.co"))[0] == 429


async def test_a_visitor_naming_someone_elses_ticket_gets_a_ticket_of_their_own(desk: Desk) -> None:
    """Anyone can type a client's address or a ticket number into the form: it never joins that ticket, and the
    receipt shows only the visitor's own."""
    assert (await desk.post(**FORM))[0] == 303  # TL-000001, Andina's
    intruder = {**FORM, "contact": "sistemas@andina.com.co", "description": "Sobre el TL-000001: cancelen todo."}
    status, page = await desk.post(**{**intruder, "subject": "Re: [TL-000001] No imprime"})
    assert status == 303 and "TL-000002" in page and "TL-000001" not in page.replace("[TL-000001]", "")
    async with desk.gateway.store.transaction() as tx:
        first = await tx.get_ticket("TL-000001")
        assert first is not None and first.id is not None
        assert len(await tx.messages(first.id)) == 2  # its request and its acknowledgement: nothing added


async def test_the_same_request_sent_again_is_the_first_ticket_and_the_receipt_only_reads(desk: Desk) -> None:
    token = await desk.token()
    first = await desk.client.post("/soporte", data={"csrf_token": token, **FORM}, allow_redirects=False)
    again = await desk.client.post("/soporte", data={"csrf_token": token, **FORM}, allow_redirects=False)  # Back, send
    assert first.status == again.status == 303
    receipt = first.headers["Location"]
    for _ in range(3):  # reloading the receipt
        page = await desk.client.get(receipt)
        assert page.status == 200 and "TL-000001" in await page.text()
    other = await desk.client.post("/soporte", data={"csrf_token": token, **FORM, "subject": "Otra cosa"})
    assert "TL-000002" in await other.text()  # a different request is a new one
    async with desk.gateway.store.transaction() as tx:
        assert [t.number for t in await tx.list_tickets()] == ["TL-000002", "TL-000001"]
        assert len([i for i in await tx.list_outbox() if i.reply.kind == "acknowledgement"]) == 2


@pytest.mark.parametrize("token", ["forged", "WyJUTC0wMDAwMDEiLCAiZXMiXQ.aw4.x"])
async def test_a_receipt_token_that_is_not_ours_shows_nothing(desk: Desk, token: str) -> None:
    assert (await desk.post(**FORM))[0] == 303
    response = await desk.client.get(f"/soporte/recibo/{token}")
    assert response.status == 404 and "TL-000001" not in await response.text()


async def test_the_acknowledgement_speaks_the_language_the_client_wrote_in(desk: Desk) -> None:
    english = "The invoicing server has not answered since this morning and nobody can print invoices."
    assert (await desk.post(**{**FORM, "description": english}))[0] == 303  # on the Spanish page
    async with desk.gateway.store.transaction() as tx:
        ticket = await tx.get_ticket("TL-000001")
        [ack] = await tx.list_outbox()
    assert ticket is not None and ticket.language == "en"
    assert ack.reply.text.startswith("Hello Ana Gómez")


async def test_a_line_break_in_the_subject_cannot_add_a_header_to_the_acknowledgement(desk: Desk) -> None:
    crafted = {**FORM, "subject": "No imprime\r\nBcc: intruso@example.net\r\n\r\nTexto falso"}
    assert (await desk.post(**crafted))[0] == 303
    assert await desk.gateway.outbox.deliver_due() == 1
    async with desk.gateway.store.transaction() as tx:
        [ack] = await tx.list_outbox()
    assert ack.status == "sent"
    folder = desk.gateway.settings.data_path("var/mail/sent")
    [written] = [path for path in (folder / "new").iterdir()]
    mail = email.message_from_bytes(written.read_bytes(), policy=email.policy.default)
    assert mail["Bcc"] is None and "intruso" not in str(mail["To"])
    assert mail["Subject"] == "[TL-000001] No imprime Bcc: intruso@example.net Texto falso"
