"""The web help desk in a real headless Chromium, against `gateway run`: file a request, see the ticket number and
the deadlines, look it up on the status page; a wrong email reveals nothing. Screenshots go to test-output/."""

from __future__ import annotations

from pathlib import Path

from tests.browser import SHOTS
from tests.browser import browser as browser  # a headless Chromium
from tests.e2e.harness import gateway_process, write_config


async def test_a_client_files_a_request_and_looks_it_up(tmp_path: Path, browser: object) -> None:
    SHOTS.mkdir(exist_ok=True)
    with gateway_process(tmp_path, *write_config(tmp_path)) as gateway:
        base = f"http://127.0.0.1:{gateway.http_port}"
        page = await browser.new_page()  # type: ignore[attr-defined]
        await page.goto(f"{base}/soporte")
        assert "Crítico" in await page.content()
        await page.fill("#name", "Ana Gómez")
        await page.fill("#contact", "sistemas@andina.com.co")
        await page.fill("#organisation", "Distribuidora Andina")
        await page.fill("#subject", "No abre el ERP")
        await page.fill("#description", "Desde esta mañana el ERP muestra un error 500 al iniciar sesión.")
        await page.check("#priority-high")
        await page.screenshot(path=str(SHOTS / "soporte-form.png"), full_page=True)
        await page.click("button[type=submit]")
        number = (await page.inner_text(".number")).strip()
        content = await page.content()
        await page.screenshot(path=str(SHOTS / "soporte-receipt.png"), full_page=True)
        assert number == "TL-000001" and content.count("(GMT-5)") >= 2

        await page.goto(f"{base}/soporte/estado")
        await page.fill("#number", number)
        await page.fill("#contact", "sistemas@andina.com.co")
        await page.click("button[type=submit]")
        status = await page.content()
        await page.screenshot(path=str(SHOTS / "soporte-estado.png"), full_page=True)
        assert number in status and "error 500" in status and "Recibimos su solicitud" in status  # the conversation

        await page.goto(f"{base}/soporte/estado")
        await page.fill("#number", number)
        await page.fill("#contact", "otra.persona@gmail.com")
        await page.click("button[type=submit]")
        refused = await page.content()
        await page.screenshot(path=str(SHOTS / "soporte-estado-wrong.png"), full_page=True)
        assert "error 500" not in refused and "No abre el ERP" not in refused
        [ticket] = gateway.cli_json("tickets", "list")
        assert (ticket["priority"], ticket["plan"], ticket["channel"], ticket["reply_channel"]) == (
            "high",
            "standard",
            "web",
            "email",
        )


async def fill_request(page: object) -> None:
    await page.fill("#name", "Ana Gómez")  # type: ignore[attr-defined]
    await page.fill("#contact", "sistemas@andina.com.co")  # type: ignore[attr-defined]
    await page.fill("#subject", "No abre el ERP")  # type: ignore[attr-defined]
    await page.fill("#description", "Desde esta mañana el ERP muestra un error 500 al iniciar sesión.")  # type: ignore[attr-defined]
    await page.check("#priority-high")  # type: ignore[attr-defined]


async def test_reloading_the_receipt_or_going_back_and_sending_again_files_one_ticket(
    tmp_path: Path, browser: object
) -> None:
    with gateway_process(tmp_path, *write_config(tmp_path)) as gateway:
        base = f"http://127.0.0.1:{gateway.http_port}"
        page = await browser.new_page()  # type: ignore[attr-defined]
        await page.goto(f"{base}/soporte")
        await fill_request(page)
        await page.click("button[type=submit]")
        assert (await page.inner_text(".number")).strip() == "TL-000001"
        assert "/soporte/recibo/" in page.url  # the receipt is a page of its own (Post/Redirect/Get)
        await page.reload()
        assert (await page.inner_text(".number")).strip() == "TL-000001"
        await page.go_back()
        if not await page.input_value("#subject"):  # the browser may show the form afresh: the client types again
            await fill_request(page)
        await page.click("button[type=submit]")
        assert (await page.inner_text(".number")).strip() == "TL-000001"
        tickets = gateway.cli_json("tickets", "list")
        acknowledgements = [i for i in gateway.cli_json("outbox", "list") if i["kind"] == "acknowledgement"]
    assert [t["number"] for t in tickets] == ["TL-000001"] and len(acknowledgements) == 1


LINES = "el => Math.round(el.getBoundingClientRect().height / parseFloat(getComputedStyle(el).lineHeight))"


async def test_on_a_phone_the_pages_name_the_desk_and_each_deadline_reads_in_two_lines(
    tmp_path: Path, browser: object
) -> None:
    with gateway_process(tmp_path, *write_config(tmp_path)) as gateway:
        base = f"http://127.0.0.1:{gateway.http_port}"
        page = await browser.new_page(viewport={"width": 390, "height": 844})  # type: ignore[attr-defined]
        await page.goto(f"{base}/soporte")
        assert "Mesa de ayuda TecnoLinux" in await page.inner_text("header")
        await fill_request(page)
        await page.click("button[type=submit]")
        await page.screenshot(path=str(SHOTS / "soporte-receipt-390px.png"), full_page=True)
        heights = [await cell.evaluate(LINES) for cell in await page.query_selector_all("dd")]
        assert len(heights) == 3 and max(heights) <= 2, heights  # priority, response, resolution
        await page.goto(f"{base}/soporte/estado")
        await page.fill("#number", "TL-000001")
        await page.fill("#contact", "sistemas@andina.com.co")
        await page.click("button[type=submit]")
        assert "No abre el ERP" in await page.inner_text("dl")  # the status page shows the subject
