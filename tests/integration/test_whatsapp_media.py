"""fetch_media against a loopback HTTPS server with a self-signed certificate made by the openssl CLI.

127.0.0.1 plays Twilio's API host (credentials go there); localhost, the same server under another name, plays the
storage host a redirect leads to (credentials must not go there).
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from adapters.channel import PermanentFailure, TemporaryFailure
from adapters.whatsapp.media import TWILIO_MEDIA_HOSTS, fetch_media, host_allowed
from tests.fake_twilio import FakeTwilio

ACCOUNT = "AC" + "a" * 32
TOKEN = "t" * 32
ALLOWED = frozenset({"127.0.0.1", "localhost"})
API = frozenset({"127.0.0.1"})
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 4000


@dataclass
class Media:
    fake: FakeTwilio
    session: aiohttp.ClientSession

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"https://{host}:{self.fake.port}{path}"

    async def fetch(self, url: str, max_bytes: int = 10_000, max_redirects: int = 5) -> tuple[bytes, str]:
        return await fetch_media(
            self.session,
            url,
            account_sid=ACCOUNT,
            auth_token=TOKEN,
            max_bytes=max_bytes,
            allowed_hosts=ALLOWED,
            api_hosts=API,
            max_redirects=max_redirects,
        )


@pytest.fixture
async def media(certificate: tuple[Path, Path]) -> AsyncIterator[Media]:
    cert, key = certificate
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    fake = await FakeTwilio(ACCOUNT, TOKEN).start(ssl_context=server_context)
    client_context = ssl.create_default_context(cafile=str(cert))
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=client_context))
    yield Media(fake, session)
    await session.close()
    await fake.stop()


async def test_media_on_an_allowed_host_comes_with_its_type_and_credentials(media: Media) -> None:
    media.fake.media["/Media/ME1"] = (JPEG, "image/jpeg")
    assert await media.fetch(media.url("/Media/ME1")) == (JPEG, "image/jpeg")
    assert media.fake.requests[0].auth == (ACCOUNT, TOKEN)


async def test_a_redirect_within_allowed_hosts_is_followed_without_credentials_for_the_storage_host(
    media: Media,
) -> None:
    media.fake.redirects["/Media/ME1"] = media.url("/cdn/ME1", host="localhost")
    media.fake.media["/cdn/ME1"] = (JPEG, "image/jpeg")
    assert await media.fetch(media.url("/Media/ME1")) == (JPEG, "image/jpeg")
    api_hop, storage_hop = media.fake.requests
    assert (api_hop.path, api_hop.auth) == ("/Media/ME1", (ACCOUNT, TOKEN))
    assert (storage_hop.path, storage_hop.host.split(":")[0], storage_hop.auth) == ("/cdn/ME1", "localhost", None)


async def test_a_relative_redirect_stays_on_the_api_host(media: Media) -> None:
    media.fake.redirects["/Media/ME1"] = "/Media/ME1/content"
    media.fake.media["/Media/ME1/content"] = (b"%PDF-1.7", "application/pdf")
    assert await media.fetch(media.url("/Media/ME1")) == (b"%PDF-1.7", "application/pdf")
    assert [r.auth for r in media.fake.requests] == [(ACCOUNT, TOKEN)] * 2


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1/Media/ME1", "not https"),
        ("https://evil.example.com/Media/ME1", "evil.example.com is not one of Twilio's media hosts"),
        ("https://127.0.0.1.evil.example.com/Media/ME1", "is not one of Twilio's media hosts"),
    ],
    ids=["http", "foreign host", "lookalike host"],
)
async def test_urls_off_the_allowed_hosts_are_refused_without_a_request(media: Media, url: str, reason: str) -> None:
    with pytest.raises(PermanentFailure, match=reason):
        await media.fetch(url)
    assert media.fake.requests == []


@pytest.mark.parametrize(
    "location",
    ["https://evil.example.com/steal", "http://localhost/cdn/ME1"],
    ids=["foreign host", "downgrade to http"],
)
async def test_a_redirect_off_the_allowed_hosts_is_refused(media: Media, location: str) -> None:
    media.fake.redirects["/Media/ME1"] = location
    with pytest.raises(PermanentFailure):
        await media.fetch(media.url("/Media/ME1"))
    assert len(media.fake.requests) == 1


async def test_a_redirect_loop_ends(media: Media) -> None:
    media.fake.redirects["/loop"] = "/loop"
    with pytest.raises(PermanentFailure, match="more than 3 times"):
        await media.fetch(media.url("/loop"), max_redirects=3)
    assert len(media.fake.requests) == 4


async def test_media_over_the_cap_is_refused(media: Media) -> None:
    media.fake.media["/Media/big"] = (b"x" * 20_000, "video/mp4")
    with pytest.raises(PermanentFailure, match="media larger than 10000 bytes"):
        await media.fetch(media.url("/Media/big"))


@pytest.mark.parametrize(
    ("status", "failure"),
    [
        (404, PermanentFailure),
        (403, PermanentFailure),
        (401, PermanentFailure),
        (500, TemporaryFailure),
        (503, TemporaryFailure),
        (429, TemporaryFailure),
    ],
)
async def test_http_errors(media: Media, status: int, failure: type[Exception]) -> None:
    media.fake.statuses["/Media/ME1"] = status
    with pytest.raises(failure, match=f"HTTP {status}"):
        await media.fetch(media.url("/Media/ME1"))


async def test_an_untrusted_certificate_is_a_network_failure(media: Media) -> None:
    async with aiohttp.ClientSession() as plain:  # the system's CAs do not know our self-signed certificate
        with pytest.raises(TemporaryFailure, match="cannot download media"):
            await fetch_media(
                plain,
                media.url("/Media/ME1"),
                account_sid=ACCOUNT,
                auth_token=TOKEN,
                max_bytes=10,
                allowed_hosts=ALLOWED,
            )
    assert media.fake.requests == []


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("api.twilio.com", True),
        ("API.Twilio.com", True),
        ("mms.twiliocdn.com", True),
        ("evil.com", False),
        ("api.twilio.com.evil.com", False),
    ],
)
def test_default_hosts(host: str, allowed: bool) -> None:
    assert host_allowed(host, TWILIO_MEDIA_HOSTS) is allowed
    assert host_allowed("eu1.mms.twiliocdn.com", frozenset({".twiliocdn.com"}))
    assert not host_allowed("twiliocdn.com.evil.com", frozenset({".twiliocdn.com"}))
