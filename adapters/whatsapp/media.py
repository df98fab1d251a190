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
network trouble raise TemporaryFailure. The checks themselves are every channel's (`adapters.media_fetch`); this
module holds Twilio's hosts and credentials. The Basic auth header helper here serves the sender too.
"""

from __future__ import annotations

import base64

import aiohttp

from adapters.media_fetch import credentials_for, fetch_checked, host_allowed

# host_allowed is every channel's (adapters.media_fetch); it stays importable from here.
__all__ = [
    "TWILIO_API_HOSTS",
    "TWILIO_MEDIA_HOSTS",
    "TwilioMediaFetcher",
    "basic_authorization",
    "fetch_media",
    "host_allowed",
]

TWILIO_API_HOSTS = frozenset({"api.twilio.com"})
TWILIO_MEDIA_HOSTS = frozenset(
    {
        "api.twilio.com",  # where MediaUrl points
        "mms.twiliocdn.com",  # media of accounts that enforce HTTP auth on media (short-lived URLs)
        "media.twiliocdn.com",  # earlier media CDN host
        "s3-external-1.amazonaws.com",  # media of accounts that do not enforce HTTP auth on media
    }
)
NOT_TWILIO = "is not one of Twilio's media hosts"


def basic_authorization(user: str, password: str) -> str:
    """The value of an HTTP Basic `Authorization` header."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


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

    `session` must carry no credentials of its own: the account's go, hop by hop, to `api_hosts` only."""
    credentials = {"Authorization": basic_authorization(account_sid, auth_token)}
    return await fetch_checked(
        session,
        url,
        allowed_hosts=allowed_hosts,
        max_bytes=max_bytes,
        max_redirects=max_redirects,
        headers_for=credentials_for(credentials, api_hosts),
        not_allowed=NOT_TWILIO,
    )


class TwilioMediaFetcher:
    """Downloads inbound media with the account's credentials (`fetch_media` does the checks)."""

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
