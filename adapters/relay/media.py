"""Fetching the attachments a relay's bridge sends as links, after the ack, by the rules WhatsApp media follows.

A bridge's `attachments[].url` comes from the bridge, so it is fetched only over https, only from the relay's
`attachment_hosts` (every redirect checked again), up to `max_attachment_bytes`, and with no credentials at all
(`adapters.media_fetch` does the checks). A relay without `attachment_hosts` fetches nothing: each attachment keeps
a note naming the setting to change.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterable

import aiohttp

from adapters.media_fetch import fetch_checked
from adapters.relay import CHANNEL

TIMEOUT_SECONDS = 120.0


class RelayMediaFetcher:
    """Downloads one relay's attachments; `ssl_context` replaces the system's CAs (a test's self-signed certificate)."""

    def __init__(
        self,
        relay: str,
        attachment_hosts: Iterable[str],
        max_bytes: int,
        *,
        max_redirects: int = 5,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._hosts = frozenset(attachment_hosts)
        self._max_bytes = max_bytes
        self._max_redirects = max_redirects
        self._ssl: ssl.SSLContext | bool = ssl_context if ssl_context is not None else True
        self._not_allowed = f"is not in [channels.{CHANNEL}.{relay}] attachment_hosts"
        self._session: aiohttp.ClientSession | None = None

    async def __call__(self, url: str) -> tuple[bytes, str]:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(ssl=self._ssl),
                cookie_jar=aiohttp.DummyCookieJar(),  # nothing a host sets travels to the next download
                timeout=aiohttp.ClientTimeout(total=TIMEOUT_SECONDS),
            )
        return await fetch_checked(
            self._session,
            url,
            allowed_hosts=self._hosts,
            max_bytes=self._max_bytes,
            max_redirects=self._max_redirects,
            what="attachment",
            not_allowed=self._not_allowed,
        )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
