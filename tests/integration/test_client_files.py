"""A client's files reach the agents: uploaded into the ticket's Slack thread (slack_sdk's files_upload_v2 against the
fake Slack), a signed expiring link for a file too big to upload (served by the gateway's HTTP app), and
`gateway tickets attachment` for admins — over a real SQLite store."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestClient, TestServer
from slack_sdk.web.async_client import AsyncWebClient

from adapters.channel import PermanentFailure, TemporaryFailure
from adapters.slack.console import SlackConsole
from adapters.slack.console_events import ConsoleObserver
from gateway.runtime.file_links import FileLinks
from gateway.runtime.http import create_app
from tests.conftest import at, project_texts
from tests.fake_slack import FakeSlack
from ticketing.observer import TicketLog
from ticketing.store.sqlite import SqliteStore
from ticketing.types import AttachmentRef, Direction, OutboundReply, Priority, Status, Ticket, TicketMessage

NOW = at("2026-11-30T14:00:00")
CONSOLE = "C111"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
PROJECT = Path(__file__).resolve().parents[2]


@dataclass
class Desk:
    fake: FakeSlack
    store: SqliteStore
    client: AsyncWebClient
    now: datetime = NOW

    def console(self, upload_max_bytes: int = 10_000, links: FileLinks | None = None) -> SlackConsole:
        return SlackConsole(
            client=self.client,
            channel_id=CONSOLE,
            store=self.store,
            tz=ZoneInfo("America/Bogota"),
            texts=project_texts(),
            organisation_name=lambda key: None,
            upload_max_bytes=upload_max_bytes,
            file_link=links.link if links else None,
        )

    def links(self, secret: str = "s3cret") -> FileLinks:
        return FileLinks(self.store, secret, "https://soporte.example/", timedelta(days=7), lambda: self.now)

    async def ticket_with_files(self, *files: AttachmentRef) -> list[OutboundReply]:
        """A ticket whose client message carries `files`; returns what the console's observer queued."""
        async with self.store.transaction() as tx:
            number = await tx.next_ticket_number("TL")
            ticket = Ticket(number, "ana@andina.com.co", "Ana", "email", "andina", "standard", Status.NEW,
                            Priority.HIGH, None, "Pantallazo", "es", NOW, None, None)  # fmt: skip
            ticket.id = await tx.insert_ticket(ticket, NOW)
            log = TicketLog(tx, ticket)
            await log.message(TicketMessage(Direction.IN, "email", "Adjunto", NOW, "ana@andina.com.co", "m1"), files)
            await log.event(NOW, "created", "ana@andina.com.co")
            await log.tell(ConsoleObserver("slack_console", CONSOLE, project_texts()("es")), NOW)
            queued = [item.reply for item in reversed(await tx.list_outbox())]
            await tx.set_console_thread(number, CONSOLE, "1764511200.000001")
        return queued


def attachment(name: str, content: bytes | None, note: str = "") -> AttachmentRef:
    return AttachmentRef(name, "image/png", len(content or b"x" * 99), "sha", content, note)


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[Desk]:
    fake = await FakeSlack(channels={CONSOLE}).start()
    store = SqliteStore(tmp_path / "files.sqlite3")
    await store.open()
    client = AsyncWebClient(token=fake.token, base_url=fake.base_url + "/api/", retry_handlers=[], timeout=5)
    yield Desk(fake, store, client)
    await store.close()
    await fake.stop()


async def test_each_stored_file_is_queued_after_the_summary_and_uploaded_into_the_thread(desk: Desk) -> None:
    queued = await desk.ticket_with_files(attachment("pantallazo.png", PNG), attachment("grande.iso", None, "too big"))
    assert [item.kind for item in queued] == ["console_ticket", "console_file"]  # a file not stored is not posted
    file_item = queued[1]
    assert file_item.data["filename"] == "pantallazo.png" and file_item.data["size"] == len(PNG)
    await desk.console().send(file_item)
    [shared] = desk.fake.files
    assert (shared.title, shared.channel, shared.thread_ts, shared.content) == (
        "pantallazo.png",
        CONSOLE,
        "1764511200.000001",
        PNG,
    )


async def test_a_file_over_the_cap_is_a_signed_link_that_serves_it_and_expires(desk: Desk) -> None:
    [_, file_item] = await desk.ticket_with_files(attachment("captura <1>.png", PNG))
    links = desk.links()
    await desk.console(upload_max_bytes=100, links=links).send(file_item)
    assert desk.fake.files == []
    [line] = [m for m in desk.fake.messages if m.thread_ts == "1764511200.000001"]
    assert line.text.startswith(":paperclip: *captura &lt;1&gt;.png* (1 KB) es demasiado grande para Slack: <")
    [url] = re.findall(r"<(https://[^|>]+)\|descargar>$", line.text)
    assert url.startswith("https://soporte.example/archivos/")
    path = url.removeprefix("https://soporte.example")

    app = create_app(desk.store, dict, {}, links)
    async with TestClient(TestServer(app, host="127.0.0.1")) as http:
        response = await http.get(path)
        assert response.status == 200 and await response.read() == PNG
        assert response.headers["Content-Type"] == "image/png"
        assert response.headers["Content-Disposition"] == "attachment; filename*=UTF-8''captura%20%3C1%3E.png"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        tampered = path[:-2] + ("AA" if not path.endswith("AA") else "BB")
        assert (await http.get(tampered)).status == 404
        forged = desk.links(secret="another").link(1).removeprefix("https://soporte.example")
        assert (await http.get(forged)).status == 404
        desk.now = NOW + timedelta(days=7, seconds=1)
        expired = await http.get(path)
        assert expired.status == 410 and "venció" in await expired.text()


async def test_without_a_public_url_the_line_names_the_command(desk: Desk) -> None:
    queued = await desk.ticket_with_files(attachment("a.png", b"a" * 50), attachment("b.png", PNG))
    await desk.console(upload_max_bytes=100).send(queued[-1])
    [line] = [m for m in desk.fake.messages if m.thread_ts]
    assert line.text.endswith("es demasiado grande para Slack: `gateway tickets attachment TL-000001 2 > archivo`")


async def test_a_file_waits_for_the_thread_and_slacks_refusals_are_failures(desk: Desk) -> None:
    [_, file_item] = await desk.ticket_with_files(attachment("a.png", PNG))
    with pytest.raises(TemporaryFailure, match="not posted yet"):
        await desk.console().send(replace(file_item, ticket_number="TL-000099"))
    desk.fake.fail_next(1, "missing_scope", method="files.getUploadURLExternal")
    with pytest.raises(PermanentFailure, match="missing_scope"):
        await desk.console().send(file_item)
    desk.fake.fail_next(
        1, "ratelimited", status=429, headers={"Retry-After": "7"}, method="files.completeUploadExternal"
    )
    with pytest.raises(TemporaryFailure) as failure:
        await desk.console().send(file_item)
    assert failure.value.retry_after == 7
    with pytest.raises(PermanentFailure, match="no stored content"):
        await desk.console().send(replace(file_item, data={"attachment_id": 999}))


async def test_a_failed_upload_step_is_temporary(desk: Desk) -> None:
    [_, file_item] = await desk.ticket_with_files(attachment("a.png", PNG))
    desk.fake.failing_uploads = 1
    with pytest.raises(TemporaryFailure, match="SlackRequestError"):
        await desk.console().send(file_item)
    await desk.console().send(file_item)  # the outbox's retry
    assert [shared.content for shared in desk.fake.files] == [PNG]


def test_the_cli_writes_an_attachment_out(tmp_path: Path) -> None:
    config = tmp_path / "config"
    subprocess.run(["cp", "-r", str(PROJECT / "config"), str(config)], check=True)

    async def stored() -> None:
        store = SqliteStore(tmp_path / "var" / "gateway.sqlite3")
        await store.open()
        fake = await FakeSlack(channels={CONSOLE}).start()
        await Desk(fake, store, AsyncWebClient()).ticket_with_files(
            attachment("a.png", PNG), attachment("grande.iso", None, "over the 10 MB limit")
        )
        await fake.stop()
        await store.close()

    asyncio.run(stored())

    def gateway(*args: str) -> subprocess.CompletedProcess[bytes]:
        command = [sys.executable, "-m", "gateway", "tickets", *args, "--config", str(config / "gateway.toml")]
        return subprocess.run(command, capture_output=True, timeout=60, cwd=tmp_path)

    written = gateway("attachment", "tl-000001", "1")
    assert (written.returncode, written.stdout) == (0, PNG)
    shown = gateway("show", "TL-000001")
    assert "  1. a.png (image/png, 1032 bytes)" in shown.stdout.decode()
    assert "  2. grande.iso (image/png, 99 bytes)  [over the 10 MB limit]" in shown.stdout.decode()
    for args, error in [
        (("2",), "attachment 2 of TL-000001 (grande.iso) is not stored: over the 10 MB limit"),
        (("3",), "TL-000001 has 2 attachments; there is no 3"),
    ]:
        refused = gateway("attachment", "TL-000001", *args)
        assert refused.returncode == 1 and refused.stdout == b""
        assert refused.stderr.decode().strip().endswith(error)


async def test_without_file_links_there_is_no_download_route(desk: Desk) -> None:
    app = create_app(desk.store, dict, {})
    async with TestClient(TestServer(app, host="127.0.0.1")) as http:
        assert (await http.get("/archivos/anything")).status == 404
