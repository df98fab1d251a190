"""A relay's attachments fetched by the rules WhatsApp media follows, against a loopback HTTPS file host with a
self-signed certificate made by the openssl CLI; then through the media worker, and through the whole gateway.

127.0.0.1 is the relay's configured attachment host; localhost, the same server under another name, is not.
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiohttp import web

from adapters.channel import PermanentFailure, TemporaryFailure
from adapters.relay.media import RelayMediaFetcher
from adapters.relay.signing import signed_headers
from gateway.config.loader import ConfigError, load_settings
from gateway.runtime.bootstrap import build_gateway
from gateway.workers.media import MediaWorker
from gateway.workers.outbox import RetryPolicy
from tests.conftest import PROJECT, at, serving_webhooks
from ticketing.store.sqlite import SqliteStore
from ticketing.types import AttachmentRef, Direction, Priority, Status, Ticket, TicketMessage

NOW = at("2026-11-24T14:00:00")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 3000
NOT_ALLOWED = "is not in [channels.relay.teams] attachment_hosts"


@dataclass
class FileHost:
    """The bridge's file host: serves `files` (streamed without a length when the path is in `chunked`), answers
    `redirects` with a 302, `statuses` with a Retry-After of 7; records every request."""

    port: int = 0
    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    chunked: set[str] = field(default_factory=set)
    redirects: dict[str, str] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)  # (host, path, headers)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"https://{host}:{self.port}{path}"

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append((request.host.split(":")[0], request.path, dict(request.headers)))
        if request.path in self.statuses:
            return web.Response(status=self.statuses[request.path], headers={"Retry-After": "7"})
        if request.path in self.redirects:
            return web.Response(status=302, headers={"Location": self.redirects[request.path]})
        if request.path not in self.files:
            return web.Response(status=404)
        content, content_type = self.files[request.path]
        if request.path not in self.chunked:
            return web.Response(body=content, content_type=content_type)
        stream = web.StreamResponse(headers={"Content-Type": content_type})
        stream.enable_chunked_encoding()
        await stream.prepare(request)
        for start in range(0, len(content), 1000):
            await stream.write(content[start : start + 1000])
        return stream


@pytest.fixture
async def files(certificate: tuple[Path, Path]) -> AsyncIterator[FileHost]:
    cert, key = certificate
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    host = FileHost()
    app = web.Application()
    app.router.add_get("/{path:.*}", host.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_context).start()
    host.port = int(runner.addresses[0][1])
    yield host
    await runner.cleanup()


@pytest.fixture
async def fetcher(certificate: tuple[Path, Path]) -> AsyncIterator[RelayMediaFetcher]:
    trusted = ssl.create_default_context(cafile=str(certificate[0]))
    fetch = RelayMediaFetcher("teams", ["127.0.0.1"], 10_000, ssl_context=trusted)
    yield fetch
    await fetch.close()


async def test_a_file_on_an_allowed_host_comes_with_its_type_and_no_credentials(
    files: FileHost, fetcher: RelayMediaFetcher
) -> None:
    files.files["/f/captura.png"] = (PNG, "image/png")
    assert await fetcher(files.url("/f/captura.png")) == (PNG, "image/png")
    [(host, path, headers)] = files.requests
    assert (host, path) == ("127.0.0.1", "/f/captura.png")
    assert "Authorization" not in headers


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1/f/captura.png", "attachment URL is not https: http://127.0.0.1"),
        ("https://files.x.com/f/captura.png", f"attachment host files.x.com {NOT_ALLOWED}"),
        ("https://127.0.0.1.evil.example.com/f", f"attachment host 127.0.0.1.evil.example.com {NOT_ALLOWED}"),
    ],
    ids=["http", "other host", "lookalike host"],
)
async def test_urls_off_the_allowed_hosts_are_refused_without_a_request(
    files: FileHost, fetcher: RelayMediaFetcher, url: str, reason: str
) -> None:
    with pytest.raises(PermanentFailure) as refused:
        await fetcher(url)
    assert refused.value.reason == reason
    assert files.requests == []


async def test_without_attachment_hosts_every_url_is_refused_naming_the_setting(files: FileHost) -> None:
    fetch = RelayMediaFetcher("teams", [], 10_000)
    try:
        with pytest.raises(PermanentFailure) as refused:
            await fetch(files.url("/f/captura.png"))
    finally:
        await fetch.close()
    assert refused.value.reason == f"attachment host 127.0.0.1 {NOT_ALLOWED}"
    assert files.requests == []


async def test_a_redirect_on_the_allowed_host_is_followed(files: FileHost, fetcher: RelayMediaFetcher) -> None:
    files.redirects["/share/1"] = "/f/captura.png"
    files.files["/f/captura.png"] = (PNG, "image/png")
    assert await fetcher(files.url("/share/1")) == (PNG, "image/png")
    assert [(path, "Authorization" in headers) for _, path, headers in files.requests] == [
        ("/share/1", False),
        ("/f/captura.png", False),
    ]


@pytest.mark.parametrize(
    ("location", "reason"),
    [
        ("https://localhost:{port}/f/captura.png", f"attachment host localhost {NOT_ALLOWED}"),
        ("http://127.0.0.1:{port}/f/captura.png", "attachment URL is not https"),
    ],
    ids=["other host", "downgrade to http"],
)
async def test_a_redirect_off_the_allowed_hosts_is_refused(
    files: FileHost, fetcher: RelayMediaFetcher, location: str, reason: str
) -> None:
    files.redirects["/share/1"] = location.format(port=files.port)
    files.files["/f/captura.png"] = (PNG, "image/png")
    with pytest.raises(PermanentFailure) as refused:
        await fetcher(files.url("/share/1"))
    assert refused.value.reason.startswith(reason)
    assert [path for _, path, _ in files.requests] == ["/share/1"]


@pytest.mark.parametrize("chunked", [False, True], ids=["with a length", "streamed"])
async def test_a_file_over_the_cap_is_refused(files: FileHost, fetcher: RelayMediaFetcher, chunked: bool) -> None:
    files.files["/f/video.mp4"] = (b"x" * 20_000, "video/mp4")
    if chunked:
        files.chunked.add("/f/video.mp4")
    with pytest.raises(PermanentFailure, match="attachment larger than 10000 bytes"):
        await fetcher(files.url("/f/video.mp4"))


async def test_a_503_is_temporary_with_its_retry_after_and_a_404_permanent(
    files: FileHost, fetcher: RelayMediaFetcher
) -> None:
    files.statuses |= {"/busy": 503, "/gone": 404}
    with pytest.raises(TemporaryFailure) as busy:
        await fetcher(files.url("/busy"))
    assert (busy.value.reason, busy.value.retry_after) == ("attachment download from 127.0.0.1 answered HTTP 503", 7)
    with pytest.raises(PermanentFailure, match="attachment download from 127.0.0.1 answered HTTP 404"):
        await fetcher(files.url("/gone"))


async def test_by_default_the_certificate_is_verified(files: FileHost) -> None:
    fetch = RelayMediaFetcher("teams", ["127.0.0.1"], 10_000)  # the system's CAs do not know our certificate
    try:
        with pytest.raises(TemporaryFailure, match="cannot download attachment from 127.0.0.1"):
            await fetch(files.url("/f/captura.png"))
    finally:
        await fetch.close()
    assert files.requests == []


async def test_the_media_worker_stores_a_relay_attachment(
    files: FileHost, fetcher: RelayMediaFetcher, tmp_path: Path
) -> None:
    files.files["/f/captura.png"] = (PNG, "image/png")
    store = SqliteStore(tmp_path / "relay.sqlite3")
    await store.open()
    try:
        async with store.transaction() as tx:
            ticket = Ticket("TL-000001", "u-7", "Ana", "relay:teams", "andina", "standard", Status.NEW,
                            Priority.MEDIUM, None, "", "es", NOW, None, None)  # fmt: skip
            ticket_id = await tx.insert_ticket(ticket, NOW)
            shot = AttachmentRef("captura.png", "image/png", 0, "", None, "to download", files.url("/f/captura.png"))
            text = TicketMessage(Direction.IN, "relay:teams", "Mire el error", NOW, "u-7", "m-1")
            await tx.add_message(ticket_id, text, [shot])
        worker = MediaWorker(store, {"relay:teams": fetcher}, RetryPolicy(3, 1.0, 10.0), lambda: NOW, random.Random(1))
        await worker.work_pass()
        async with store.transaction() as tx:
            [stored] = await tx.attachments(ticket_id)
    finally:
        await store.close()
    assert (stored["size"], stored["content_type"], stored["note"]) == (len(PNG), "image/png", "")
    assert stored["sha256"] == hashlib.sha256(PNG).hexdigest()


def configured(tmp_path: Path, relay: str) -> Path:
    shutil.copytree(PROJECT / "config", tmp_path / "config")
    config = tmp_path / "config" / "gateway.toml"
    text = config.read_text().replace('path = "var/gateway.sqlite3"', f'path = "{(tmp_path / "g.sqlite3").as_posix()}"')
    section = '\n[channels.relay.teams]\nsecret_env = "R"\ncallback_url = "https://b.example/desk"\n'
    config.write_text(text + section + relay)
    return config


def test_a_url_in_attachment_hosts_is_a_clear_config_error(tmp_path: Path) -> None:
    config = configured(tmp_path, 'attachment_hosts = ["Files.X.com", "https://files.x.com"]\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(config, {"R": "r"})
    [problem] = caught.value.problems
    assert "channels.relay.teams.attachment_hosts.1: 'https://files.x.com' is not a host name" in problem


async def test_through_the_gateway_a_relay_without_attachment_hosts_notes_what_to_change(tmp_path: Path) -> None:
    gateway = build_gateway(load_settings(configured(tmp_path, ""), {"R": "r"}), lambda: NOW)
    async with serving_webhooks(gateway) as client:
        body = {"id": "m-1", "sender": {"id": "u-7", "email": "sistemas@andina.com.co"}, "text": "Mire el error",
                "attachments": [{"url": "https://files.x.com/a/captura.png", "name": "captura.png"}]}  # fmt: skip
        raw = json.dumps(body).encode()
        headers = {"Content-Type": "application/json", **signed_headers("r", "m-1", int(NOW.timestamp()), raw)}
        assert (await client.post("/webhooks/relay/teams", data=raw, headers=headers)).status == 200
        assert await gateway.inbox.process_pending() == 1
        await gateway.media.work_pass()
        async with gateway.store.transaction() as tx:
            [ticket] = await tx.list_tickets()
            [stored] = await tx.attachments(ticket.id or 0)
    assert (stored["filename"], stored["size"]) == ("captura.png", 0)
    assert stored["note"] == f"download failed: attachment host files.x.com {NOT_ALLOWED}"
