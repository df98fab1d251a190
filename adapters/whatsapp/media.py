"""Downloading the media of an inbound WhatsApp message from Twilio, safely.

A `MediaUrl{i}` points at Twilio's API (`https://api.twilio.com/2010-04-01/Accounts/AC…/Messages/MM…/Media/ME…`),
which answers with a redirect to short-lived storage. Where the media lives, per Twilio's support article
"Protect Media Access with HTTP Basic Authentication for Programmable Messaging": `mms.twiliocdn.com` when the
account enforces HTTP auth on media, `s3-external-1.amazonaws.com` when it does not; earlier media redirected to
`media.twiliocdn.com` (a 307 recorded in codeforamerica/vita-min#563). So the download:

- goes over https only, to hosts in `allowed_hosts` (an entry is an exact host name; an entry starting with a dot,
  such as ".twiliocdn.com", allows every subdomain of it);
- follows redirects itself (`allow_redirects=False`), re-checking scheme and host at every hop, at most
  `max_redirects` of them;
- sends the account's Basic credentials only to the hosts in `api_hosts` (Twilio's API), never to the storage host
  a redirect leads to;
- streams with a cap of `max_bytes`.

404/403/401 and other 4xx, a forbidden host, an http URL or media over the cap raise PermanentFailure; 5xx, 429 and
network trouble raise TemporaryFailure. The Basic auth header helper here serves the sender too.
"""

from __future__ import annotations

import base64
from urllib.parse import urljoin, urlsplit

import aiohttp

from adapters.channel import PermanentFailure, TemporaryFailure
from adapters.retry_after import retry_after_seconds

TWILIO_API_HOSTS = frozenset({"api.twilio.com"})
TWILIO_MEDIA_HOSTS = frozenset(
    {
        "api.twilio.com",  # where MediaUrl points
        "mms.twiliocdn.com",  # media of accounts that enforce HTTP auth on media (short-lived URLs)
        "media.twiliocdn.com",  # earlier media CDN host
        "s3-external-1.amazonaws.com",  # media of accounts that do not enforce HTTP auth on media
    }
)
REDIRECTS = frozenset({301, 302, 303, 307, 308})
CHUNK = 64 * 1024


def basic_authorization(user: str, password: str) -> str:
    """The value of an HTTP Basic `Authorization` header."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


def host_allowed(host: str, allowed_hosts: frozenset[str]) -> bool:
    """Exact match, or a subdomain of an entry written with a leading dot (".twiliocdn.com")."""
    host = host.lower().rstrip(".")
    return any(host == entry or (entry.startswith(".") and host.endswith(entry)) for entry in allowed_hosts)


def _checked(url: str, allowed_hosts: frozenset[str]) -> str:
    parts = urlsplit(url)
    if parts.scheme != "https":
        raise PermanentFailure(f"media URL is not https: {parts.scheme or '(none)'}://{parts.hostname or ''}")
    if not parts.hostname or not host_allowed(parts.hostname, allowed_hosts):
        raise PermanentFailure(f"media host {parts.hostname or '(none)'} is not one of Twilio's media hosts")
    return parts.hostname.lower()


async def _read_capped(response: aiohttp.ClientResponse, max_bytes: int) -> bytes:
    if response.content_length is not None and response.content_length > max_bytes:
        raise PermanentFailure(f"media larger than {max_bytes} bytes")
    content = bytearray()
    async for chunk in response.content.iter_chunked(CHUNK):
        content += chunk
        if len(content) > max_bytes:
            raise PermanentFailure(f"media larger than {max_bytes} bytes")
    return bytes(content)


def _failure(status: int, host: str, retry_after: str | None) -> Exception:
    reason = f"media download from {host} answered HTTP {status}"
    if status == 429 or status >= 500:
        return TemporaryFailure(reason, retry_after_seconds(retry_after))
    return PermanentFailure(reason)


async def fetch_media(
    session: aiohttp.ClientSession,
    url: str,
    *,
    account_sid: str,
    auth_token: str,
    max_bytes: int,
    allowed_hosts: frozenset[str] = TWILIO_MEDIA_HOSTS,
    max_redirects: int = 5,
    api_hosts: frozenset[str] = TWILIO_API_HOSTS,
) -> tuple[bytes, str]:
    """The media at `url` and its content type, or PermanentFailure / TemporaryFailure.

    `session` must carry no credentials of its own: this function decides, hop by hop, who gets them."""
    credentials = {"Authorization": basic_authorization(account_sid, auth_token)}
    for _hop in range(max_redirects + 1):
        host = _checked(url, allowed_hosts)
        headers = credentials if host_allowed(host, api_hosts) else {}
        try:
            async with session.get(url, headers=headers, allow_redirects=False) as response:
                if response.status in REDIRECTS:
                    location = response.headers.get("Location", "")
                    if not location:
                        raise PermanentFailure(f"media redirect from {host} without a Location")
                    url = urljoin(url, location)
                    continue
                if response.status != 200:
                    raise _failure(response.status, host, response.headers.get("Retry-After"))
                return await _read_capped(response, max_bytes), response.content_type
        except (aiohttp.ClientError, TimeoutError) as error:
            raise TemporaryFailure(f"cannot download media from {host}: {error.__class__.__name__}") from error
    raise PermanentFailure(f"media download redirected more than {max_redirects} times")


class TwilioMediaFetcher:
    """Downloads inbound media with the account's credentials (`adapters.whatsapp.media` does the checks)."""

    def __init__(self, account_sid: str, auth_token: str, max_bytes: int) -> None:
        self._account_sid = account_sid
        self._auth_token = auth_token
        self._max_bytes = max_bytes
        self._session: aiohttp.ClientSession | None = None

    async def __call__(self, url: str) -> tuple[bytes, str]:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120))
        return await fetch_media(
            self._session, url, account_sid=self._account_sid, auth_token=self._auth_token, max_bytes=self._max_bytes
        )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
